"""Tiny inputs for the peaks tests: fragments (bgzip + tabix), narrowPeaks, chrom sizes."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pysam
import pytest

from regflow.errors import RegflowError
from regflow.peaks.cli import add_parser


def write_fragments(path: Path, rows: list[tuple]) -> Path:
    """Write ``(chrom, start, end[, count])`` rows sorted, bgzipped and tabix-indexed."""
    rows = sorted((r[0], r[1], r[2], r[3] if len(r) > 3 else 1) for r in rows)
    plain = Path(path).with_suffix("")  # x.tsv.gz -> x.tsv
    plain.write_text("".join(f"{c}\t{s}\t{e}\tS\t{n}\n" for c, s, e, n in rows))
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="bed", zerobased=True, force=True)
    plain.unlink()
    return Path(path)


def write_narrowpeak(path: Path, rows: list[tuple]) -> Path:
    """Write narrowPeak rows ``(chrom, start, end, pvalue, summit_offset)``."""
    lines = [
        f"{c}\t{s}\t{e}\tp{i}\t{int(10 * p)}\t.\t5.0\t{p}\t{p / 2}\t{o}\n"
        for i, (c, s, e, p, o) in enumerate(rows)
    ]
    Path(path).write_text("".join(lines))
    return Path(path)


def run(argv: list[str]) -> int:
    """Dispatch like ``regflow.cli.main`` with only the ``peaks`` subcommand registered."""
    parser = argparse.ArgumentParser(prog="regflow")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except RegflowError as err:
        print(f"regflow {args.command}: error: {err}")
        return 1
    return 0


@pytest.fixture
def chrom_sizes(tmp_path) -> Path:
    path = tmp_path / "chrom.sizes"
    path.write_text("chr1\t10000\nchr2\t5000\n")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)
