"""Every benchmark in one table: each stage against its reference tool, a 1,000-sample dry run,
the demo end to end on this machine, and GPU throughput when a GPU is present.

Run from the repository root after a demo run (the stage benchmarks time the demo's own data)::

    .venv/bin/python benchmarks/run_all.py [--only NAME ...] [--demo] [--repeats N]
        [--output results/benchmarks/summary]

Benchmarks (``--only`` picks some): ``bigwig`` (regflow bigwig vs deeptools bamCoverage),
``motif_scan`` (regflow's scanner vs memelite and MOODS), ``mnase_images`` (fragments/s, no
reference tool), ``dryrun_1000`` (``snakemake -n`` of a 1,000-sample sheet, goal < 30 s),
``demo`` (only with ``--demo``: a fresh clone's ``scripts/setup.sh`` and then the whole demo,
goal <= 15 min on 2 cores) and, on a GPU only, ``gpu_train`` and ``gpu_contrib`` (paper-size
training steps/s and ChromBPNet contributions/s, in bf16). Each writes its own outputs under
``<output>.d/<name>/``; the table goes to ``<output>.tsv`` and ``<output>.md`` and is printed.
Times are medians; the machine is noisy, so compare ratios within one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
COLUMNS = ["benchmark", "measure", "regflow", "reference", "reference_tool", "ratio", "unit"]
COLUMNS += ["goal", "note"]


def bench_row(benchmark, measure, ours, unit, reference=None, tool="", goal="", note=""):
    """One row; ``ratio`` is reference / regflow (above 1: regflow is faster) for times."""
    ratio = reference / ours if reference is not None and ours else None
    values = [benchmark, measure, ours, reference, tool, ratio, unit, goal, note]
    return dict(zip(COLUMNS, values, strict=True))


def run(cmd: list[str], log: Path, cwd: Path = REPO, env: dict | None = None) -> float:
    """Run ``cmd`` with its output in ``log``; return its wall time in seconds, or stop with
    a line naming the log when it fails."""
    started = time.perf_counter()
    with open(log, "w") as out:
        done = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, env=env)
    if done.returncode:
        raise SystemExit(f"run_all: {' '.join(cmd[:3])} ... failed; see {log}")
    return time.perf_counter() - started


def bigwig(out: Path, repeats: int) -> list[dict]:
    bam = REPO / "results/bam/atac_cellA_r1.bam"
    sizes = REPO / "results/genome/chrom.sizes"
    if not bam.is_file():
        return [bench_row("bigwig", "skipped", None, "", note=f"no {bam}: run the demo first")]
    cmd = ["bash", str(REPO / "benchmarks/bigwig_vs_deeptools.sh"), str(bam), str(sizes)]
    env = {**os.environ, "REGFLOW": str(Path(PYTHON).with_name("regflow"))}
    run(cmd + [str(repeats)], out / "log.txt", env={**env, "OUTDIR": str(out), "EXACT_CHECK": "0"})
    s = json.loads((out / "summary.json").read_text())
    return [
        bench_row(
            "bigwig",
            "BAM -> CPM bigWig, atac_cellA_r1, 10-bp bins",
            s["regflow_s"],
            "s",
            s["deeptools_s"],
            "deeptools bamCoverage 3.5.6",
            note=f"max RSS {s['regflow_rss_mb']} vs {s['deeptools_rss_mb']} MB",
        )
    ]


def motif_scan(out: Path, repeats: int) -> list[dict]:
    if not (REPO / "results/peaks/consensus.bed").is_file():
        return [
            bench_row("motif_scan", "skipped", None, "", note="no consensus peaks: run the demo")
        ]
    run(
        [PYTHON, str(REPO / "benchmarks/motif_scanners.py"), "speed", "--repeats", str(repeats)]
        + ["--workdir", str(out)],
        out / "log.txt",
    )
    s = json.loads((out / "summary.json").read_text())
    ours = s["regflow (numpy)"]
    measure = "peaks + promoters x 883 JASPAR motifs, p < 1e-4"
    return [
        bench_row("motif_scan", measure, ours, "s", s[tool], name)
        for tool, name in (("memelite", "memelite 0.5.0"), ("moods", "MOODS 1.9.4.1"))
    ]


def mnase_images(out: Path, repeats: int) -> list[dict]:
    log = out / "log.txt"
    try:
        run([PYTHON, str(REPO / "benchmarks/mnase_images.py"), "--repeats", str(repeats)], log)
    except SystemExit:
        return [bench_row("mnase_images", "skipped", None, "", note=f"see {log}")]
    found = re.search(r"([\d,]+) fragments/s", log.read_text())  # "median X s, N fragments/s"
    rate = float(found.group(1).replace(",", ""))
    return [bench_row("mnase_images", "demo MNase fragments -> images", rate, "fragments/s")]


def thousand_sample_sheet(conditions: list[str]) -> str:
    """A sample sheet of 1,000 simulated libraries (ATAC, MNase, RNA over ``conditions``)."""
    rows = ["sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2"]
    rep = 0
    while len(rows) <= 1000:
        rep += 1
        for assay in ("atac", "mnase", "rna"):
            for condition in conditions:
                name = f"{assay}_{condition}_r{rep}"
                fq = f"results/simulate/fastq/{name}"
                r2 = "" if assay == "rna" else f"{fq}_R2.fastq.gz"
                rows.append(f"{name}\t{assay}\t{condition}\t{rep}\t{fq}_R1.fastq.gz\t{r2}")
    return "\n".join(rows[:1001]) + "\n"


def dryrun_1000(out: Path, repeats: int) -> list[dict]:
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    conditions = [c["name"] for c in config["simulate"]["conditions"]]
    (out / "config").mkdir(exist_ok=True)
    shutil.copy(REPO / "config/config.yaml", out / "config/config.yaml")
    (out / "config/samples.tsv").write_text(thousand_sample_sheet(conditions))
    cmd = [PYTHON, "-m", "snakemake", "-s", str(REPO / "Snakefile"), "-n", "--quiet", "all"]
    cmd += ["--cores", "2"]
    times = [run(cmd, out / "log.txt", cwd=out) for _ in range(repeats)]
    jobs = _dry_run_jobs(cmd, out)
    return [
        bench_row(
            "dryrun_1000",
            f"snakemake -n, 1,000-sample sheet ({jobs:,} jobs)",
            statistics.median(times),
            "s",
            goal="< 30 s",
        )
    ]


def _dry_run_jobs(cmd: list[str], cwd: Path) -> int:
    text = subprocess.run(
        [c for c in cmd if c not in ("--quiet", "all")] + ["--quiet", "rules"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return int(next(line.split()[1] for line in text.splitlines() if line.startswith("total")))


def demo(out: Path, repeats: int) -> list[dict]:
    clone = out / "clone"
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    setup = run(["bash", "scripts/setup.sh"], out / "setup.log", cwd=clone)
    snakemake = [str(clone / ".venv/bin/snakemake"), "--cores", "2"]
    wall = run(snakemake, out / "demo.log", cwd=clone)
    return [
        bench_row("demo", "fresh clone: scripts/setup.sh", setup, "s"),
        bench_row("demo", "the whole demo on 2 cores (after setup)", wall, "s", goal="<= 900 s"),
    ]


def gpu_train(out: Path, repeats: int) -> list[dict]:
    tsv = out / "train_throughput.tsv"
    run(
        [PYTHON, str(REPO / "benchmarks/train_throughput.py"), "--sizes", "paper"]
        + ["--output", str(tsv)],
        out / "log.txt",
    )
    table = pd.read_csv(tsv, sep="\t")
    return [
        bench_row(
            "gpu_train",
            f"{r['model']} {r['size']}, {r['precision']}, batch {r['batch_size']}",
            r["train_samples_per_s"],
            "samples/s",
            note=f"MFU {r['mfu']}",
        )
        for _, r in table.iterrows()
    ]


def gpu_contrib(out: Path, repeats: int) -> list[dict]:
    result = out / "contrib.json"
    run(
        [PYTHON, str(REPO / "benchmarks/contrib_throughput.py"), "--devices", "cuda", "--bf16"]
        + ["--output", str(result)],
        out / "log.txt",
    )
    rows = json.loads(result.read_text())
    return [
        bench_row(
            "gpu_contrib",
            f"ChromBPNet paper size, {r.get('head', 'counts')} head",
            r["regions_per_s"],
            "regions/s",
            goal="330,000 regions < 15 min",
        )
        for r in rows
    ]


def _gpu() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


BENCHMARKS = {
    "bigwig": bigwig,
    "motif_scan": motif_scan,
    "mnase_images": mnase_images,
    "dryrun_1000": dryrun_1000,
    "demo": demo,
    "gpu_train": gpu_train,
    "gpu_contrib": gpu_contrib,
}


def markdown(table: pd.DataFrame) -> str:
    """The table as Markdown, numbers to 3 significant digits."""
    shown = table.copy()
    for column in ("regflow", "reference", "ratio"):
        shown[column] = shown[column].map(lambda v: "" if pd.isna(v) else f"{v:.3g}")
    shown = shown.fillna("")
    lines = ["| " + " | ".join(shown.columns) + " |", "|" + "---|" * len(shown.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in shown.to_numpy()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME")
    parser.add_argument("--demo", action="store_true", help="also time a fresh clone's demo")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--output", type=Path, default=REPO / "results/benchmarks/summary")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be >= 1")
    chosen = args.only or [
        name
        for name in BENCHMARKS
        if (name != "demo" or args.demo) and (not name.startswith("gpu") or _gpu())
    ]
    workdir = args.output.with_suffix(".d")
    rows = []
    for name in chosen:
        out = workdir / name
        out.mkdir(parents=True, exist_ok=True)
        print(f"run_all: {name} ...", file=sys.stderr, flush=True)
        rows += BENCHMARKS[name](out, args.repeats)
    table = pd.DataFrame(rows, columns=COLUMNS)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.output.with_suffix(".tsv"), sep="\t", index=False, float_format="%.4g")
    text = markdown(table)
    args.output.with_suffix(".md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
