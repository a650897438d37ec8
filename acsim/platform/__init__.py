"""The text platform: resume corpora, the trigger tokenizer, strategies, learners, metrics and the paper's experiments (Figs 2-6)."""
