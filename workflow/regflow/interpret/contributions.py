"""``regflow interpret contributions``: DeepLIFT/SHAP contribution scores of trained sequence
models at genome regions.

ChromBPNet (``--kind chrombpnet``): the counts and/or profile head of the bias-corrected
(accessibility model alone), uncorrected or bias prediction, at the dataset's peaks (or all its
regions). Several fold runs give the ensemble: their contributions are averaged. A bias-model
run directory (``fold_k/bias``) serves ``--model bias`` too. Sequence-to-track models
(``--kind seqtrack``): the output summed over bins and the chosen tracks, at the dataset's
windows. See :mod:`regflow.interpret.deeplift` for the scalars explained.

Each region's window is the input the explained prediction reads: the central bases around a
ChromBPNet region's centre that the accessibility model (corrected), the bias model (bias) or
both (uncorrected) read, the longest over the runs; a sequence-to-track dataset's window.
Sequences come from the genome FASTA. With ``--max-regions N`` the ``N`` regions with the most
signal are kept (ChromBPNet: observed total counts; sequence-to-track: the chosen tracks'
summed targets), ties in dataset order, and written in dataset order.

Outputs (all or none) in ``--outdir``, per head ``<head>``: ``counts``/``profile``
(ChromBPNet) or ``tracks`` (sequence-to-track):

- ``<head>.npz``: ``one_hot`` (N, L, 4) uint8, ``hypothetical`` (N, L, 4) float32,
  ``projected`` (N, L) float32 (hypothetical x one-hot summed over bases), ``chroms``,
  ``starts`` (0-based genomic start of position 0), ``names``;
- ``<head>.bw``: the projected contributions on the genome; where windows overlap, the mean
  of the windows covering a base; bases outside every window have no value;
- ``contributions.json``: model, runs, regions, device, timing, contributions per second and
  the convergence deltas per run and head (:func:`regflow.interpret.deeplift.delta_summary`).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from regflow.errors import RegflowError

log = logging.getLogger("regflow.interpret")

HELP = "DeepLIFT/SHAP contribution scores of ChromBPNet or sequence-to-track models"
KINDS = ("chrombpnet", "seqtrack")
SEQTRACK_HEAD = "tracks"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from regflow.interpret.choices import CHROMBPNET_HEADS, CHROMBPNET_MODELS

    parser.add_argument("--kind", required=True, choices=KINDS, help="model family")
    parser.add_argument(
        "--run",
        required=True,
        nargs="+",
        type=Path,
        help="run directories (several: contributions averaged over them, e.g. folds)",
    )
    parser.add_argument(
        "--model",
        choices=CHROMBPNET_MODELS,
        help="chrombpnet: which prediction to explain (default: corrected)",
    )
    parser.add_argument(
        "--heads",
        nargs="+",
        choices=CHROMBPNET_HEADS,
        help="chrombpnet: heads to explain (default: counts profile)",
    )
    parser.add_argument(
        "--tracks",
        nargs="+",
        help="seqtrack: track names or regular expressions (full match) selecting tracks of "
        "the dataset's tracks.tsv (default: all)",
    )
    parser.add_argument("--dataset", required=True, type=Path, help="datasets directory")
    parser.add_argument("--genome", required=True, type=Path, help="genome FASTA (+ .fai)")
    parser.add_argument(
        "--regions",
        choices=("peaks", "all"),
        help="chrombpnet: peaks (default) or all regions; seqtrack: all windows (default)",
    )
    parser.add_argument(
        "--max-regions", type=int, help="keep the N regions with the most signal (default: all)"
    )
    parser.add_argument("--n-shuffles", type=int, default=20, help="references per sequence (20)")
    parser.add_argument(
        "--batch-size", type=int, default=128, help="sequence-reference pairs per pass (128)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the shuffles (0)")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for PyTorch (1)")
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="auto: a GPU if any"
    )
    parser.add_argument("--outdir", required=True, type=Path)


@dataclass(frozen=True)
class Regions:
    """Windows to explain: ``chroms``, ``starts`` (0-based) and ``names``, each ``(N,)``, all
    ``length`` bp long."""

    chroms: np.ndarray
    starts: np.ndarray
    names: np.ndarray
    length: int


def load_chrombpnet(run: Path):
    """The model of a ChromBPNet run directory: a ``ChromBPNet`` (accessibility run) or the
    bias ``BPNet`` (bias run, whose weights have no ``accessibility.`` keys)."""
    from safetensors import SafetensorError, safe_open

    from regflow.interpret.runs import fit_weights, read_run_settings, read_run_weights
    from regflow.models.bpnet import ChromBPNet
    from regflow.train.chrombpnet import bpnet_from_settings

    settings = read_run_settings(run, ("model",))
    weights = run / "model.safetensors"
    if not weights.is_file():
        raise RegflowError(f"model weights {weights} do not exist")
    try:
        with safe_open(str(weights), "pt") as handle:
            keys = list(handle.keys())
    except (OSError, SafetensorError) as err:
        raise RegflowError(f"ChromBPNet weights {weights} are not readable: {err}") from None
    model_cfg = settings["model"]
    if any(key.startswith("accessibility.") for key in keys):
        model = ChromBPNet(
            bpnet_from_settings(model_cfg, "accessibility"), bpnet_from_settings(model_cfg, "bias")
        )
    else:
        model = bpnet_from_settings(model_cfg, "bias")
    fit_weights(model, read_run_weights(run), run)
    return model


def load_seqtrack(run: Path, lengths: dict[str, int], n_tracks: int):
    """The model of a sequence-to-track run directory for a dataset's lengths and tracks."""
    from regflow.interpret.runs import fit_weights, read_run_settings, read_run_weights
    from regflow.models.seqtrack import model_from_settings

    settings = read_run_settings(run, ("name", "model"))
    try:
        model = model_from_settings(settings, lengths, n_tracks)
    except (KeyError, ValueError) as err:
        raise RegflowError(f"sequence-to-track run {run / 'config.yaml'}: {err}") from None
    fit_weights(model, read_run_weights(run), run)
    return model


def select_tracks(names: list[str], patterns: list[str] | None) -> list[int]:
    """Indices of the tracks named by ``patterns`` (exact names or full-match regular
    expressions), in track order; all tracks for None.

    Raises
    ------
    RegflowError
        For a pattern that selects no track or is not a valid regular expression.
    """
    if patterns is None:
        return list(range(len(names)))
    chosen: set[int] = set()
    for pattern in patterns:
        if pattern in names:
            chosen.add(names.index(pattern))
            continue
        try:
            regex = re.compile(pattern)
        except re.error as err:
            raise RegflowError(f"--tracks {pattern!r} is not a regular expression: {err}") from None
        hits = {i for i, name in enumerate(names) if regex.fullmatch(name)}
        if not hits:
            raise RegflowError(
                f"--tracks {pattern!r} selects no track (tracks: {', '.join(names)})"
            )
        chosen |= hits
    return sorted(chosen)


def top_regions(signal: np.ndarray, mask: np.ndarray, n: int | None) -> np.ndarray:
    """Indices of the ``n`` masked regions with the largest ``signal`` ``(R,)`` (ties: the
    earlier), in increasing order; every masked region for None."""
    candidates = np.flatnonzero(mask)
    if n is not None:
        order = np.argsort(-signal[candidates], kind="stable")
        candidates = np.sort(candidates[order[:n]])
    return candidates


def chrombpnet_regions(
    dataset: Path, which: str, max_regions: int | None, length: int, out_lens: set[int]
) -> Regions:
    """The windows of ``length`` bp (the models' input) of a ChromBPNet dataset's peaks or all
    regions, centred as the training centres them."""
    from regflow.datasets.io import read_table
    from regflow.io import read_json_object

    record_path = dataset / "dataset.json"
    settings = read_json_object(record_path, "ChromBPNet dataset record").get("settings", {})
    if "in_len" not in settings or "out_len" not in settings:
        raise RegflowError(f"ChromBPNet dataset record {record_path} lacks in_len or out_len")
    in_len, out_len = int(settings["in_len"]), int(settings["out_len"])
    if in_len < length:
        raise RegflowError(
            f"the dataset's input length {in_len} ({record_path}) is shorter than the {length} "
            "bp the run's model reads"
        )
    if out_lens != {out_len}:
        raise RegflowError(
            f"the runs predict out_len {sorted(out_lens)}, the dataset {record_path} {out_len}"
        )
    path = dataset / "regions.tsv"
    table = read_table(path, "ChromBPNet regions", index_col=None)
    missing = {"name", "chrom", "centre", "kind", "total_counts"} - set(table.columns)
    if missing:
        raise RegflowError(f"ChromBPNet regions {path} lack columns {', '.join(sorted(missing))}")
    mask = (table["kind"] == "peak").to_numpy() if which == "peaks" else np.ones(len(table), bool)
    keep = top_regions(table["total_counts"].to_numpy(np.float64), mask, max_regions)
    if keep.size == 0:
        raise RegflowError(f"no {which} regions to explain in {path}")
    rows = table.iloc[keep]
    # the dataset window [centre - in_len // 2, + in_len), centre-cropped as BPNet crops it
    starts = rows["centre"].to_numpy(np.int64) - in_len // 2 + (in_len - length) // 2
    return Regions(
        rows["chrom"].astype(str).to_numpy(),
        starts,
        rows["name"].astype(str).to_numpy(),
        length,
    )


def seqtrack_regions(
    dataset: Path, tracks: list[int], max_regions: int | None, seq_len: int
) -> Regions:
    """The windows of a sequence-to-track dataset; the ``max_regions`` with the largest summed
    targets of ``tracks``."""
    from regflow.datasets.io import read_table
    from regflow.io import read_npz

    path = dataset / "windows.tsv"
    table = read_table(path, "sequence windows", index_col=None)
    if not {"chrom", "start", "end"} <= set(table.columns):
        raise RegflowError(f"sequence windows {path} need columns chrom, start and end")
    if len(table) and not (table["end"] - table["start"] == seq_len).all():
        raise RegflowError(f"the windows of {path} are not all seq_len {seq_len} bp long")
    signal = np.zeros(len(table))
    if max_regions is not None:
        targets = read_npz(dataset / "dataset.npz", ("targets",), "sequence dataset")["targets"]
        if len(targets) != len(table):
            raise RegflowError(f"{path} and {dataset / 'dataset.npz'} differ in window count")
        signal = targets[:, :, tracks].sum(axis=(1, 2), dtype=np.float64)  # (W,)
    keep = top_regions(signal, np.ones(len(table), bool), max_regions)
    if keep.size == 0:
        raise RegflowError(f"no windows to explain in {path}")
    rows = table.iloc[keep]
    chroms = rows["chrom"].astype(str).to_numpy()
    starts = rows["start"].to_numpy(np.int64)
    names = np.array([f"{c}:{s}-{s + seq_len}" for c, s in zip(chroms, starts, strict=True)])
    return Regions(chroms, starts, names, seq_len)


def fetch_sequences(fasta, regions: Regions) -> np.ndarray:
    """One-hot ``(N, length, 4)`` uint8 of the windows; zero rows beyond chromosome ends."""
    from regflow.datasets.sequence import fetch_onehot

    out = np.zeros((len(regions.starts), regions.length, 4), dtype=np.uint8)
    for i, (chrom, start) in enumerate(zip(regions.chroms, regions.starts, strict=True)):
        out[i] = fetch_onehot(fasta, chrom, int(start), int(start) + regions.length)
    return out


def overlap_mean(
    chrom_sizes: dict[str, int], chroms: np.ndarray, starts: np.ndarray, values: np.ndarray
) -> Iterator[tuple[str, int, np.ndarray]]:
    """Per-base values of windows on the genome, the mean where windows overlap.

    Parameters
    ----------
    chrom_sizes
        Chromosome lengths, in the order the blocks are wanted.
    chroms, starts
        ``(N,)`` chromosome and 0-based start of each window.
    values
        ``(N, L)`` the windows' values.

    Yields
    ------
    tuple[str, int, numpy.ndarray]
        ``(chrom, start, block)`` for each run of touching or overlapping windows (clipped to
        the chromosome), ``block`` float64 of the run's length; chromosomes in
        ``chrom_sizes`` order, blocks by position.
    """
    length = values.shape[1]
    unknown = sorted(set(chroms) - set(chrom_sizes))
    if unknown:
        raise ValueError(f"windows on chromosomes absent from the sizes: {', '.join(unknown)}")
    for chrom, size in chrom_sizes.items():
        rows = np.flatnonzero(chroms == chrom)
        rows = rows[np.argsort(starts[rows], kind="stable")]
        block: list[int] = []
        lo = hi = 0
        for row in rows:
            start, end = max(int(starts[row]), 0), min(int(starts[row]) + length, size)
            if end <= start:
                continue
            if block and start <= hi:
                block.append(row)
                hi = max(hi, end)
                continue
            if block:
                yield chrom, lo, _mean_block(block, starts, values, lo, hi)
            block, lo, hi = [row], start, end
        if block:
            yield chrom, lo, _mean_block(block, starts, values, lo, hi)


def _mean_block(
    rows: list[int], starts: np.ndarray, values: np.ndarray, lo: int, hi: int
) -> np.ndarray:
    """Mean of the windows ``rows`` over the bases ``[lo, hi)`` they cover: ``(hi - lo,)``."""
    total = np.zeros(hi - lo)
    count = np.zeros(hi - lo)
    length = values.shape[1]
    for row in rows:
        start = int(starts[row])
        a, b = max(start, lo), min(start + length, hi)
        total[a - lo : b - lo] += values[row, a - start : b - start]
        count[a - lo : b - lo] += 1
    return total / np.maximum(count, 1)


def bigwig_writer(chrom_sizes: dict[str, int], chroms, starts, values):
    """A writer for :func:`regflow.io.write_outputs`: :func:`overlap_mean` of the windows as a
    per-base bigWig (float32 entries, one per base)."""

    def write(path: Path) -> None:
        import pyBigWig

        bw = pyBigWig.open(str(path), "w")
        if bw is None:
            raise RegflowError(f"cannot open {path} for writing")
        try:
            bw.addHeader(list(chrom_sizes.items()), maxZooms=10)
            for chrom, start, block in overlap_mean(chrom_sizes, chroms, starts, values):
                bw.addEntries(chrom, start, values=block.astype(np.float64), span=1, step=1)
        finally:
            bw.close()

    return write


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise RegflowError("--device cuda, but no CUDA GPU is visible to PyTorch")
    return name


def _device_description(device: str) -> str:
    import torch

    if device == "cuda":
        return f"GPU: {torch.cuda.get_device_name(0)}"
    return f"CPU ({torch.get_num_threads()} threads)"


def _check_options(args: argparse.Namespace) -> None:
    """Options that belong to the other kind, and counts below 1, are errors."""
    wrong = ("tracks",) if args.kind == "chrombpnet" else ("model", "heads")
    given = [f"--{name}" for name in wrong if getattr(args, name) is not None]
    if given:
        raise RegflowError(f"{', '.join(given)} do(es) not apply to --kind {args.kind}")
    if args.kind == "seqtrack" and args.regions == "peaks":
        raise RegflowError("--regions peaks needs --kind chrombpnet (seqtrack: all windows)")
    for name in ("max_regions", "n_shuffles", "batch_size", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            raise RegflowError(f"--{name.replace('_', '-')} must be >= 1, got {value}")


def _input_length(model, which: str) -> int:
    """Bases the ``which`` prediction of a ChromBPNet (or a lone bias BPNet) reads."""
    if which == "bias" or not hasattr(model, "accessibility"):
        return model.bias.input_length if hasattr(model, "bias") else model.input_length
    if which == "corrected":
        return model.accessibility.input_length
    return model.input_length


def _models_and_regions(args: argparse.Namespace) -> tuple[list, dict, Regions, dict]:
    """The runs' models, the wrappers to build per head, the regions and a description."""
    from regflow.interpret.deeplift import TrackSum, chrombpnet_wrapper

    if args.kind == "chrombpnet":
        which = args.model or "corrected"
        heads = list(dict.fromkeys(args.heads or ["counts", "profile"]))
        models = [load_chrombpnet(run) for run in args.run]
        for run, model in zip(args.run, models, strict=True):
            if which != "bias" and not hasattr(model, "accessibility"):
                raise RegflowError(
                    f"run {run} is a bias-model run: it has only the 'bias' prediction, not "
                    f"{which!r}"
                )
        length = max(_input_length(model, which) for model in models)
        out_lens = {
            (model.accessibility if hasattr(model, "accessibility") else model).config.out_len
            for model in models
        }
        regions = chrombpnet_regions(
            args.dataset, args.regions or "peaks", args.max_regions, length, out_lens
        )
        makers = {head: (lambda m, head=head: chrombpnet_wrapper(m, which, head)) for head in heads}
        return models, makers, regions, {"model": which, "heads": heads}

    from regflow.datasets.io import read_table
    from regflow.io import read_json_object
    from regflow.train.seqtrack import dataset_lengths

    record = args.dataset / "dataset.json"
    lengths = dataset_lengths(read_json_object(record, "dataset record"), record)
    tracks_table = read_table(args.dataset / "tracks.tsv", "track table", index_col=None)
    if "name" not in tracks_table.columns:
        raise RegflowError(f"track table {args.dataset / 'tracks.tsv'} has no name column")
    names = tracks_table["name"].astype(str).tolist()
    tracks = select_tracks(names, args.tracks)
    models = [load_seqtrack(run, lengths, len(names)) for run in args.run]
    regions = seqtrack_regions(args.dataset, tracks, args.max_regions, lengths["seq_len"])
    makers = {SEQTRACK_HEAD: lambda m: TrackSum(m, tracks)}
    described = {
        "model": ", ".join(sorted({type(model).__name__ for model in models})),
        "heads": [SEQTRACK_HEAD],
        "tracks": [names[i] for i in tracks],
    }
    return models, makers, regions, described


def run(args: argparse.Namespace) -> None:
    import torch

    from regflow.expression.io import open_genome
    from regflow.interpret.deeplift import contribution_scores, delta_summary
    from regflow.io import npz_writer, write_outputs

    _check_options(args)
    torch.set_num_threads(args.threads)
    device = _device(args.device)
    started = time.perf_counter()
    models, makers, regions, described = _models_and_regions(args)
    with closing(open_genome(args.genome)) as fasta:
        chrom_sizes = dict(zip(fasta.references, fasta.lengths, strict=True))
        onehot = fetch_sequences(fasta, regions)  # (N, L, 4)
    n = len(onehot)
    log.info(
        "explaining %d regions of %d bp with %d run(s), heads %s, on %s",
        n,
        regions.length,
        len(models),
        ", ".join(makers),
        device,
    )
    hypothetical = {head: np.zeros(onehot.shape, np.float64) for head in makers}
    deltas: dict[str, dict[str, dict]] = {head: {} for head in makers}
    attribution_start = time.perf_counter()
    for run_dir, model in zip(args.run, models, strict=True):
        for head, make in makers.items():
            result = contribution_scores(
                make(model), onehot, args.n_shuffles, args.batch_size, device, args.seed
            )
            hypothetical[head] += result.hypothetical
            deltas[head][str(run_dir)] = delta_summary(result.deltas, result.differences)
            log.info("%s, %s: convergence deltas %s", run_dir, head, deltas[head][str(run_dir)])
    attribution_seconds = time.perf_counter() - attribution_start

    writers = {}
    for head, total in hypothetical.items():
        hyp = (total / len(models)).astype(np.float32)  # (N, L, 4), the runs' mean
        projected = (hyp * onehot).sum(axis=-1, dtype=np.float32)  # (N, L)
        writers[args.outdir / f"{head}.npz"] = npz_writer(
            {
                "one_hot": onehot,
                "hypothetical": hyp,
                "projected": projected,
                "chroms": regions.chroms.astype(str),
                "starts": regions.starts.astype(np.int64),
                "names": regions.names.astype(str),
            }
        )
        writers[args.outdir / f"{head}.bw"] = bigwig_writer(
            chrom_sizes, regions.chroms, regions.starts, projected
        )
    explained = n * len(models) * len(makers)
    record = {
        "kind": args.kind,
        **described,
        "runs": [str(run) for run in args.run],
        "dataset": str(args.dataset),
        "genome": str(args.genome),
        "regions": {
            "selection": args.regions or ("peaks" if args.kind == "chrombpnet" else "all"),
            "max_regions": args.max_regions,
            "n": n,
            "length": regions.length,
        },
        "n_shuffles": args.n_shuffles,
        "seed": args.seed,
        "batch_size": args.batch_size,
        "device": _device_description(device),
        "bigwig_overlaps": "mean of the windows covering a base",
        "timing": {
            "attribution_seconds": attribution_seconds,
            "total_seconds": time.perf_counter() - started,
        },
        "contributions_per_second": explained / max(attribution_seconds, 1e-9),
        "contributions_per_second_note": (
            "sequences explained (each against n_shuffles references) per second, over every "
            "run and head"
        ),
        "convergence_deltas": deltas,
        "convergence_delta_note": (
            "|sum of projected contributions - the output difference they explain| per "
            "sequence, over its references (see regflow.interpret.deeplift)"
        ),
    }
    writers[args.outdir / "contributions.json"] = lambda tmp: Path(tmp).write_text(
        json.dumps(record, indent=2) + "\n", encoding="utf-8"
    )
    write_outputs(writers)
    log.info("wrote %s", args.outdir)


def read_contributions(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a ``<head>.npz`` this command wrote, checked for shape."""
    from regflow.io import read_npz

    keys = ("one_hot", "hypothetical", "projected", "chroms", "starts", "names")
    arrays = read_npz(path, keys, "contributions")
    n, length = arrays["projected"].shape if arrays["projected"].ndim == 2 else (-1, -1)
    if arrays["one_hot"].shape != (n, length, 4) or arrays["hypothetical"].shape != (n, length, 4):
        raise RegflowError(
            f"contributions {path}: one_hot {arrays['one_hot'].shape}, hypothetical "
            f"{arrays['hypothetical'].shape} and projected {arrays['projected'].shape} disagree"
        )
    return arrays
