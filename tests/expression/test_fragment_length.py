"""Mean fragment length: estimated from proper pairs, assumed for single-end BAMs."""

from __future__ import annotations

import numpy as np
import pytest

from regflow.errors import RegflowError
from regflow.expression.fragment_length import fragment_length, template_lengths

from .conftest import pair, segment, write_bam

FRAGMENTS = [150, 180, 210, 240, 300]


def paired_reads(header):
    reads = []
    for i, length in enumerate(FRAGMENTS):
        reads += pair(header, f"p{i}", 1000 + 500 * i, length, read1_reverse=i % 2 == 0)
    # not counted: an improper pair, a secondary alignment
    improper = pair(header, "improper", 5000, 900, read1_reverse=True)
    for read in improper:
        read.is_proper_pair = False
    secondary = pair(header, "secondary", 6000, 999, read1_reverse=True)
    for read in secondary:
        read.is_secondary = True
    return reads + improper + secondary


def test_paired_end_mean_of_proper_pairs(tmp_path):
    bam = write_bam(tmp_path / "pe.bam", paired_reads)
    tlens = template_lengths(bam)
    assert sorted(tlens.tolist()) == FRAGMENTS  # one per pair
    assert fragment_length(tlens, 200) == {
        "fragment_length_mean": np.mean(FRAGMENTS),
        "source": "estimated",
    }


def test_paired_end_first_pairs_only(tmp_path):
    bam = write_bam(tmp_path / "pe.bam", paired_reads)
    assert template_lengths(bam, max_pairs=2).tolist() == FRAGMENTS[:2]


def test_single_end_is_assumed(tmp_path):
    bam = write_bam(
        tmp_path / "se.bam", lambda h: [segment(h, f"r{i}", 100 * i, i % 2 == 0) for i in range(5)]
    )
    assert template_lengths(bam) is None
    assert fragment_length(None, 175) == {"fragment_length_mean": 175.0, "source": "assumed"}


def test_no_mapped_reads(tmp_path):
    bam = write_bam(tmp_path / "empty.bam", lambda h: [])
    with pytest.raises(RegflowError, match=r"BAM .*empty.bam has no mapped reads"):
        template_lengths(bam)


def test_paired_without_proper_pairs(tmp_path):
    def improper(header):
        reads = pair(header, "p", 1000, 300, read1_reverse=True)
        for read in reads:
            read.is_proper_pair = False
        return reads

    bam = write_bam(tmp_path / "improper.bam", improper)
    with pytest.raises(RegflowError, match=r"improper.bam is paired-end but has no proper pairs"):
        template_lengths(bam)


def test_missing_and_unreadable_bam(tmp_path):
    with pytest.raises(RegflowError, match=r"BAM .*nope.bam does not exist"):
        template_lengths(tmp_path / "nope.bam")
    text = tmp_path / "text.bam"
    text.write_text("not a bam\n")
    with pytest.raises(RegflowError, match=r"BAM .*text.bam cannot be read"):
        template_lengths(text)
