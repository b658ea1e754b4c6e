"""How well the workflow recovers the simulated truth, in numbers."""
