"""Peaks: Tn5 cut sites for MACS3, peak filtering, a consensus peak set and counts per peak."""
