"""Quality control: fragment lengths, TSS enrichment, the per-sample QC table."""
