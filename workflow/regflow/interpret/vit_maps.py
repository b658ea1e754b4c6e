"""``regflow interpret vit-attention``: attention-rollout maps of a chromatin-ViT run on its
MNase images, laid out as the chromatin-transformers paper's Figure 3.

For each chosen gene and every condition it has an example for, the run's model sees the
images exactly as in training (:func:`regflow.train.vit.prepare_inputs`); each channel's
attention is rolled up (:mod:`regflow.interpret.rollout`) into a class-token-to-patch map, which
is repeated over each patch's pixels so that it lies on the image. Written together into
``--outdir``:

``attention.npz``
    ``genes`` (G,), ``conditions`` (K,), ``channels`` (C,) names, ``has_example`` (G, K) bool,
    ``splits`` (G, K) (empty: no example), ``images`` (G, K, C, H, W) the normalised images the
    model saw, ``maps`` (G, K, C, H, W) the upsampled maps, ``rollout`` (G, K, C, gh, gw) the
    class-token maps on the patch grid (each sums to 1), ``log2_tpm`` and
    ``predicted_log2_tpm`` (G, K) log2(TPM + 1) (NaN: no example), ``position_bp`` (G, W + 1)
    column edges in bp from each gene's TSS, ``length_edges`` (H, 2) fragment lengths of the
    rows, ``patch`` and ``discard_ratio``.
``attention.tsv``
    One row per gene, condition and channel: truth and predictions (the recomputed one and the
    run's ``predictions.tsv``), the largest patch share of the map, the effective number of
    patches attended (exp of the map's entropy), where its strongest patch lies (bp from the
    TSS, fragment lengths) and the share of the attention within ``--tss-band`` bp of the TSS
    next to the share a uniform map would put there.
``figure3_<i>.png``
    One per chosen gene, in order (the title names it). Top: true (green circles) and
    predicted (red crosses) log2(TPM + 1) over the conditions;
    below, one row per image: the MNase image, the attention map and the image darkened where
    attention is low (as the reference's overlay). The baseline channel of the dual-channel
    model is encoded without the time point, so its map is the same for every condition and
    is drawn once.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

HELP = "attention-rollout maps of a chromatin-ViT run (chromatin-transformers Figure 3)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``vit-attention``."""
    parser.add_argument("--run", required=True, type=Path, help="a ViT run's directory")
    parser.add_argument("--dataset", required=True, type=Path, help="its ViT dataset directory")
    genes = parser.add_mutually_exclusive_group()
    genes.add_argument("--genes", help="comma-separated gene ids")
    genes.add_argument(
        "--n-genes",
        type=int,
        default=3,
        help="else the N genes of largest true log2(TPM + 1) range over the conditions",
    )
    parser.add_argument(
        "--discard-ratio",
        type=float,
        default=0.9,
        help="fraction of each layer's patch-to-patch attentions dropped, lowest first",
    )
    parser.add_argument(
        "--tss-band", type=float, default=200.0, help="half-width (bp) of the TSS band reported"
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    parser.add_argument("--outdir", required=True, type=Path)


def largest_range_genes(truth: pd.DataFrame, n: int) -> list[str]:
    """The ``n`` genes whose ``log2_tpm`` spans the widest range over their rows (conditions),
    ties by gene id; ``truth`` has columns ``gene_id`` and ``log2_tpm``."""
    grouped = truth.groupby("gene_id")["log2_tpm"]
    spans = (grouped.max() - grouped.min()).rename("span").reset_index()
    spans = spans.assign(order=-spans["span"]).sort_values(["order", "gene_id"], kind="stable")
    return spans["gene_id"].astype(str).head(n).tolist()


def band_fraction(maps: np.ndarray, centres: np.ndarray, half_width: float) -> np.ndarray:
    """Share of each map within ``half_width`` bp of the TSS.

    Parameters
    ----------
    maps
        ``(..., H, W)`` non-negative maps on the image pixels.
    centres
        ``(..., W)`` column centres in bp from the TSS (broadcast against ``maps``).
    half_width
        The band is ``|centre| <= half_width``.

    Returns
    -------
    numpy.ndarray
        ``(...)``; 0 for an all-zero map.
    """
    columns = maps.sum(axis=-2)  # (..., W)
    inside = (np.abs(centres) <= half_width) * columns
    total = columns.sum(axis=-1)
    return np.divide(inside.sum(axis=-1), total, out=np.zeros_like(total), where=total > 0)


def effective_patches(cls_map: np.ndarray) -> np.ndarray:
    """``exp`` of the entropy of each map ``(..., gh, gw)`` summing to 1 -> ``(...)``: the number
    of patches a uniform map with the same entropy would cover (1: one patch, ``gh * gw``:
    all evenly)."""
    p = cls_map.reshape(*cls_map.shape[:-2], -1)
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return np.exp(terms.sum(axis=-1))


def _gene_list(text: str) -> list[str]:
    genes = list(dict.fromkeys(g.strip() for g in text.split(",") if g.strip()))
    if not genes:
        raise RegflowError(f"--genes names no gene: {text!r}")
    return genes


def _check_args(args: argparse.Namespace) -> None:
    if args.threads < 1:
        raise RegflowError(f"--threads must be >= 1, got {args.threads}")
    if args.genes is None and args.n_genes < 1:
        raise RegflowError(f"--n-genes must be >= 1, got {args.n_genes}")
    if not 0.0 <= args.discard_ratio <= 1.0:
        raise RegflowError(f"--discard-ratio must be in [0, 1], got {args.discard_ratio}")
    if args.tss_band < 0:
        raise RegflowError(f"--tss-band must be >= 0, got {args.tss_band}")


def _run_predictions(run_dir: Path, examples: pd.DataFrame, dataset: Path) -> pd.Series:
    """The run's predicted log2(TPM + 1) per (gene, condition) of ``examples``; the run must
    have predicted exactly the dataset's examples."""
    from regflow.datasets.io import read_table

    path = Path(run_dir) / "predictions.tsv"
    table = read_table(path, "run predictions", index_col=None)
    needed = ["gene_id", "condition", "predicted_log2_tpm"]
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise RegflowError(f"run predictions {path} lack columns {', '.join(missing)}")
    table = table.astype({"gene_id": str, "condition": str})
    predicted = table.set_index(["gene_id", "condition"])["predicted_log2_tpm"]
    keys = pd.MultiIndex.from_arrays(
        [examples["gene_id"].astype(str), examples["condition"].astype(str)]
    )
    if set(keys) != set(predicted.index):
        absent = [f"{g} at {c}" for g, c in keys.difference(predicted.index)[:3]]
        extra = [f"{g} at {c}" for g, c in predicted.index.difference(keys)[:3]]
        raise RegflowError(
            f"run predictions {path} are not of the examples of dataset {dataset}"
            + (f"; no prediction for {', '.join(absent)}" if absent else "")
            + (f"; predictions for {', '.join(extra)} without an example" if extra else "")
        )
    return predicted.loc[keys]


def _length_ticks(length_edges: np.ndarray, n: int = 4) -> tuple[np.ndarray, list[str]]:
    """Row boundaries (0 ... H) to tick and their fragment lengths (bp)."""
    n_rows = len(length_edges)
    rows = np.unique(np.linspace(0, n_rows, n).round().astype(int))
    lengths = np.append(length_edges[:, 0], length_edges[-1, 1])  # (H + 1,) row boundaries
    return rows, [f"{lengths[r]:g}" for r in rows]


def gene_figure(
    gene: str,
    conditions: list[str],
    channels: list[str],
    data: dict[str, np.ndarray],
    length_edges: np.ndarray,
    title: str,
):
    """The Figure 3 layout of one gene (a matplotlib Figure).

    ``data`` holds the gene's slices of the ``attention.npz`` arrays: ``has_example``,
    ``splits``, ``log2_tpm``, ``predicted_log2_tpm`` ``(K,)``, ``images`` and ``maps``
    ``(K, C, H, W)`` and ``position_bp`` ``(W + 1,)``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ks = np.flatnonzero(data["has_example"])
    panels = []  # (label, image (H, W), map (H, W))
    if len(channels) == 2:
        panels.append((channels[0], data["images"][ks[0], 0], data["maps"][ks[0], 0]))
    panels += [(conditions[k], data["images"][k, -1], data["maps"][k, -1]) for k in ks]
    fig = plt.figure(figsize=(13, 1.3 + 1.5 * len(panels) + 2.0), layout="constrained")
    grid = fig.add_gridspec(1 + len(panels), 3, height_ratios=[1.6] + [1.0] * len(panels))
    top = fig.add_subplot(grid[0, :])
    x = np.arange(len(ks))
    truth, predicted = data["log2_tpm"][ks], data["predicted_log2_tpm"][ks]
    top.plot(x, truth, "o", mfc="none", mec="tab:green", mew=2, ms=9, label="true")
    top.plot(x, predicted, "x", color="tab:red", mew=2, ms=9, label="predicted")
    top.set_xticks(x, [f"{conditions[k]} ({data['splits'][k]})" for k in ks])
    top.set_xlim(-0.5, len(ks) - 0.5)
    top.set_ylabel("log2(TPM + 1)")
    top.legend(loc="best", fontsize=8)
    top.set_title(title)
    edges = data["position_bp"]
    extent = (edges[0], edges[-1], 0, len(length_edges))
    ticks, tick_labels = _length_ticks(length_edges)
    lo, hi = np.percentile(np.stack([image for _, image, _ in panels]), [1, 99])
    placed = {"origin": "lower", "extent": extent, "aspect": "auto"}  # row 0 (shortest) low
    image_style = {"cmap": "magma_r", "vmin": lo, "vmax": hi, **placed}
    for i, (label, image, attention) in enumerate(panels, start=1):
        peak = attention.max()
        scaled = attention / peak if peak > 0 else attention
        shade = np.zeros((*scaled.shape, 4))  # black, transparent where attention is highest
        shade[..., 3] = 0.75 * (1.0 - scaled)
        axes = [fig.add_subplot(grid[i, j]) for j in range(3)]
        axes[0].imshow(image, **image_style)
        axes[1].imshow(scaled, cmap="viridis", vmin=0.0, vmax=1.0, **placed)
        axes[2].imshow(image, **image_style)
        axes[2].imshow(shade, **placed)
        for ax in axes:
            ax.axvline(0.0, color="grey", lw=1, ls="--")
            ax.set_yticks(ticks, tick_labels, fontsize=7)
            if i < len(panels):
                ax.set_xticklabels([])
            else:
                ax.set_xlabel("bp from the TSS")
        axes[0].set_ylabel(f"{label}\nlength (bp)", fontsize=8)
        if i == 1:
            for ax, name in zip(axes, ("MNase image", "attention rollout", "overlay"), strict=True):
                ax.set_title(name, fontsize=9)
    return fig


def _check_variant(settings: dict, run_dir: Path) -> None:
    path = Path(run_dir) / "config.yaml"
    variant, model = settings["variant"], settings["model"]
    if not isinstance(variant, dict) or not isinstance(model, dict):
        raise RegflowError(f"run config {path} is not a ViT run's: model and variant must be maps")
    keys = ["channels", "shared_trunk", "target"]
    if variant.get("channels") == 2:
        keys.append("first_channel")
    missing = [k for k in keys if k not in variant]
    if missing:
        raise RegflowError(f"run config {path} lacks variant keys {', '.join(missing)}")


def _forward(model, inputs, rows: pd.DataFrame, batch_size: int = 64):
    """The examples ``rows`` as the model sees them ``(n, C, H, W)`` (assembled as in training),
    its predictions ``(n,)`` on the z-scored scale and its attention ``(n, C, depth, heads, T,
    T)``."""
    import torch

    from regflow.train.data import ImagePairs

    pairs = ImagePairs(
        inputs.images,
        rows["gene_index"].to_numpy(),
        rows["condition_index"].to_numpy(),
        np.zeros(len(rows), dtype=np.float32),
        inputs.first,
    )
    x = torch.stack([pairs[i][0] for i in range(len(pairs))])  # (n, C, H, W)
    model.eval()
    preds, maps = [], []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            pred, attn = model(x[start : start + batch_size], return_attention=True)
            preds.append(pred.numpy())
            maps.append(attn.numpy())
    return x.numpy(), np.concatenate(preds), np.concatenate(maps)


def summary_table(
    rows: pd.DataFrame,
    channels: list[str],
    values: dict[str, np.ndarray],
    cls: np.ndarray,
    maps: np.ndarray,
    position_bp: np.ndarray,
    length_edges: np.ndarray,
    patch: int,
    band: float,
) -> pd.DataFrame:
    """One row per example of ``rows`` and channel: ``values`` (name -> ``(n,)``, e.g. truth and
    predictions), then the map's ``max_patch_share``, ``effective_patches``, the strongest
    patch's ``peak_position_bp`` (centre, from the TSS) and ``peak_lengths_bp`` (its rows'
    fragment lengths, ``lo-hi``), ``tss_band_share`` (attention within ``band`` bp of the TSS)
    and ``tss_band_uniform_share`` (the share a uniform map would put there).

    Shapes: ``cls`` ``(n, C, gh, gw)``, ``maps`` ``(n, C, H, W)``, ``position_bp``
    ``(n, W + 1)`` column edges from each example's TSS, ``length_edges`` ``(H, 2)``.
    """
    n, n_ch, _, gw = cls.shape
    rows_r, cols_c = np.divmod(cls.reshape(n, n_ch, -1).argmax(axis=-1), gw)  # (n, C) each
    example = np.arange(n)[:, None]
    peak_position = (
        position_bp[example, cols_c * patch] + position_bp[example, (cols_c + 1) * patch]
    ) / 2
    low = length_edges[rows_r * patch, 0]
    high = length_edges[(rows_r + 1) * patch - 1, 1]
    centres = (position_bp[:, :-1] + position_bp[:, 1:]) / 2  # (n, W)
    uniform = (np.abs(centres) <= band).mean(axis=-1)  # (n,)
    frame = {
        "gene_id": np.repeat(rows["gene_id"].to_numpy(), n_ch),
        "condition": np.repeat(rows["condition"].to_numpy(), n_ch),
        "split": np.repeat(rows["split"].to_numpy(), n_ch),
        "channel": np.tile(channels, n),
    }
    frame.update({name: np.repeat(v, n_ch) for name, v in values.items()})
    frame.update(
        max_patch_share=cls.max(axis=(-2, -1)).reshape(-1),
        effective_patches=effective_patches(cls).reshape(-1),
        peak_position_bp=peak_position.reshape(-1),
        peak_lengths_bp=[f"{a:g}-{b:g}" for a, b in zip(low.ravel(), high.ravel(), strict=True)],
        tss_band_share=band_fraction(maps, centres[:, None, :], band).reshape(-1),
        tss_band_uniform_share=np.repeat(uniform, n_ch),
    )
    return pd.DataFrame(frame)


def _figure_names(genes: list[str]) -> list[str]:
    """``figure3_1.png`` ... in gene order: names a workflow can declare before the genes
    are chosen (each figure's title names its gene)."""
    return [f"figure3_{i + 1}.png" for i in range(len(genes))]


def _figure_writer(gene: str, conditions, channels, data, length_edges, title: str):
    def write(tmp: Path) -> None:
        import matplotlib.pyplot as plt

        fig = gene_figure(gene, conditions, channels, data, length_edges, title)
        fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)

    return write


def gene_examples(
    examples: pd.DataFrame, genes: list[str], conditions: list[str]
) -> tuple[np.ndarray, list[str]]:
    """Row positions of the examples of ``genes``, gene by gene (in the order given) and then by
    condition (in the images' order ``conditions``), and the conditions they have."""
    chosen = np.flatnonzero(examples["gene_id"].isin(genes).to_numpy())
    present = set(examples["condition"].iloc[chosen])
    kept = [c for c in conditions if c in present]
    order = np.lexsort(
        (
            examples["condition"].iloc[chosen].map(kept.index).to_numpy(),
            examples["gene_id"].iloc[chosen].map(genes.index).to_numpy(),
        )
    )
    return chosen[order], kept


def _choose_genes(args: argparse.Namespace, examples: pd.DataFrame, truth: np.ndarray):
    if args.genes is None:
        return largest_range_genes(examples.assign(log2_tpm=truth), args.n_genes)
    genes = _gene_list(args.genes)
    known = set(examples["gene_id"])
    unknown = [g for g in genes if g not in known]
    if unknown:
        raise RegflowError(
            f"gene {unknown[0]} has no example in {Path(args.dataset) / 'examples.tsv'}"
        )
    return genes


def _load(args: argparse.Namespace):
    """The run's settings, its prepared dataset inputs and its model with the run's weights."""
    from regflow.interpret.runs import fit_weights, read_run_settings, read_run_weights
    from regflow.models.vit import ChromatinViT
    from regflow.train.vit import prepare_inputs

    settings = read_run_settings(args.run, ("model", "variant"))
    _check_variant(settings, args.run)
    state = read_run_weights(args.run)
    try:
        inputs = prepare_inputs(args.dataset, settings)
    except ValueError as err:
        raise RegflowError(f"run {args.run} does not fit dataset {args.dataset}: {err}") from None
    config = inputs.config
    trained = tuple(state["pos_embeds"].shape) if "pos_embeds" in state else None
    needed = (config.channels, config.n_tokens, config.dim)
    if trained != needed:
        raise RegflowError(
            f"run {args.run} does not fit dataset {args.dataset}: its model's position "
            f"embedding is {trained} (channels, tokens, width) but {config.image_height} x "
            f"{config.image_width} images in {config.patch}-pixel patches need {needed}"
        )
    model = ChromatinViT(config)
    fit_weights(model, state, args.run)
    return settings, inputs, model


def run(args: argparse.Namespace) -> None:
    """Roll out the attention of the chosen genes' examples and write the outputs."""
    import torch

    from regflow.interpret.rollout import attention_rollout, cls_patch_map, upsample
    from regflow.io import npz_writer, read_npz, write_outputs

    _check_args(args)
    torch.set_num_threads(args.threads)
    settings, inputs, model = _load(args)
    config = inputs.config
    examples = inputs.examples.astype({"gene_id": str, "condition": str})
    run_predicted = _run_predictions(args.run, examples, args.dataset).to_numpy()
    truth = inputs.log2_tpm[examples["gene_index"], examples["condition_index"]]
    genes = _choose_genes(args, examples, truth)
    picked, conditions = gene_examples(examples, genes, inputs.conditions)
    rows = examples.iloc[picked].reset_index(drop=True)
    truth, run_predicted = truth[picked], run_predicted[picked]
    images, pred, attn = _forward(model, inputs, rows)
    pred = pred.astype(np.float64) * inputs.std + inputs.mean
    if settings["variant"]["target"] == "fold":
        pred = pred + inputs.log2_tpm[rows["gene_index"], inputs.first]
    cls = cls_patch_map(attention_rollout(attn, args.discard_ratio), config.grid)  # (n, C, gh, gw)
    maps = upsample(cls, config.patch)  # (n, C, H, W)

    geometry = read_npz(
        Path(args.dataset) / "dataset.npz",
        ("origin", "position_edges", "length_edges"),
        "ViT dataset",
    )
    index_of = dict(zip(rows["gene_id"], rows["gene_index"], strict=True))
    position_bp = np.stack(
        [geometry["origin"][index_of[g]] + geometry["position_edges"] for g in genes]
    ).astype(np.float64)  # (G, W + 1) column edges from each gene's TSS
    gi = np.array([genes.index(g) for g in rows["gene_id"]])
    ki = np.array([conditions.index(c) for c in rows["condition"]])

    def on_grid(values: np.ndarray, fill) -> np.ndarray:
        """``(n, ...)`` per example -> ``(G, K, ...)``, ``fill`` where there is no example."""
        out = np.full((len(genes), len(conditions), *values.shape[1:]), fill, dtype=values.dtype)
        out[gi, ki] = values
        return out

    first = inputs.conditions[inputs.first] if inputs.first is not None else None
    channels = ([f"baseline_{first}"] if config.channels == 2 else []) + ["time_point"]
    length_edges = np.asarray(geometry["length_edges"], dtype=np.float64)
    arrays = {
        "genes": np.array(genes),
        "conditions": np.array(conditions),
        "channels": np.array(channels),
        "has_example": on_grid(np.ones(len(rows), dtype=bool), False),
        "splits": on_grid(rows["split"].to_numpy().astype(str), ""),
        "images": on_grid(images.astype(np.float32), np.nan),
        "maps": on_grid(maps.astype(np.float32), np.nan),
        "rollout": on_grid(cls.astype(np.float32), np.nan),
        "log2_tpm": on_grid(truth, np.nan),
        "predicted_log2_tpm": on_grid(pred, np.nan),
        "position_bp": position_bp,
        "length_edges": length_edges,
        "patch": np.array(config.patch),
        "discard_ratio": np.array(args.discard_ratio),
    }
    values = {
        "log2_tpm": truth,
        "predicted_log2_tpm": pred,
        "run_predicted_log2_tpm": run_predicted,
    }
    table = summary_table(
        rows,
        channels,
        values,
        cls,
        maps,
        position_bp[gi],
        length_edges,
        config.patch,
        args.tss_band,
    )
    outdir = Path(args.outdir)
    writers = {
        outdir / "attention.npz": npz_writer(arrays),
        outdir / "attention.tsv": lambda tmp: table.to_csv(
            tmp, sep="\t", index=False, float_format="%.6g"
        ),
    }
    variant = settings["variant"].get("name", "ViT")
    per_gene = ("has_example", "splits", "log2_tpm", "predicted_log2_tpm", "images", "maps")
    for g, (gene, name) in enumerate(zip(genes, _figure_names(genes), strict=True)):
        data = {key: arrays[key][g] for key in (*per_gene, "position_bp")}
        title = f"{gene}: {variant}, attention rollout (discard ratio {args.discard_ratio:g})"
        writers[outdir / name] = _figure_writer(
            gene, conditions, channels, data, length_edges, title
        )
    write_outputs(writers)
    print(f"attention of {len(genes)} gene(s) x {len(conditions)} condition(s) in {outdir}")
