"""Sequencing: base-call errors with matching Phred qualities, and gzipped FASTQ output."""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from regflow.io import atomic_output
from regflow.simulate.genome import BASES


def sequence_errors(
    rng: np.random.Generator, codes: np.ndarray, first: float, last: float
) -> tuple[np.ndarray, np.ndarray]:
    """Add substitution errors to reads (n, length) and return (codes, Phred scores).

    The error probability rises quadratically from ``first`` to ``last`` along the read and
    varies per read (log-normal factor); qualities are that probability in Phred units plus
    a little noise, so they are informative as real base qualities are.
    """
    n, length = codes.shape
    along = first + (last - first) * (np.arange(length) / max(length - 1, 1)) ** 2
    p = np.minimum(along[None, :] * rng.lognormal(0.0, 0.5, (n, 1)), 0.5)
    error = rng.random((n, length)) < p
    out = codes.copy()
    out[error] = (out[error] + rng.integers(1, 4, int(error.sum()))) % 4
    phred = np.rint(-10 * np.log10(p) + rng.normal(0, 1.5, (n, length)))
    return out, np.clip(phred, 2, 41).astype(np.uint8)


def format_fastq(names: list[str], codes: np.ndarray, phred: np.ndarray) -> bytes:
    """FASTQ records for reads of one length: ``@name``, bases, ``+``, qualities (Phred+33)."""
    seqs = BASES[codes]
    quals = (phred + 33).astype(np.uint8)
    return b"".join(
        b"@%s\n%s\n+\n%s\n" % (name.encode(), s.tobytes(), q.tobytes())
        for name, s, q in zip(names, seqs, quals, strict=True)
    )


@contextlib.contextmanager
def fastq_writer(path: Path, level: int = 4) -> Iterator[Callable[..., None]]:
    """Yield ``write(names, codes, phred)`` appending records to a gzipped FASTQ at ``path``.

    The gzip header holds no name or time, so the bytes depend only on the records; the file
    appears only if the block succeeds, so a failed run leaves nothing.
    """
    with (
        atomic_output(path) as tmp,
        open(tmp, "wb") as raw,
        gzip.GzipFile(filename="", fileobj=raw, mode="wb", compresslevel=level, mtime=0) as gz,
    ):
        yield lambda names, codes, phred: gz.write(format_fastq(names, codes, phred))
