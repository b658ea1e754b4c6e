"""The QC table: fastp and bowtie2 parsers, merging, the MultiQC file."""

from __future__ import annotations

import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.qc.table import (
    MQC_HEADER,
    check_record,
    merge_metrics,
    multiqc_table,
    parse_bowtie2,
    parse_fastp,
)

# trimmed from a real fastp 0.23.2 report (paired-end, --detect_adapter_for_pe)
FASTP = {
    "summary": {
        "fastp_version": "0.23.2",
        "sequencing": "paired end (50 cycles + 50 cycles)",
        "before_filtering": {
            "total_reads": 297570,
            "total_bases": 14878500,
            "q20_rate": 0.906137,
            "q30_rate": 0.158557,
            "read1_mean_length": 50,
            "read2_mean_length": 50,
            "gc_content": 0.392504,
        },
        "after_filtering": {
            "total_reads": 297564,
            "total_bases": 14666968,
            "q20_rate": 0.909275,
            "q30_rate": 0.160828,
            "read1_mean_length": 49,
            "read2_mean_length": 49,
            "gc_content": 0.391884,
        },
    },
    "filtering_result": {
        "passed_filter_reads": 297564,
        "low_quality_reads": 6,
        "too_many_N_reads": 0,
        "too_short_reads": 0,
        "too_long_reads": 0,
    },
    "duplication": {"rate": 0.022388},
    "insert_size": {"peak": 63, "unknown": 1212},
    "adapter_cutting": {
        "adapter_trimmed_reads": 26470,
        "adapter_trimmed_bases": 211232,
        "read1_adapter_sequence": "unspecified",
        "read1_adapter_counts": {"C": 1062, "CT": 1085, "others": 952},
    },
}

# bowtie2 2.5.0 stderr, paired-end (-X 2000) with a warning line before the summary
BOWTIE2_PE = """\
Warning: skipping read 'r1' because length (0) <= # seed mismatches (0)
148782 reads; of these:
  148782 (100.00%) were paired; of these:
    343 (0.23%) aligned concordantly 0 times
    136515 (91.76%) aligned concordantly exactly 1 time
    11924 (8.01%) aligned concordantly >1 times
    ----
    343 pairs aligned concordantly 0 times; of these:
      76 (22.16%) aligned discordantly 1 time
    ----
    267 pairs aligned 0 times concordantly or discordantly; of these:
      534 mates make up the pairs; of these:
        510 (95.51%) aligned 0 times
        13 (2.43%) aligned exactly 1 time
        11 (2.06%) aligned >1 times
99.83% overall alignment rate
"""

BOWTIE2_SE = """\
10000 reads; of these:
  10000 (100.00%) were unpaired; of these:
    247 (2.47%) aligned 0 times
    9084 (90.84%) aligned exactly 1 time
    669 (6.69%) aligned >1 times
97.53% overall alignment rate
"""


def test_parse_fastp():
    metrics = parse_fastp(FASTP, "fastp.json")
    assert metrics == {
        "fastp_reads_before": 297570,
        "fastp_reads_after": 297564,
        "fastp_fraction_passed": pytest.approx(297564 / 297570),
        "fastp_q30_rate_after": 0.160828,
        "fastp_gc_content_after": 0.391884,
        "fastp_duplication_rate": 0.022388,
        "fastp_adapter_trimmed_reads": 26470,
        "fastp_fraction_adapter_trimmed": pytest.approx(26470 / 297570),
    }


def test_parse_fastp_without_adapter_cutting_and_broken():
    report = {k: v for k, v in FASTP.items() if k != "adapter_cutting"}
    assert "fastp_adapter_trimmed_reads" not in parse_fastp(report)
    with pytest.raises(RegflowError, match="x.json lacks summary.after_filtering.total_reads"):
        parse_fastp({"summary": {"before_filtering": {"total_reads": 5}}}, "x.json")


def test_parse_bowtie2_paired():
    metrics = parse_bowtie2(BOWTIE2_PE)
    assert metrics == {
        "bowtie2_reads": 148782,
        "bowtie2_pairs": 148782,
        "bowtie2_concordant_0_times": 343,
        "bowtie2_concordant_1_time": 136515,
        "bowtie2_concordant_multi": 11924,
        "bowtie2_discordant_1_time": 76,
        "bowtie2_mates": 534,
        "bowtie2_mates_aligned_0_times": 510,
        "bowtie2_mates_aligned_1_time": 13,
        "bowtie2_mates_aligned_multi": 11,
        "bowtie2_overall_alignment_rate": 0.9983,
        "bowtie2_concordant_1_time_rate": pytest.approx(136515 / 148782),
    }


def test_parse_bowtie2_single():
    metrics = parse_bowtie2(BOWTIE2_SE)
    assert metrics == {
        "bowtie2_reads": 10000,
        "bowtie2_unpaired": 10000,
        "bowtie2_aligned_0_times": 247,
        "bowtie2_aligned_1_time": 9084,
        "bowtie2_aligned_multi": 669,
        "bowtie2_overall_alignment_rate": 0.9753,
        "bowtie2_aligned_1_time_rate": 0.9084,
    }


def test_parse_bowtie2_rejects_other_text():
    with pytest.raises(RegflowError, match="log.txt is not a bowtie2 alignment summary"):
        parse_bowtie2("Error: index not found\n", "log.txt")
    with pytest.raises(RegflowError, match="more than one"):
        parse_bowtie2(BOWTIE2_SE + BOWTIE2_SE)


def test_merge_metrics_layout():
    records = [
        ("b.json", "B", {"tss_enrichment": 6.5, "fragments": 10}),
        ("a.json", "A", {"fragments": 20, "label": "x"}),
        ("fastp", "A", parse_fastp(FASTP)),
        ("bt2", "B", parse_bowtie2(BOWTIE2_SE)),
    ]
    table = merge_metrics(records)
    assert table["sample"].tolist() == ["B", "A"]  # order of first appearance
    assert table.columns[0] == "sample"
    assert list(table.columns[1:]) == sorted(table.columns[1:])
    assert str(table["fragments"].dtype) == "Int64"
    assert table.loc[1, "tss_enrichment"] is pd.NA or pd.isna(table.loc[1, "tss_enrichment"])
    assert table.loc[0, "bowtie2_aligned_1_time"] == 9084
    # the layout does not depend on the order of the inputs
    again = merge_metrics([records[1], records[0], records[3], records[2]])
    assert list(again.columns) == list(table.columns)


def test_merge_metrics_conflict_and_duplicate():
    same = merge_metrics([("a", "S", {"x": 1}), ("b", "S", {"x": 1})])
    assert same.shape == (1, 2)
    with pytest.raises(RegflowError, match="sample S: metric 'x' is 1 in a but 2 in b"):
        merge_metrics([("a", "S", {"x": 1}), ("b", "S", {"x": 2})])


def test_check_record():
    assert check_record({"sample": "S", "a": 1}, "m.json") == ("S", {"a": 1})
    with pytest.raises(RegflowError, match='m.json has no "sample"'):
        check_record({"a": 1}, "m.json")
    with pytest.raises(RegflowError, match="flat"):
        check_record({"sample": "S", "a": {"b": 1}}, "m.json")


def test_multiqc_table_header(tmp_path):
    from regflow.io import write_outputs
    from regflow.qc.io import tsv_writer

    table = merge_metrics([("a", "S1", {"x": 1, "y": 0.5}), ("b", "S2", {"x": 3})])
    out = tmp_path / "qc_mqc.tsv"
    write_outputs({out: tsv_writer(multiqc_table(table), MQC_HEADER)})
    lines = out.read_text().splitlines()
    assert "# plot_type: 'table'" in lines
    assert all(line.startswith("#") for line in lines[: len(MQC_HEADER)])
    assert lines[len(MQC_HEADER)] == "Sample\tx\ty"
    assert lines[len(MQC_HEADER) + 1 :] == ["S1\t1\t0.5", "S2\t3\t"]
