import numpy as np
import pandas as pd
import pytest

from regflow.errors import RegflowError
from regflow.motifs.regions import (
    check_regions,
    encode_bases,
    promoter_windows,
    symmetric_background,
)

SIZES = {"chr1": 10_000, "chr2": 3_000}


def test_encode_bases():
    assert encode_bases(b"ACGTacgtNRx").tolist() == [0, 1, 2, 3, 0, 1, 2, 3, 4, 4, 4]


def test_background_averages_both_strands():
    assert np.allclose(symmetric_background([40, 10, 20, 30]), [0.35, 0.15, 0.15, 0.35])


def test_promoter_windows_are_strand_aware_and_clipped():
    tss = pd.DataFrame(
        {
            "chrom": ["chr1", "chr1", "chr2", "chr1"],
            "position": [5000, 5000, 2900, 300],
            "strand": ["+", "-", "+", "-"],
            "name": ["Gplus", "Gminus", "Gend", "Gstart"],
        }
    )
    regions, clipped = promoter_windows(tss, upstream=1000, downstream=500, chrom_sizes=SIZES)
    assert regions["name"].tolist() == ["Gplus", "Gminus", "Gend", "Gstart"]  # input order
    assert regions[["start", "end"]].values.tolist() == [
        [4000, 5500],  # + : 1000 before, 500 after
        [4501, 6001],  # - : the TSS base is position 5000, upstream lies to the right
        [1900, 3000],  # clipped at the end of chr2
        [0, 1301],  # clipped at the start of chr1
    ]
    assert clipped == 2


def test_promoter_on_a_missing_chromosome():
    tss = pd.DataFrame({"chrom": ["chrX"], "position": [5], "strand": ["+"], "name": ["G"]})
    with pytest.raises(RegflowError, match="TSS of G is on chrX"):
        promoter_windows(tss, 10, 10, SIZES)


def frame(rows):
    return pd.DataFrame(rows, columns=["chrom", "start", "end", "name"])


def test_region_past_the_chromosome_end_is_named():
    with pytest.raises(RegflowError, match=r"peaks.bed: region far \(chr2:2900-3100\) runs past"):
        check_regions(
            frame([("chr1", 0, 10, "ok"), ("chr2", 2900, 3100, "far")]), SIZES, "peaks.bed"
        )


def test_region_on_unknown_chromosome_and_repeated_names():
    with pytest.raises(RegflowError, match="region odd is on chr7"):
        check_regions(frame([("chr7", 0, 10, "odd")]), SIZES, "x")
    with pytest.raises(RegflowError, match="region name a is used twice"):
        check_regions(frame([("chr1", 0, 10, "a"), ("chr1", 20, 30, "a")]), SIZES, "x")
    check_regions(frame([("chr2", 0, 3000, "whole")]), SIZES, "x")  # up to the end is fine
