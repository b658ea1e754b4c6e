"""Reading a figure's inputs and writing its outputs (PNG, PDF, TSV) all or none."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from regflow.errors import RegflowError
from regflow.io import write_outputs
from regflow.qc.io import tsv_writer

DPI = 150


def require(path: Path, what: str) -> Path:
    """``path``, or a :class:`RegflowError` naming ``what`` and the file when it is missing."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    return path


def _figure_writer(figure: Figure, fmt: str) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        figure.savefig(path, format=fmt, dpi=DPI)

    return write


def write_figure(figure: Figure, table: pd.DataFrame, png: Path, tsv: Path, pdf: Path | None):
    """Write ``figure`` as PNG (and PDF when ``pdf`` is given) and ``table`` as TSV, atomically."""
    writers = {Path(png): _figure_writer(figure, "png"), Path(tsv): tsv_writer(table)}
    if pdf is not None:
        writers[Path(pdf)] = _figure_writer(figure, "pdf")
    write_outputs(writers)


def bigwig_values(path: Path, chrom: str, start: int, end: int) -> np.ndarray:
    """Values of a bigWig over ``[start, end)`` on ``chrom`` (end - start,), 0 where uncovered."""
    import pyBigWig

    path = require(path, "bigWig")
    handle = pyBigWig.open(str(path))
    if handle is None:
        raise RegflowError(f"bigWig {path} cannot be opened")
    try:
        if chrom not in handle.chroms():
            raise RegflowError(f"bigWig {path} has no chromosome {chrom}")
        values = np.asarray(handle.values(chrom, start, end, numpy=True), dtype=np.float64)
    finally:
        handle.close()
    return np.nan_to_num(values, nan=0.0)
