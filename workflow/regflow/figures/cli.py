"""``regflow figures <name>``: one subcommand per figure, and ``provenance``.

Each figure subcommand reads its inputs (a missing or malformed one is a one-line error naming
the file), builds the figure and the table of its numbers, and writes ``--png``, ``--pdf`` and
``--tsv`` together or not at all.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from regflow.errors import RegflowError


def _named(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected NAME=PATH, got {text!r}")
    return name, Path(path)


def _pairs(pairs: list[tuple[str, Path]], option: str) -> dict[str, Path]:
    """NAME=PATH arguments as an ordered dict; a name given twice is an error."""
    named: dict[str, Path] = {}
    for name, path in pairs:
        if name in named:
            raise RegflowError(f"{option}: {name} given twice")
        named[name] = path
    return named


def add_parser(subparsers) -> None:
    """Register ``figures`` with one subcommand per figure and ``provenance``."""
    parser = subparsers.add_parser("figures", help="the seed papers' figures and provenance")
    sub = parser.add_subparsers(dest="figures_command", required=True)

    p = _figure(sub, "vit-r2", "Figure 2A: test R^2 per ViT variant and the GP", _vit_r2)
    p.add_argument("--metrics", nargs="+", required=True, type=_named, help="VARIANT=metrics")
    p.add_argument("--baseline", required=True, type=Path, help="GP metrics.json")

    p = _figure(sub, "vit-scatter", "Figure 2B: predicted vs true, best variant", _vit_scatter)
    p.add_argument("--metrics", nargs="+", required=True, type=_named, help="VARIANT=metrics")
    p.add_argument("--predictions", nargs="+", required=True, type=_named, help="VARIANT=TSV")

    p = _figure(sub, "vit-attention", "Figure 3: one gene's attention over time", _vit_attention)
    p.add_argument("--attention", required=True, type=Path, help="attention.npz")
    p.add_argument("--table", required=True, type=Path, help="attention.tsv")
    p.add_argument("--variant", required=True, help="the mapped variant (for the title)")
    p.add_argument("--gene", default="", help="gene to show (default: the first mapped)")

    p = _figure(sub, "seqtrack-table", "1D-Swin Table 1: Pearson per track group", _seqtrack)
    p.add_argument("--pearson", required=True, type=Path, help="pearson_by_assay.tsv")

    p = _figure(sub, "get-heatmap", "GET gene x motif heatmap of the top motifs", _get_heatmap)
    p.add_argument("--gene-x-motif", required=True, type=Path, help="gene_x_motif.tsv")
    p.add_argument("--top-motifs", type=int, default=20, help="motifs shown")

    p = _figure(sub, "get-enrichment", "enrichment dot plot of the top motifs", _get_enrichment)
    p.add_argument("--enrichment", required=True, type=Path, help="enrichment.tsv")
    p.add_argument("--top-motifs", type=int, default=15, help="motifs shown")
    p.add_argument("--top-terms", type=int, default=20, help="terms shown")

    p = _figure(sub, "get-vs-forest", "held-out Pearson of GET and its forest", _get_vs_forest)
    p.add_argument("--get", required=True, type=Path, help="GET metrics.json")
    p.add_argument("--forest", required=True, type=Path, help="random forest metrics.json")

    p = _figure(sub, "chrombpnet-locus", "ChromBPNet profiles and contributions", _locus)
    p.add_argument("--predictions", required=True, type=Path, help="fold predictions.tsv")
    p.add_argument("--profiles", required=True, type=Path, help="fold profiles.npz")
    p.add_argument("--observed", required=True, type=Path, help="Tn5 insertions bigWig")
    p.add_argument(
        "--contributions", nargs="+", required=True, type=_named, help="HEAD=contributions npz"
    )
    p.add_argument("--zoom", type=int, default=40, help="bp in each contribution logo")

    p = _figure(sub, "chrombpnet-motifs", "top TF-MoDISco patterns", _motifs)
    p.add_argument("--patterns", nargs="+", required=True, type=_named, help="RUN=patterns.tsv")
    p.add_argument("--rows", type=int, default=5, help="patterns per run")

    p = _figure(sub, "qc", "fragment sizes, TSS enrichment and FRiP", _qc)
    p.add_argument("--qc-table", required=True, type=Path, help="qc_table.tsv")
    p.add_argument("--hist", nargs="*", default=[], type=_named, help="SAMPLE=lengths TSV")
    p.add_argument("--tss", nargs="*", default=[], type=_named, help="SAMPLE=TSS profile TSV")

    p = _figure(sub, "truth-recovery", "the truth-recovery table rendered", _truth)
    p.add_argument("--table", required=True, type=Path, help="truth_recovery.tsv")

    p = sub.add_parser("provenance", help="resolved config and software versions")
    p.add_argument("--config-json", required=True, help="the resolved config as JSON")
    p.add_argument("--snakemake-version", required=True, help="the version running the workflow")
    p.add_argument("--output-config", required=True, type=Path, help="config.yaml")
    p.add_argument("--output-versions", required=True, type=Path, help="versions.tsv")
    p.set_defaults(func=run_provenance)


def _figure(sub, name: str, help: str, build: Callable) -> argparse.ArgumentParser:
    """A figure subcommand: ``build(args) -> (figure, table)``, written to its outputs."""
    parser = sub.add_parser(name, help=help)
    parser.add_argument("--png", required=True, type=Path, help="figure (PNG)")
    parser.add_argument("--pdf", type=Path, help="figure (PDF)")
    parser.add_argument("--tsv", required=True, type=Path, help="the numbers drawn (TSV)")
    parser.set_defaults(func=lambda args: _write(build(args), args))
    return parser


def _write(built, args: argparse.Namespace) -> None:
    from regflow.figures.io import write_figure

    figure, table = built
    write_figure(figure, table, args.png, args.tsv, args.pdf)
    print(f"{args.png}: {len(table)} rows in {args.tsv}")


def _vit_r2(args):
    from regflow.figures import vit
    from regflow.io import read_json_object

    metrics = {
        name: read_json_object(path, f"ViT {name} metrics JSON")
        for name, path in _pairs(args.metrics, "--metrics").items()
    }
    baseline = read_json_object(args.baseline, "GP metrics JSON")
    table = vit.r2_table(metrics, baseline)
    return vit.r2_figure(table), table


def _vit_scatter(args):
    from regflow.figures import vit
    from regflow.io import read_json_object
    from regflow.qc.io import read_tsv

    metrics = _pairs(args.metrics, "--metrics")
    predictions = _pairs(args.predictions, "--predictions")
    if set(metrics) != set(predictions):
        raise RegflowError("--metrics and --predictions must name the same variants")
    r2 = {
        name: read_json_object(path, f"ViT {name} metrics JSON")["test_r2"]
        for name, path in metrics.items()
    }
    best = max(r2, key=r2.get)
    columns = ("gene_id", "condition", "split", "log2_tpm", "predicted_log2_tpm")
    frame = read_tsv(predictions[best], columns, f"ViT {best} predictions")
    points = vit.test_set_points(frame, best)
    return vit.scatter_figure(points), points


def _vit_attention(args):
    from regflow.figures import vit
    from regflow.interpret.vit_maps import gene_figure
    from regflow.io import read_npz
    from regflow.qc.io import read_tsv

    arrays = read_npz(args.attention, vit.ATTENTION_KEYS, "attention maps")
    table = read_tsv(args.table, ("gene_id", "condition", "channel"), "attention table")
    index = vit.gene_index(arrays["genes"], args.gene)
    gene = str(arrays["genes"][index])
    figure = gene_figure(
        gene,
        [str(c) for c in arrays["conditions"]],
        [str(c) for c in arrays["channels"]],
        vit.gene_slice(arrays, index),
        arrays["length_edges"],
        f"{gene}: {args.variant}, MNase images, attention rollout, true and predicted TPM",
    )
    return figure, vit.gene_rows(table, gene)


def _seqtrack(args):
    from regflow.figures import seqtrack
    from regflow.qc.io import read_tsv

    by_assay = read_tsv(args.pearson, ("model", "parameters", "all"), "Pearson table")
    table = seqtrack.pearson_table(by_assay)
    return seqtrack.table_figure(table), table


def _get_heatmap(args):
    from regflow.figures import get
    from regflow.qc.io import read_tsv

    scores = read_tsv(args.gene_x_motif, ("gene_id",), "gene x motif table")
    matrix = get.top_motif_matrix(scores, args.top_motifs)
    return get.heatmap_figure(matrix), matrix.reset_index()


def _get_enrichment(args):
    from regflow.enrich.hypergeom import RESULT_COLUMNS
    from regflow.figures import get
    from regflow.qc.io import read_tsv

    table = read_tsv(args.enrichment, tuple(RESULT_COLUMNS), "enrichment table")
    rows, queries = get.top_enriched(table, args.top_motifs)
    return get.enrichment_figure(rows, queries, args.top_terms), rows


def _get_vs_forest(args):
    from regflow.figures import get
    from regflow.io import read_json_object

    models = {
        "GET": read_json_object(args.get, "GET metrics JSON"),
        "random forest": read_json_object(args.forest, "random forest metrics JSON"),
    }
    table = get.split_pearson(models)
    return get.split_figure(table), table


def _locus(args):
    from regflow.figures import chrombpnet
    from regflow.figures.io import bigwig_values
    from regflow.io import read_npz
    from regflow.qc.io import read_tsv

    columns = ("name", "kind", "split", "observed_counts")
    predictions = read_tsv(args.predictions, columns, "ChromBPNet predictions")
    keys = ("names", "chroms", "starts", "corrected", "uncorrected")
    profiles = read_npz(args.profiles, keys, "ChromBPNet profiles")
    keys = ("names", "chroms", "starts", "one_hot", "projected")
    heads = {
        head: read_npz(path, keys, f"{head} contributions")
        for head, path in _pairs(args.contributions, "--contributions").items()
    }
    candidates = set(profiles["names"].tolist())
    for arrays in heads.values():
        candidates &= set(arrays["names"].tolist())
    name = chrombpnet.choose_locus(predictions, candidates)
    p = profiles["names"].tolist().index(name)
    chrom, start = str(profiles["chroms"][p]), int(profiles["starts"][p])
    length = profiles["corrected"].shape[1]
    first = next(iter(heads.values()))
    c = first["names"].tolist().index(name)
    table = chrombpnet.locus_table(
        chrom,
        int(first["starts"][c]),
        first["one_hot"][c],
        {h: a["projected"][a["names"].tolist().index(name)] for h, a in heads.items()},
        start,
        {
            "observed": bigwig_values(args.observed, chrom, start, start + length),
            "predicted_uncorrected": profiles["uncorrected"][p],
            "predicted_corrected": profiles["corrected"][p],
        },
    )
    return chrombpnet.locus_figure(table, name, args.zoom), table


def _motifs(args):
    from regflow.figures import modisco
    from regflow.qc.io import read_tsv

    patterns = {
        run: read_tsv(path, modisco.COLUMNS, f"TF-MoDISco {run} patterns")
        for run, path in _pairs(args.patterns, "--patterns").items()
    }
    table = modisco.top_patterns(patterns, args.rows)
    return modisco.patterns_figure(table), table


def _qc(args):
    from regflow.figures import qc
    from regflow.qc.io import read_tsv

    table = read_tsv(args.qc_table, ("sample",), "QC table")
    histograms = {
        s: read_tsv(p, ("length", "count"), f"{s} fragment lengths")
        for s, p in _pairs(args.hist, "--hist").items()
    }
    profiles = {
        s: read_tsv(p, ("position", "value"), f"{s} TSS profile")
        for s, p in _pairs(args.tss, "--tss").items()
    }
    summary = qc.qc_summary(table, histograms, profiles)
    return qc.qc_figure(summary, histograms, profiles), summary


def _truth(args):
    from regflow.figures import truth
    from regflow.qc.io import read_tsv

    frame = read_tsv(args.table, tuple(truth.COLUMNS), "truth-recovery table")
    table = truth.recovery_table(frame)
    return truth.recovery_figure(table), table


def run_provenance(args: argparse.Namespace) -> None:
    """Write the resolved config (YAML) and the versions table."""
    import yaml

    from regflow.figures.provenance import versions_table
    from regflow.io import json_object, write_outputs
    from regflow.qc.io import tsv_writer

    config = json_object(args.config_json, "--config-json")
    text = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    versions = versions_table(args.snakemake_version)
    write_outputs(
        {
            args.output_config: lambda path: Path(path).write_text(text, encoding="utf-8"),
            args.output_versions: tsv_writer(versions),
        }
    )
    print(f"{args.output_versions}: {len(versions)} components")
