"""``regflow simulate truth`` and ``regflow simulate reads``: the simulator's command line."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from regflow.io import json_object


def add_parser(subparsers) -> None:
    """Register ``simulate`` with its ``truth`` and ``reads`` subcommands."""
    parser = subparsers.add_parser("simulate", help="simulated dataset with known truth")
    sub = parser.add_subparsers(dest="simulate_command", required=True)

    truth = sub.add_parser("truth", help="genome, genes and every truth table")
    truth.add_argument(
        "--config-json", required=True, help="the validated `simulate:` config block as JSON"
    )
    truth.add_argument("--outdir", required=True, type=Path)
    truth.set_defaults(func=run_truth)

    reads = sub.add_parser("reads", help="one sample's FASTQ from the truth")
    reads.add_argument(
        "--config-json",
        required=True,
        help="JSON with seed, sequencing and the assay's block of `simulate:`",
    )
    reads.add_argument("--truth-dir", required=True, type=Path)
    reads.add_argument("--sample", required=True)
    reads.add_argument("--assay", required=True, choices=["atac", "mnase", "rna"])
    reads.add_argument("--condition", required=True)
    reads.add_argument("--fastq-1", required=True, type=Path)
    reads.add_argument("--fastq-2", type=Path, default=None)
    reads.set_defaults(func=run_reads)


def _config(text: str) -> dict:
    return json_object(text, "--config-json")


def run_truth(args: argparse.Namespace) -> None:
    """Build and write the truth."""
    from regflow.simulate.truth import build_truth
    from regflow.simulate.truth_io import write_truth

    cfg = _config(args.config_json)
    t0 = time.perf_counter()
    truth = build_truth(cfg)
    write_truth(truth, args.outdir, cfg["regulation"]["accessible_threshold"])
    print(
        f"simulated {sum(truth.genome.lengths):,} bp in {len(truth.genome.names)} sequences, "
        f"{len(truth.genes)} genes, {len(truth.regions)} regulatory regions, "
        f"{len(truth.sites)} planted sites, {len(truth.conditions)} conditions "
        f"in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )


def run_reads(args: argparse.Namespace) -> None:
    """Simulate one sample's reads."""
    from regflow.simulate.sample import simulate_sample

    t0 = time.perf_counter()
    n = simulate_sample(
        _config(args.config_json),
        args.truth_dir,
        args.sample,
        args.assay,
        args.condition,
        args.fastq_1,
        args.fastq_2,
    )
    print(
        f"{args.sample}: {n:,} {'pairs' if args.fastq_2 else 'reads'} "
        f"in {time.perf_counter() - t0:.1f} s",
        file=sys.stderr,
    )
