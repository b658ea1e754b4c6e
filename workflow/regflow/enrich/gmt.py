"""Gene sets from GMT files: one set per line, ``name<TAB>description<TAB>gene<TAB>gene...``."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from regflow.errors import RegflowError

COLUMNS = ("native", "name", "gene")


def read_gmt(path: Path) -> pd.DataFrame:
    """Gene sets of one GMT file as a long table: one row per (set, gene).

    The set's name becomes ``native`` (its ID) and its description ``name``, as g:Profiler's
    own GMT exports use the two fields. A gene listed twice in a set counts once; blank lines
    and empty gene fields (trailing tabs) are skipped.

    Parameters
    ----------
    path
        GMT file.

    Returns
    -------
    pandas.DataFrame
        Columns ``native``, ``name``, ``gene`` in file order.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"GMT file {path} does not exist")
    rows: list[tuple[str, str, str]] = []
    seen: dict[str, int] = {}
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 3:
                raise RegflowError(
                    f"GMT file {path} line {number}: expected name, description and genes "
                    f"separated by tabs, got {len(fields)} field(s)"
                )
            native = fields[0].strip()
            if not native:
                raise RegflowError(f"GMT file {path} line {number}: the set has no name")
            genes = list(dict.fromkeys(g.strip() for g in fields[2:] if g.strip()))
            if not genes:
                raise RegflowError(f"GMT file {path} line {number}: set {native} has no genes")
            if native in seen:
                raise RegflowError(
                    f"GMT file {path} line {number}: set {native} is already defined on line "
                    f"{seen[native]}"
                )
            seen[native] = number
            name = fields[1].strip() or native
            rows.extend((native, name, gene) for gene in genes)
    if not rows:
        raise RegflowError(f"GMT file {path} holds no gene sets")
    return pd.DataFrame(rows, columns=list(COLUMNS))


def read_gmts(paths: Iterable[Path]) -> pd.DataFrame:
    """Gene sets of several GMT files in one table; a set name may appear in only one file."""
    tables: list[pd.DataFrame] = []
    origin: dict[str, Path] = {}
    for path in paths:
        table = read_gmt(path)
        for native in table["native"].unique():
            if native in origin:
                raise RegflowError(
                    f"GMT file {path}: set {native} is already defined in {origin[native]}"
                )
            origin[native] = Path(path)
        tables.append(table)
    if not tables:
        raise RegflowError("no GMT files given")
    return pd.concat(tables, ignore_index=True)
