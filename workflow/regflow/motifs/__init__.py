"""Motifs: JASPAR/MEME matrices, genome-wide scanning with exact p-values, motif clusters."""
