"""``regflow interpret get-jacobian``: GET's gene x motif matrices from its Jacobian.

For every gene with a TSS peak, the gradient of its TSS output (its strand) with respect to
each evaluation window holding that peak, times the input, averaged over the window's regions
and over those windows; one matrix per condition and their mean. With the simulator's truth it
also ranks each planted TF's motif among its target genes' features.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

log = logging.getLogger("regflow.interpret")

HELP = "GET's gene x motif matrices (mean over regions of gradient x input at each TSS)"
NON_MOTIF_FEATURES = ("accessibility", "tss_plus", "tss_minus")
HEATMAP_MOTIFS = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--run", required=True, type=Path, help="GET run directory")
    parser.add_argument("--dataset", required=True, type=Path, help="GET datasets directory")
    parser.add_argument("--batch-size", type=int, default=64, help="windows per pass")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    parser.add_argument(
        "--sites", type=Path, help="planted sites BED (simulated data: truth/motif_sites.bed)"
    )
    parser.add_argument("--motif-clusters", type=Path, help="motif -> cluster table (with --sites)")
    parser.add_argument("--tf-activity", type=Path, help="TF x condition activity (with --sites)")
    parser.add_argument("--effects", help="JSON object TF -> effect on expression (with --sites)")
    parser.add_argument(
        "--min-activity",
        type=float,
        default=0.5,
        help="activity in a training condition for a TF to be expected (with --sites)",
    )
    parser.add_argument(
        "--top-k", type=int, default=10, help="rank a planted TF must reach to count (--sites)"
    )
    parser.add_argument("--outdir", required=True, type=Path)


def load_model(run: Path, n_features: int):
    """The GET model of a run directory (``config.yaml`` + ``model.safetensors``)."""
    from regflow.interpret.runs import fit_weights, read_run_settings, read_run_weights
    from regflow.models.get import GETConfig, GETModel

    settings = read_run_settings(run, ("model",))
    try:
        model = GETModel(GETConfig.from_dict({**settings["model"], "n_features": n_features}))
    except ValueError as err:
        raise RegflowError(f"GET run {run / 'config.yaml'}: {err}") from None
    fit_weights(model, read_run_weights(run), run)
    return model


def tss_scores(
    model, features: np.ndarray, windows: np.ndarray, is_tss: np.ndarray, batch_size: int
) -> np.ndarray:
    """Gradient x input per (condition, TSS peak, strand): ``(C, P, 2, F)``, NaN where no TSS.

    ``features`` ``(C, P, F)``, ``windows`` ``(W, R)`` peak indices (-1 padding), ``is_tss``
    ``(P, 2)``. A peak in several windows gets the mean over those windows.
    """
    import torch

    from regflow.interpret.jacobian import gradient_x_input, output_jacobians

    n_cond, n_peaks, n_feat = features.shape
    total = np.zeros((n_cond, n_peaks, 2, n_feat))
    count = np.zeros((n_peaks, 2))
    padded = np.concatenate([features, np.zeros((n_cond, 1, n_feat), features.dtype)], axis=1)
    valid = windows >= 0  # (W, R)
    tss_at = is_tss[windows] & valid[..., None]  # (W, R, 2): index -1 reads the last peak
    for lo in range(0, len(windows), batch_size):
        chunk = slice(lo, lo + batch_size)
        outputs = np.argwhere(tss_at[chunk].any(axis=0))  # (K, 2) positions with a TSS anywhere
        for c in range(n_cond):
            x = padded[c][windows[chunk]]  # (b, R, F); -1 picks the zero row
            grads = output_jacobians(model, torch.from_numpy(x), outputs).numpy()  # (b, K, R, F)
            scores = gradient_x_input(grads, x[:, None], valid[chunk][:, None])  # (b, K, F)
            for k, (position, strand) in enumerate(outputs):
                hit = tss_at[chunk][:, position, strand]  # (b,)
                peaks = windows[chunk][hit, position]
                np.add.at(total[c], (peaks, strand), scores[hit, k])
                if c == 0:
                    np.add.at(count, (peaks, strand), 1)
    with np.errstate(invalid="ignore"):
        return total / count[None, :, :, None]


def planted_truth(sites: Path, clusters: Path) -> tuple[dict, dict]:
    """Target genes and motif cluster of each planted TF, from the simulator's sites BED."""
    from regflow.datasets.io import read_table

    table = read_table(sites, "planted sites", index_col=None)
    table.columns = [c.lstrip("#") for c in table.columns]
    missing = {"name", "matrix_id", "gene_id"} - set(table.columns)
    if missing:
        raise RegflowError(f"planted sites {sites} lack columns {', '.join(sorted(missing))}")
    cluster_of = read_table(clusters, "motif clusters", index_col=None)
    if not {"motif_id", "cluster_name"} <= set(cluster_of.columns):
        raise RegflowError(f"motif clusters {clusters} need columns motif_id and cluster_name")
    cluster_of = cluster_of.set_index("motif_id")["cluster_name"]
    targets, feature_of = {}, {}
    for tf, group in table.groupby("name", sort=True):
        matrix_id = group["matrix_id"].iloc[0]
        if matrix_id not in cluster_of.index:
            raise RegflowError(
                f"planted motif {matrix_id} ({tf}) of {sites} is not in the motif clusters "
                f"{clusters}: scan the planted motifs too"
            )
        feature_of[tf] = str(cluster_of[matrix_id])
        targets[tf] = sorted(set(group["gene_id"].astype(str)))
    return targets, feature_of


def training_conditions(dataset: Path) -> list[str]:
    """The conditions a GET dataset trains on (those not held out), from its splits."""
    from regflow.datasets.io import read_table

    splits = read_table(dataset / "splits.tsv", "GET splits", index_col=None)
    return sorted(set(splits.loc[splits["split"] != "test_condition", "condition"].astype(str)))


def truth_ranks(args: argparse.Namespace, matrix: pd.DataFrame, training: list[str]):
    """Each planted TF's rank among its targets' motifs, and whether it is expected to show."""
    from regflow.datasets.io import read_table
    from regflow.interpret.jacobian import expected_regulators, planted_motif_ranks
    from regflow.io import json_object

    for flag in ("motif_clusters", "tf_activity", "effects"):
        if getattr(args, flag) is None:
            raise RegflowError(f"--sites needs --{flag.replace('_', '-')}")
    targets, feature_of = planted_truth(args.sites, args.motif_clusters)
    activity = read_table(args.tf_activity, "TF activity table")
    activity.index = activity.index.astype(str)
    missing = sorted(set(training) - set(activity.columns))
    if missing:
        raise RegflowError(
            f"TF activity table {args.tf_activity} has no column for conditions "
            f"{', '.join(missing)}"
        )
    try:
        expected = expected_regulators(
            activity, json_object(args.effects, "--effects"), training, args.min_activity
        )
    except ValueError as err:
        raise RegflowError(f"--effects: {err}") from None
    ranks = planted_motif_ranks(matrix, targets, feature_of, args.top_k)
    ranks["expected"] = ranks["tf"].map(expected).fillna(False).astype(bool)
    return ranks


def heatmap(matrix: pd.DataFrame, title: str):
    """Genes x the most important motifs (mean |score|), genes ordered by their top motif."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    top = matrix.abs().mean().sort_values(ascending=False).index[:HEATMAP_MOTIFS]
    shown = matrix[top]
    order = np.lexsort((-shown.max(axis=1).to_numpy(), shown.to_numpy().argmax(axis=1)))
    values = shown.to_numpy()[order]
    limit = float(np.nanmax(np.abs(values))) or 1.0
    fig, ax = plt.subplots(figsize=(0.28 * len(top) + 2.5, 6), layout="constrained")
    image = ax.imshow(values, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit)
    ax.set_xticks(range(len(top)), top, rotation=90, fontsize=7)
    ax.set_yticks([])
    ax.set_ylabel(f"{len(shown)} genes (ordered by top motif)")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="gradient x input (mean over regions)")
    return fig


def run(args: argparse.Namespace) -> None:
    import torch

    from regflow.datasets.io import read_table
    from regflow.io import npz_writer, read_npz, write_outputs

    keys = ("features", "is_tss", "conditions", "feature_names", "windows")
    data = read_npz(args.dataset / "dataset.npz", keys, "GET dataset")
    tss = read_table(args.dataset / "tss.tsv", "GET TSS table", index_col=None)
    if args.batch_size < 1:
        raise RegflowError(f"--batch-size must be >= 1, got {args.batch_size}")
    torch.set_num_threads(args.threads)
    features = data["features"].astype(np.float32)
    model = load_model(args.run, features.shape[2])
    scores = tss_scores(model, features, data["windows"], data["is_tss"], args.batch_size)
    strand = tss["strand"].map({"+": 0, "-": 1}).to_numpy()
    genes = tss["name"].to_numpy().astype(str)
    per_gene = scores[:, tss["peak"].to_numpy(), strand]  # (C, G, F)
    names = [str(n) for n in data["feature_names"]]
    conditions = [str(c) for c in data["conditions"]]
    motif_cols = [j for j, n in enumerate(names) if n not in NON_MOTIF_FEATURES]
    motifs = [names[j] for j in motif_cols]
    mean = pd.DataFrame(
        per_gene.mean(axis=0)[:, motif_cols], index=pd.Index(genes, name="gene_id"), columns=motifs
    )
    by_condition = pd.concat(
        {
            condition: pd.DataFrame(per_gene[c][:, motif_cols], index=genes, columns=motifs)
            for c, condition in enumerate(conditions)
        },
        names=["condition", "gene_id"],
    )
    log.info("gene x motif: %d genes x %d motifs, %d conditions", *mean.shape, len(conditions))

    def figure(tmp: Path) -> None:
        import matplotlib.pyplot as plt

        fig = heatmap(mean, "GET gene x motif (mean over conditions)")
        fig.savefig(tmp, dpi=120, format="png")
        plt.close(fig)

    outdir = args.outdir
    writers = {
        outdir / "jacobian.npz": npz_writer(
            {
                "scores": per_gene.astype(np.float32),
                "genes": genes,
                "conditions": np.array(conditions),
                "features": np.array(names),
            }
        ),
        outdir / "gene_x_motif.tsv": lambda tmp: mean.to_csv(tmp, sep="\t", float_format="%.6g"),
        outdir / "gene_x_motif_by_condition.tsv.gz": lambda tmp: by_condition.to_csv(
            tmp, sep="\t", float_format="%.6g", compression="gzip"
        ),
        outdir / "heatmap.png": figure,
    }
    if args.sites:
        ranks = truth_ranks(args, mean, training_conditions(args.dataset))
        expected = ranks[ranks["expected"]]
        summary = {
            "top_k": args.top_k,
            "planted_tfs": len(ranks),
            "expected": expected["tf"].tolist(),
            "recovered": expected.loc[expected["recovered"], "tf"].tolist(),
            "fraction_recovered": float(expected["recovered"].mean()),
            "controls_in_top_k": ranks.loc[~ranks["expected"] & ranks["recovered"], "tf"].tolist(),
            "n_motifs": len(motifs),
        }
        log.info(
            "expected planted TFs in the top %d: %d of %d",
            args.top_k,
            len(summary["recovered"]),
            len(expected),
        )
        writers[outdir / "recovery.tsv"] = lambda tmp: ranks.to_csv(
            tmp, sep="\t", index=False, float_format="%.4g"
        )
        writers[outdir / "recovery.json"] = lambda tmp: Path(tmp).write_text(
            json.dumps(summary, indent=2) + "\n", encoding="utf-8"
        )
    write_outputs(writers)
