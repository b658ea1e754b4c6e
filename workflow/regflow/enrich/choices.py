"""Option values of the enrichment commands, importable without pandas or scipy so that
``regflow``'s argument parser starts fast."""

DEFAULT_URL = "https://biit.cs.ut.ee/gprofiler"
THRESHOLD_METHODS = ("g_SCS", "fdr", "bonferroni")  # g:Profiler's corrections
CORRECTIONS = ("fdr", "bonferroni")  # the offline hypergeometric test's
