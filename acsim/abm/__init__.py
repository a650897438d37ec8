"""The agent-based model of Section 6: parameters, workers, the retraining firm, the principal, beliefs, networks."""
