"""MNase-seq images: per gene x condition histograms of fragment midpoints (position around the
TSS) against fragment length, the input of the chromatin vision transformer (seed 000)."""
