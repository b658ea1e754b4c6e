"""``regflow interpret swin-attention``: the attention of a 1D-Swin run on one genome window,
every block's windows assembled into token x token matrices along the sequence (the 1D-Swin
paper's Figure 4: local attention in the lower stages, longer range higher up; distinct heads
within a layer).

A stage block attends within windows of ``w`` tokens; its map ``(heads, n_windows, w, w)`` is
placed on the stage's ``T x T`` token grid in sequence order (token ``t`` covers bp
``t * token_bp ... (t + 1) * token_bp - 1`` of the window's input), shifted blocks' windows
rolled back to the tokens they hold, so pairs in different windows, and the pairs across a
shifted block's wrap, are 0. Written together into ``--outdir``:

``attention.npz``
    ``block_names``, ``block_kind`` (window, shifted or global), ``block_stage`` (0-based; the
    global blocks after the last stage get ``n_stages``), ``token_bp``, ``n_tokens``,
    ``window`` and ``shift`` per block; ``attention_<i>`` ``(heads, T_i, T_i)`` and
    ``head_mean_<i>`` ``(T_i, T_i)`` of block ``i`` (two digits, in the trunk's order); the
    genome window ``chrom``, ``start``, ``end``, ``window_index`` and ``seq_len``.
``figure4.png``
    Rows: blocks, first to last; columns: heads and their mean; each a heatmap of query (rows)
    by key (columns) positions in kb from the window's start.
``attention.tsv``
    One row per block and head: ``mean_distance_bp`` (attention-weighted mean distance from
    query to key token, averaged over queries) and ``entropy_bits`` (mean over queries), next
    to the values of even attention within the block's windows (``uniform_*``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.errors import RegflowError

HELP = "attention matrices of a 1D-Swin sequence-track run on one window (1D-Swin Figure 4)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``swin-attention``."""
    parser.add_argument("--run", required=True, type=Path, help="a seqtrack run of swin")
    parser.add_argument("--dataset", required=True, type=Path, help="its seqtrack dataset")
    parser.add_argument(
        "--window",
        type=int,
        help="row of windows.tsv to look at (default: the first test-split window)",
    )
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch")
    parser.add_argument("--outdir", required=True, type=Path)


def assemble_windows(attn: np.ndarray, n_tokens: int, shift: int) -> np.ndarray:
    """One block's windowed attention on the token grid in sequence order.

    Parameters
    ----------
    attn
        ``(heads, n_windows, w, w)``: ``[h, k, i, j]`` is how much the token in slot ``i`` of
        window ``k`` attends to the token in slot ``j``; with ``shift`` the windows are cut after
        rolling the tokens left by ``shift``, so slot ``i`` of window ``k`` holds token
        ``(k * w + i + shift) % n_tokens``.
    n_tokens
        Tokens ``T = n_windows * w`` of the block.
    shift
        The block's roll (0: plain windows).

    Returns
    -------
    numpy.ndarray
        ``(heads, T, T)``: ``[h, a, b]`` is how much token ``a`` attends to token ``b``; 0 for
        pairs in different windows and for the pairs a shifted block masks (the wrapped
        segment and the sequence's tail, which share the last window but are not neighbours).
    """
    from regflow.models.seqtrack.swin import shifted_window_mask, window_token_index

    heads, n_windows, w, _ = attn.shape
    if n_windows * w != n_tokens:
        raise ValueError(f"{n_windows} windows of {w} tokens do not tile {n_tokens} tokens")
    slots = window_token_index(n_tokens, w, shift).numpy()  # (n_windows, w) token of each slot
    allowed = np.ones((n_windows, w, w), dtype=bool)
    if shift:
        allowed = shifted_window_mask(n_tokens, w, shift).numpy()
    full = np.zeros((heads, n_tokens, n_tokens), dtype=np.float64)
    full[:, slots[:, :, None], slots[:, None, :]] = np.where(allowed, attn, 0.0)
    return full


def mean_distance(full: np.ndarray, token_bp: int) -> np.ndarray:
    """Attention-weighted distance (bp) from query to key, averaged over queries:
    ``(..., T, T)`` (rows summing to 1) -> ``(...)``."""
    n = full.shape[-1]
    offsets = np.abs(np.arange(n)[None, :] - np.arange(n)[:, None]) * token_bp  # (T, T)
    return (full * offsets).sum(axis=-1).mean(axis=-1)


def mean_entropy(full: np.ndarray) -> np.ndarray:
    """Entropy (bits) of each query's attention, averaged over queries: ``(..., T, T)`` ->
    ``(...)``."""
    logs = np.log2(np.where(full > 0, full, 1.0))
    return -(full * logs).sum(axis=-1).mean(axis=-1)


def uniform_attention(n_tokens: int, window: int, shift: int) -> np.ndarray:
    """``(T, T)``: each query attending evenly to every key its block lets it see (the
    reference a block's distance and entropy are read against)."""
    allowed = assemble_windows(np.ones((1, n_tokens // window, window, window)), n_tokens, shift)
    return allowed[0] / allowed[0].sum(axis=-1, keepdims=True)


def block_table(blocks: list[dict], matrices: list[np.ndarray]) -> pd.DataFrame:
    """One row per block and head (1-based): the block's ``name``, ``kind``, ``stage``,
    ``n_tokens`` and ``token_bp`` (from ``blocks``, see :func:`describe_blocks`),
    ``mean_distance_bp`` and ``entropy_bits`` of its ``(heads, T, T)`` matrix, and
    ``uniform_distance_bp`` and ``uniform_entropy_bits``, the same for even attention over
    the keys the block can see."""
    frames = []
    for block, full in zip(blocks, matrices, strict=True):
        even = uniform_attention(block["n_tokens"], block["window"], block["shift"])
        frames.append(
            pd.DataFrame(
                {
                    "block": block["name"],
                    "kind": block["kind"],
                    "stage": block["stage"],
                    "head": np.arange(1, full.shape[0] + 1),
                    "n_tokens": block["n_tokens"],
                    "token_bp": block["token_bp"],
                    "mean_distance_bp": mean_distance(full, block["token_bp"]),
                    "entropy_bits": mean_entropy(full),
                    "uniform_distance_bp": mean_distance(even, block["token_bp"]),
                    "uniform_entropy_bits": mean_entropy(even),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def describe_blocks(trunk) -> list[dict]:
    """Name, kind, stage, ``n_tokens``, ``window``, ``shift`` and ``token_bp`` of each block of
    a :class:`~regflow.models.seqtrack.swin.SwinTrunk`, in the order of its attention maps."""
    blocks = []
    for s, stage in enumerate(trunk.stages):
        for i, block in enumerate(stage):
            kind = "shifted" if block.shift else "window"
            blocks.append({"name": f"stage{s + 1}.{i + 1}", "kind": kind, "stage": s})
    for i, _ in enumerate(trunk.global_blocks):
        blocks.append({"name": f"global{i + 1}", "kind": "global", "stage": len(trunk.stages)})
    for info, block in zip(blocks, trunk.blocks, strict=True):
        info.update(
            n_tokens=block.n_tokens,
            window=block.window,
            shift=block.shift,
            token_bp=block.token_bp,
        )
    return blocks


def figure4(blocks: list[dict], matrices: list[np.ndarray], seq_len: int, title: str):
    """Rows: blocks; columns: heads, then their mean; each a query x key heatmap with the
    positions in kb from the window's start (a matplotlib Figure)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import PowerNorm

    heads = matrices[0].shape[0]
    fig, axes = plt.subplots(
        len(blocks),
        heads + 1,
        figsize=(2.1 * (heads + 1) + 0.6, 2.0 * len(blocks) + 0.6),
        layout="constrained",
        squeeze=False,
    )
    kb = seq_len / 1000
    for row, block, full in zip(axes, blocks, matrices, strict=True):
        panels = [*full, full.mean(axis=0)]
        for h, (ax, matrix) in enumerate(zip(row, panels, strict=True)):
            ax.imshow(
                matrix,
                cmap="viridis",
                norm=PowerNorm(0.5, vmin=0.0, vmax=max(float(matrix.max()), 1e-12)),
                extent=(0.0, kb, kb, 0.0),
                interpolation="nearest",
            )
            ax.tick_params(labelsize=6)
            if block is blocks[0]:
                ax.set_title(f"head {h + 1}" if h < heads else "head mean", fontsize=9)
            if block is blocks[-1]:
                ax.set_xlabel("key (kb)", fontsize=7)
        row[0].set_ylabel(
            f"{block['name']} ({block['kind']})\n{block['token_bp']} bp tokens\nquery (kb)",
            fontsize=7,
        )
    fig.suptitle(title, fontsize=10)
    return fig


def _load_model(run_dir: Path, dataset_dir: Path):
    """The run's model with its weights, the dataset's lengths and arrays."""
    from regflow.interpret.runs import fit_weights, read_run_settings, read_run_weights
    from regflow.io import read_json_object, read_npz
    from regflow.models.seqtrack import build_model
    from regflow.train.seqtrack import dataset_lengths

    settings = read_run_settings(run_dir, ("name", "model"))
    record = Path(dataset_dir) / "dataset.json"
    lengths = dataset_lengths(read_json_object(record, "dataset record"), record)
    data = read_npz(
        Path(dataset_dir) / "dataset.npz", ("sequences", "track_names"), "sequence dataset"
    )
    try:
        model = build_model(
            str(settings["name"]),
            settings["model"],
            seq_len=lengths["seq_len"],
            bin_size=lengths["bin_size"],
            crop_bins=lengths["crop_bins"],
            n_tracks=len(data["track_names"]),
        )
    except (ValueError, TypeError) as err:
        raise RegflowError(
            f"run config {Path(run_dir) / 'config.yaml'} does not build a model for dataset "
            f"{dataset_dir}: {err}"
        ) from None
    if not model.has_attention:
        raise RegflowError(
            f"run {run_dir} is a {settings['name']} model, which has no attention maps "
            "(swin-attention needs a swin run)"
        )
    fit_weights(model, read_run_weights(run_dir), run_dir)
    return model, lengths, data["sequences"]


def run(args: argparse.Namespace) -> None:
    """Assemble the attention of every block on one window and write the outputs."""
    import torch

    from regflow.datasets.io import read_table
    from regflow.io import npz_writer, write_outputs

    if args.threads < 1:
        raise RegflowError(f"--threads must be >= 1, got {args.threads}")
    torch.set_num_threads(args.threads)
    model, lengths, sequences = _load_model(args.run, args.dataset)
    table_path = Path(args.dataset) / "windows.tsv"
    windows = read_table(table_path, "sequence windows", index_col=None)
    if len(windows) != len(sequences):
        raise RegflowError(
            f"{table_path} has {len(windows)} windows, {Path(args.dataset) / 'dataset.npz'} "
            f"has {len(sequences)}"
        )
    index = args.window
    if index is None:
        test = np.flatnonzero(windows["split"].to_numpy() == "test")
        if not len(test):
            raise RegflowError(f"{table_path} has no test window; choose one with --window")
        index = int(test[0])
    if not 0 <= index < len(windows):
        raise RegflowError(f"--window {index} is not a row of {table_path} (0-{len(windows) - 1})")
    seq_len, shift = lengths["seq_len"], lengths["max_shift"]
    onehot = sequences[index, shift : shift + seq_len].astype(np.float32)  # centred, (L, 4)
    model.eval()
    with torch.no_grad():
        _, maps = model(torch.from_numpy(onehot)[None], return_attention=True)
    blocks = describe_blocks(model.trunk)
    matrices = [
        assemble_windows(
            attn.mean(dim=0).numpy().transpose(1, 0, 2, 3), block["n_tokens"], block["shift"]
        )
        for attn, block in zip(maps, blocks, strict=True)
    ]  # each (heads, T, T)
    window = windows.iloc[index]
    arrays = {
        "block_names": np.array([b["name"] for b in blocks]),
        "block_kind": np.array([b["kind"] for b in blocks]),
        **{
            key: np.array([b[field] for b in blocks])
            for key, field in (
                ("block_stage", "stage"),
                ("token_bp", "token_bp"),
                ("n_tokens", "n_tokens"),
                ("window", "window"),
                ("shift", "shift"),
            )
        },
        "chrom": np.array(str(window["chrom"])),
        "start": np.array(int(window["start"])),
        "end": np.array(int(window["end"])),
        "window_index": np.array(index),
        "seq_len": np.array(seq_len),
    }
    for i, full in enumerate(matrices):
        arrays[f"attention_{i:02d}"] = full.astype(np.float32)
        arrays[f"head_mean_{i:02d}"] = full.mean(axis=0).astype(np.float32)
    table = block_table(blocks, matrices)
    title = (
        f"1D-Swin attention, {window['chrom']}:{int(window['start']):,}-{int(window['end']):,} "
        f"({window['split']} window {index})"
    )

    def write_figure(tmp: Path) -> None:
        import matplotlib.pyplot as plt

        fig = figure4(blocks, matrices, seq_len, title)
        fig.savefig(tmp, dpi=110, format="png")
        plt.close(fig)

    outdir = Path(args.outdir)
    write_outputs(
        {
            outdir / "attention.npz": npz_writer(arrays),
            outdir / "attention.tsv": lambda tmp: table.to_csv(
                tmp, sep="\t", index=False, float_format="%.6g"
            ),
            outdir / "figure4.png": write_figure,
        }
    )
    print(f"attention of {len(blocks)} block(s) on window {index} in {outdir}")
