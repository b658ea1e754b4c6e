"""Fetch remote inputs (sample-sheet FASTQ URLs, reference files) to local copies.

:mod:`~regflow.download.urls` tells URLs from paths, :mod:`~regflow.download.gzipcheck`
checks a gzip stream as it arrives, :mod:`~regflow.download.fetch` downloads with retries and
:mod:`~regflow.download.cli` is ``regflow download``.
"""
