"""The ``regflow`` command line: one subcommand per workflow stage.

Each stage module exposes ``add_parser(subparsers)`` that registers its subcommand and sets
``func`` on the parsed namespace; :func:`main` dispatches to it and turns a
:class:`~regflow.errors.RegflowError` into a one-line message and exit status 1.
"""

from __future__ import annotations

import argparse
import sys

from regflow import __version__
from regflow.errors import RegflowError

STAGES = (
    "regflow.samplesheet",
    "regflow.download.cli",
    "regflow.simulate.cli",
    "regflow.reads.genome_check",
    "regflow.reads.fastq_check",
    "regflow.reads.filter",
    "regflow.reads.fragments",
    "regflow.tracks.bigwig",
    "regflow.tracks.profiles",
    "regflow.qc.cli",
    "regflow.peaks.cli",
    "regflow.expression.cli",
    "regflow.mnase.cli",
    "regflow.motifs.cli",
    "regflow.datasets.cli",
    "regflow.train.cli",
    "regflow.interpret.cli",
    "regflow.enrich.cli",
    "regflow.evaluate.cli",
    "regflow.figures.cli",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every stage's subcommand registered."""
    import importlib

    parser = argparse.ArgumentParser(prog="regflow", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"regflow {__version__}")
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module_name in STAGES:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the subcommand named in ``argv``; return the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except RegflowError as err:
        print(f"regflow {args.command}: error: {err}", file=sys.stderr)
        return 1
    return 0
