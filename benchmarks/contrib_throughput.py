"""Contribution-score throughput of the paper-size ChromBPNet: regions/s and the time for a
whole peak set.

Run by hand from the repository root (no demo run needed: weights and sequences are random)::

    .venv/bin/python benchmarks/contrib_throughput.py [--regions N] [--n-shuffles 20]
        [--batch-size B] [--heads counts profile] [--model corrected] [--devices cpu cuda]
        [--bf16] [--check] [--threads T] [--output results/benchmarks/contrib_throughput.json]

(``PYTHONPATH=workflow python benchmarks/contrib_throughput.py`` works too where regflow is not
installed into the interpreter.) It builds ChromBPNet at the reference's size (accessibility
BPNet 512 filters x 8 layers, bias BPNet 128 x 4, 1000-bp output, hence 2114 bp in; random
weights: the arithmetic does not depend on them) and explains random one-hot sequences with
``regflow.interpret.deeplift.contribution_scores``: DeepLIFT/SHAP against ``--n-shuffles``
dinucleotide shuffles per sequence (20, as the reference), hypothetical contributions, for
each head of ``--heads`` (default the counts head) of the ``--model`` prediction. Each device
of ``--devices`` (default: the CPU, and the GPU when one is visible) runs a warm-up region
first, then ``--regions`` timed regions (default 2 on a CPU, where one region takes tens of
seconds on two cores, and 512 on a GPU) in batches of ``--batch-size`` sequence-reference
pairs (default 40 on a CPU, 640 on a GPU). ``--bf16`` runs the GPU passes under bf16
autocast; ``--check`` adds the convergence-delta pass (about a sixth more work) and reports
its summary.

It prints, per device and head, regions/s, the FLOPs of one region (convolutions and matmuls
of the forward and backward passes, ``torch.utils.flop_counter``) and the rate they are done at,
and the time 330,000 regions would take (a large ChromBPNet peak set) against two marks: the
about 10 hours users report for the reference's contribution step on one GPU
(kundajelab/chrombpnet issue #166) and the goal of under 15 minutes on one modern GPU;
``--output`` also writes the rows as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from regflow.interpret.choices import CHROMBPNET_HEADS, CHROMBPNET_MODELS
from regflow.interpret.deeplift import (
    chrombpnet_wrapper,
    contribution_scores,
    delta_summary,
)
from regflow.models.bpnet import BPNet, BPNetConfig, ChromBPNet

PAPER = {"out_len": 1000, "conv1_kernel": 21, "profile_kernel": 75}
ACCESSIBILITY = {"filters": 512, "layers": 8}
BIAS = {"filters": 128, "layers": 4}
PEAK_SET = 330_000  # regions of a large ChromBPNet peak set
ANCHOR_HOURS = 10.0  # reported for the reference on one GPU (chrombpnet issue #166)
GOAL_MINUTES = 15.0
DEFAULTS = {"cpu": {"regions": 2, "batch_size": 40}, "cuda": {"regions": 512, "batch_size": 640}}


def paper_chrombpnet() -> ChromBPNet:
    """ChromBPNet at the reference's size with random weights (seeded), in eval mode."""
    torch.manual_seed(0)
    accessibility = BPNet(BPNetConfig(**ACCESSIBILITY, **PAPER))
    bias = BPNet(BPNetConfig(**BIAS, **PAPER))
    return ChromBPNet(accessibility, bias).eval()


def random_onehot(n: int, length: int, seed: int = 0) -> np.ndarray:
    """``(n, length, 4)`` uint8 one-hot with uniform bases."""
    rng = np.random.default_rng(seed)
    return np.eye(4, dtype=np.uint8)[rng.integers(0, 4, (n, length))]


def flops_per_region(wrapper, length: int, n_shuffles: int) -> float:
    """FLOPs of one region: forward and input-gradient backward of a sequence and its reference
    (DeepLIFT's batch of two), times ``n_shuffles``; convolutions and matmuls only (the
    rescale rules add elementwise work), counted by ``torch.utils.flop_counter``."""
    import copy

    from torch.utils.flop_counter import FlopCounterMode

    frozen = copy.deepcopy(wrapper).cpu().requires_grad_(False)  # no weight gradients
    x = torch.from_numpy(random_onehot(2, length)).float().transpose(1, 2).requires_grad_()
    with FlopCounterMode(display=False) as counter:
        frozen(x).sum().backward()
    return float(counter.get_total_flops()) * n_shuffles


def measure(model, head: str, which: str, device: str, args) -> dict:
    """Time ``args.regions`` regions after one warm-up region on ``device``."""
    defaults = DEFAULTS[device]
    n = args.regions or defaults["regions"]
    batch = args.batch_size or defaults["batch_size"]
    dtype = torch.bfloat16 if args.bf16 and device == "cuda" else None
    wrapper = chrombpnet_wrapper(model, which, head)
    x = random_onehot(n + 1, model.input_length)

    def explain(sequences: np.ndarray):
        return contribution_scores(
            wrapper,
            sequences,
            args.n_shuffles,
            batch,
            device,
            seed=0,
            check=args.check,
            dtype=dtype,
        )

    explain(x[:1])  # warm-up: cuDNN autotuning, allocator, first-call costs
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    result = explain(x[1:])
    if device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    rate = n / seconds
    peak_minutes = PEAK_SET / rate / 60
    flops = flops_per_region(wrapper, model.input_length, args.n_shuffles)
    row = {
        "device": device if device == "cpu" else torch.cuda.get_device_name(0),
        "precision": "bf16 autocast" if dtype is not None else "fp32",
        "model": which,
        "head": head,
        "regions": n,
        "n_shuffles": args.n_shuffles,
        "batch_size": batch,
        "seconds": seconds,
        "regions_per_s": rate,
        "pairs_per_s": rate * args.n_shuffles,
        "tflops_per_region": flops / 1e12,
        "achieved_tflops": flops * rate / 1e12,
        "minutes_for_330k": peak_minutes,
        "speedup_vs_10h_anchor": ANCHOR_HOURS * 60 / peak_minutes,
        "meets_15_min_goal": peak_minutes < GOAL_MINUTES,
    }
    if args.check:
        row["convergence_deltas"] = delta_summary(result.deltas, result.differences)
    return row


def print_table(rows: list[dict]) -> None:
    columns = (
        "device",
        "precision",
        "head",
        "regions",
        "batch_size",
        "regions_per_s",
        "tflops_per_region",
        "achieved_tflops",
        "minutes_for_330k",
        "speedup_vs_10h_anchor",
        "meets_15_min_goal",
    )
    cells = [list(columns)] + [
        [f"{r[c]:.4g}" if isinstance(r[c], float) else str(r[c]) for c in columns] for r in rows
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    for k, row in enumerate(cells):
        print("  ".join(c.rjust(w) if k else c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print(
        f"\n{PEAK_SET:,} regions; anchor: about {ANCHOR_HOURS:g} h for the reference on one GPU "
        f"(chrombpnet #166); goal: < {GOAL_MINUTES:g} min on one modern GPU"
    )
    for r in rows:
        if "convergence_deltas" in r:
            print(f"{r['device']} {r['head']}: convergence deltas {r['convergence_deltas']}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", type=int, help="timed regions (default: 2 CPU, 512 GPU)")
    parser.add_argument("--n-shuffles", type=int, default=20, help="references per region")
    parser.add_argument(
        "--batch-size", type=int, help="sequence-reference pairs per pass (40 CPU, 640 GPU)"
    )
    parser.add_argument("--heads", nargs="+", choices=CHROMBPNET_HEADS, default=["counts"])
    parser.add_argument("--model", choices=CHROMBPNET_MODELS, default="corrected")
    parser.add_argument("--devices", nargs="+", choices=("cpu", "cuda"), help="default: all")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast on the GPU")
    parser.add_argument("--check", action="store_true", help="also the convergence deltas")
    parser.add_argument("--threads", type=int, help="CPU threads for PyTorch")
    parser.add_argument("--output", type=Path, help="write the rows as JSON")
    args = parser.parse_args(argv)
    for name in ("regions", "n_shuffles", "batch_size", "threads"):
        if getattr(args, name) is not None and getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = args.devices or ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]
    if "cuda" in devices and not torch.cuda.is_available():
        parser.error("--devices cuda, but no CUDA GPU is visible to PyTorch")
    load, cores = os.getloadavg()[0], os.cpu_count() or 1
    print(f"torch {torch.__version__}; CPU threads {torch.get_num_threads()}; load {load:.1f}")
    if "cpu" in devices and load > cores - 0.5:
        print("warning: the CPU is busy; CPU timings will be too low and noisy")
    model = paper_chrombpnet()
    print(
        f"ChromBPNet: {sum(p.numel() for p in model.parameters()):,} parameters, input "
        f"{model.input_length} bp\n"
    )
    rows = [measure(model, head, args.model, d, args) for d in devices for head in args.heads]
    print_table(rows)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"\nwrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
