"""One-hot DNA, GC content, bigWig values with padding, bin means and settings checks."""

from __future__ import annotations

from contextlib import closing

import numpy as np
import pyBigWig
import pysam
import pytest

from regflow.datasets.sequence import (
    base_codes,
    bigwig_values,
    bin_means,
    check_settings,
    fetch_onehot,
    gc_fraction,
    one_hot,
    open_bigwig,
    parse_settings,
    windows_gc,
)
from regflow.errors import RegflowError


def write_fasta(path, chroms: dict[str, str]):
    path.write_text("".join(f">{name}\n{seq}\n" for name, seq in chroms.items()))
    pysam.faidx(str(path))
    return path


def write_bigwig(path, sizes: dict[str, int], values: dict[str, np.ndarray]):
    """Per-base entries; NaN positions get no entry (no data)."""
    bw = pyBigWig.open(str(path), "w")
    bw.addHeader(list(sizes.items()))
    for chrom, vals in values.items():
        pos = np.flatnonzero(~np.isnan(vals))
        bw.addEntries(
            [chrom] * pos.size,
            pos.tolist(),
            ends=(pos + 1).tolist(),
            values=vals[pos].astype(float).tolist(),
        )
    bw.close()
    return path


def test_one_hot_order_case_and_n():
    expected = np.array(
        [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0]]
    )
    for seq in ("ACGTNR", "acgtnr", b"AcGtN-"):
        out = one_hot(seq)
        assert out.dtype == np.uint8 and out.shape == (6, 4)
        np.testing.assert_array_equal(out, expected)
    assert one_hot("").shape == (0, 4)
    np.testing.assert_array_equal(base_codes("TgAx"), [3, 2, 0, 4])


def test_fetch_onehot_pads_beyond_the_chromosome(tmp_path):
    fasta_path = write_fasta(tmp_path / "g.fa", {"c1": "ACGTacgtNN", "c2": "GGGG"})
    with closing(pysam.FastaFile(str(fasta_path))) as fasta:
        inside = fetch_onehot(fasta, "c1", 2, 6)
        np.testing.assert_array_equal(inside, one_hot("GTac"))
        out = fetch_onehot(fasta, "c1", -3, 13)
        assert out.shape == (16, 4) and out.dtype == np.uint8
        assert not out[:3].any() and not out[13:].any()
        np.testing.assert_array_equal(out[3:13], one_hot("ACGTacgtNN"))
        assert not fetch_onehot(fasta, "c2", 10, 15).any()  # wholly beyond the end
        with pytest.raises(RegflowError, match="g.fa has no chromosome chrX"):
            fetch_onehot(fasta, "chrX", 0, 5)


def test_gc_fraction_among_called_bases():
    batch = np.stack([one_hot("GGCCNNNN"), one_hot("ACGTACGT"), one_hot("NNNNNNNN")])
    np.testing.assert_allclose(gc_fraction(batch), [1.0, 0.5, 0.0])
    assert gc_fraction(one_hot("AAGN")) == pytest.approx(1 / 3)


def test_windows_gc_matches_gc_fraction():
    rng = np.random.default_rng(0)
    seq = "".join(rng.choice(list("ACGTNacgt"), 500))
    codes = base_codes(seq)
    starts = np.array([0, 17, 250, 440])
    expected = gc_fraction(np.stack([one_hot(seq[s : s + 60]) for s in starts]))
    np.testing.assert_allclose(windows_gc(codes, starts, 60), expected)
    assert windows_gc(base_codes("NNNNAC"), np.array([0]), 4)[0] == 0.0


def test_bigwig_values_pad_and_fill_nan(tmp_path):
    values = np.full(50, np.nan, dtype=np.float32)
    values[10:20] = np.arange(1, 11)
    path = write_bigwig(tmp_path / "t.bw", {"c1": 50, "c2": 30}, {"c1": values})
    with closing(open_bigwig(path, "track")) as bw:
        out = bigwig_values(bw, "c1", -5, 55, path)
        assert out.dtype == np.float32 and out.shape == (60,)
        expected = np.zeros(60, dtype=np.float32)
        expected[15:25] = np.arange(1, 11)
        np.testing.assert_array_equal(out, expected)
        np.testing.assert_array_equal(bigwig_values(bw, "c2", 0, 30, path), np.zeros(30))
        with pytest.raises(RegflowError, match=r"bigWig .*t\.bw has no chromosome c3"):
            bigwig_values(bw, "c3", 0, 10, path)


def test_open_bigwig_errors(tmp_path):
    with pytest.raises(RegflowError, match="cut sites .*none.bw does not exist"):
        open_bigwig(tmp_path / "none.bw", "cut sites")
    bad = tmp_path / "bad.bw"
    bad.write_text("not a bigwig\n")
    with pytest.raises(RegflowError, match="bad.bw is not a readable bigWig"):
        open_bigwig(bad, "cut sites")


def test_bin_means():
    values = np.arange(12, dtype=np.float32).reshape(2, 6)
    np.testing.assert_allclose(bin_means(values, 3), [[1, 4], [7, 10]])
    np.testing.assert_allclose(bin_means(values, 1), values)
    with pytest.raises(ValueError, match="multiple of the bin size 4"):
        bin_means(values, 4)


def test_settings_parsing_and_checks():
    assert parse_settings('{"a": 1}') == {"a": 1}
    with pytest.raises(RegflowError, match="not valid JSON"):
        parse_settings("{a: 1")
    with pytest.raises(RegflowError, match="must be a JSON object, got list"):
        parse_settings("[1, 2]")
    types = {"n": int, "q": float, "chroms": list[str]}
    good = {"n": 3, "q": 1, "chroms": ["chr1"]}
    checked = check_settings(good, types, "toy")
    assert checked == good and checked is not good
    with pytest.raises(RegflowError, match="toy settings lack key 'q'"):
        check_settings({"n": 3, "chroms": []}, types, "toy")
    with pytest.raises(RegflowError, match="toy settings have unknown key 'extra'"):
        check_settings({**good, "extra": 1}, types, "toy")
    with pytest.raises(RegflowError, match="toy setting 'n' must be int"):
        check_settings({**good, "n": True}, types, "toy")
    with pytest.raises(RegflowError, match=r"toy setting 'chroms' must be list\[str\]"):
        check_settings({**good, "chroms": ["chr1", 2]}, types, "toy")
