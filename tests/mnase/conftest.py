"""Tiny inputs for the MNase tests: fragments (bgzip + tabix), a GTF, chromosome sizes."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pysam
import pytest

from regflow.errors import RegflowError
from regflow.mnase.cli import add_parser


def write_fragments(path: Path, rows: list[tuple]) -> Path:
    """Write ``(chrom, start, end[, count])`` rows sorted, bgzipped and tabix-indexed."""
    rows = sorted((r[0], r[1], r[2], r[3] if len(r) > 3 else 1) for r in rows)
    plain = Path(path).with_suffix("")  # x.tsv.gz -> x.tsv
    plain.write_text("".join(f"{c}\t{s}\t{e}\tS\t{n}\n" for c, s, e, n in rows))
    pysam.tabix_compress(str(plain), str(path), force=True)
    pysam.tabix_index(str(path), preset="bed", zerobased=True, force=True)
    plain.unlink()
    return Path(path)


def centred(chrom: str, midpoint2: int, length: int, count: int = 1) -> tuple:
    """A fragment row of ``length`` whose doubled midpoint ``start + end - 1`` is ``midpoint2``."""
    start = (midpoint2 + 1 - length) // 2
    assert start + (start + length) - 1 == midpoint2, "parity of midpoint2 and length differ"
    return (chrom, start, start + length, count)


def at(chrom: str, tss: int, sign: int, rel: float, length: int, count: int = 1) -> tuple:
    """A fragment whose midpoint lies ``rel`` bp from ``tss``, strand-oriented."""
    return centred(chrom, int(2 * tss + sign * 2 * rel), length, count)


def write_gtf(path: Path, genes: list[tuple[str, str, int, str]]) -> Path:
    """Gene records ``(gene_id, chrom, tss, strand)`` (0-based TSS), 1 kb long, in this order."""
    lines = []
    for gene_id, chrom, tss, strand in genes:
        start, end = (tss + 1, tss + 1000) if strand == "+" else (tss - 998, tss + 1)
        lines.append(f'{chrom}\tsim\tgene\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene_id}";\n')
    Path(path).write_text("".join(lines))
    return Path(path)


def run(argv: list[str]) -> int:
    """Dispatch like ``regflow.cli.main`` with only the ``mnase`` subcommand registered."""
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
def sizes(tmp_path) -> Path:
    path = tmp_path / "chrom.sizes"
    path.write_text("chr1\t20000\nchr2\t10000\n")
    return path


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)
