"""GET's Jacobian: gradients per TSS output, gradient x input, ranks of planted motifs."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from safetensors.torch import save_file

from regflow.errors import RegflowError
from regflow.interpret import get_jacobian
from regflow.interpret.jacobian import (
    expected_regulators,
    feature_ranks,
    gradient_x_input,
    output_jacobians,
    planted_motif_ranks,
)
from regflow.models.get import GETConfig, GETModel


class RegionLinear(torch.nn.Module):
    """y[b, r, s] = sum_f w[s, f] * x[b, r, f]: each output sees only its own region."""

    def __init__(self, weight: torch.Tensor) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(weight)  # (2, F)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.einsum("brf,sf->brs", x, self.weight)


def test_output_jacobians_match_autograd_for_a_transformer():
    torch.manual_seed(0)
    model = GETModel(GETConfig(n_features=5, dim=8, depth=1, heads=2, mlp_dim=16)).train()
    x = torch.randn(3, 4, 5)
    outputs = np.array([[1, 0], [3, 1]])
    grads = output_jacobians(model, x, outputs)
    assert grads.shape == (3, 2, 4, 5)
    assert model.training  # mode restored
    model.eval()
    for b in range(3):
        full = torch.autograd.functional.jacobian(lambda z: model(z[None])[0], x[b])  # (R,2,R,F)
        for k, (r, s) in enumerate(outputs):
            torch.testing.assert_close(grads[b, k], full[r, s], atol=1e-5, rtol=1e-4)


def test_gradient_x_input_averages_real_regions_only():
    grads = np.ones((1, 3, 2))
    x = np.array([[[1.0, 2.0], [3.0, 4.0], [100.0, 100.0]]])
    valid = np.array([[True, True, False]])
    np.testing.assert_allclose(gradient_x_input(grads, x, valid), [[2.0, 3.0]])


def test_feature_ranks_give_ties_the_worse_rank():
    np.testing.assert_array_equal(feature_ranks(np.array([[0.5, 2.0, 0.5, -1.0]])), [[3, 1, 3, 4]])


def test_planted_motif_ranks_rank_the_mean_of_targets():
    matrix = pd.DataFrame(
        [[5.0, 1.0, 0.0], [0.0, 1.0, 0.5], [9.0, 0.0, 0.0]],
        index=["g1", "g2", "g3"],
        columns=["A", "B", "C"],
    )
    ranks = planted_motif_ranks(
        matrix, {"tfA": ["g1", "g2", "gX"], "tfC": ["g3"]}, {"tfA": "A", "tfC": "C"}, top_k=1
    ).set_index("tf")
    assert ranks.loc["tfA", "n_targets"] == 2  # gX is not scored
    assert ranks.loc["tfA", "rank_of_mean"] == 1  # mean row (2.5, 1, 0.25)
    assert ranks.loc["tfA", "median_gene_rank"] == 2.0  # ranks 1 (g1) and 3 (g2)
    assert ranks.loc["tfA", "fraction_genes_top_k"] == 0.5
    assert ranks.loc["tfC", "rank_of_mean"] == 3 and not ranks.loc["tfC", "recovered"]


def test_expected_regulators_exclude_no_effect_and_held_out_only_tfs():
    activity = pd.DataFrame(
        {"a": [1.0, 1.0, 0.02], "b": [1.0, 1.0, 0.02], "held": [1.0, 1.0, 2.0]},
        index=["on", "insulator", "heldout_only"],
    )
    effects = {"on": 1.5, "insulator": 0.0, "heldout_only": 2.0}
    expected = expected_regulators(activity, effects, ["a", "b"], 0.5)
    assert expected.to_dict() == {"on": True, "insulator": False, "heldout_only": False}
    with pytest.raises(ValueError, match="no effect"):
        expected_regulators(activity, {"on": 1.0}, ["a"], 0.5)


def test_tss_scores_average_windows_and_skip_padding():
    weight = torch.tensor([[1.0, 0.0], [0.0, 2.0]])  # + strand reads feature 0, - feature 1
    model = RegionLinear(weight)
    features = np.arange(1, 13, dtype=np.float32).reshape(1, 6, 2)  # (C=1, P=6, F=2)
    windows = np.array([[0, 1, 2], [2, 3, 4], [5, -1, -1]])
    is_tss = np.zeros((6, 2), dtype=bool)
    is_tss[2, 0] = is_tss[5, 1] = True
    scores = get_jacobian.tss_scores(model, features, windows, is_tss, batch_size=2)
    assert scores.shape == (1, 6, 2, 2)
    # peak 2 (+) lies in windows 0 and 1: grad is w[0] at its own region, so grad x input
    # = x[2] * (1, 0) / 3 regions in each window
    np.testing.assert_allclose(scores[0, 2, 0], features[0, 2] * np.array([1.0, 0.0]) / 3)
    # peak 5 (-) is alone in a padded window: mean over 1 real region
    np.testing.assert_allclose(scores[0, 5, 1], features[0, 5] * np.array([0.0, 2.0]))
    assert np.isnan(scores[0, 0]).all() and np.isnan(scores[0, 5, 0]).all()


@pytest.fixture
def get_run(tmp_path):
    """A tiny GET dataset (2 conditions, 6 peaks) and an untrained model's run directory."""
    dataset, run = tmp_path / "dataset", tmp_path / "run"
    dataset.mkdir()
    run.mkdir()
    rng = np.random.default_rng(0)
    names = ["M1", "M2", "M3", "accessibility"]
    is_tss = np.zeros((6, 2), dtype=bool)
    is_tss[[1, 4], 0] = True
    is_tss[3, 1] = True
    np.savez(
        dataset / "dataset.npz",
        features=rng.random((2, 6, 4)).astype(np.float32),
        is_tss=is_tss,
        conditions=np.array(["c1", "c2"]),
        feature_names=np.array(names),
        windows=np.array([[0, 1, 2, 3], [2, 3, 4, 5]]),
    )
    pd.DataFrame({"name": ["gA", "gB", "gC"], "strand": ["+", "-", "+"], "peak": [1, 3, 4]}).to_csv(
        dataset / "tss.tsv", sep="\t", index=False
    )
    pd.DataFrame(
        {"condition": ["c1", "c2"], "chrom": "chr1", "split": ["train", "test_condition"]}
    ).to_csv(dataset / "splits.tsv", sep="\t", index=False)
    model_cfg = {"dim": 8, "depth": 1, "heads": 2, "mlp_dim": 16, "dropout": 0.0}
    torch.manual_seed(0)
    model = GETModel(GETConfig(n_features=4, **model_cfg))
    save_file(model.state_dict(), str(run / "model.safetensors"))
    (run / "config.yaml").write_text(yaml.safe_dump({"model": model_cfg}))
    return dataset, run


def cli(argv):
    parser = argparse.ArgumentParser()
    get_jacobian.add_arguments(parser)
    get_jacobian.run(parser.parse_args([str(a) for a in argv]))


def test_cli_writes_gene_x_motif_tables_and_recovery(get_run, tmp_path):
    dataset, run = get_run
    sites = tmp_path / "sites.bed"
    pd.DataFrame(
        {"#chrom": "chr1", "name": ["TF1", "TF2"], "matrix_id": ["MA1", "MA2"]}
        | {"gene_id": ["gA", "gB"]}
    ).to_csv(sites, sep="\t", index=False)
    clusters = tmp_path / "clusters.tsv"
    pd.DataFrame({"motif_id": ["MA1", "MA2"], "cluster_name": ["M1", "M3"]}).to_csv(
        clusters, sep="\t", index=False
    )
    activity = tmp_path / "activity.tsv"
    pd.DataFrame({"tf": ["TF1", "TF2"], "c1": [1.0, 0.02], "c2": [1.0, 2.0]}).to_csv(
        activity, sep="\t", index=False
    )
    out = tmp_path / "out"
    cli(
        ["--run", run, "--dataset", dataset, "--outdir", out, "--sites", sites]
        + ["--motif-clusters", clusters, "--tf-activity", activity, "--top-k", "3"]
        + ["--effects", json.dumps({"TF1": 1.0, "TF2": 1.0})]
    )
    mean = pd.read_csv(out / "gene_x_motif.tsv", sep="\t", index_col=0)
    assert list(mean.columns) == ["M1", "M2", "M3"] and list(mean.index) == ["gA", "gB", "gC"]
    arrays = np.load(out / "jacobian.npz")
    assert arrays["scores"].shape == (2, 3, 4)
    np.testing.assert_allclose(mean.to_numpy(), arrays["scores"].mean(axis=0)[:, :3], atol=1e-6)
    by_condition = pd.read_csv(out / "gene_x_motif_by_condition.tsv.gz", sep="\t")
    assert len(by_condition) == 6
    summary = json.loads((out / "recovery.json").read_text())
    assert summary["expected"] == ["TF1"]  # TF2 is active only in the held-out condition
    assert (out / "heatmap.png").stat().st_size > 0


def test_cli_weights_that_do_not_fit_fail_and_write_nothing(get_run, tmp_path):
    dataset, run = get_run
    (run / "config.yaml").write_text(
        yaml.safe_dump({"model": {"dim": 16, "depth": 1, "heads": 2, "mlp_dim": 16}})
    )
    out = tmp_path / "out"
    with pytest.raises(RegflowError, match="do not fit"):
        cli(["--run", run, "--dataset", dataset, "--outdir", out])
    assert not out.exists() or not any(out.iterdir())


def test_cli_sites_without_their_companions_fail(get_run, tmp_path):
    dataset, run = get_run
    out = tmp_path / "out"
    with pytest.raises(RegflowError, match="--motif-clusters"):
        cli(["--run", run, "--dataset", dataset, "--outdir", out, "--sites", tmp_path / "x"])
    assert not out.exists() or not any(out.iterdir())
