"""Simulated dataset with known truth: genome, genes, planted motifs, chromatin, reads."""
