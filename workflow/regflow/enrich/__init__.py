"""Gene-set enrichment of gene rankings: offline (GMT, hypergeometric) or g:Profiler (cached)."""
