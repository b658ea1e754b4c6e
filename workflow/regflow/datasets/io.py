"""Reading the upstream stages' outputs and writing the model datasets (all or none)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.io import npz_writer, write_outputs


def read_table(path: Path, what: str, index_col: int | None = 0) -> pd.DataFrame:
    """A tab-separated table with a header, indexed by its first column (or not: None)."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        return pd.read_csv(path, sep="\t", index_col=index_col)
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise RegflowError(f"{what} {path} cannot be parsed: {err}") from None


def write_dataset(
    npz: Path,
    arrays: dict[str, np.ndarray],
    tables: dict[Path, pd.DataFrame],
    record: Path,
    provenance: dict,
) -> None:
    """Write the arrays, the split tables and the JSON record together (all or none)."""
    writers = {Path(npz): npz_writer(arrays)}
    for path, frame in tables.items():
        writers[Path(path)] = lambda tmp, frame=frame: frame.to_csv(tmp, sep="\t", index=False)
    writers[Path(record)] = lambda tmp: Path(tmp).write_text(
        json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    write_outputs(writers)
