"""The models at demo size, for two seeds: the whole demo (about 25 minutes on 2 cores per
seed) and its trained models and their interpretation measured against the issues' goals.

Opt-in, as it is too slow for every CI run: ``REGFLOW_DEMO_TESTS=1 pytest
tests/workflow/test_demo_models.py``. The README reports the numbers it checks.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest
import yaml

from .conftest import REPO, SNAKEFILE

pytestmark = pytest.mark.skipif(
    os.environ.get("REGFLOW_DEMO_TESTS") != "1",
    reason="runs the whole demo per seed (about 25 minutes each): set REGFLOW_DEMO_TESTS=1",
)


@pytest.fixture(scope="module", params=[1, 2], ids=["seed1", "seed2"])
def demo(request, tmp_path_factory):
    """The demo, end to end, for one simulation seed; returns its working directory."""
    workdir = tmp_path_factory.mktemp(f"demo_seed{request.param}")
    shutil.copytree(REPO / "config", workdir / "config")
    (workdir / "seed.yaml").write_text(yaml.safe_dump({"simulate": {"seed": request.param}}))
    result = subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE), "--cores", "2"]
        + ["--configfile", "seed.yaml"],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return workdir


def metrics(demo, run):
    return json.loads((demo / "results/train" / run / "metrics.json").read_text())


def test_vit_explains_expression_at_the_held_out_time_point(demo):
    """The dual-channel ViT (per-channel subnetworks, first channel 0 min) reaches R^2 >= 0.7
    on every gene at 120 min, and is not worse than the Gaussian-process baseline."""
    vit = metrics(demo, "vit/transformer2_0min")["test_r2"]
    gp = metrics(demo, "vit_gp")["test_r2"]
    assert vit >= 0.7
    assert vit >= gp - 0.05


def test_two_channels_beat_one(demo):
    """The paper's Figure 2A ordering: a first channel helps."""
    dual = metrics(demo, "vit/transformer2_0min")["test_r2"]
    single = metrics(demo, "vit/single_channel")["test_r2"]
    assert dual > single


@pytest.mark.xfail(
    strict=True,
    reason="GET reaches a held-out-condition Pearson of about 0.4 at demo size, below the "
    "issue's 0.8 goal (its random-forest baseline reaches 0.76): see the README",
)
def test_get_predicts_expression_in_the_held_out_condition(demo):
    """GET's held-out-condition (cellB) Pearson at TSS peaks reaches the issue's 0.8."""
    assert metrics(demo, "get")["heldout_condition_pearson"] >= 0.8


def test_chrombpnet_bias_model_learns_the_simulated_tn5_bias_and_the_corrected_model_not(demo):
    """Marginal footprints of the simulator's Tn5 bias motif: strong in the bias model (which
    passed its QC, or the demo would have stopped), at most half as strong once corrected."""
    bias = metrics(demo, "chrombpnet/fold_0/bias")
    assert bias["qc"]["passed"]
    prints = metrics(demo, "chrombpnet/fold_0")["tn5_footprint"]
    assert prints["bias"]["footprint_score"] > 0.2
    assert prints["corrected"]["footprint_score"] < 0.5 * prints["bias"]["footprint_score"]


@pytest.mark.parametrize(
    "model", ["maxpool_cnn", "attnpool_cnn", "dilated_cnn", "enformer", "swin"]
)
def test_sequence_model_beats_its_shuffled_target_control(demo, model):
    """Each sequence model, retrained on window-shuffled targets through the same command,
    scores a lower test Pearson (mean over all tracks) than the model itself."""
    run = demo / "results/train/seqtrack" / model
    control = demo / "results/train/seqtrack_shuffled" / model
    settings = json.dumps(yaml.safe_load((run / "config.yaml").read_text()))
    command = [sys.executable, "-m", "regflow", "train", "seqtrack", "--shuffle-targets"]
    command += ["--dataset", "results/datasets/seqtrack", "--settings", settings]
    threads = yaml.safe_load((REPO / "config/config.yaml").read_text())["train"]["threads"]
    command += ["--threads", str(threads), "--outdir", str(control)]
    subprocess.run(command, cwd=demo, check=True, capture_output=True, timeout=1800)
    real = metrics(demo, f"seqtrack/{model}")["splits"]["test"]["all"]
    shuffled = json.loads((control / "metrics.json").read_text())["splits"]["test"]["all"]
    assert real > shuffled


def recovery(demo, path):
    return json.loads((demo / "results" / path).read_text())


def test_get_jacobian_ranks_the_planted_tfs_for_their_targets(demo):
    """Among the planted TFs the model could have learned (they change expression and are
    active in a training condition), most rank in the top 10 motifs of their target genes'
    mean gradient x input; no control (the insulator, a TF active only in the held-out
    condition) does."""
    result = recovery(demo, "interpret/get/recovery.json")
    assert len(result["expected"]) >= 5
    assert result["fraction_recovered"] >= 0.5
    assert result["controls_in_top_k"] == []


def test_offline_enrichment_finds_the_planted_target_sets(demo):
    """The top genes of most expected TFs' motif columns are enriched for their target set."""
    result = recovery(demo, "enrich/offline/recovery.json")
    assert result["fraction_significant"] >= 0.5


def test_bias_contributions_hold_the_tn5_motif_and_corrected_ones_much_less(demo):
    """TF-MoDISco on the profile head: the bias model's seqlets are mostly the simulated Tn5
    bias motif; the bias-corrected model's carry at most half that share."""
    bias = recovery(demo, "interpret/modisco/bias_profile/modisco.json")["bias_motif"]
    corrected = recovery(demo, "interpret/modisco/corrected_profile/modisco.json")["bias_motif"]
    assert bias["found"] and bias["seqlet_share"] > 0.5
    assert corrected["seqlet_share"] < 0.5 * bias["seqlet_share"]


@pytest.mark.xfail(
    strict=True,
    reason="the demo's tiny ChromBPNet learns too little of the TF motifs (test peak count "
    "Pearson about 0) for TF-MoDISco to find them: 0 of 8 on seed 1; see the README",
)
def test_modisco_recovers_most_planted_motifs_from_the_corrected_model(demo):
    """The issue's goal: >= 80% of the planted motifs among the corrected model's patterns."""
    fractions = [
        recovery(demo, f"interpret/modisco/corrected_{head}/recovery.json")["fraction"]
        for head in ("counts", "profile")
    ]
    assert max(fractions) >= 0.8
