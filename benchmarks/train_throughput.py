"""Training throughput of the models: samples/s, the data pipeline's share and FLOP utilisation.

Run by hand from the repository root (no demo run needed: the data are synthetic)::

    .venv/bin/python benchmarks/train_throughput.py [--models vit get chrombpnet seqtrack]
        [--sizes tiny paper] [--steps N] [--warmup W] [--batch-size-vit B] [--batch-size-get B]
        [--batch-size-chrombpnet B] [--batch-size-seqtrack B] [--window R] [--n-features 283]
        [--n-tracks T] [--peak-tflops X] [--threads T]
        [--output results/benchmarks/train_throughput.tsv]

(``PYTHONPATH=workflow python benchmarks/train_throughput.py`` works too where regflow is not
installed into the interpreter.) ``--models`` takes ``vit``, ``get``, ``chrombpnet``,
``seqtrack`` (all five sequence-to-track models of ``regflow.models.seqtrack.MODEL_NAMES``) and
single ones as ``seqtrack:<name>`` (e.g. ``seqtrack:swin``), which is also how the ``model``
column names them. Defaults depend on the device: on a CPU the tiny sizes only, 5 timed steps
after 2 warm-up steps and batches of 16 (ViT), 2 (GET), 16 (ChromBPNet) and 8 (sequence-to-track;
1 for sizes other than tiny), which finish in well under a minute on a 2-core machine; on a GPU
the sizes tiny and paper, 50 timed steps after 10 and the training's batch sizes (the schema's
``<model>.optim.batch_size``). Paper sizes on a CPU are asked for with ``--sizes tiny paper``
(or ``--sizes paper``): ViT and GET at both sizes take about three minutes on an idle 2-core
machine, but there a paper ChromBPNet step of 16 regions takes about 20 s and a paper
sequence-to-track step of one 131,072-bp window 15-30 s (the CNNs, Swin) to 2 minutes
(Enformer), and every measurement runs the steps twice plus the FLOP count; so name the
models too, e.g.::

    .venv/bin/python benchmarks/train_throughput.py --models vit get --sizes tiny paper

On a machine with a CUDA GPU::

    .venv/bin/python benchmarks/train_throughput.py --sizes tiny paper --steps 50 --warmup 10

and, to see how far larger batches fill the GPU (a second TSV)::

    .venv/bin/python benchmarks/train_throughput.py --sizes paper --steps 50 --warmup 10 \\
        --models vit get --batch-size-vit 512 --batch-size-get 64 \\
        --output results/benchmarks/train_throughput_large_batch.tsv

``--peak-tflops X`` gives the peak for a GPU missing from the table ``PEAK_TFLOPS`` below
(matched by name substring: an H100 PCIe, 756 TFLOP/s dense bf16, is counted at the SXM's 989,
and an A10G is counted at the A10's 125: pass its own).

For every model x size it builds the model from the size dict of ``<model>.sizes`` in
``workflow/schemas/config.schema.yaml``: the dual-channel ChromatinViT, one trunk per channel,
on images of the default MNase preset, 24 x 128; GETModel on windows of ``--window`` peaks of
``--n-features`` features; ChromBPNet (an accessibility BPNet on top of a frozen bias BPNet, the
size's ``accessibility`` and ``bias`` filters and layers with its ``out_len`` and kernels) on
the input length the accessibility model needs, jittered by up to 50 bp (tiny) or 500 bp
(other sizes, the reference's); each sequence-to-track model from the size's ``seq_len``,
``bin_size``, ``crop_bins`` and its own ``models.<name>`` parameters, predicting ``--n-tracks``
tracks (default: the demo's 23 for tiny, the 5313 human Basenji2/Enformer tracks otherwise),
on windows shifted by up to 3 bp. It wraps synthetic data of the training's shapes (random
one-hot sequences, Poisson counts) in the training's datasets (``ImagePairs``, ``PeakWindows``,
``JitteredRegions``, ``ShiftedWindows``, all with their augmentation where they have one) and a
``DataLoader`` (shuffled, no workers). Only the examples the timed and warm-up steps draw are
made, and at most about 1 GiB of them (the paper sequence-to-track targets are 19 MB per
window): the loader draws the steps' samples from that pool in shuffled passes, and the
pure-compute loop cycles through at most about 2 GiB of batches already on the device. It
measures, after ``--warmup`` untimed steps (``torch.cuda.synchronize`` around the timed ones):

- train: forward, the training loss (as in ``regflow.train.tasks``: MSE for the ViT, the
  masked Poisson NLL, ``poisson_nll_loss(log_input=False)``, for GET, the profile multinomial
  NLL + 10 x the log-count MSE, ``bpnet_loss``, for ChromBPNet and the Poisson NLL for the
  sequence-to-track models), backward and an AdamW step over the trainable parameters (not
  ChromBPNet's frozen bias model) on batches already on the device: pure compute;
- data: iterating the ``DataLoader`` and moving its batches to the device, nothing else;
- end-to-end: the ``DataLoader`` feeding training steps.

The device and precision are the training's ``auto`` choice (``regflow.train.device``): a CUDA
GPU when one is visible, with bf16 autocast (fp16 with a gradient scaler where bf16 is not
supported), else the CPU in fp32. ``parameters`` counts every parameter, ChromBPNet's frozen
bias model included. ``data_over_train`` = data / train samples/s: the data
pipeline is not the bottleneck when it is well above 1 and end-to-end is close to train.
FLOPs per sample come from ``torch.utils.flop_counter.FlopCounterMode`` over one forward +
backward of one batch (matmuls, convolutions and attention; the optimiser is not counted);
achieved TFLOP/s = FLOPs/sample x train samples/s, and MFU = achieved / peak, the peak being
``--peak-tflops`` or, on a GPU, the dense bf16 peak of its name in ``PEAK_TFLOPS`` (n/a on a
CPU without ``--peak-tflops``). It prints a table and writes it as a TSV to ``--output``; a
model x size that runs out of GPU memory (say, a paper sequence-to-track model at the schema's
batch size) is left out with a note to pass a smaller ``--batch-size-<model>``.

CPU timings need an otherwise idle machine: with other jobs on the cores, PyTorch's intra-op
threads wait for each other and a step can take 100 times longer (the script warns when the load
average is high before it starts; ``--threads 1`` is then the steadier measure).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import yaml
from torch.utils.data import DataLoader, RandomSampler
from torch.utils.flop_counter import FlopCounterMode

from regflow.datasets.get import peak_windows
from regflow.mnase.layout import PRESETS
from regflow.models.bpnet import BPNet, BPNetConfig, ChromBPNet, bpnet_loss, required_input_length
from regflow.models.get import GETConfig, GETModel
from regflow.models.seqtrack import MODEL_NAMES as SEQTRACK_NAMES
from regflow.models.seqtrack import build_model, output_bins
from regflow.models.vit import ChromatinViT, ViTConfig
from regflow.train.data import ImagePairs, JitteredRegions, PeakWindows, ShiftedWindows
from regflow.train.device import plan_device
from regflow.train.tasks import masked_poisson

SCHEMA = Path(__file__).resolve().parents[1] / "workflow" / "schemas" / "config.schema.yaml"
GET_FEATURES = 283  # GET's region features: 282 motif clusters + accessibility
GET_WINDOWS = {"tiny": 32, "paper": 200}  # peaks per window when --window is not given
KINDS = ("vit", "get", "chrombpnet", "seqtrack")  # schema sections; seqtrack holds five models
MODEL_CHOICES = (*KINDS, *(f"seqtrack:{name}" for name in SEQTRACK_NAMES))
# default batch sizes on a CPU (the schema's on a GPU); per size where a size name is given
CPU_BATCH = {"vit": 16, "get": 2, "chrombpnet": 16, "seqtrack": {"tiny": 8, "paper": 1}}
CHROMBPNET_JITTER = {"tiny": 50, "paper": 500}  # bp of jitter (the reference: 500)
CHROMBPNET_COUNT_WEIGHT = 10.0  # weight of the log-count MSE in the ChromBPNet loss
SEQTRACK_TRACKS = {"tiny": 23, "paper": 5313}  # the demo's tracks; Basenji2/Enformer human
SEQTRACK_SHIFT = 3  # bp of shift augmentation
POOL_BYTES = 2**30  # most bytes of synthetic examples per case; the loader draws from them
DEVICE_BYTES = 2**31  # most bytes of pre-materialised batches on the device; cycled through
CPU_STEPS, CPU_WARMUP = 5, 2  # default timed and warm-up steps on a CPU ...
GPU_STEPS, GPU_WARMUP = 50, 10  # ... and on a GPU
VIT_CONDITIONS = 6  # synthetic time course: condition 0 is the first channel's baseline
# the data pipeline is not the bottleneck when data / train samples/s >= DATA_MARGIN and
# end-to-end samples/s >= E2E_SHARE x train samples/s
DATA_MARGIN, E2E_SHARE = 2.0, 0.85
# dense bf16 tensor-core peaks (TFLOP/s, no sparsity) by GPU name substring, first match wins
PEAK_TFLOPS = (
    ("H100", 989.0),
    ("H200", 989.0),
    ("A100", 312.0),
    ("L40S", 362.0),
    ("A10", 125.0),
    ("V100", 125.0),  # fp16: no bf16 tensor cores
)
COLUMNS = (
    "model",
    "size",
    "device",
    "precision",
    "batch_size",
    "parameters",
    "train_samples_per_s",
    "data_samples_per_s",
    "end_to_end_samples_per_s",
    "data_over_train",
    "gflops_per_sample",
    "achieved_tflops",
    "mfu",
)


@dataclass(frozen=True)
class Settings:
    """What the schema says: model sizes, training batch sizes and the image shape."""

    sizes: dict[str, dict[str, dict]]  # kind (schema section) -> size name -> size dict
    batch_size: dict[str, int]  # kind -> optim.batch_size default
    image_shape: tuple[int, int]  # rows, columns of the default MNase preset


def read_schema(path: Path = SCHEMA) -> Settings:
    """Model sizes, batch sizes and image shape from the config schema's defaults."""
    props = yaml.safe_load(path.read_text())["properties"]
    sizes, batch = {}, {}
    for kind in KINDS:
        section = props[kind]["properties"]
        sizes[kind] = section["sizes"]["default"]
        batch[kind] = section["optim"]["properties"]["batch_size"]["default"]
    layout = PRESETS[props["mnase"]["properties"]["preset"]["default"]]
    return Settings(sizes, batch, (layout.n_rows, layout.columns))


def vit_case(size: dict, n: int, image_shape: tuple[int, int], rng: np.random.Generator):
    """Dual-channel ViT (one trunk per channel) and ``n`` synthetic examples."""
    rows, cols = image_shape
    config = ViTConfig.from_dict(
        {**size, "image_height": rows, "image_width": cols, "channels": 2, "shared_trunk": False}
    )
    n_genes = math.ceil(n / (VIT_CONDITIONS - 1))
    # (n_genes, n_conditions, H, W), standardised log counts as the training normalises them
    images = rng.standard_normal((n_genes, VIT_CONDITIONS, rows, cols), dtype=np.float32)
    gene, condition = np.divmod(np.arange(n), VIT_CONDITIONS - 1)
    targets = rng.standard_normal(n, dtype=np.float32)  # z-scored targets
    dataset = ImagePairs(images, gene, condition + 1, targets, first_condition=0)
    return ChromatinViT(config), dataset


def get_case(size: dict, n: int, window: int, n_features: int, rng: np.random.Generator):
    """GETModel and ``n`` synthetic training windows (stride 1 over one chromosome)."""
    config = GETConfig.from_dict({**size, "n_features": n_features})
    n_peaks = n + window - 1
    features = rng.random((1, n_peaks, n_features), dtype=np.float32)  # scores, accessibility
    labels = 3 * rng.random((1, n_peaks, 2), dtype=np.float32)  # log10(TPM + 1) per strand
    windows = peak_windows(np.full(n_peaks, "chr1"), window, 1)  # (n, window)
    dataset = PeakWindows(features, labels, windows, np.zeros(len(windows), dtype=np.int64))
    return GETModel(config), dataset


def one_hot(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Random one-hot DNA ``(*shape, 4)`` uint8, bases uniform."""
    return np.eye(4, dtype=np.uint8)[rng.integers(0, 4, shape)]


def pool_size(n: int, bytes_per_example: int) -> int:
    """Synthetic examples to make: the ``n`` the steps draw, at most ``POOL_BYTES`` of them."""
    return max(1, min(n, POOL_BYTES // bytes_per_example))


def chrombpnet_case(size: dict, n: int, jitter: int, rng: np.random.Generator):
    """ChromBPNet (accessibility BPNet on a frozen bias BPNet) and synthetic jittered regions."""
    lengths = {k: size[k] for k in ("out_len", "conv1_kernel", "profile_kernel")}
    accessibility, bias = (
        BPNet(BPNetConfig.from_dict({**size[which], **lengths}))
        for which in ("accessibility", "bias")
    )
    in_len = required_input_length(
        size["out_len"],
        size["accessibility"]["layers"],
        size["conv1_kernel"],
        size["profile_kernel"],
    )
    width, out_width = in_len + 2 * jitter, size["out_len"] + 2 * jitter
    n = pool_size(n, 4 * width + 4 * out_width)
    sequences = one_hot(rng, (n, width))  # (n, in_len + 2 jitter, 4)
    counts = rng.poisson(1.0, (n, out_width)).astype(np.float32)  # Tn5 insertions per base
    dataset = JitteredRegions(sequences, counts, in_len, size["out_len"], jitter, augment=True)
    return ChromBPNet(accessibility, bias), dataset


def seqtrack_case(name: str, size: dict, n: int, n_tracks: int, rng: np.random.Generator):
    """Sequence-to-track model ``name`` and synthetic shifted windows with binned targets."""
    lengths = {k: size[k] for k in ("seq_len", "bin_size", "crop_bins")}
    model = build_model(name, size["models"][name], **lengths, n_tracks=n_tracks)
    bins = output_bins(**lengths)
    width = size["seq_len"] + 2 * SEQTRACK_SHIFT
    n = pool_size(n, 4 * width + 4 * bins * n_tracks)
    sequences = one_hot(rng, (n, width))  # (n, seq_len + 2 shift, 4)
    targets = rng.poisson(2.0, (n, bins, n_tracks)).astype(np.float32)  # (n, bins, T)
    dataset = ShiftedWindows(sequences, targets, size["seq_len"], SEQTRACK_SHIFT, augment=True)
    return model, dataset


def loss_of(model_name: str, model: torch.nn.Module, batch) -> torch.Tensor:
    """The training loss of one batch (as in ``regflow.train.tasks``)."""
    kind = model_name.split(":")[0]
    if kind == "vit":
        x, y = batch
        return F.mse_loss(model(x).float(), y)
    if kind == "get":
        x, y, valid = batch
        return masked_poisson(model(x), y, valid)
    if kind == "chrombpnet":
        x, counts = batch
        logits, log_counts = model(x)
        return bpnet_loss(logits.float(), log_counts.float(), counts, CHROMBPNET_COUNT_WEIGHT)[0]
    x, y = batch
    return F.poisson_nll_loss(model(x).float(), y, log_input=False)


class Trainer:
    """One model's training step: autocast forward + loss, (scaled) backward, AdamW step."""

    def __init__(self, model_name: str, model: torch.nn.Module, device, dtype) -> None:
        self.model_name, self.model, self.device, self.dtype = model_name, model, device, dtype
        trainable = [p for p in model.parameters() if p.requires_grad]  # not a frozen bias
        self.optimizer = torch.optim.AdamW(trainable, lr=1e-4, weight_decay=0.05)
        self.scaler = torch.amp.GradScaler(device.type, enabled=dtype is torch.float16)

    def loss(self, batch) -> torch.Tensor:
        with torch.autocast(self.device.type, dtype=self.dtype, enabled=self.dtype is not None):
            return loss_of(self.model_name, self.model, batch)

    def step(self, batch) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(self.loss(batch)).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()

    def flops_per_sample(self, batch) -> float:
        """Forward + backward FLOPs of one batch over its size (no optimiser step)."""
        self.optimizer.zero_grad(set_to_none=True)
        with FlopCounterMode(display=False) as counter:
            self.scaler.scale(self.loss(batch)).backward()
        self.optimizer.zero_grad(set_to_none=True)
        return counter.get_total_flops() / len(batch[0])


def to_device(batch, device) -> tuple[torch.Tensor, ...]:
    return tuple(t.to(device) for t in batch)


def nbytes(batch) -> int:
    return sum(t.element_size() * t.nelement() for t in batch)


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(batches, warmup: int, device, work) -> float:
    """Samples/s of ``work(batch)`` over the batches after the first ``warmup``."""
    it = iter(batches)
    for _ in range(warmup):
        work(next(it))
    sync(device)
    start, n = time.perf_counter(), 0
    for batch in it:
        n += len(work(batch)[0])
    sync(device)
    return n / (time.perf_counter() - start)


def peak_tflops(device, override: float | None) -> tuple[float | None, str]:
    """The peak to divide by and where it came from: ``--peak-tflops``, else the table's for
    a GPU (first name substring that matches), else None."""
    if override is not None:
        return override, "--peak-tflops"
    if device.type != "cuda":
        return None, "no peak for a CPU; give --peak-tflops"
    name = torch.cuda.get_device_name(device)
    for key, peak in PEAK_TFLOPS:
        if key in name:
            return peak, f"dense tensor-core peak of {key}, from the table"
    return None, f"{name} is not in the table; give --peak-tflops"


def measure(
    model_name: str,
    size_name: str,
    args,
    settings: Settings,
    device,
    precision: str,
    peak: float | None,
) -> dict:
    """One row of the table: build, time the three loops, count FLOPs."""
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    kind, _, name = model_name.partition(":")  # "seqtrack:swin" -> seqtrack, swin
    batch_size = getattr(args, f"batch_size_{kind}") or (
        settings.batch_size[kind] if device.type == "cuda" else cpu_batch_size(kind, size_name)
    )
    n_batches = args.warmup + args.steps
    n = batch_size * n_batches
    size = settings.sizes[kind][size_name]
    if kind == "vit":
        model, dataset = vit_case(size, n, settings.image_shape, rng)
    elif kind == "get":
        window = args.window or GET_WINDOWS.get(size_name, GET_WINDOWS["paper"])
        model, dataset = get_case(size, n, window, args.n_features, rng)
    elif kind == "chrombpnet":
        jitter = CHROMBPNET_JITTER.get(size_name, CHROMBPNET_JITTER["paper"])
        model, dataset = chrombpnet_case(size, n, jitter, rng)
    else:
        n_tracks = args.n_tracks or SEQTRACK_TRACKS.get(size_name, SEQTRACK_TRACKS["paper"])
        model, dataset = seqtrack_case(name, size, n, n_tracks, rng)
    model = model.to(device).train()
    dtype = {"bf16-mixed": torch.bfloat16, "16-mixed": torch.float16}.get(precision)
    trainer = Trainer(model_name, model, device, dtype)
    # shuffled passes over the examples until the steps' n samples are drawn
    sampler = RandomSampler(dataset, num_samples=n)
    loader = DataLoader(dataset, batch_size=batch_size, sampler=sampler, num_workers=0)

    distinct = []  # pre-materialised on the device (at most DEVICE_BYTES): pure compute
    for batch in loader:
        distinct.append(to_device(batch, device))
        if len(distinct) * nbytes(batch) >= DEVICE_BYTES:
            break
    on_device = list(itertools.islice(itertools.cycle(distinct), n_batches))
    flops = trainer.flops_per_sample(on_device[0])

    def train(batch):
        trainer.step(batch)
        return batch

    def data(batch):
        return to_device(batch, device)

    def end_to_end(batch):
        return train(data(batch))

    train_rate = timed(on_device, args.warmup, device, train)
    data_rate = timed(loader, args.warmup, device, data)
    e2e_rate = timed(loader, args.warmup, device, end_to_end)
    achieved = flops * train_rate / 1e12
    return {
        "model": model_name,
        "size": size_name,
        "device": device.type,
        "precision": precision,
        "batch_size": batch_size,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_samples_per_s": train_rate,
        "data_samples_per_s": data_rate,
        "end_to_end_samples_per_s": e2e_rate,
        "data_over_train": data_rate / train_rate,
        "gflops_per_sample": flops / 1e9,
        "achieved_tflops": achieved,
        "mfu": achieved / peak if peak else "n/a",
    }


def cpu_batch_size(kind: str, size_name: str) -> int:
    """The default batch size on a CPU: ``CPU_BATCH``'s, by size where it has one per size
    (a size it does not name takes the smallest)."""
    batch = CPU_BATCH[kind]
    return batch.get(size_name, min(batch.values())) if isinstance(batch, dict) else batch


def expand_models(models: list[str]) -> list[str]:
    """``--models`` with ``seqtrack`` spelled out as its five ``seqtrack:<name>``, duplicates
    dropped, order kept."""
    names = (
        [f"seqtrack:{name}" for name in SEQTRACK_NAMES] if m == "seqtrack" else [m] for m in models
    )
    return list(dict.fromkeys(itertools.chain.from_iterable(names)))


def fmt(value, digits: int = 4) -> str:
    """Floats to ``digits`` significant digits; integers and strings as they are."""
    return f"{value:.{digits}g}" if isinstance(value, float) else str(value)


def print_table(rows: list[dict]) -> None:
    cells = [list(COLUMNS)] + [[fmt(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(COLUMNS))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) if k else c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print()
    for r in rows:
        share = r["end_to_end_samples_per_s"] / r["train_samples_per_s"]
        if r["data_over_train"] < DATA_MARGIN:
            verdict = "the data pipeline may limit training"
        elif share >= E2E_SHARE:
            verdict = "the data pipeline is not the bottleneck"
        else:
            verdict = "the data pipeline is fast, yet end-to-end lags: noise? try more --steps"
        print(
            f"{r['model']} {r['size']}: data {r['data_over_train']:.3g}x compute, "
            f"end-to-end {share:.0%} of compute: {verdict}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models",
        nargs="+",
        choices=MODEL_CHOICES,
        default=list(KINDS),
        metavar="MODEL",
        help=f"of {', '.join(MODEL_CHOICES)}; seqtrack: all five (default: {' '.join(KINDS)})",
    )
    parser.add_argument(
        "--sizes", nargs="+", help="schema size names (default: tiny on a CPU, tiny paper on a GPU)"
    )
    parser.add_argument(
        "--steps",
        type=int,
        help=f"timed steps (default: {CPU_STEPS} on a CPU, {GPU_STEPS} on a GPU)",
    )
    parser.add_argument(
        "--warmup",
        type=int,
        help=f"untimed steps first (default: {CPU_WARMUP} on a CPU, {GPU_WARMUP} on a GPU)",
    )
    parser.add_argument(
        "--batch-size-vit",
        type=int,
        help=f"default: {CPU_BATCH['vit']} on a CPU, vit.optim.batch_size on a GPU",
    )
    parser.add_argument(
        "--batch-size-get",
        type=int,
        help=f"default: {CPU_BATCH['get']} on a CPU, get.optim.batch_size on a GPU",
    )
    parser.add_argument(
        "--batch-size-chrombpnet",
        type=int,
        help=f"default: {CPU_BATCH['chrombpnet']} on a CPU, chrombpnet.optim.batch_size on a GPU",
    )
    parser.add_argument(
        "--batch-size-seqtrack",
        type=int,
        help="every sequence-to-track model (default: 8 on a CPU for tiny, 1 for other sizes; "
        "seqtrack.optim.batch_size on a GPU)",
    )
    parser.add_argument(
        "--window", type=int, help="GET peaks per window (default: 200 for paper, 32 for tiny)"
    )
    parser.add_argument("--n-features", type=int, default=GET_FEATURES, help="GET features")
    parser.add_argument(
        "--n-tracks",
        type=int,
        help="sequence-to-track output tracks (default: 23 for tiny, 5313 for paper)",
    )
    parser.add_argument("--peak-tflops", type=float, help="peak TFLOP/s for the MFU")
    parser.add_argument(
        "--threads", type=int, help="CPU threads for PyTorch (default: its own, one per core)"
    )
    parser.add_argument(
        "--output", type=Path, default=Path("results/benchmarks/train_throughput.tsv")
    )
    args = parser.parse_args(argv)
    if (args.steps is not None and args.steps < 1) or (args.warmup is not None and args.warmup < 1):
        parser.error("--steps and --warmup must be >= 1")
    for option in (*(f"batch_size_{kind}" for kind in KINDS), "window", "n_tracks"):
        if getattr(args, option) is not None and getattr(args, option) < 1:
            parser.error(f"--{option.replace('_', '-')} must be >= 1")
    args.models = expand_models(args.models)

    if args.threads is not None:
        if args.threads < 1:
            parser.error("--threads must be >= 1")
        torch.set_num_threads(args.threads)
    settings = read_schema()
    plan = plan_device("auto", 1, "auto", "auto")
    device = torch.device("cuda" if plan.accelerator == "gpu" else "cpu")
    if args.sizes is None:
        args.sizes = ["tiny", "paper"] if device.type == "cuda" else ["tiny"]
    for model_name in args.models:
        kind, _, name = model_name.partition(":")
        sizes = settings.sizes[kind]
        unknown = sorted(set(args.sizes) - set(sizes))
        if unknown:
            parser.error(
                f"{model_name} has no size {', '.join(unknown)} (schema: {', '.join(sizes)})"
            )
        lacking = [s for s in args.sizes if name and name not in sizes[s]["models"]]
        if lacking:
            parser.error(f"seqtrack size {', '.join(lacking)} has no parameters for {name}")
    if args.steps is None:
        args.steps = GPU_STEPS if device.type == "cuda" else CPU_STEPS
    if args.warmup is None:
        args.warmup = GPU_WARMUP if device.type == "cuda" else CPU_WARMUP
    peak, source = peak_tflops(device, args.peak_tflops)
    print(f"device: {plan.description}; torch {torch.__version__}")
    print(f"peak for the MFU: {f'{fmt(peak)} TFLOP/s' if peak else 'n/a'} ({source})")
    print(f"{args.warmup} warm-up + {args.steps} timed steps per measurement")
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    if device.type == "cpu" and load > cores - 0.5:
        print(
            f"warning: load average {load:.1f} on {cores} cores before starting: other jobs "
            "share the CPU and PyTorch's threads wait for each other, so CPU timings can be far "
            "too low and noisy (try --threads 1, or an idle machine)"
        )
    print()

    rows = []
    for model_name in args.models:
        for size_name in args.sizes:
            try:
                row = measure(model_name, size_name, args, settings, device, plan.precision, peak)
            except torch.OutOfMemoryError:  # a paper model at the schema's batch size
                kind = model_name.partition(":")[0]
                print(
                    f"{model_name} {size_name}: out of GPU memory, left out of the table "
                    f"(try a smaller --batch-size-{kind})"
                )
            else:
                rows.append(row)
            if device.type == "cuda":
                torch.cuda.empty_cache()
    print_table(rows)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    with args.output.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows([fmt(r[c], 6) for c in COLUMNS] for r in rows)
    print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
