"""Sequencing: base-call errors with matching Phred qualities, and gzipped FASTQ output."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

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


class FastqWriter:
    """A gzipped FASTQ whose bytes depend only on its records (no name or time in the header).

    Writes to a temporary file renamed into place on success, so a failed run leaves nothing.
    """

    def __init__(self, path: Path, level: int = 4):
        self.path = Path(path)
        self.tmp = self.path.with_name(self.path.name + ".tmp")
        self.level = level

    def __enter__(self) -> FastqWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._raw = open(self.tmp, "wb")
        self._gz = gzip.GzipFile(
            filename="", fileobj=self._raw, mode="wb", compresslevel=self.level, mtime=0
        )
        return self

    def write(self, names: list[str], codes: np.ndarray, phred: np.ndarray) -> None:
        self._gz.write(format_fastq(names, codes, phred))

    def __exit__(self, exc_type, exc, tb) -> None:
        self._gz.close()
        self._raw.close()
        if exc_type is None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)
