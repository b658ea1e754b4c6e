"""``regflow motifs ...`` end to end on a tiny genome, and its failure modes."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest

from regflow.motifs.io import read_motifs, write_jaspar
from regflow.motifs.matrices import Motif

from .conftest import consensus_counts, run, sharp_motifs

UNSORTED_BED = (
    "chr2\t250\t400\tr_b\t0\t+\n"  # M2 (TTGCATGA) at chr2:300, + strand
    "chr1\t450\t600\tr_a\t0\t+\n"  # M1 (ACGTCAGT) at chr1:500, + strand
    "chr1\t10\t14\tshort\n"  # shorter than every motif
    "chr1\t2150\t2300\tr_c\n"  # M1 at chr1:2200, - strand
    "chr1\t1000\t1100\n"  # unnamed
)


def scan_argv(genome, motifs, prefix, *source):
    return [
        "motifs",
        "scan",
        "--genome",
        str(genome),
        *source,
        "--motifs",
        str(motifs),
        "--pvalue",
        "1e-4",
        "--output-prefix",
        str(prefix),
    ]


def read_hits(prefix):
    with gzip.open(f"{prefix}.hits.tsv.gz", "rt") as handle:
        return pd.read_csv(handle, sep="\t")


def test_scan_rows_follow_an_unsorted_bed(tmp_path, genome, motif_file):
    bed = tmp_path / "regions.bed"
    bed.write_text(UNSORTED_BED)
    prefix = tmp_path / "out" / "peaks"
    assert run(scan_argv(genome, motif_file, prefix, "--regions", str(bed))) == 0
    with np.load(f"{prefix}.npz") as npz:
        data = {key: npz[key] for key in npz.files}
    assert data["regions"].tolist() == ["r_b", "r_a", "short", "r_c", "chr1:1000-1100"]
    assert data["start"].tolist() == [250, 450, 10, 2150, 1000]
    assert data["motif_ids"].tolist() == ["M1", "M2", "M3"]
    assert data["motif_names"].tolist() == ["ALPHA", "BETA", "GAMMA"]
    for key in ("max_score", "hit_score_sum", "hit_count", "unscorable"):
        assert data[key].shape == (5, 3)
    count = data["hit_count"]
    assert count[0, 1] >= 1 and count[1, 0] >= 1 and count[3, 0] >= 1  # each site in its row
    assert count[1, 1] == 0 and count[0, 0] == 0
    assert (count[:, 2] == 0).all()  # GAMMA cannot reach p < 1e-4
    assert data["unscorable"][2].all() and (data["max_score"][2] == 0).all()
    assert not data["unscorable"][[0, 1, 3, 4]].any()
    hits = read_hits(prefix)
    planted = hits[hits["score"] == hits.groupby("motif_id")["score"].transform("max")]
    assert set(
        zip(
            planted["region"], planted["motif_id"], planted["start"], planted["strand"], strict=True
        )
    ) >= {
        ("r_b", "M2", 300, "+"),
        ("r_a", "M1", 500, "+"),
        ("r_c", "M1", 2200, "-"),
    }
    assert (hits["pvalue"] < 1e-4).all()
    assert np.isclose(
        data["max_score"][1, 0], planted.loc[planted["region"] == "r_a", "score"].max()
    )


def test_scan_promoters_in_gtf_order(tmp_path, genome, motif_file):
    gtf = tmp_path / "genes.gtf"
    rows = [
        ("chr2", 601, 900, "+", "Gb"),  # TSS chr2:600 -> window [0, 700) after clipping
        ("chr1", 1801, 2150, "-", "Ga"),  # TSS chr1:2149, upstream to the right
    ]
    gtf.write_text(
        "".join(
            f'{c}\tsim\tgene\t{s}\t{e}\t.\t{st}\t.\tgene_id "{g}";\n'
            f'{c}\tsim\texon\t{s}\t{e}\t.\t{st}\t.\tgene_id "{g}";\n'
            for c, s, e, st, g in rows
        )
    )
    prefix = tmp_path / "prom"
    argv = scan_argv(genome, motif_file, prefix, "--promoters", str(gtf))
    assert run([*argv, "--upstream", "1000", "--downstream", "100"]) == 0
    with np.load(f"{prefix}.npz") as npz:
        assert npz["regions"].tolist() == ["Gb", "Ga"]
        assert npz["start"].tolist() == [0, 2050]  # [-400, 700) and [2050, 3150), clipped
        assert npz["end"].tolist() == [700, 3000]
    assert run([*argv, "--upstream", "100", "--downstream", "300"]) == 0
    with np.load(f"{prefix}.npz") as npz:
        assert npz["start"].tolist() == [500, 1850] and npz["end"].tolist() == [900, 2250]
        assert npz["hit_count"][1, 0] >= 1  # M1 at chr1:2200 lies in Ga's window


def test_off_chromosome_region_fails_and_writes_nothing(tmp_path, genome, motif_file, capsys):
    bed = tmp_path / "regions.bed"
    bed.write_text("chr1\t0\t100\tok\nchr2\t1100\t1300\tbeyond\n")
    prefix = tmp_path / "out" / "x"
    assert run(scan_argv(genome, motif_file, prefix, "--regions", str(bed))) == 1
    message = capsys.readouterr().out
    assert "region beyond (chr2:1100-1300) runs past the end of chr2 (1,200 bp)" in message
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_malformed_motif_file_fails_and_writes_nothing(tmp_path, genome, capsys):
    bad = tmp_path / "bad.jaspar"
    bad.write_text(">M1 x\nA [1 2]\nC [1 2]\nG [1 2]\nT [1 x]\n")
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t100\n")
    assert run(scan_argv(genome, bad, tmp_path / "x", "--regions", str(bed))) == 1
    assert f"motif file {bad} line 5: not a row of numbers" in capsys.readouterr().out
    assert not list(tmp_path.glob("x*"))
    out = tmp_path / "set.jaspar"
    assert run(["motifs", "fetch", "--from-file", str(bad), "--output", str(out)]) == 1
    assert not out.exists()


def test_fetch_combines_jaspar_and_files(tmp_path, capsys):
    meme = tmp_path / "user.meme"
    meme.write_text(
        "MEME version 4\n\nMOTIF mine MINE\n"
        "letter-probability matrix: alength= 4 w= 2 nsites= 50\n1 0 0 0\n0 0.5 0.5 0\n"
    )
    out = tmp_path / "motifs.jaspar"
    argv = ["motifs", "fetch", "--release", "JASPAR2024", "--ids", "MA0139.2", "MA0363.3"]
    assert run([*argv, "--from-file", str(meme), "--output", str(out)]) == 0
    motifs = read_motifs(out)
    assert [m.matrix_id for m in motifs] == ["MA0139.2", "MA0363.3", "mine"]
    assert motifs[2].counts.tolist() == [[50, 0, 0, 0], [0, 25, 25, 0]]
    out.unlink()
    assert run(["motifs", "fetch", "--output", str(out)]) == 1
    assert run(["motifs", "fetch", "--taxon", "fungi", "--output", str(out)]) == 1
    clash = tmp_path / "clash.jaspar"
    write_jaspar([Motif("MA0139.2", "fake", np.ones((3, 4)))], clash)
    assert run([*argv, "--from-file", str(clash), "--output", str(out)]) == 1
    assert "motif ID MA0139.2 is already in the set" in capsys.readouterr().out
    assert not out.exists()


def test_clusters_and_aggregate(tmp_path, genome):
    motifs = sharp_motifs() + [Motif("M1b", "ALPHA2", consensus_counts("ACGTCAGT", 90, 3))]
    motif_file = tmp_path / "motifs.jaspar"
    write_jaspar(motifs, motif_file)
    clusters = tmp_path / "clusters.tsv"
    assert run(["motifs", "clusters", "--motifs", str(motif_file), "--output", str(clusters)]) == 0
    table = pd.read_csv(clusters, sep="\t")
    assert table["motif_id"].tolist() == ["M1", "M2", "M3", "M1b"]
    assert table["cluster"].tolist() == [0, 1, 2, 0]
    assert table["cluster_name"].tolist() == ["ALPHA", "BETA", "GAMMA", "ALPHA"]

    bed = tmp_path / "regions.bed"
    bed.write_text(UNSORTED_BED)
    prefix = tmp_path / "scan"
    assert run(scan_argv(genome, motif_file, prefix, "--regions", str(bed))) == 0
    out, tsv = tmp_path / "agg.npz", tmp_path / "agg.tsv"
    argv = ["motifs", "aggregate", "--scores", f"{prefix}.npz", "--clusters", str(clusters)]
    assert run([*argv, "--output", str(out), "--output-tsv", str(tsv)]) == 0
    with np.load(f"{prefix}.npz") as npz:
        sums = npz["hit_score_sum"].astype(float)
    expected = np.column_stack([sums[:, 0] + sums[:, 3], sums[:, 1], sums[:, 2]])
    with np.load(out) as npz:
        assert npz["regions"].tolist() == ["r_b", "r_a", "short", "r_c", "chr1:1000-1100"]
        assert npz["clusters"].tolist() == ["ALPHA", "BETA", "GAMMA"]
        assert np.allclose(npz["scale"], expected.max(axis=0))
        scale = np.where(expected.max(axis=0) > 0, expected.max(axis=0), 1)
        assert np.allclose(npz["scores"], expected / scale, atol=1e-6)
        assert npz["scores"].max() <= 1
    frame = pd.read_csv(tsv, sep="\t")
    assert frame.columns.tolist() == ["region", "ALPHA", "BETA", "GAMMA"]
    assert frame["region"].tolist()[0] == "r_b"

    # the scales of another matrix: here doubled sums clip at 1
    half = tmp_path / "half.npz"
    with np.load(out) as npz:
        np.savez(half, clusters=npz["clusters"], scale=npz["scale"] / 2)
    again = tmp_path / "again.npz"
    assert run([*argv, "--scale-from", str(half), "--output", str(again)]) == 0
    with np.load(again) as npz:
        assert np.allclose(npz["scale"], expected.max(axis=0) / 2)
        assert (npz["scores"].max(axis=0)[expected.max(axis=0) > 0] == 1).all()


def test_aggregate_with_missing_motifs_fails_and_writes_nothing(
    tmp_path, genome, motif_file, capsys
):
    bed = tmp_path / "regions.bed"
    bed.write_text(UNSORTED_BED)
    prefix = tmp_path / "scan"
    assert run(scan_argv(genome, motif_file, prefix, "--regions", str(bed))) == 0
    clusters = tmp_path / "clusters.tsv"
    clusters.write_text("motif_id\tname\tcluster\tcluster_name\nM1\tALPHA\t0\tALPHA\n")
    out, tsv = tmp_path / "agg.npz", tmp_path / "agg.tsv"
    argv = ["motifs", "aggregate", "--scores", f"{prefix}.npz", "--clusters", str(clusters)]
    assert run([*argv, "--output", str(out), "--output-tsv", str(tsv)]) == 1
    assert f"clusters TSV {clusters} lacks motif M2" in capsys.readouterr().out
    assert not out.exists() and not tsv.exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--pvalue", "0", "--pvalue must be in"),
        ("--pseudocount", "0", "--pseudocount must be > 0"),
        ("--resolution", "0", "--resolution must be >= 1"),
    ],
)
def test_scan_option_checks(tmp_path, genome, motif_file, capsys, option, value, message):
    bed = tmp_path / "r.bed"
    bed.write_text("chr1\t0\t100\n")
    argv = scan_argv(genome, motif_file, tmp_path / "x", "--regions", str(bed))
    assert run([*argv, option, value]) == 1
    assert message in capsys.readouterr().out
