"""Runs: the scenario schema, scenarios, the run store, batches (processes, Ray), outputs, the investment study."""
