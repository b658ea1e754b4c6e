"""Baselines the neural networks are compared against: summary features, a GP, a random forest."""
