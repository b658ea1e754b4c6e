"""Reading the upstream stages' outputs and writing the model datasets (all or none)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError
from regflow.io import write_outputs


def read_npz(path: Path, keys: tuple[str, ...], what: str) -> dict[str, np.ndarray]:
    """Arrays ``keys`` of an ``.npz``; errors name the file and any missing key."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise RegflowError(f"{what} {path} lacks arrays: {', '.join(missing)}")
            return {k: data[k] for k in keys}
    except (OSError, ValueError) as err:
        raise RegflowError(f"{what} {path} cannot be read: {err}") from None


def read_table(path: Path, what: str) -> pd.DataFrame:
    """A tab-separated table indexed by its first column."""
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    try:
        return pd.read_csv(path, sep="\t", index_col=0)
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

    def write_npz(tmp: Path) -> None:
        with open(tmp, "wb") as handle:  # a handle, so numpy appends no second ".npz"
            np.savez_compressed(handle, **arrays)

    writers = {Path(npz): write_npz}
    for path, frame in tables.items():
        writers[Path(path)] = lambda tmp, frame=frame: frame.to_csv(tmp, sep="\t", index=False)
    writers[Path(record)] = lambda tmp: Path(tmp).write_text(
        json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    write_outputs(writers)
