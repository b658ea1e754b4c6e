"""`snakemake --profile slurm` for real: the cluster profile installed by
scripts/install_slurm_profile.sh (into a temporary XDG_CONFIG_HOME) submits a slice of the demo
DAG to a private single-node SLURM cluster with two fake GPUs (tests/slurm/cluster.py). The
slice is the simulate -> filtered BAM path of one sample plus ChromBPNet's two GPU training
rules (bias model, then the accessibility model); their dataset is made first by a local run,
which keeps the test short (each cluster job costs seconds of submission and polling).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from . import cluster as slurm

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "Snakefile"
INSTALL = REPO / "scripts/install_slurm_profile.sh"

SAMPLES = [
    ("atac_cellA_r1", "atac", "cellA"),
    # not needed by ChromBPNet: its whole read path runs on the cluster
    ("mnase_0min_r1", "mnase", "0min"),
]
SMALL = {
    "samples": "config/slurm_samples.tsv",
    "simulate": {
        "genome": {"chromosome_lengths": [200000, 150000, 100000]},
        "atac": {"fragments": 20000},
        "mnase": {"fragments": 20000},
    },
    # one fold on this small genome; two epochs (wiring only, tests/train checks the models)
    "datasets": {"chrombpnet": {"jitter": 20, "folds": [{"val": ["chr2"], "test": ["chr3"]}]}},
    "chrombpnet": {
        "optim": {"max_epochs": 2},
        "bias_qc": {"min_nonpeak_pearson": -1.0, "min_peak_pearson": -1.0},
    },
    # one CPU and 2 GB per training job, so that small CI machines can schedule it
    "train": {"threads": 1, "mem_mb": 2000, "runtime": 30},
}
# made locally first; then the cluster makes the targets below from them
LOCAL_TARGETS = [
    "results/datasets/chrombpnet/dataset.npz",
    "results/datasets/chrombpnet/regions.tsv",
]
TARGETS = ["results/train/chrombpnet/fold_0/metrics.json", "results/bam/mnase_0min_r1.bam"]
# the jobs the cluster must run: one per rule
CLUSTER_RULES = {
    "train_chrombpnet_bias",
    "train_chrombpnet",
    "simulate_reads_paired",
    "trim_paired",
    "align",
    "filter_bam",
}
GPU_RULES = {"train_chrombpnet_bias", "train_chrombpnet"}
WORKFLOW_TOOLS = ("bowtie2", "samtools", "fastp")


def install_profile(config_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run scripts/install_slurm_profile.sh with XDG_CONFIG_HOME set to ``config_home``."""
    return subprocess.run(
        ["bash", str(INSTALL), *args],
        env={**os.environ, "XDG_CONFIG_HOME": str(config_home)},
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_install_refuses_to_replace_an_existing_profile(tmp_path):
    """A second install stops with one error line and keeps the user's edits; --force replaces
    config.yaml and keeps the profile's other files."""
    installed = tmp_path / "snakemake/slurm/config.yaml"
    first = install_profile(tmp_path)
    assert first.returncode == 0, first.stderr
    assert installed.read_text() == (REPO / "config/slurm/config.yaml").read_text()

    installed.write_text("executor: slurm  # the user's own\n")
    (installed.parent / "notes.txt").write_text("mine\n")
    second = install_profile(tmp_path)
    assert second.returncode == 1
    assert len(second.stderr.strip().splitlines()) == 1
    assert "already exists" in second.stderr and "--force" in second.stderr
    assert installed.read_text() == "executor: slurm  # the user's own\n"

    forced = install_profile(tmp_path, "--force")
    assert forced.returncode == 0, forced.stderr
    assert installed.read_text() == (REPO / "config/slurm/config.yaml").read_text()
    assert (installed.parent / "notes.txt").read_text() == "mine\n"

    bad = install_profile(tmp_path, "--forse")
    assert bad.returncode == 1 and "unknown argument '--forse'" in bad.stderr


def test_profile_keys_are_snakemake_options():
    """Every key of the profile is a long option of this Snakemake with the SLURM plugin
    (a misspelt key would otherwise only fail on the user's cluster)."""
    from snakemake.cli import get_argument_parser

    profile = yaml.safe_load((REPO / "config/slurm/config.yaml").read_text())
    options = get_argument_parser()._option_string_actions  # includes the plugins' options
    assert [key for key in profile if f"--{key}" not in options] == []
    assert profile["executor"] == "slurm"
    assert {"slurm_partition", "mem_mb", "runtime"} <= set(profile["default-resources"])


@pytest.fixture(scope="module")
def workflow_tools():
    """Skip when the command-line tools of the slice's rules are missing."""
    missing = [tool for tool in WORKFLOW_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: scripts/setup.sh installs them")


@pytest.fixture(scope="module")
def cluster():
    """A running single-node SLURM cluster; its daemons are stopped afterwards."""
    reason = slurm.ensure_installed()
    if reason:
        pytest.skip(reason)
    running = slurm.start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def config_home(tmp_path_factory, cluster):
    """An XDG_CONFIG_HOME holding the profile as a user installs and edits it: the install
    script, then the partition and (no accounting here) the squeue status command."""
    home = tmp_path_factory.mktemp("xdg")
    result = install_profile(home)
    assert result.returncode == 0, result.stderr
    installed = home / "snakemake/slurm/config.yaml"
    text = installed.read_text()
    for line in ('  slurm_partition: "EDIT_ME"', "# slurm-status-command: squeue"):
        assert line in text, f"the profile no longer has the line {line!r} users edit"
    text = text.replace('"EDIT_ME"', f'"{cluster.partition}"', 1)
    text = text.replace("# slurm-status-command: squeue", "slurm-status-command: squeue")
    installed.write_text(text)
    return home


@pytest.fixture(scope="module")
def slurm_run(workflow_tools, tmp_path_factory, cluster, config_home):
    """Make ChromBPNet's dataset locally, then the slice's targets with ``--profile slurm``.

    Returns the working directory, the cluster run's completed process, its duration and the
    cluster's record of every job (``scontrol show job``).
    """
    workdir = tmp_path_factory.mktemp("slurm_run")
    shutil.copytree(REPO / "config", workdir / "config")
    rows = [
        f"{s}\t{a}\t{c}\t1\tresults/simulate/fastq/{s}_R1.fastq.gz"
        f"\tresults/simulate/fastq/{s}_R2.fastq.gz"
        for s, a, c in SAMPLES
    ]
    header = "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
    (workdir / SMALL["samples"]).write_text(header + "\n".join(rows) + "\n")
    (workdir / "small.yaml").write_text(yaml.safe_dump(SMALL))
    snakemake = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE)]

    local = subprocess.run(
        [*snakemake, "--cores", "2", "--configfile", "small.yaml", "--", *LOCAL_TARGETS],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert local.returncode == 0, local.stdout[-3000:] + local.stderr[-3000:]
    assert cluster.jobs() == [], "the local run must not use the cluster"

    started = time.monotonic()
    result = subprocess.run(
        [
            "timeout",
            "-k",
            "10",
            "300",
            *snakemake,
            "--profile",
            "slurm",
            # poll every 2 s instead of the profile's 30 s (a command-line override)
            "--seconds-between-status-checks",
            "2",
            "--slurm-init-seconds-before-status-checks",
            "2",
            "--latency-wait",
            "5",
            "--configfile",
            "small.yaml",
            "--",
            *TARGETS,
        ],
        cwd=workdir,
        env={**cluster.env, "XDG_CONFIG_HOME": str(config_home)},
        capture_output=True,
        text=True,
        timeout=330,
    )
    duration = time.monotonic() - started
    return workdir, result, duration, cluster.jobs()


def rule_of(job: dict[str, str]) -> str:
    """The rule of a cluster job, from the comment the SLURM executor gives it."""
    comment = job.get("Comment", "")
    assert comment.startswith("rule_"), job
    return comment.removeprefix("rule_").split("_wildcards_")[0]


def test_every_job_ran_on_the_cluster_and_completed(slurm_run):
    """Snakemake succeeded, the targets exist, and each rule of the slice ran as one SLURM job
    that completed, in the partition set in the installed profile (so that profile was used
    and the workflow profile did not replace its default-resources)."""
    workdir, result, duration, jobs = slurm_run
    log = result.stdout[-3000:] + result.stderr[-5000:]
    assert result.returncode == 0, (
        f"snakemake exited {result.returncode} after {duration:.0f} s:\n{log}"
    )
    # the installed profile, found by name, together with the workflow profile
    assert "Using profiles slurm and workflow specific profile" in result.stderr
    for target in TARGETS:
        assert (workdir / target).stat().st_size > 0, target
    assert sorted(rule_of(job) for job in jobs) == sorted(CLUSTER_RULES)
    for job in jobs:
        assert (job["JobState"], job["ExitCode"]) == ("COMPLETED", "0:0"), job
        # the partition of the installed profile's default-resources reached sbatch (-p); the
        # cluster's default partition is another one
        assert job["Partition"] == slurm.PARTITION, job


def test_gpu_rules_get_a_gpu_and_the_others_none(slurm_run):
    """The rules' `gpu=1` becomes sbatch --gpus=1 (SLURM's TresPerJob gres:gpu:1); no other
    job asks for a GPU."""
    _, result, _, jobs = slurm_run
    assert result.returncode == 0
    by_rule = {rule_of(job): job for job in jobs}
    assert GPU_RULES <= set(by_rule) and set(by_rule) - GPU_RULES
    for rule, job in by_rule.items():
        gres = job.get("TresPerJob", "") + job.get("TresPerNode", "")
        if rule in GPU_RULES:
            assert gres == "gres:gpu:1", (rule, job)
        else:
            assert "gpu" not in gres, (rule, job)


def test_rule_resources_reach_sbatch(slurm_run):
    """Threads, memory and runtime of GPU training come from the config (train.*) to sbatch."""
    _, result, _, jobs = slurm_run
    assert result.returncode == 0
    train = {rule_of(job): job for job in jobs}["train_chrombpnet_bias"]
    train_config = SMALL["train"]
    assert train["NumCPUs"] == str(train_config["threads"])
    assert train["MinMemoryNode"] == f"{train_config['mem_mb']}M"
    assert train["TimeLimit"] == f"00:{train_config['runtime']}:00"
