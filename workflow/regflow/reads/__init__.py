"""Reads to fragments: FASTQ checks, BAM filtering, fragment files."""
