"""Helpers shared by the sequence-model datasets: one-hot DNA, GC content, bigWig values, bins.

Coordinates are 0-based half-open; an interval may run past a chromosome's ends, and the part
outside is zero (no base, no signal), so every window has the same length.
"""

from __future__ import annotations

from pathlib import Path
from typing import get_args, get_origin

import numpy as np
import pysam

from regflow.errors import RegflowError

#: Byte -> base code: 0..3 for A, C, G, T (either case), 4 for anything else (N, IUPAC...).
_CODES = np.full(256, 4, dtype=np.uint8)
for _code, _base in enumerate(b"ACGT"):
    _CODES[_base] = _code
    _CODES[_base + 32] = _code  # lower case (soft-masked)

#: Base code -> one-hot row; code 4 (not A/C/G/T) is the all-zero row.
_ONE_HOT = np.vstack([np.eye(4, dtype=np.uint8), np.zeros((1, 4), dtype=np.uint8)])  # (5, 4)


def base_codes(seq: str | bytes) -> np.ndarray:
    """Base codes of a sequence: (L,) uint8, 0..3 for A, C, G, T in either case, 4 otherwise."""
    data = seq.encode("ascii", errors="replace") if isinstance(seq, str) else bytes(seq)
    return _CODES[np.frombuffer(data, dtype=np.uint8)]


def one_hot(seq: str | bytes) -> np.ndarray:
    """One-hot encode DNA: (L, 4) uint8 in ACGT order, case-insensitive; N (or any other
    character) is an all-zero row, so it counts as no base rather than a guess."""
    return _ONE_HOT[base_codes(seq)]


def fetch_onehot(fasta: pysam.FastaFile, chrom: str, start: int, end: int) -> np.ndarray:
    """One-hot sequence of ``chrom:[start, end)``: (end - start, 4) uint8, zero rows where the
    interval runs beyond the chromosome (start < 0 or end > its length).

    Raises
    ------
    RegflowError
        If the FASTA has no such chromosome.
    """
    if end < start:
        raise ValueError(f"interval end {end} is before its start {start}")
    try:
        length = fasta.get_reference_length(chrom)
    except KeyError:
        raise RegflowError(
            f"genome FASTA {fasta.filename.decode()} has no chromosome {chrom}"
        ) from None
    out = np.zeros((end - start, 4), dtype=np.uint8)
    lo, hi = max(start, 0), min(end, length)
    if hi > lo:
        out[lo - start : hi - start] = one_hot(fasta.fetch(chrom, lo, hi))
    return out


def gc_fraction(onehot: np.ndarray) -> np.ndarray:
    """GC fraction among the called bases of one-hot sequences (..., L, 4) -> (...); 0 where a
    sequence has no called base (all N or padding)."""
    counts = onehot.sum(axis=-2, dtype=np.int64)  # (..., 4)
    called = counts.sum(axis=-1)
    gc = counts[..., 1] + counts[..., 2]
    return np.divide(gc, called, out=np.zeros(called.shape), where=called > 0)


def windows_gc(codes: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """GC fraction among called bases of many windows of one chromosome, by cumulative sums.

    Parameters
    ----------
    codes : (L,) uint8 base codes of the chromosome (:func:`base_codes`).
    starts : (n,) window starts; every window ``[start, start + width)`` lies inside ``codes``.
    width : window width (bp).

    Returns
    -------
    (n,) float64, as :func:`gc_fraction` of the windows' one-hot sequences.
    """
    dtype = np.int32 if codes.size < np.iinfo(np.int32).max else np.int64
    gc = np.concatenate([[0], np.cumsum((codes == 1) | (codes == 2), dtype=dtype)])  # (L + 1,)
    called = np.concatenate([[0], np.cumsum(codes < 4, dtype=dtype)])  # (L + 1,)
    starts = np.asarray(starts, dtype=np.int64)
    n_gc = (gc[starts + width] - gc[starts]).astype(np.float64)
    n_called = called[starts + width] - called[starts]
    return np.divide(n_gc, n_called, out=np.zeros(starts.shape), where=n_called > 0)


def open_bigwig(path: Path, what: str):
    """Open a bigWig for reading (a pyBigWig handle; close it when done).

    Raises
    ------
    RegflowError
        If the file is missing or is not a readable bigWig; the message names ``what`` and it.
    """
    import pyBigWig

    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        handle = pyBigWig.open(str(path))
    except RuntimeError:
        handle = None
    if handle is None or not handle.isBigWig():
        raise RegflowError(f"{what} {path} is not a readable bigWig file")
    return handle


def bigwig_values(bw, chrom: str, start: int, end: int, source: str | Path) -> np.ndarray:
    """Per-base values of ``chrom:[start, end)`` from an open bigWig: (end - start,) float32.

    Bases without data (NaN) are 0, as is the part of the interval beyond the chromosome.
    ``source`` (the bigWig's path or name) is only for the error message.

    Raises
    ------
    RegflowError
        If the bigWig has no such chromosome.
    """
    length = bw.chroms().get(chrom)
    if length is None:
        raise RegflowError(f"bigWig {source} has no chromosome {chrom}")
    out = np.zeros(end - start, dtype=np.float32)
    lo, hi = max(start, 0), min(end, length)
    if hi > lo:
        values = bw.values(chrom, lo, hi, numpy=True)
        out[lo - start : hi - start] = np.nan_to_num(values, nan=0.0)
    return out


def bin_means(values: np.ndarray, bin_size: int) -> np.ndarray:
    """Means over consecutive bins of the last axis: (..., L) -> (..., L // bin_size).

    Raises
    ------
    ValueError
        If L is not a multiple of ``bin_size``.
    """
    length = values.shape[-1]
    if bin_size < 1 or length % bin_size:
        raise ValueError(f"length {length} is not a multiple of the bin size {bin_size}")
    return values.reshape(*values.shape[:-1], length // bin_size, bin_size).mean(axis=-1)


def parse_settings(text: str) -> dict:
    """A dataset's settings given as a JSON string on the command line; must be an object."""
    from regflow.io import json_object

    return json_object(text, "--settings")


def check_settings(settings: dict, types: dict[str, type], what: str) -> dict:
    """Check that ``settings`` has exactly the keys of ``types``, each of its type.

    ``int`` excludes booleans, ``float`` also accepts integers, and ``list[str]`` checks the
    items too. Returns a copy.

    Raises
    ------
    RegflowError
        Naming ``what`` and the first missing, unknown or mistyped key.
    """
    missing = [key for key in types if key not in settings]
    if missing:
        raise RegflowError(f"{what} settings lack key {missing[0]!r}")
    unknown = [key for key in settings if key not in types]
    if unknown:
        raise RegflowError(f"{what} settings have unknown key {unknown[0]!r}")
    for key, kind in types.items():
        if not _has_type(settings[key], kind):
            name = str(kind) if get_args(kind) else kind.__name__
            raise RegflowError(f"{what} setting {key!r} must be {name}, got {settings[key]!r}")
    return dict(settings)


def _has_type(value: object, kind: type) -> bool:
    if isinstance(value, bool):
        return kind is bool
    if kind is float:
        return isinstance(value, int | float)
    origin, args = get_origin(kind), get_args(kind)
    if origin is None:
        return isinstance(value, kind)
    return isinstance(value, origin) and all(isinstance(item, args[0]) for item in value)
