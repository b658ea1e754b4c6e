"""``regflow figures ...`` end to end on tiny files: the TSV holds the inputs' numbers, and a
missing input is a one-line error naming it, with nothing written."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from regflow.cli import main


def outputs(tmp_path, name):
    return {ext: tmp_path / "figures" / f"{name}.{ext}" for ext in ("png", "pdf", "tsv")}


def output_args(files):
    return ["--png", str(files["png"]), "--pdf", str(files["pdf"]), "--tsv", str(files["tsv"])]


def write_metrics(path, r2, **extra):
    path.write_text(json.dumps({"splits": {"test": {"n": 4, "r2": r2}}, "test_r2": r2, **extra}))


@pytest.fixture
def vit_inputs(tmp_path):
    variant = {"channels": 2, "first_channel": "0min", "shared_trunk": False}
    write_metrics(tmp_path / "two.json", 0.71, variant=variant)
    write_metrics(tmp_path / "single.json", 0.5, variant={**variant, "channels": 1})
    write_metrics(tmp_path / "gp.json", 0.44, first_channel="0min")
    return tmp_path


def test_vit_r2_table_matches_the_metrics(vit_inputs, tmp_path):
    files = outputs(tmp_path, "vit_r2_by_variant")
    argv = ["figures", "vit-r2", "--metrics", f"two={vit_inputs / 'two.json'}"]
    argv += [f"single={vit_inputs / 'single.json'}", "--baseline", str(vit_inputs / "gp.json")]
    assert main(argv + output_args(files)) == 0
    table = pd.read_csv(files["tsv"], sep="\t")
    assert dict(zip(table["model"], table["test_r2"], strict=True)) == {
        "two": 0.71,
        "single": 0.5,
        "gaussian_process": 0.44,
    }
    assert files["png"].stat().st_size > 0 and files["pdf"].stat().st_size > 0


def test_a_missing_input_is_named_in_one_line_and_nothing_is_written(vit_inputs, tmp_path, capsys):
    files = outputs(tmp_path, "vit_r2_by_variant")
    missing = vit_inputs / "absent.json"
    argv = ["figures", "vit-r2", "--metrics", f"two={missing}"]
    argv += ["--baseline", str(vit_inputs / "gp.json")]
    assert main(argv + output_args(files)) == 1
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert str(missing) in error and "does not exist" in error
    assert not (tmp_path / "figures").exists()


def test_get_vs_forest_table_matches_the_metrics(tmp_path):
    def metrics(path, pearson):
        splits = {"train": {"n": 9, "pearson": 0.99}, "val": {"n": 3, "pearson": pearson}}
        path.write_text(json.dumps({"splits": splits}))

    metrics(tmp_path / "get.json", 0.4)
    metrics(tmp_path / "forest.json", 0.6)
    files = outputs(tmp_path, "get_vs_forest")
    argv = ["figures", "get-vs-forest", "--get", str(tmp_path / "get.json")]
    argv += ["--forest", str(tmp_path / "forest.json")]
    assert main(argv + output_args(files)) == 0
    table = pd.read_csv(files["tsv"], sep="\t")
    assert table["pearson"].tolist() == [0.4, 0.6]
    assert table["split"].tolist() == ["val", "val"]


def test_seqtrack_table_missing_column_is_named(tmp_path, capsys):
    pearson = tmp_path / "pearson_by_assay.tsv"
    pd.DataFrame({"model": ["swin"], "atac": [0.1], "parameters": [5]}).to_csv(
        pearson, sep="\t", index=False
    )
    files = outputs(tmp_path, "seqtrack_pearson")
    argv = ["figures", "seqtrack-table", "--pearson", str(pearson)]
    assert main(argv + output_args(files)) == 1
    error = capsys.readouterr().err
    assert str(pearson) in error and "all" in error
    assert not files["png"].exists() and not files["tsv"].exists()


def test_provenance_writes_the_config_and_versions(tmp_path):
    import yaml

    config = {"simulate": {"enabled": True, "seed": 3}, "vit": {"variants": [{"name": "a"}]}}
    argv = ["figures", "provenance", "--config-json", json.dumps(config)]
    argv += ["--snakemake-version", "9.0.0"]
    argv += ["--output-config", str(tmp_path / "config.yaml")]
    argv += ["--output-versions", str(tmp_path / "versions.tsv")]
    assert main(argv) == 0
    assert yaml.safe_load((tmp_path / "config.yaml").read_text()) == config
    versions = pd.read_csv(tmp_path / "versions.tsv", sep="\t").set_index("name")["version"]
    assert versions["snakemake"] == "9.0.0"
