"""Exact firms of the paper's theory: Bayes-optimal on a discrete world, a logistic risk minimiser, gradient descent."""
