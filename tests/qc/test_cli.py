"""``regflow qc ...`` end to end on tiny synthetic data, and its failure modes."""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.io import write_outputs
from regflow.qc.cli import add_parser

from .test_table import BOWTIE2_PE, BOWTIE2_SE, FASTP


def run(argv: list[str]) -> int:
    """Dispatch like ``regflow.cli.main`` with only the ``qc`` subcommand registered."""
    parser = argparse.ArgumentParser(prog="regflow")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except RegflowError as err:
        print(f"regflow {args.command}: error: {err}")
        return 1
    return 0


@pytest.fixture
def genome(tmp_path):
    sizes = tmp_path / "chrom.sizes"
    sizes.write_text("chr1\t100000\nchr2\t50000\n")
    gtf = tmp_path / "genes.gtf"
    rows = []
    for i, pos in enumerate(range(10_000, 90_001, 8_000)):
        strand = "+" if i % 2 == 0 else "-"
        # 1-based GTF; the 0-based TSS is `pos` on both strands
        start, end = (pos + 1, pos + 1_000) if strand == "+" else (pos - 999, pos + 1)
        rows.append(f'chr1\tsim\tgene\t{start}\t{end}\t.\t{strand}\t.\tgene_id "G{i}";')
    gtf.write_text("\n".join(rows) + "\n")
    return sizes, gtf, np.arange(10_000, 90_001, 8_000)


@pytest.fixture
def fragments(fragments_writer, genome):
    rng = np.random.default_rng(2)
    _, _, tss = genome
    n = 40_000
    start = rng.integers(0, 99_000, n)
    length = rng.choice([60, 200, 390], n, p=[0.5, 0.35, 0.15]) + rng.integers(-15, 16, n)
    centre = np.repeat(tss, 80)
    half = rng.integers(15, 40, centre.size)
    return fragments_writer(
        "fragments",
        "chr1",
        np.concatenate([start, centre - half]),
        np.concatenate([start + length, centre + half]),
    )


def test_cli_end_to_end(tmp_path, genome, fragments):
    sizes, gtf, _ = genome
    out = tmp_path / "out"
    assert (
        run(
            [
                "qc",
                "fragment-lengths",
                "--sample",
                "S1",
                "--fragments",
                str(fragments),
                "--output-hist",
                str(out / "S1.hist.tsv"),
                "--output-json",
                str(out / "S1.lengths.json"),
            ]
        )
        == 0
    )
    hist = pd.read_csv(out / "S1.hist.tsv", sep="\t")
    assert list(hist.columns) == ["length", "count"] and len(hist) == 1000
    lengths = json.loads((out / "S1.lengths.json").read_text())
    assert lengths["sample"] == "S1"
    assert abs(lengths["mononucleosome_peak"] - 200) <= 8

    argv = ["qc", "tss-enrichment", "--sample", "S1", "--fragments", str(fragments)]
    argv += ["--gtf", str(gtf), "--chrom-sizes", str(sizes), "--seed", "4"]
    argv += ["--output-profile", str(out / "S1.tss.tsv"), "--output-json", str(out / "S1.tss.json")]
    assert run(argv) == 0
    tss = json.loads((out / "S1.tss.json").read_text())
    assert set(tss) == {
        "sample",
        "tss_enrichment",
        "tss_enrichment_shuffled",
        "tss_enrichment_peak_offset",
        "tss_sites",
    }
    assert tss["tss_enrichment"] > 4 and 0.7 < tss["tss_enrichment_shuffled"] < 1.5
    assert tss["tss_sites"] == 11
    profile = pd.read_csv(out / "S1.tss.tsv", sep="\t")
    assert profile["position"].tolist() == list(range(-2000, 2001))

    (tmp_path / "fastp.json").write_text(json.dumps(FASTP))
    (tmp_path / "S1.bt2.log").write_text(BOWTIE2_PE)
    (tmp_path / "S2.bt2.log").write_text(BOWTIE2_SE)
    argv = ["qc", "table", "--json", str(out / "S1.lengths.json"), str(out / "S1.tss.json")]
    argv += ["--fastp", f"S1={tmp_path / 'fastp.json'}"]
    argv += ["--bowtie2", f"S1={tmp_path / 'S1.bt2.log'}", f"S2={tmp_path / 'S2.bt2.log'}"]
    argv += ["--output", str(out / "qc_table.tsv"), "--output-mqc", str(out / "qc_mqc.tsv")]
    assert run(argv) == 0
    table = pd.read_csv(out / "qc_table.tsv", sep="\t")
    assert table["sample"].tolist() == ["S1", "S2"]
    assert table.loc[0, "tss_enrichment"] == pytest.approx(tss["tss_enrichment"])
    assert table.loc[0, "fastp_reads_before"] == 297570
    assert table.loc[1, "bowtie2_overall_alignment_rate"] == pytest.approx(0.9753)
    mqc = pd.read_csv(out / "qc_mqc.tsv", sep="\t", comment="#")
    assert mqc.columns[0] == "Sample" and len(mqc) == 2

    argv = ["qc", "plot-fragment-lengths", "--hist", f"S1={out / 'S1.hist.tsv'}"]
    argv += [f"S2={out / 'S1.hist.tsv'}", "--log-y", "--output", str(out / "lengths.png")]
    assert run(argv) == 0
    argv = ["qc", "plot-tss", "--profile", f"S1={out / 'S1.tss.tsv'}"]
    argv += ["--output", str(out / "tss.png")]
    assert run(argv) == 0
    for png in ("lengths.png", "tss.png"):
        assert (out / png).stat().st_size > 5_000
    assert not list(out.glob(".*.tmp"))


def test_tss_chromosome_missing_leaves_no_output(tmp_path, genome, fragments, capsys):
    sizes, gtf, _ = genome
    sizes.write_text("chr2\t50000\n")
    out = tmp_path / "out"
    argv = ["qc", "tss-enrichment", "--sample", "S9", "--fragments", str(fragments)]
    argv += ["--gtf", str(gtf), "--chrom-sizes", str(sizes)]
    argv += ["--output-profile", str(out / "p.tsv"), "--output-json", str(out / "m.json")]
    assert run(argv) == 1
    message = capsys.readouterr().out
    assert "sample S9" in message and "chr1" in message and "chrom sizes" in message
    assert not out.exists() or not any(out.iterdir())


def test_empty_fragments_fail(tmp_path, capsys):
    empty = tmp_path / "empty.tsv.gz"
    empty.write_bytes(b"")
    out = tmp_path / "out"
    argv = ["qc", "fragment-lengths", "--sample", "E", "--fragments", str(empty)]
    argv += ["--output-hist", str(out / "h.tsv"), "--output-json", str(out / "m.json")]
    assert run(argv) == 1
    assert "sample E: fragments file" in capsys.readouterr().out
    assert not out.exists()


def test_bad_pairs_and_missing_inputs(tmp_path, capsys):
    out = ["--output", str(tmp_path / "t.tsv"), "--output-mqc", str(tmp_path / "t_mqc.tsv")]
    assert run(["qc", "table", "--fastp", "no-equals-sign", *out]) == 1
    assert "SAMPLE=PATH" in capsys.readouterr().out
    assert run(["qc", "table", *out]) == 1
    assert run(["qc", "table", "--bowtie2", f"S={tmp_path / 'missing.log'}", *out]) == 1
    assert "sample S" in capsys.readouterr().out
    assert not (tmp_path / "t.tsv").exists()


def test_write_outputs_is_all_or_nothing(tmp_path):
    def good(path):
        path.write_text("ok\n")

    def bad(path):
        path.write_text("partial")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_outputs({tmp_path / "a.txt": good, tmp_path / "b.txt": bad})
    assert list(tmp_path.iterdir()) == []


def test_registered_in_regflow_cli():
    from regflow.cli import build_parser

    args = build_parser().parse_args(
        ["qc", "plot-tss", "--profile", "S=p.tsv", "--output", "x.png"]
    )
    assert args.command == "qc" and args.qc_command == "plot-tss"
