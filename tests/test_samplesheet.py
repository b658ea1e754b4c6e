"""Tests for regflow.samplesheet: every problem is one line naming the row and the problem."""

from __future__ import annotations

import argparse

import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.samplesheet import COLUMNS, add_parser, read_sample_sheet, validate_sample_sheet

SHEET = "config/samples.tsv"


def row(sample, assay="rna", condition="c1", replicate="1", fastq_1=None, fastq_2=""):
    """One sheet row as a dict; FASTQ defaults to ``{sample}_R1.fastq.gz`` (and R2 if paired)."""
    if fastq_1 is None:
        fastq_1 = f"{sample}_R1.fastq.gz"
        if assay in ("atac", "mnase") and fastq_2 == "":
            fastq_2 = f"{sample}_R2.fastq.gz"
    return {
        "sample": sample,
        "assay": assay,
        "condition": condition,
        "replicate": replicate,
        "fastq_1": fastq_1,
        "fastq_2": fastq_2,
    }


def frame(*rows):
    return pd.DataFrame(list(rows), columns=list(COLUMNS), dtype=str)


def produced(df):
    """Every FASTQ named in ``df``, so that no file needs to exist."""
    columns = [c for c in ("fastq_1", "fastq_2") if c in df.columns]
    return {p for column in columns for p in df[column] if isinstance(p, str) and p}


def check(df, tmp_path, **kwargs):
    kwargs.setdefault("produced", produced(df))
    return validate_sample_sheet(df, SHEET, base_dir=tmp_path, **kwargs)


def error(df, tmp_path, **kwargs):
    with pytest.raises(RegflowError) as info:
        check(df, tmp_path, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_sheet_is_indexed_by_sample_and_normalised(tmp_path):
    df = frame(
        row("atac_a_r1", "atac", "cellA"),
        row("rna_a_r1", "rna", "cellA"),
        row("rna_a_r2", "rna", "cellA", replicate="2"),
    )
    before = df.copy()
    out = check(df, tmp_path)
    pd.testing.assert_frame_equal(df, before)  # the caller's frame is untouched
    assert list(out.index) == ["atac_a_r1", "rna_a_r1", "rna_a_r2"]
    assert list(out.columns) == list(COLUMNS)
    assert out.loc["rna_a_r2", "replicate"] == 2
    assert out["replicate"].dtype.kind == "i"
    assert out.loc["rna_a_r1", "fastq_2"] == ""
    assert out.loc["atac_a_r1", "fastq_2"] == "atac_a_r1_R2.fastq.gz"


def test_missing_values_become_empty_strings(tmp_path):
    df = pd.DataFrame(
        {
            "sample": ["rna_1"],
            "assay": ["rna"],
            "condition": [None],
            "replicate": [1.0],
            "fastq_1": ["rna_1_R1.fastq.gz"],
            "fastq_2": [float("nan")],
        }
    )
    out = check(df, tmp_path, condition_required_for=())
    assert out.loc["rna_1", "condition"] == ""
    assert out.loc["rna_1", "fastq_2"] == ""
    assert out.loc["rna_1", "replicate"] == 1


def test_extra_columns_are_kept_after_the_standard_ones(tmp_path):
    df = frame(row("rna_1")).assign(batch="b1")
    out = check(df, tmp_path)
    assert list(out.columns) == [*COLUMNS, "batch"]


def test_missing_column(tmp_path):
    df = frame(row("rna_1")).drop(columns=["replicate"])
    message = error(df, tmp_path)
    assert message.startswith(f"{SHEET}: missing column(s) replicate")


def test_space_separated_header_hints_at_tabs(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("sample assay condition replicate fastq_1 fastq_2\n")
    message = error(read_sample_sheet(path), tmp_path)
    assert "tab-separated?" in message


def test_empty_sheet(tmp_path):
    assert "no samples" in error(frame(), tmp_path)


def test_duplicate_sample(tmp_path):
    df = frame(row("atac_x", "atac"), row("rna_1"), row("atac_x", "atac"))
    message = error(df, tmp_path)
    assert message == f"{SHEET} row 3 (sample 'atac_x'): duplicate sample name (also row 1)"


def test_unknown_assay(tmp_path):
    message = error(frame(row("rna_1"), row("chip_1", "chipseq")), tmp_path)
    assert message.startswith(f"{SHEET} row 2 (sample 'chip_1'): unknown assay 'chipseq'")
    assert "atac, mnase, rna" in message


def test_missing_assay(tmp_path):
    message = error(frame(row("x_1", "")), tmp_path)
    assert message.startswith(f"{SHEET} row 1 (sample 'x_1'): unknown assay missing")


@pytest.mark.parametrize("replicate", ["0", "-1", "1.5", "one", ""])
def test_replicate_not_a_positive_integer(tmp_path, replicate):
    message = error(frame(row("rna_1", replicate=replicate)), tmp_path)
    assert message.startswith(f"{SHEET} row 1 (sample 'rna_1'): replicate must be a positive")


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("rna 1", "contains a space"),
        ("rna/1", "contains a slash"),
        ("rna;1", "shell metacharacter ';'"),
        ("rna$1", "shell metacharacter '$'"),
        ("rna*", "shell metacharacter '*'"),
        ("rna\t1", "contains a tab"),
        ("rnaé", "the character 'é'"),
        ("_rna", "must start with a letter or digit"),
    ],
)
def test_wildcard_unsafe_sample_name(tmp_path, name, what):
    message = error(frame(row("ok_1"), row(name, fastq_1="x_R1.fastq.gz")), tmp_path)
    assert message.startswith(f"{SHEET} row 2 (sample {name!r}): sample name {name!r}")
    assert what in message


def test_wildcard_unsafe_condition(tmp_path):
    message = error(frame(row("rna_1", condition="time 0")), tmp_path)
    assert message.startswith(f"{SHEET} row 1 (sample 'rna_1'): condition name 'time 0'")
    assert "a space" in message


def test_missing_sample_name(tmp_path):
    message = error(frame(row("rna_1"), row("", fastq_1="x_R1.fastq.gz")), tmp_path)
    assert message == f"{SHEET} row 2: missing sample name"


def test_condition_required(tmp_path):
    message = error(frame(row("mnase_1", "mnase", condition="")), tmp_path)
    assert message == (
        f"{SHEET} row 1 (sample 'mnase_1'): missing condition (required for mnase samples)"
    )


def test_condition_optional_when_not_required(tmp_path):
    out = check(frame(row("rna_1", condition="")), tmp_path, condition_required_for=["atac"])
    assert out.loc["rna_1", "condition"] == ""


@pytest.mark.parametrize("assay", ["atac", "mnase"])
def test_paired_end_required(tmp_path, assay):
    df = frame(row(f"{assay}_1", assay, fastq_1="a_R1.fastq.gz", fastq_2=""))
    message = error(df, tmp_path)
    assert message == (
        f"{SHEET} row 1 (sample '{assay}_1'): {assay} samples must be paired-end: "
        "fastq_2 is missing"
    )


def test_single_end_rna_is_fine(tmp_path):
    assert check(frame(row("rna_1")), tmp_path).loc["rna_1", "fastq_2"] == ""


def test_missing_fastq_1(tmp_path):
    message = error(frame(row("rna_1", fastq_1="")), tmp_path)
    assert message == f"{SHEET} row 1 (sample 'rna_1'): missing fastq_1"


def test_same_file_for_both_reads(tmp_path):
    df = frame(row("atac_1", "atac", fastq_1="a.fastq.gz", fastq_2="./a.fastq.gz"))
    assert "fastq_1 and fastq_2 are the same file" in error(df, tmp_path)


def test_missing_fastq_file(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "rna_1_R1.fastq.gz").write_bytes(b"")
    df = frame(
        row("rna_1", fastq_1="data/rna_1_R1.fastq.gz"),
        row("rna_2", fastq_1="data/rna_2_R1.fastq.gz"),
    )
    message = error(df, tmp_path, produced=set())
    assert message == (
        f"{SHEET} row 2 (sample 'rna_2'): fastq_1 file not found: data/rna_2_R1.fastq.gz"
    )


def test_missing_read_2_file(tmp_path):
    (tmp_path / "a_R1.fastq.gz").write_bytes(b"")
    df = frame(row("atac_1", "atac", fastq_1="a_R1.fastq.gz", fastq_2="a_R2.fastq.gz"))
    message = error(df, tmp_path, produced=set())
    assert message.endswith("fastq_2 file not found: a_R2.fastq.gz")


def test_produced_fastq_need_not_exist(tmp_path):
    df = frame(row("rna_1", fastq_1="results/simulate/fastq/rna_1_R1.fastq.gz"))
    out = check(df, tmp_path, produced={"results/simulate/fastq/rna_1_R1.fastq.gz"})
    assert len(out) == 1


def test_urls_need_not_exist_and_keep_their_md5(tmp_path):
    url = "https://ftp.sra.ebi.ac.uk/vol1/fastq/SRR1/SRR1_1.fastq.gz"
    df = frame(row("rna_1", fastq_1=url)).assign(md5_1="0" * 32)
    out = validate_sample_sheet(df, SHEET, base_dir=tmp_path)
    assert out.loc["rna_1", "fastq_1"] == url
    assert out.loc["rna_1", "md5_1"] == "0" * 32


@pytest.mark.parametrize(
    ("fastq_1", "md5_1", "problem"),
    [
        ("s3://bucket/a.fastq.gz", "", "fastq_1: unsupported URL scheme 's3'"),
        ("https://host/dir/", "", "fastq_1: URL names no file: https://host/dir/"),
        ("https://host/a.fastq.gz", "abc", "md5_1: not an MD5 checksum"),
        ("a_R1.fastq.gz", "0" * 32, "md5_1 is given but fastq_1 is not a URL"),
    ],
)
def test_url_and_md5_problems(tmp_path, fastq_1, md5_1, problem):
    df = frame(row("rna_1", fastq_1=fastq_1)).assign(md5_1=md5_1)
    message = error(df, tmp_path, produced=set())
    assert message.startswith(f"{SHEET} row 1 (sample 'rna_1'): {problem}")


def test_existing_absolute_fastq(tmp_path):
    fastq = tmp_path / "abs_R1.fastq.gz"
    fastq.write_bytes(b"")
    out = check(frame(row("rna_1", fastq_1=str(fastq))), tmp_path / "elsewhere", produced=set())
    assert out.loc["rna_1", "fastq_1"] == str(fastq)


def test_read_sample_sheet_keeps_strings_and_empty_cells(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text(
        "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
        "rna_007\trna\tNA\t01\trna_007_R1.fastq.gz\t\n"
    )
    df = read_sample_sheet(path)
    assert df.loc[0, "sample"] == "rna_007"
    assert df.loc[0, "condition"] == "NA"  # not turned into a missing value
    assert df.loc[0, "replicate"] == "01"
    assert df.loc[0, "fastq_2"] == ""


def test_read_missing_sheet(tmp_path):
    with pytest.raises(RegflowError, match="sample sheet not found"):
        read_sample_sheet(tmp_path / "nope.tsv")


def test_read_empty_file(tmp_path):
    path = tmp_path / "samples.tsv"
    path.write_text("")
    with pytest.raises(RegflowError, match="sample sheet is empty"):
        read_sample_sheet(path)


def run_cli(argv):
    """Parse ``argv`` with only the check-samples subcommand registered, and run it."""
    parser = argparse.ArgumentParser(prog="regflow")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    args.func(args)


def test_cli_check_samples(tmp_path, capsys):
    (tmp_path / "rna_1_R1.fastq.gz").write_bytes(b"")
    path = tmp_path / "samples.tsv"
    path.write_text(
        "sample\tassay\tcondition\treplicate\tfastq_1\tfastq_2\n"
        "rna_1\trna\tc1\t1\trna_1_R1.fastq.gz\t\n"
        "atac_1\tatac\tc1\t1\tsim/atac_1_R1.fastq.gz\tsim/atac_1_R2.fastq.gz\n"
    )
    argv = ["check-samples", str(path), "--base-dir", str(tmp_path)]
    run_cli([*argv, "--produced-under", "sim/"])
    assert capsys.readouterr().out == f"{path}: 2 samples (atac 1, rna 1)\n"

    with pytest.raises(RegflowError) as info:
        run_cli(argv)
    assert str(info.value) == (
        f"{path} row 2 (sample 'atac_1'): fastq_1 file not found: sim/atac_1_R1.fastq.gz"
    )
