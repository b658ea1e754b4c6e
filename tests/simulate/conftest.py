"""A small simulated dataset per seed, built once per test session through the CLI."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from regflow.cli import main
from regflow.config import load_config

REPO = Path(__file__).resolve().parents[2]
SMALL = {
    "simulate": {
        "genome": {"chromosome_lengths": [220000, 180000], "repeats": {"copies": 2}},
        "atac": {"fragments": 40000},
        "mnase": {"fragments": 80000},
        "rna": {"fragments": 30000},
    }
}
SAMPLES = {  # sample: (assay, condition, paired)
    "atac_cellA_r1": ("atac", "cellA", True),
    "mnase_0min_r1": ("mnase", "0min", True),
    "rna_0min_r1": ("rna", "0min", False),
    "rna_cellB_r1": ("rna", "cellB", True),
}


@dataclass(frozen=True)
class SimRun:
    cfg: dict
    outdir: Path

    def fastq(self, sample: str, mate: int = 1) -> Path:
        return self.outdir / "fastq" / f"{sample}_R{mate}.fastq.gz"


def small_config(seed: int, extra: dict | None = None) -> dict:
    """The demo's simulate config shrunk for tests, with ``seed``."""
    overrides = {"simulate": dict(SMALL["simulate"], seed=seed)}
    cfg = load_config(REPO / "config" / "config.yaml", overrides)["simulate"]
    if extra:
        from regflow.config import merge

        cfg = merge(cfg, extra)
    return cfg


def run_simulation(cfg: dict, outdir: Path, samples: dict = SAMPLES) -> SimRun:
    """Simulate the truth and ``samples`` with the ``regflow simulate`` CLI."""
    assert (
        main(["simulate", "truth", "--config-json", json.dumps(cfg), "--outdir", str(outdir)]) == 0
    )
    run = SimRun(cfg, outdir)
    for sample, (assay, condition, paired) in samples.items():
        sub = {"seed": cfg["seed"], "sequencing": cfg["sequencing"], assay: cfg[assay]}
        args = [
            "simulate",
            "reads",
            "--config-json",
            json.dumps(sub),
            "--truth-dir",
            str(outdir),
            "--sample",
            sample,
            "--assay",
            assay,
            "--condition",
            condition,
            "--fastq-1",
            str(run.fastq(sample, 1)),
        ]
        if paired:
            args += ["--fastq-2", str(run.fastq(sample, 2))]
        assert main(args) == 0
    return run


# Property tests run for two seeds; REGFLOW_TEST_SEEDS="3,4,5" checks others.
SEEDS = [int(s) for s in os.environ.get("REGFLOW_TEST_SEEDS", "1,2").split(",")]


@pytest.fixture(scope="session", params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def simulated(request, tmp_path_factory) -> SimRun:
    """Truth plus one ATAC, one MNase and two RNA samples, for each seed of SEEDS."""
    seed = request.param
    return run_simulation(small_config(seed), tmp_path_factory.mktemp(f"sim_seed{seed}"))


def read_fastq(path: Path) -> tuple[list[str], np.ndarray]:
    """Names and bases (n, length) uint8 ASCII of a gzipped FASTQ with reads of one length."""
    with gzip.open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    names = [n[1:].decode() for n in lines[0::4] if n]
    seqs = np.frombuffer(b"".join(lines[1::4]), np.uint8).reshape(len(names), -1)
    return names, seqs
