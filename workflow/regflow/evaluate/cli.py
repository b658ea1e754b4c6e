"""``regflow evaluate truth-recovery``: every stage's recovery of the simulated truth, one table.

Each input is optional, so the table covers the stages a run has; the rule passes what the
configuration builds.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger(__name__)


def _named(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


def add_parser(subparsers) -> None:
    """Register ``evaluate`` with its subcommand ``truth-recovery``."""
    parser = subparsers.add_parser("evaluate", help="score the run against the simulated truth")
    sub = parser.add_subparsers(dest="evaluate_command", required=True)
    p = sub.add_parser("truth-recovery", help="one table of every stage's truth recovery")
    p.add_argument("--truth", required=True, type=Path, help="the simulator's truth directory")
    p.add_argument("--samples", required=True, type=Path, help="the sample sheet (TSV)")
    p.add_argument("--narrowpeaks", nargs="*", default=[], type=_named, help="SAMPLE=narrowPeak")
    p.add_argument("--logcpm", type=Path, help="peaks x conditions logCPM TSV")
    p.add_argument("--tpm", type=Path, help="genes x RNA-seq samples TPM TSV")
    p.add_argument("--images", type=Path, help="MNase images .npz")
    p.add_argument("--scans", nargs="*", default=[], type=_named, help="NAME=scan .npz")
    p.add_argument("--vit", nargs="*", default=[], type=_named, help="VARIANT=metrics.json")
    p.add_argument("--get-metrics", type=Path, help="GET metrics.json")
    p.add_argument("--chrombpnet", type=Path, help="ChromBPNet fold metrics.json")
    p.add_argument("--seqtrack", nargs="*", default=[], type=_named, help="MODEL=metrics.json")
    p.add_argument("--get-recovery", type=Path, help="GET Jacobian recovery.json")
    p.add_argument("--enrichment", type=Path, help="enrichment recovery.json")
    p.add_argument("--modisco", nargs="*", default=[], type=_named, help="NAME=recovery.json")
    p.add_argument("--output", required=True, type=Path, help="TSV table")
    p.add_argument("--summary", required=True, type=Path, help="JSON: goals met / set")
    p.set_defaults(func=run)


def _read(path: Path, what: str, **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise RegflowError(f"{what} {path} does not exist")
    return pd.read_csv(path, sep="\t", **kwargs)


def run(args: argparse.Namespace) -> None:
    from regflow.evaluate import truth_table as tt
    from regflow.io import write_outputs
    from regflow.samplesheet import read_sample_sheet

    sheet = read_sample_sheet(args.samples).set_index("sample")
    condition_of = sheet["condition"].to_dict()
    regions_path = args.truth / "regions.tsv"
    regions = _read(regions_path, "truth regions")
    rows: list[dict] = []
    if args.narrowpeaks:
        unknown = [s for s, _ in args.narrowpeaks if s not in condition_of]
        if unknown:
            raise RegflowError(f"--narrowpeaks: sample {unknown[0]} is not in {args.samples}")
        peaks = {s: (condition_of[s], path) for s, path in args.narrowpeaks}
        rows += tt.peak_scores(peaks, regions, regions_path)
    if args.logcpm:
        atac = list(dict.fromkeys(sheet.loc[sheet["assay"] == "atac", "condition"]))
        rows += tt.accessibility_scores(args.logcpm, regions, atac)
    if args.tpm:
        truth_tpm = _read(args.truth / "tpm.tsv", "truth TPM", index_col=0)
        rna = sheet[sheet["assay"] == "rna"]["condition"].to_dict()
        rows += tt.expression_scores(args.tpm, truth_tpm, rna)
    if args.images:
        rows += tt.mnase_scores(args.images, _read(args.truth / "promoters.tsv", "truth promoters"))
    if args.scans:
        sites = _read(args.truth / "motif_sites.bed", "planted sites").rename(
            columns={"#chrom": "chrom"}
        )
        scans = {
            name: (path, path.with_name(path.name.replace(".npz", ".hits.tsv.gz")))
            for name, path in args.scans
        }
        rows += tt.motif_scores(scans, sites)
    rows += tt.model_scores(dict(args.vit), args.get_metrics, args.chrombpnet, dict(args.seqtrack))
    rows += tt.interpretation_scores(args.get_recovery, args.enrichment, dict(args.modisco))
    result = tt.table(rows)
    goals = result[result["goal"] != ""]
    summary = {
        "measures": len(result),
        "goals": len(goals),
        "goals_met": int(goals["met"].sum()),
        "unmet": goals.loc[~goals["met"].astype(bool), "measure"].tolist(),
    }
    log.info(
        "truth recovery: %d measures, %d of %d goals met",
        len(result),
        summary["goals_met"],
        len(goals),
    )
    write_outputs(
        {
            args.output: lambda tmp: result.to_csv(tmp, sep="\t", index=False, float_format="%.4g"),
            args.summary: lambda tmp: tmp.write_text(json.dumps(summary, indent=2) + "\n"),
        }
    )
