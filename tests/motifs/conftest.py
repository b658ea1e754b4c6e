"""Tiny inputs for the motifs tests: motifs, a genome with planted sites, a dispatcher."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from regflow.errors import RegflowError
from regflow.motifs.cli import add_parser
from regflow.motifs.matrices import Motif

#: Sharp motifs (counts): consensus ACGTCAGT (not a palindrome), TTGCATGA and GGGAAA. At
#: p < 1e-4 the 6-bp GAMMA can never hit: even its consensus has p = 0.25**6 = 2.4e-4.
SHARP = {
    "M1": ("ALPHA", "ACGTCAGT"),
    "M2": ("BETA", "TTGCATGA"),
    "M3": ("GAMMA", "GGGAAA"),
}


def consensus_counts(consensus: str, strong: float = 97.0, weak: float = 1.0) -> np.ndarray:
    """``(length, 4)`` counts with ``strong`` on the consensus base and ``weak`` elsewhere."""
    counts = np.full((len(consensus), 4), weak)
    counts[np.arange(len(consensus)), ["ACGT".index(b) for b in consensus]] = strong
    return counts


def sharp_motifs() -> list[Motif]:
    return [Motif(i, name, consensus_counts(seq)) for i, (name, seq) in SHARP.items()]


def revcomp(sequence: str) -> str:
    return sequence[::-1].translate(str.maketrans("ACGT", "TGCA"))


def run(argv: list[str]) -> int:
    """Dispatch like ``regflow.cli.main`` with only the ``motifs`` subcommand registered."""
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
def genome(tmp_path) -> Path:
    """chr1 (3000 bp) and chr2 (1200 bp) of random bases with planted sites:
    M1 at chr1:500 (+) and chr1:2200 (-), M2 at chr2:300 (+)."""
    rng = np.random.default_rng(7)
    chroms = {
        name: "".join(rng.choice(list("ACGT"), size))
        for name, size in (("chr1", 3000), ("chr2", 1200))
    }

    def plant(seq: str, at: int, site: str) -> str:
        return seq[:at] + site + seq[at + len(site) :]

    chroms["chr1"] = plant(chroms["chr1"], 500, "ACGTCAGT")
    chroms["chr1"] = plant(chroms["chr1"], 2200, revcomp("ACGTCAGT"))
    chroms["chr2"] = plant(chroms["chr2"], 300, "TTGCATGA")
    path = tmp_path / "genome.fa"
    path.write_text("".join(f">{c}\n{s}\n" for c, s in chroms.items()))
    return path


@pytest.fixture
def motif_file(tmp_path) -> Path:
    from regflow.motifs.io import write_jaspar

    path = tmp_path / "motifs.jaspar"
    write_jaspar(sharp_motifs(), path)
    return path
