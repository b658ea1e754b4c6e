"""``regflow expression ...`` end to end, its failure modes, and real featureCounts counts."""

from __future__ import annotations

import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main
from regflow.expression.cli import SALMON_TABLES, TABLES
from regflow.expression.io import read_featurecounts
from regflow.expression.tpm import tpm, tpm_from_effective_lengths

from .conftest import (
    SALMON,
    pair,
    segment,
    write_bam,
    write_featurecounts,
    write_salmon_genes,
    write_sheet,
)


def tables_argv(paths, sheet, outdir):
    """``expression tables`` arguments; a sample whose JSON is ``None`` gets only ``--counts``."""
    return [
        "expression",
        "tables",
        "--counts",
        *(f"{sample}={fc}" for sample, (fc, _) in paths.items()),
        "--fragment-length",
        *(f"{sample}={js}" for sample, (_, js) in paths.items() if js is not None),
        "--samples",
        str(sheet),
        "--outdir",
        str(outdir),
    ]


@pytest.fixture
def sheet(tmp_path):
    rows = [("atac1", "atac", "t0"), ("s3", "rna", "t1"), ("s1", "rna", "t0"), ("s2", "rna", "t0")]
    return write_sheet(tmp_path / "samples.tsv", rows)


def test_tables_end_to_end(tmp_path, featurecounts_dir, sheet):
    out = tmp_path / "out"
    assert main(tables_argv(featurecounts_dir, sheet, out)) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.tsv" for t in TABLES)
    read = {t: pd.read_csv(out / f"{t}.tsv", sep="\t", index_col=0) for t in TABLES}
    for name, table in read.items():
        assert table.index.name == "gene_id", name
        assert list(table.index) == ["GA", "GB", "GC"], name
    assert list(read["counts"].columns) == ["s3", "s1", "s2"]  # sheet order
    assert read["counts"].to_numpy().tolist() == [[50, 100, 80], [50, 30, 60], [50, 0, 10]]
    expected = tpm(
        read["counts"].to_numpy(), np.array([1000, 600, 300]), np.array([200.0, 200.0, 250.0])
    )
    np.testing.assert_allclose(read["tpm"].to_numpy(), expected, rtol=1e-9)
    np.testing.assert_allclose(read["log10_tpm"].to_numpy(), np.log10(expected + 1), rtol=1e-9)
    np.testing.assert_allclose(read["log2_tpm"].to_numpy(), np.log2(expected + 1), rtol=1e-9)
    assert list(read["tpm_by_condition"].columns) == ["t1", "t0"]
    np.testing.assert_allclose(
        read["tpm_by_condition"]["t0"], expected[:, 1:].mean(axis=1), rtol=1e-9
    )
    np.testing.assert_allclose(
        read["log2_tpm_by_condition"]["t0"], np.log2(expected[:, 1:] + 1).mean(axis=1), rtol=1e-9
    )
    assert read["gene_lengths"].to_numpy().tolist() == [
        [1000, 801, 801, 751],
        [600, 401, 401, 351],
        [300, 101, 101, 51],
    ]


def salmon_argv(paths, salmon, sheet, outdir):
    """``expression tables --salmon`` arguments, featureCounts tables from ``paths``."""
    return [
        "expression",
        "tables",
        "--counts",
        *(f"{sample}={fc}" for sample, (fc, _) in paths.items()),
        "--salmon",
        *(f"{sample}={sf}" for sample, sf in salmon.items()),
        "--samples",
        str(sheet),
        "--outdir",
        str(outdir),
    ]


def test_tables_with_salmon(tmp_path, featurecounts_dir, salmon_dir, sheet, capsys):
    out = tmp_path / "out"
    assert main(salmon_argv(featurecounts_dir, salmon_dir, sheet, out)) == 0
    names = TABLES + SALMON_TABLES
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.tsv" for t in names)
    read = {t: pd.read_csv(out / f"{t}.tsv", sep="\t", index_col=0) for t in names}
    for name, table in read.items():
        assert table.index.name == "gene_id", name
        assert list(table.index) == ["GA", "GB", "GC"], name  # featureCounts' order
    assert list(read["tpm"].columns) == ["s3", "s1", "s2"]  # sheet order
    # counts and gene lengths stay featureCounts'
    assert read["counts"].to_numpy().tolist() == [[50, 100, 80], [50, 30, 60], [50, 0, 10]]
    assert read["gene_lengths"].to_dict("list") == {"length": [1000, 600, 300]}
    # salmon's reads and effective lengths (3 decimals), TPM recomputed from them
    num_reads = pd.DataFrame(
        {s: [round(SALMON[s][0][g], 3) for g in ("GA", "GB", "GC")] for s in ("s3", "s1", "s2")}
    )
    lengths = pd.DataFrame(
        {s: [round(SALMON[s][1][g], 3) for g in ("GA", "GB", "GC")] for s in ("s3", "s1", "s2")}
    )
    np.testing.assert_allclose(read["salmon_numreads"], num_reads, rtol=1e-12)
    np.testing.assert_allclose(read["effective_lengths"], lengths, rtol=1e-12)
    expected = tpm_from_effective_lengths(num_reads.to_numpy(), lengths.to_numpy())
    np.testing.assert_allclose(read["tpm"], expected, rtol=1e-9)
    np.testing.assert_allclose(read["log2_tpm"], np.log2(expected + 1), rtol=1e-9)
    np.testing.assert_allclose(read["log10_tpm"], np.log10(expected + 1), rtol=1e-9)
    np.testing.assert_allclose(read["tpm_by_condition"]["t1"], expected[:, 0], rtol=1e-9)
    np.testing.assert_allclose(
        read["log2_tpm_by_condition"]["t0"], np.log2(expected[:, 1:] + 1).mean(axis=1), rtol=1e-9
    )
    assert "TPM from salmon (381 reads)" in capsys.readouterr().err


def salmon_disagrees(paths, salmon, sheet):
    num_reads, lengths = SALMON["s1"]
    write_salmon_genes(salmon["s1"], num_reads, lengths, tpm_scale=0.99)
    return (
        f"sample s1: salmon file {salmon['s1']}: TPM disagrees with NumReads / EffectiveLength "
        "for 2 gene(s), e.g. GB:"
    )


def salmon_missing_gene(paths, salmon, sheet):
    write_salmon_genes(salmon["s3"], {"GA": 3.0, "GC": 1.0}, {"GA": 100.0, "GC": 50.0})
    return (
        f"sample s3: salmon file {salmon['s3']} has a different gene set from the featureCounts "
        "tables: 0 genes only here, 1 only there (e.g. GB)"
    )


def salmon_not_given(paths, salmon, sheet):
    del salmon["s3"]
    return "sample s3: --counts given but no --salmon"


def salmon_not_salmon(paths, salmon, sheet):
    salmon["s2"] = paths["s2"][0]
    return f"sample s2: salmon file {paths['s2'][0]} is not salmon quant output"


@pytest.mark.parametrize(
    "break_input", [salmon_disagrees, salmon_missing_gene, salmon_not_given, salmon_not_salmon]
)
def test_tables_with_salmon_errors_leave_nothing(
    tmp_path, featurecounts_dir, salmon_dir, sheet, capsys, break_input
):
    salmon = dict(salmon_dir)
    expected = break_input(featurecounts_dir, salmon, sheet)
    assert main(salmon_argv(featurecounts_dir, salmon, sheet, tmp_path / "out")) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"regflow expression: error: {expected}")
    assert "\n" not in err
    assert not (tmp_path / "out").exists()


def test_tables_take_fragment_length_or_salmon(tmp_path, featurecounts_dir, salmon_dir, sheet):
    both = tables_argv(featurecounts_dir, sheet, tmp_path / "out")
    both += ["--salmon", *(f"{s}={p}" for s, p in salmon_dir.items())]
    neither = salmon_argv(featurecounts_dir, {}, sheet, tmp_path / "out")
    neither.remove("--salmon")
    for argv in (both, neither):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    assert not (tmp_path / "out").exists()


def test_fragment_length_cli(tmp_path, capsys):
    pe = write_bam(
        tmp_path / "pe.bam",
        lambda h: pair(h, "a", 100, 180, True) + pair(h, "b", 900, 220, False),
    )
    se = write_bam(tmp_path / "se.bam", lambda h: [segment(h, "r", 100, True)])
    base = ["expression", "fragment-length", "--sample"]
    assert main([*base, "pe", "--bam", str(pe), "--output-json", str(tmp_path / "pe.json")]) == 0
    assert json.loads((tmp_path / "pe.json").read_text()) == {
        "sample": "pe",
        "fragment_length_mean": 200.0,
        "source": "estimated",
    }
    argv = [*base, "se", "--bam", str(se), "--default", "185", "--output-json"]
    assert main([*argv, str(tmp_path / "se.json")]) == 0
    assert json.loads((tmp_path / "se.json").read_text()) == {
        "sample": "se",
        "fragment_length_mean": 185.0,
        "source": "assumed",
    }
    assert "se: mean fragment length 185.0 bp (assumed, single-end)" in capsys.readouterr().err


def test_fragment_length_cli_error_leaves_nothing(tmp_path, capsys):
    bad = tmp_path / "bad.bam"
    bad.write_text("not a bam\n")
    out = tmp_path / "out" / "bad.json"
    argv = ["expression", "fragment-length", "--sample", "S", "--bam", str(bad)]
    assert main([*argv, "--output-json", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("regflow expression: error: sample S: BAM ")
    assert "bad.bam cannot be read" in err and "\n" not in err
    assert not out.exists() and not list(out.parent.glob("*"))


def corrupt_gene_set(paths, sheet):
    genes = {"GA": ("chr1", [(1001, 1500)], "+"), "GZ": ("chr2", [(1, 300)], "+")}
    write_featurecounts(paths["s2"][0], {"GA": 1, "GZ": 3}, genes)
    return (
        f"sample s2: featureCounts file {paths['s2'][0]} has a different gene set from sample "
        f"s3's ({paths['s3'][0]}): 1 genes only here, 2 only there (e.g. GZ)"
    )


def zero_assigned(paths, sheet):
    write_featurecounts(paths["s1"][0], {"GA": 0, "GB": 0, "GC": 0})
    return f"sample s1: featureCounts file {paths['s1'][0]} has no reads assigned to genes"


def missing_from_sheet(paths, sheet):
    paths["s9"] = paths.pop("s2")
    return f"sample 's9' is not in sample sheet {sheet}"


def empty_condition(paths, sheet):
    rows = [("atac1", "atac", "t0"), ("s3", "rna", "t1"), ("s1", "rna", ""), ("s2", "rna", "t0")]
    write_sheet(sheet, rows)
    return f"{sheet} row 3 (sample 's1'): missing condition (the per-condition means need it)"


def not_featurecounts(paths, sheet):
    paths["s3"][0].write_text("gene\tcount\nGA\t1\n")
    return f"sample s3: featureCounts file {paths['s3'][0]} is not featureCounts output"


def wrong_json_sample(paths, sheet):
    paths["s2"][1].write_text('{"sample": "s1", "fragment_length_mean": 200}')
    return f"sample s2: fragment-length JSON {paths['s2'][1]} is for sample 's1'"


def no_fragment_length(paths, sheet):
    paths["s2"] = (paths["s2"][0], None)
    return "sample s2: --counts given but no --fragment-length"


@pytest.mark.parametrize(
    "break_input",
    [
        corrupt_gene_set,
        zero_assigned,
        missing_from_sheet,
        empty_condition,
        not_featurecounts,
        wrong_json_sample,
        no_fragment_length,
    ],
)
def test_tables_errors_leave_nothing(tmp_path, featurecounts_dir, sheet, capsys, break_input):
    paths = dict(featurecounts_dir)
    expected = break_input(paths, sheet)
    assert main(tables_argv(paths, sheet, tmp_path / "out")) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"regflow expression: error: {expected}")
    assert "\n" not in err
    assert not (tmp_path / "out").exists()


# gene_id -> (exons, strand) on chr1, 1-based inclusive: GC is antisense inside GA's first exon
STRANDED_GENES = {
    "GA": ([(1001, 1500), (2001, 2500)], "+"),
    "GB": ([(5001, 6000)], "-"),
    "GC": ([(1201, 1400)], "-"),
}


def stranded_reads(paired: bool):
    """Reverse-stranded (dUTP) reads: read 1 antisense to its gene.

    GA: 20 in its second exon + 10 in the overlap with GC; GC: 12; GB: 8.
    """
    origins = (
        [("GA", 2001 + 20 * i) for i in range(20)]
        + [("GA", 1201 + 5 * i) for i in range(10)]
        + [("GC", 1203 + 5 * i) for i in range(12)]
        + [("GB", 5001 + 50 * i) for i in range(8)]
    )

    def make(header):
        reads = []
        for i, (gene, start) in enumerate(origins):
            sense = STRANDED_GENES[gene][1]
            read1_reverse = sense == "+"  # antisense read 1
            if paired:
                reads += pair(header, f"f{i}", start - 1, 150, read1_reverse)
            else:
                reads.append(segment(header, f"r{i}", start - 1, read1_reverse))
        return reads

    return make


@pytest.mark.skipif(shutil.which("featureCounts") is None, reason="featureCounts not installed")
@pytest.mark.parametrize("paired", [False, True], ids=["single-end", "paired-end"])
def test_featurecounts_strand_aware(tmp_path, paired):
    gtf = tmp_path / "genes.gtf"
    lines = []
    for gene, (exons, strand) in STRANDED_GENES.items():
        attributes = f'gene_id "{gene}"; transcript_id "{gene}.t1";'
        for start, end in exons:
            lines.append(f"chr1\tsim\texon\t{start}\t{end}\t.\t{strand}\t.\t{attributes}")
    gtf.write_text("\n".join(lines) + "\n")
    bam = write_bam(tmp_path / "sample.bam", stranded_reads(paired))

    def count(strand: int) -> dict[str, int]:
        out = tmp_path / f"s{strand}.featureCounts.txt"
        argv = ["featureCounts", "-a", str(gtf), "-o", str(out), "-t", "exon", "-g", "gene_id"]
        argv += ["-s", str(strand), "-T", "2", *(["-p", "--countReadPairs"] if paired else [])]
        subprocess.run([*argv, str(bam)], check=True, capture_output=True)
        assert out.with_name(out.name + ".summary").is_file()
        table = read_featurecounts(out)
        assert table["length"].to_dict() == {"GA": 1000, "GB": 1000, "GC": 200}
        return table["count"].to_dict()

    # reverse: every read on its own gene, the overlap resolved by strand
    assert count(2) == {"GA": 30, "GB": 8, "GC": 12}
    # forward: reads land on the antisense gene (GC's on GA, GA's overlap reads on GC)
    assert count(1) == {"GA": 12, "GB": 0, "GC": 10}
    # unstranded: the 22 reads in the GA/GC overlap are ambiguous and dropped
    assert count(0) == {"GA": 20, "GB": 8, "GC": 0}
