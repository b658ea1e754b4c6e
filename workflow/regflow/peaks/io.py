"""File input and output for the peaks stage: fragments by chromosome, narrowPeak and BED.

narrowPeak (ENCODE, as MACS3 writes it) has 10 tab-separated columns and no header: chrom,
start, end, name, score, strand, signalValue, pValue (-log10), qValue (-log10) and the summit's
offset from ``start`` (-1 when unknown). Coordinates are 0-based half-open throughout.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.qc.io import iter_fragment_chunks

#: Column names used for the 10 narrowPeak columns.
NARROWPEAK_COLUMNS = (
    "chrom",
    "start",
    "end",
    "name",
    "score",
    "strand",
    "signal",
    "pvalue",
    "qvalue",
    "summit",
)
_NARROWPEAK_DTYPES = {
    "chrom": str,
    "start": np.int64,
    "end": np.int64,
    "name": str,
    "score": np.int64,
    "strand": str,
    "signal": np.float64,
    "pvalue": np.float64,
    "qvalue": np.float64,
    "summit": np.int64,
}


def iter_chromosome_fragments(path: Path) -> Iterator[tuple[str, pd.DataFrame]]:
    """Yield a fragments file one chromosome at a time, in file order.

    Yields
    ------
    chrom : str
    frame : pandas.DataFrame
        Columns ``start``, ``end``, ``count`` (int64) of that chromosome's fragments.

    Raises
    ------
    RegflowError
        If the file cannot be parsed or a chromosome's lines are not contiguous.
    """
    done: set[str] = set()
    current, parts = None, []
    for chunk in iter_fragment_chunks(path):
        if chunk.empty:
            continue
        chroms = chunk["chrom"].to_numpy()
        cuts = np.flatnonzero(chroms[1:] != chroms[:-1]) + 1
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(chunk)], strict=True):
            chrom = chroms[lo]
            if chrom != current:
                if current is not None:
                    yield current, pd.concat(parts, ignore_index=True)
                    done.add(current)
                if chrom in done:
                    raise RegflowError(
                        f"fragments file {path} is not sorted: {chrom} appears in two blocks"
                    )
                current, parts = chrom, []
            parts.append(chunk.iloc[lo:hi][["start", "end", "count"]])
    if current is not None:
        yield current, pd.concat(parts, ignore_index=True)


def write_cut_sites(
    handle, chrom: str, position: np.ndarray, minus: np.ndarray, block: int = 500_000
) -> None:
    """Append one chromosome's insertions to an open text handle as BED6 1-bp records.

    Rows are formatted ``block`` at a time, which bounds the memory text formatting takes.
    """
    for lo in range(0, position.size, block):
        part = position[lo : lo + block]
        pd.DataFrame(
            {
                "chrom": chrom,
                "start": part,
                "end": part + 1,
                "name": ".",
                "score": 0,
                "strand": np.where(minus[lo : lo + block], "-", "+"),
            }
        ).to_csv(handle, sep="\t", header=False, index=False, lineterminator="\n")


def open_gzip_text(path: Path):
    """Open ``path`` for writing gzip-compressed text (level 1: a fast, temporary file)."""
    return gzip.open(path, "wt", compresslevel=1, encoding="utf-8", newline="")


def read_narrowpeak(path: Path) -> pd.DataFrame:
    """Read a narrowPeak file; an empty file gives an empty table with the same columns.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`NARROWPEAK_COLUMNS`, one row per peak (summit), in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"narrowPeak file {path} does not exist")
    try:
        frame = pd.read_csv(
            path,
            sep="\t",
            header=None,
            comment="#",
            names=list(NARROWPEAK_COLUMNS),
            dtype=_NARROWPEAK_DTYPES,
        )
    except pd.errors.EmptyDataError:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in _NARROWPEAK_DTYPES.items()})
    except (ValueError, pd.errors.ParserError) as err:
        raise RegflowError(
            f"narrowPeak file {path} cannot be parsed (expected 10 tab-separated columns): "
            f"{' '.join(str(err).split())}"
        ) from None
    if frame.isna().any().any():
        raise RegflowError(f"narrowPeak file {path} has a line with fewer than 10 columns")
    width = frame["end"] - frame["start"]
    if (frame["start"] < 0).any() or (width <= 0).any():
        raise RegflowError(f"narrowPeak file {path} has a peak with start < 0 or end <= start")
    if ((frame["summit"] < -1) | (frame["summit"] >= width)).any():
        raise RegflowError(f"narrowPeak file {path} has a summit offset outside its peak")
    return frame


def narrowpeak_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`regflow.io.write_outputs`: ``frame`` as narrowPeak (no header)."""

    def write(path: Path) -> None:
        frame[list(NARROWPEAK_COLUMNS)].to_csv(
            path, sep="\t", header=False, index=False, lineterminator="\n", float_format="%.6g"
        )

    return write


def read_bed(path: Path, what: str) -> pd.DataFrame:
    """Read the first three columns of a BED file (``#``, ``track`` and ``browser`` lines skipped).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom`` (str), ``start``, ``end`` (int64), in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    lines = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "track", "browser"))
    ]
    fields = [line.split("\t") for line in lines]
    if any(len(f) < 3 for f in fields):
        raise RegflowError(f"{what} {path} has a line with fewer than 3 tab-separated columns")
    try:
        frame = pd.DataFrame(
            {
                "chrom": [f[0] for f in fields],
                "start": np.array([f[1] for f in fields], dtype=np.int64),
                "end": np.array([f[2] for f in fields], dtype=np.int64),
            }
        )
    except ValueError:
        raise RegflowError(f"{what} {path} has a start or end that is not an integer") from None
    if (frame["start"] < 0).any() or (frame["end"] <= frame["start"]).any():
        raise RegflowError(f"{what} {path} has a record with start < 0 or end <= start")
    return frame


def bed_writer(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A writer for :func:`regflow.io.write_outputs`: ``frame``'s columns as BED (no header)."""

    def write(path: Path) -> None:
        frame.to_csv(path, sep="\t", header=False, index=False, lineterminator="\n")

    return write
