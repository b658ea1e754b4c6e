import numpy as np

from regflow.simulate.fastq import format_fastq, sequence_errors
from regflow.simulate.fragments import add_duplicates, mixture_lengths
from regflow.simulate.genome import decode, encode
from regflow.simulate.readnames import parse_name
from regflow.simulate.reads import end_reads

SOURCE = encode("AAAACCCCGGGGTTTTACGT")


def test_forward_and_reverse_reads_of_a_fragment():
    rng = np.random.default_rng(0)
    start, end = np.array([2, 2]), np.array([14, 14])
    reads = end_reads(rng, SOURCE, start, end, np.array([True, False]), 6, "CTGTCT")
    assert decode(reads[0]) == b"AACCCC"
    # fragment AACCCCGGGGTT: the - strand read starts at its end, revcomp of GGTT... = AACC..
    assert decode(reads[1]) == b"AACCCC"
    reads = end_reads(rng, SOURCE, np.array([0]), np.array([12]), np.array([False]), 4, "C")
    assert decode(reads[0]) == b"CCCC"  # revcomp of GGGG at 8..12


def test_read_through_into_adapter_then_random():
    rng = np.random.default_rng(0)
    reads = end_reads(rng, SOURCE, np.array([4]), np.array([8]), np.array([True]), 12, "GATC")
    assert decode(reads[0])[:8] == b"CCCCGATC"


def test_errors_follow_qualities():
    rng = np.random.default_rng(0)
    codes = np.zeros((20000, 50), dtype=np.uint8)
    noisy, phred = sequence_errors(rng, codes, 0.001, 0.05)
    err = noisy != codes
    assert err[:, :10].mean() < err[:, -10:].mean()
    low_q, high_q = phred < 20, phred >= 30
    assert err[low_q].mean() > 5 * err[high_q].mean()
    observed_q = -10 * np.log10(err[low_q].mean())
    assert 10 < observed_q < 22


def test_fastq_records():
    text = format_fastq(
        ["a.0:c:1-5:+:c0:signal"],
        np.array([[0, 1, 2, 3]], np.uint8),
        np.array([[40, 30, 20, 10]], np.uint8),
    )
    assert text == b"@a.0:c:1-5:+:c0:signal\nACGT\n+\nI?5+\n"


def test_duplicates_copy_existing_fragments():
    rng = np.random.default_rng(0)
    frags = {
        "chrom": np.zeros(1000, int),
        "start": np.arange(1000),
        "end": np.arange(1000) + 50,
        "kind": np.zeros(1000, int),
    }
    out, copy = add_duplicates(rng, frags, 0.2)
    assert (copy > 0).sum() == 200
    assert len(set(out["start"].tolist())) == 800
    first = {}
    for s, c in zip(out["start"].tolist(), copy.tolist(), strict=True):
        first.setdefault(s, c)
        assert first[s] == 0  # the original precedes its copies


def test_mixture_lengths_modes():
    rng = np.random.default_rng(0)
    lengths = mixture_lengths(
        rng, 20000, [{"mean": 200, "sd": 5, "weight": 1}, {"median": 60, "sigma": 0.1, "weight": 1}]
    )
    assert abs(np.median(lengths[lengths > 130]) - 200) < 2
    assert abs(np.median(lengths[lengths < 130]) - 60) < 2


def test_read_name_round_trip():
    o = parse_name("rna_7.5min_r1.12:chr2:100-300:-:c1:transcript:G001/1")
    assert o == {
        "sample": "rna_7.5min_r1",
        "index": 12,
        "chrom": "chr2",
        "start": 100,
        "end": 300,
        "strand": "-",
        "copy": 1,
        "kind": "transcript",
        "gene_id": "G001",
    }
