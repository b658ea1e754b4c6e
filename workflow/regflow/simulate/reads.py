"""Read sequences from fragments: the first bases of each end, with adapter read-through.

Fragments are half-open ``[start, end)`` intervals of a source code array (the genome, or the
transcriptome for RNA-seq). A read longer than its fragment runs into the adapter and then
into random bases, as on an Illumina instrument.
"""

from __future__ import annotations

import numpy as np

from regflow.simulate.genome import encode

ADAPTERS = {
    "nextera": ("CTGTCTCTTATACACATCT", "CTGTCTCTTATACACATCT"),
    "truseq": ("AGATCGGAAGAGCACACGTCTGAACTCCAGTCA", "AGATCGGAAGAGCGTCGTGTAGGGAAAGAGTGT"),
}


def end_reads(
    rng: np.random.Generator,
    source: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    from_left: np.ndarray,
    length: int,
    adapter: str,
) -> np.ndarray:
    """Reads (n, length) from one end of each fragment.

    ``from_left`` (n,) bool: True reads the + strand from ``start``; False reads the - strand
    (reverse complement) from ``end - 1``.
    """
    n = start.size
    j = np.arange(length)[None, :]
    frag_len = (end - start)[:, None]
    pos = np.where(from_left[:, None], start[:, None] + j, end[:, None] - 1 - j)
    bases = source[np.clip(pos, 0, source.size - 1)]
    bases = np.where(from_left[:, None], bases, 3 - bases)
    adapter_codes = encode(adapter)
    past = j - frag_len  # position within the adapter, when >= 0
    in_adapter = (past >= 0) & (past < adapter_codes.size)
    filler = rng.integers(0, 4, (n, length), dtype=np.uint8)
    filler[in_adapter] = adapter_codes[past[in_adapter]]
    return np.where(past >= 0, filler, bases).astype(np.uint8)


def paired_reads(
    rng: np.random.Generator,
    source: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    r1_forward: np.ndarray,
    length: int,
    adapters: tuple[str, str],
) -> tuple[np.ndarray, np.ndarray]:
    """Read 1 and read 2 (each (n, length)); read 1 is the + strand read where ``r1_forward``."""
    r1 = end_reads(rng, source, start, end, r1_forward, length, adapters[0])
    r2 = end_reads(rng, source, start, end, ~r1_forward, length, adapters[1])
    return r1, r2
