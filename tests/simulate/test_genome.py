import numpy as np
import pytest

from regflow.simulate.genome import (
    Genome,
    decode,
    encode,
    plant_repeats,
    random_sequence,
    read_fasta,
    write_fasta,
)


def test_random_sequence_has_the_gc_content_and_few_cpgs():
    rng = np.random.default_rng(0)
    plain = random_sequence(rng, 200_000, 0.4, 5000, 0.0, 0.0)
    assert abs(np.isin(plain, [1, 2]).mean() - 0.4) < 0.01
    seq = random_sequence(rng, 200_000, 0.4, 5000, 0.0, 0.6)
    cpg = ((seq[:-1] == 1) & (seq[1:] == 2)).mean()
    expected_without_depletion = 0.2 * 0.2
    assert cpg < 0.55 * expected_without_depletion


def test_repeats_are_near_identical_copies():
    rng = np.random.default_rng(1)
    seq = rng.integers(0, 4, 500_000, dtype=np.uint8)
    placed = plant_repeats(
        rng, seq, families=1, copies=3, min_length=500, max_length=500, divergence=0.01
    )
    (_, a0, a1), (_, b0, b1) = placed[0], placed[1]
    assert max(a0, b0) >= min(a1, b1)  # this seed places the copies apart
    assert (seq[a0:a1] != seq[b0:b1]).mean() < 0.05


def test_fasta_round_trip_and_fai(tmp_path):
    codes = encode("ACGTACGTTT" * 13 + "GGA")
    genome = Genome(("chr1", "chrM"), (100, 33), codes)
    path = tmp_path / "g.fa"
    write_fasta(genome, path, line_width=60)
    back = read_fasta(path)
    assert back.names == genome.names and back.lengths == genome.lengths
    assert np.array_equal(back.codes, codes)
    fai = [line.split("\t") for line in (tmp_path / "g.fa.fai").read_text().splitlines()]
    raw = path.read_bytes()
    for name, length, offset, bases, width in fai:
        # samtools' definition: the byte offset of the first base of each sequence
        assert raw[int(offset) : int(offset) + 4] == decode(back.chrom(name)[:4])
        assert (int(length), int(bases), int(width)) == (
            back.lengths[back.names.index(name)],
            60,
            61,
        )


def test_encode_rejects_other_characters():
    with pytest.raises(ValueError):
        encode("ACGN")
