"""File input and output for the QC stage: fragments, TSSs, chromosome sizes, atomic writes.

Fragments files are bgzipped, tabix-indexed TSVs without a header: ``chrom, start, end, name,
count`` (0-based half-open; ATAC fragments are already Tn5-shifted, so ``start`` and ``end - 1``
are the two insertion sites). Lines starting with ``#`` are ignored.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pysam

from regflow.errors import RegflowError

#: Columns of a fragments file (the fourth, ``name``, is never read).
FRAGMENT_COLUMNS = ("chrom", "start", "end", "name", "count")
_CHUNK_ROWS = 1_000_000


def _check_exists(path: Path, what: str) -> None:
    if not Path(path).is_file():
        raise RegflowError(f"{what} {path} does not exist")


def _parse_fragment_frame(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """Validate one parsed block of fragments (columns chrom, start, end, count)."""
    if frame[["start", "end", "count"]].isna().any().any():
        raise RegflowError(
            f"fragments file {path} has a line with fewer than 5 columns or an empty field "
            "(expected chrom, start, end, name, count)"
        )
    bad = frame["end"].to_numpy() <= frame["start"].to_numpy()
    if bad.any():
        row = frame.loc[bad].iloc[0]
        raise RegflowError(
            f"fragments file {path} has a fragment with end <= start: "
            f"{row['chrom']}:{row['start']}-{row['end']}"
        )
    if (frame["start"].to_numpy() < 0).any() or (frame["count"].to_numpy() < 0).any():
        raise RegflowError(f"fragments file {path} has a negative start or count")
    return frame


def _read_fragment_table(source, chunksize: int | None):
    """``pandas.read_csv`` of fragments; raises pandas' errors (EmptyDataError when empty)."""
    return pd.read_csv(
        source,
        sep="\t",
        header=None,
        comment="#",
        usecols=[0, 1, 2, 4],
        names=list(FRAGMENT_COLUMNS),
        dtype={"chrom": str, "start": "Int64", "end": "Int64", "count": "Int64"},
        chunksize=chunksize,
    )


def iter_fragment_chunks(path: Path, chunk_rows: int = _CHUNK_ROWS) -> Iterator[pd.DataFrame]:
    """Yield a fragments file in blocks of at most ``chunk_rows`` rows.

    Parameters
    ----------
    path
        A (b)gzipped or plain fragments TSV.
    chunk_rows
        Rows per block.

    Yields
    ------
    pandas.DataFrame
        Columns ``chrom`` (str), ``start``, ``end``, ``count`` (int64), one row per fragment.
    """
    path = Path(path)
    _check_exists(path, "fragments file")
    if path.stat().st_size == 0:
        return
    try:
        reader = _read_fragment_table(path, chunk_rows)
        for frame in reader:
            frame = _parse_fragment_frame(frame, path)
            yield frame.astype({"start": np.int64, "end": np.int64, "count": np.int64})
    except pd.errors.EmptyDataError:
        return
    except (ValueError, pd.errors.ParserError, OSError, EOFError) as err:
        raise RegflowError(
            f"fragments file {path} cannot be parsed (expected 5 tab-separated columns: "
            f"chrom, start, end, name, count): {err}"
        ) from None


def open_tabix(path: Path) -> pysam.TabixFile:
    """Open a bgzipped, tabix-indexed fragments file, naming the file when that fails."""
    path = Path(path)
    _check_exists(path, "fragments file")
    index = Path(f"{path}.tbi")
    if not index.is_file() and not Path(f"{path}.csi").is_file():
        raise RegflowError(f"fragments file {path} has no tabix index ({index} is missing)")
    try:
        return pysam.TabixFile(str(path))
    except OSError as err:
        raise RegflowError(f"fragments file {path} cannot be opened with tabix: {err}") from None


def read_insertions(
    tabix: pysam.TabixFile, chrom: str, path: Path
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Tn5 insertion sites of one chromosome, sorted, with their weights.

    Each fragment gives two insertions, ``start`` and ``end - 1``, each weighted by its count.

    Parameters
    ----------
    tabix
        The open fragments file (:func:`open_tabix`).
    chrom
        Chromosome to read; one absent from the file gives empty arrays.
    path
        The file's path, for error messages.

    Returns
    -------
    positions : numpy.ndarray
        Shape ``(2 * n_fragments,)``, int64, sorted ascending.
    weights : numpy.ndarray
        Shape ``(2 * n_fragments,)``, int64, the fragment counts in the same order.
    """
    empty = np.zeros(0, dtype=np.int64)
    if chrom not in tabix.contigs:
        return empty, empty.copy()
    lines = list(tabix.fetch(chrom))
    if not lines:
        return empty, empty.copy()
    try:
        frame = _read_fragment_table(io.StringIO("\n".join(lines)), None)
    except (ValueError, pd.errors.ParserError) as err:
        raise RegflowError(
            f"fragments file {path} cannot be parsed on {chrom} (expected 5 tab-separated "
            f"columns: chrom, start, end, name, count): {err}"
        ) from None
    frame = _parse_fragment_frame(frame, path)
    start = frame["start"].to_numpy(dtype=np.int64)
    end = frame["end"].to_numpy(dtype=np.int64)
    count = frame["count"].to_numpy(dtype=np.int64)
    positions = np.concatenate([start, end - 1])  # (2 * n_fragments,)
    weights = np.concatenate([count, count])  # (2 * n_fragments,)
    order = np.argsort(positions, kind="stable")
    return positions[order], weights[order]


def read_chrom_sizes(path: Path) -> dict[str, int]:
    """Read a two-column ``chrom<TAB>size`` file into an ordered dict."""
    path = Path(path)
    _check_exists(path, "chrom sizes file")
    try:
        frame = pd.read_csv(
            path, sep="\t", header=None, comment="#", usecols=[0, 1], dtype={0: str}
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"chrom sizes file {path} cannot be parsed: {err}") from None
    sizes = pd.to_numeric(frame[1], errors="coerce")
    if sizes.isna().any() or (sizes <= 0).any():
        raise RegflowError(f"chrom sizes file {path} has a size that is not a positive integer")
    if frame[0].duplicated().any():
        dup = frame[0][frame[0].duplicated()].iloc[0]
        raise RegflowError(f"chrom sizes file {path} lists chromosome {dup} twice")
    return dict(zip(frame[0], sizes.astype(np.int64).tolist(), strict=True))


def _tss_from_intervals(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    if not frame["strand"].isin(["+", "-"]).all():
        bad = frame.loc[~frame["strand"].isin(["+", "-"]), "strand"].iloc[0]
        raise RegflowError(f"{path}: strand must be + or -, found {bad!r}")
    start = frame["start"].to_numpy(dtype=np.int64)
    end = frame["end"].to_numpy(dtype=np.int64)
    if (end <= start).any():
        raise RegflowError(f"{path}: a record has end <= start")
    plus = frame["strand"].to_numpy() == "+"
    return pd.DataFrame(
        {
            "chrom": frame["chrom"].astype(str).to_numpy(),
            "position": np.where(plus, start, end - 1),
            "strand": frame["strand"].to_numpy(),
            "name": frame["name"].astype(str).to_numpy(),
        }
    )


def read_tss_gtf(path: Path, feature: str = "gene") -> pd.DataFrame:
    """TSSs of the ``gene`` records of a GTF: ``start`` for ``+``, ``end - 1`` for ``-`` (0-based).

    Returns
    -------
    pandas.DataFrame
        Columns ``chrom``, ``position`` (0-based), ``strand`` (``+``/``-``), ``name`` (gene_id).
    """
    path = Path(path)
    _check_exists(path, "GTF")
    try:
        gtf = pd.read_csv(
            path,
            sep="\t",
            header=None,
            comment="#",
            usecols=[0, 2, 3, 4, 6, 8],
            names=["chrom", "feature", "start", "end", "strand", "attributes"],
            dtype={"chrom": str, "feature": str, "strand": str, "attributes": str},
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"GTF {path} cannot be parsed: {err}") from None
    genes = gtf[gtf["feature"] == feature]
    if genes.empty:
        raise RegflowError(f"GTF {path} has no {feature!r} records to take TSSs from")
    name = genes["attributes"].str.extract(r'gene_id "([^"]*)"', expand=False)
    intervals = pd.DataFrame(
        {
            "chrom": genes["chrom"],
            "start": pd.to_numeric(genes["start"]) - 1,  # GTF is 1-based inclusive
            "end": pd.to_numeric(genes["end"]),
            "strand": genes["strand"],
            "name": name.fillna("."),
        }
    )
    return _tss_from_intervals(intervals, path)


def read_tss_bed(path: Path) -> pd.DataFrame:
    """TSSs from a BED6 file (name in column 4, strand in column 6), same rule as the GTF.

    A BED of 1-bp TSS records and a BED of whole genes give the same TSSs.
    """
    path = Path(path)
    _check_exists(path, "TSS BED")
    try:
        bed = pd.read_csv(
            path,
            sep="\t",
            header=None,
            comment="#",
            usecols=[0, 1, 2, 3, 5],
            names=["chrom", "start", "end", "name", "score", "strand"],
            dtype={"chrom": str, "name": str, "strand": str},
        )
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(
            f"TSS BED {path} cannot be parsed (need 6 columns with the strand in column 6): {err}"
        ) from None
    if bed.empty:
        raise RegflowError(f"TSS BED {path} has no records")
    return _tss_from_intervals(bed, path)


def tsv_writer(frame: pd.DataFrame, header_lines: tuple[str, ...] = ()) -> Callable[[Path], None]:
    """A writer for :func:`write_outputs`: ``frame`` as TSV, after optional ``#`` lines."""

    def write(path: Path) -> None:
        with open(path, "w", encoding="utf-8", newline="") as handle:
            for line in header_lines:
                handle.write(f"{line}\n")
            frame.to_csv(handle, sep="\t", index=False, lineterminator="\n", na_rep="")

    return write


def json_writer(data: dict) -> Callable[[Path], None]:
    """A writer for :func:`write_outputs`: ``data`` as indented JSON (NaN written as null)."""

    def clean(value):
        if isinstance(value, float | np.floating) and not np.isfinite(value):
            return None
        if isinstance(value, np.integer):
            return int(value)
        if isinstance(value, np.floating):
            return float(value)
        return value

    def write(path: Path) -> None:
        text = json.dumps({k: clean(v) for k, v in data.items()}, indent=2, allow_nan=False)
        Path(path).write_text(text + "\n", encoding="utf-8")

    return write


def read_tsv(path: Path, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a TSV with a header row, checking that ``columns`` are present."""
    path = Path(path)
    _check_exists(path, what)
    try:
        frame = pd.read_csv(path, sep="\t", comment="#")
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"{what} {path} cannot be parsed: {err}") from None
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise RegflowError(f"{what} {path} lacks column(s) {', '.join(missing)}")
    return frame
