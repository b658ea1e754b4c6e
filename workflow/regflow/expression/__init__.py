"""RNA-seq expression: gene counts (featureCounts), salmon's inputs, fragment lengths, TPM and
its tables."""
