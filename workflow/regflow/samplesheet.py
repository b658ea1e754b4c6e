"""Read and check the sample sheet: one row per sequencing library.

The sheet is tab-separated with the columns ``sample``, ``assay``, ``condition``,
``replicate``, ``fastq_1`` and ``fastq_2`` (local paths, or http/https/ftp URLs that the
workflow downloads, optionally with their MD5 in ``md5_1``/``md5_2``; see
``config/README.md``). Every problem is
reported as a :class:`~regflow.errors.RegflowError` whose one-line message names the sheet,
the 1-based data row, the sample and the problem, e.g.::

    config/samples.tsv row 3 (sample 'atac_x'): duplicate sample name (also row 1)
"""

from __future__ import annotations

import argparse
import math
import os
import re
from collections.abc import Collection, Iterable
from pathlib import Path

import pandas as pd

from regflow.download.urls import is_url, md5_problem, url_problem
from regflow.errors import RegflowError

COLUMNS = ("sample", "assay", "condition", "replicate", "fastq_1", "fastq_2")
ASSAYS = ("atac", "mnase", "rna")
PAIRED_ASSAYS = ("atac", "mnase")
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
SHELL_METACHARACTERS = frozenset("|&;<>()$`\\\"'*?[]{}#~=%!^,:@+")
CHARACTER_NAMES = {" ": "a space", "\t": "a tab", "/": "a slash"}


def read_sample_sheet(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a tab-separated sample sheet with every cell as a string.

    Parameters
    ----------
    path
        The sheet's path.

    Returns
    -------
    pandas.DataFrame
        One row per data line, columns as in the header, empty cells as ``""``; the index
        is a plain 0-based range (row ``i`` is data row ``i + 1`` in messages).

    Raises
    ------
    RegflowError
        If the file is missing, empty or not parseable as a table.
    """
    path = Path(path)
    if not path.is_file():
        raise RegflowError(f"{path}: sample sheet not found")
    try:
        return pd.read_csv(
            path,
            sep="\t",
            dtype=str,
            encoding="utf-8-sig",  # tolerate a byte-order mark from spreadsheet exports
            keep_default_na=False,
            na_filter=False,
        )
    except pd.errors.EmptyDataError:
        raise RegflowError(f"{path}: sample sheet is empty (expected a header line)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        detail = " ".join(str(err).split())
        raise RegflowError(f"{path}: cannot parse sample sheet: {detail}") from None


def validate_sample_sheet(
    df: pd.DataFrame,
    sheet_path: str | os.PathLike[str],
    *,
    base_dir: str | os.PathLike[str],
    produced: Collection[str] = frozenset(),
    condition_required_for: Iterable[str] = ASSAYS,
) -> pd.DataFrame:
    """Check a sample sheet and return it normalised and indexed by sample name.

    Parameters
    ----------
    df
        The sheet as read by :func:`read_sample_sheet` (or any frame with the same columns;
        missing values may be ``NaN``/``None``). It is not modified.
    sheet_path
        The sheet's path, used only in messages.
    base_dir
        Directory against which relative FASTQ paths are resolved.
    produced
        FASTQ paths (as written in the sheet) that the workflow itself writes; these need
        not exist yet.
    condition_required_for
        Assays whose rows must name a condition.

    Returns
    -------
    pandas.DataFrame
        A new frame indexed by sample name (the ``sample`` column is kept) with the columns
        of :data:`COLUMNS` first, then any extra columns: strings with ``""`` for empty
        cells, and ``replicate`` as ``int``.

    Raises
    ------
    RegflowError
        At the first problem found, with a one-line message naming the row and the problem.
    """
    sheet = str(sheet_path)
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        hint = " (is it tab-separated?)" if len(df.columns) == 1 else ""
        raise RegflowError(
            f"{sheet}: missing column(s) {', '.join(missing)}{hint}; "
            f"the header must have the tab-separated columns {' '.join(COLUMNS)}"
        )
    if len(df) == 0:
        raise RegflowError(f"{sheet}: no samples (the sheet has a header but no rows)")

    required_condition = set(condition_required_for)
    produced_paths = {os.path.normpath(p) for p in produced}
    base = Path(base_dir)
    first_row: dict[str, int] = {}
    records = []
    columns = [*COLUMNS, *(c for c in df.columns if c not in COLUMNS)]
    for number, raw in enumerate(df[columns].to_dict("records"), start=1):
        row = {str(column): _cell(value) for column, value in raw.items()}
        sample = row["sample"]

        def fail(problem: str, number: int = number, sample: str = sample) -> RegflowError:
            where = f"{sheet} row {number}"
            if sample:
                where += f" (sample {sample!r})"
            return RegflowError(f"{where}: {problem}")

        if not sample:
            raise fail("missing sample name")
        problem = _name_problem("sample", sample)
        if problem:
            raise fail(problem)
        if sample in first_row:
            raise fail(f"duplicate sample name (also row {first_row[sample]})")
        first_row[sample] = number

        assay = row["assay"]
        if assay not in ASSAYS:
            shown = repr(assay) if assay else "missing"
            raise fail(f"unknown assay {shown} (expected one of: {', '.join(ASSAYS)})")

        condition = row["condition"]
        if condition:
            problem = _name_problem("condition", condition)
            if problem:
                raise fail(problem)
        elif assay in required_condition:
            raise fail(f"missing condition (required for {assay} samples)")

        replicate = row["replicate"]
        if not re.fullmatch(r"[0-9]+", replicate) or int(replicate) < 1:
            shown = repr(replicate) if replicate else "missing"
            raise fail(f"replicate must be a positive integer, got {shown}")

        fastq_1, fastq_2 = row["fastq_1"], row["fastq_2"]
        if not fastq_1:
            raise fail("missing fastq_1")
        if assay in PAIRED_ASSAYS and not fastq_2:
            raise fail(f"{assay} samples must be paired-end: fastq_2 is missing")
        if fastq_2 and os.path.normpath(fastq_2) == os.path.normpath(fastq_1):
            raise fail(f"fastq_1 and fastq_2 are the same file: {fastq_1}")
        for column, fastq in (("fastq_1", fastq_1), ("fastq_2", fastq_2)):
            problem = _fastq_problem(column, fastq, row.get(f"md5_{column[-1]}", ""))
            if problem:
                raise fail(problem)
            if not fastq or is_url(fastq) or os.path.normpath(fastq) in produced_paths:
                continue
            if not (base / fastq).is_file():
                raise fail(f"{column} file not found: {fastq}")

        row["replicate"] = int(replicate)
        records.append(row)

    out = pd.DataFrame.from_records(records, columns=[str(c) for c in columns])
    out["replicate"] = out["replicate"].astype(int)
    return out.set_index("sample", drop=False).rename_axis(None)


def summarize(df: pd.DataFrame) -> str:
    """One line counting a validated sheet's samples per assay, e.g. ``4 samples (atac 4)``."""
    counts = df["assay"].value_counts()
    per_assay = ", ".join(f"{assay} {counts[assay]}" for assay in ASSAYS if assay in counts)
    noun = "sample" if len(df) == 1 else "samples"
    return f"{len(df)} {noun} ({per_assay})"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``regflow check-samples SHEET [--base-dir DIR] [--produced-under PREFIX]``."""
    parser = subparsers.add_parser(
        "check-samples",
        help="validate a sample sheet",
        description="Validate a sample sheet and print a one-line summary (samples per assay).",
    )
    parser.add_argument("sheet", help="tab-separated sample sheet")
    parser.add_argument(
        "--base-dir",
        default=".",
        help="directory that relative FASTQ paths are resolved against (default: .)",
    )
    parser.add_argument(
        "--produced-under",
        action="append",
        default=[],
        metavar="PREFIX",
        help="FASTQ paths starting with PREFIX are written by the workflow and need not "
        "exist yet (repeatable; e.g. results/simulate/fastq/)",
    )
    parser.set_defaults(func=_check_samples)


def _check_samples(args: argparse.Namespace) -> None:
    df = read_sample_sheet(args.sheet)
    produced = {
        path
        for column in ("fastq_1", "fastq_2")
        if column in df.columns
        for path in df[column].astype(str)
        if path and any(path.startswith(prefix) for prefix in args.produced_under)
    }
    checked = validate_sample_sheet(df, args.sheet, base_dir=args.base_dir, produced=produced)
    print(f"{args.sheet}: {summarize(checked)}")


def _cell(value: object) -> str:
    """A cell as a string, unstripped: ``""`` for missing, ``"3"`` for ``3.0``."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def _fastq_problem(column: str, fastq: str, md5: str) -> str | None:
    """Why a FASTQ cell (a path or a URL the workflow downloads) and its optional MD5 cell
    are unusable, or None."""
    md5_column = f"md5_{column[-1]}"
    if is_url(fastq):
        problem = url_problem(fastq)
        if problem:
            return f"{column}: {problem}"
    elif md5:
        return f"{md5_column} is given but {column} is not a URL (MD5s are checked on download)"
    if md5 and md5_problem(md5):
        return f"{md5_column}: {md5_problem(md5)}"
    return None


def _name_problem(kind: str, name: str) -> str | None:
    """Why ``name`` cannot be a sample/condition name (used in file names and wildcards)."""
    if NAME_PATTERN.fullmatch(name):
        return None
    allowed = "use only letters, digits, '.', '_' and '-', starting with a letter or digit"
    bad = next((c for c in name if not re.fullmatch(r"[A-Za-z0-9._-]", c)), None)
    if bad is None:
        return f"{kind} name {name!r} must start with a letter or digit"
    if bad in CHARACTER_NAMES:
        what = CHARACTER_NAMES[bad]
    elif bad in SHELL_METACHARACTERS:
        what = f"the shell metacharacter {bad!r}"
    elif not bad.isprintable():
        what = f"the control character {bad!r}"
    else:
        what = f"the character {bad!r}"
    return f"{kind} name {name!r} contains {what}; {allowed}"
