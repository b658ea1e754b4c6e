"""The simulated truth is one coherent model: sequence -> binding -> chromatin -> expression."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from regflow.simulate.genes import read_gtf
from regflow.simulate.genome import read_fasta
from regflow.simulate.motifs import load_jaspar_motifs, log_odds, reverse_complement_matrix
from regflow.simulate.truth_io import read_table, truth_paths


def test_planted_sites_are_in_the_genome_with_their_scores(simulated):
    paths = truth_paths(simulated.outdir)
    genome = read_fasta(paths["genome"])
    sites = read_table(paths["sites"]).rename(columns={"#chrom": "chrom"})
    motifs = load_jaspar_motifs(
        sorted(sites["matrix_id"].unique()), simulated.cfg["motifs"]["jaspar_release"]
    )
    nuclear = genome.codes[: sum(genome.lengths[:-1])]
    background = np.bincount(nuclear, minlength=4) / nuclear.size
    for s in sites.head(300).itertuples():
        probs = motifs[s.matrix_id].probs
        if s.strand == "-":
            probs = reverse_complement_matrix(probs)
        window = genome.chrom(s.chrom)[s.start : s.end]
        score = log_odds(probs, background)[np.arange(window.size), window].sum()
        # the planting background excluded the planted sites themselves: allow a small drift
        assert abs(score - s.log2_odds) < 0.05 * abs(s.max_log2_odds) + 0.1


def test_genes_on_both_strands_with_one_to_three_exons(simulated):
    genes = read_gtf(truth_paths(simulated.outdir)["gtf"])
    assert set(genes["strand"]) == {"+", "-"}
    n_exons = genes["exon_starts"].map(len)
    assert set(n_exons) <= {1, 2, 3} and n_exons.nunique() >= 2
    for _chrom, g in genes.groupby("chrom"):
        g = g.sort_values("start")
        assert (g["start"].to_numpy()[1:] >= g["end"].to_numpy()[:-1]).all()
    for g in genes.itertuples():
        assert g.exon_starts[0] == g.start and g.exon_ends[-1] == g.end


def test_stress_tf_targets_rise_over_the_time_course(simulated):
    """MTF1 switches on over time: its promoter targets gain expression vs other genes."""
    paths = truth_paths(simulated.outdir)
    activity = read_table(paths["tf_activity"], index_col=0)
    times = ["0min", "7.5min", "15min", "30min", "60min", "120min"]
    assert np.all(np.diff(activity.loc["MTF1", times]) > 0)
    sites = read_table(paths["sites"])
    targets = set(
        sites.loc[(sites["name"] == "MTF1") & (sites["region_kind"] == "promoter"), "gene_id"]
    )
    lfc = np.log2(read_table(paths["tpm"], index_col=0)[["0min", "120min"]] + 1).diff(axis=1)[
        "120min"
    ]
    is_target = lfc.index.isin(list(targets))
    assert lfc[is_target].mean() > lfc[~is_target].mean() + 0.5


def test_cell_type_enhancers_open_in_their_cell_type(simulated):
    paths = truth_paths(simulated.outdir)
    sites = read_table(paths["sites"])
    regions = read_table(paths["regions"]).pivot(
        index="region_id", columns="condition", values="accessibility"
    )
    gata = set(
        sites.loc[(sites["name"] == "GATA1") & (sites["region_kind"] == "enhancer"), "region_id"]
    )
    spi = set(
        sites.loc[(sites["name"] == "SPI1") & (sites["region_kind"] == "enhancer"), "region_id"]
    )
    only_gata = list(gata - spi)
    only_spi = list(spi - gata)
    diff = regions["cellA"] - regions["cellB"]
    assert diff[only_gata].mean() > 0.2
    assert diff[only_spi].mean() < -0.2


def test_chromatin_predicts_expression(simulated):
    """NDR width and promoter accessibility track expression: learnable from chromatin."""
    paths = truth_paths(simulated.outdir)
    prom = read_table(paths["promoters"])
    tpm = read_table(paths["tpm"], index_col=0)
    for cond in ("0min", "120min", "cellA"):
        p = prom[prom["condition"] == cond].set_index("gene_id")
        log_tpm = np.log2(tpm.loc[p.index, cond] + 1)
        assert spearmanr(p["ndr_width"], log_tpm).statistic > 0.8


def test_accessible_beds_hold_open_regions_within_chromosomes(simulated):
    paths = truth_paths(simulated.outdir)
    sizes = pd.read_csv(paths["chrom_sizes"], sep="\t", header=None, index_col=0)[1]
    threshold = simulated.cfg["regulation"]["accessible_threshold"]
    for cond in [c["name"] for c in simulated.cfg["conditions"]]:
        bed = pd.read_csv(
            simulated.outdir / "truth" / "accessible" / f"{cond}.bed",
            sep="\t",
            header=None,
            names=["chrom", "start", "end", "name", "score", "strand"],
        )
        assert len(bed) > 50
        assert (bed["start"] < bed["end"]).all() and (bed["start"] >= 0).all()
        assert (bed["end"] <= bed["chrom"].map(sizes)).all()
        assert (bed["score"] >= round(1000 * threshold)).all()


def test_gene_sets_list_each_tfs_planted_targets(simulated):
    paths = truth_paths(simulated.outdir)
    sites = read_table(paths["sites"])
    sets = {}
    for line in paths["gene_sets"].read_text().splitlines():
        name, _desc, *genes = line.split("\t")
        sets[name] = set(genes)
    expected = sites.groupby("name")["gene_id"].apply(set).to_dict()
    assert sets == expected
    assert {tf["name"] for tf in simulated.cfg["tfs"]} == set(sets)


def test_nucleosomes_never_overlap_within_a_condition(simulated):
    nuc = read_table(truth_paths(simulated.outdir)["nucleosomes"])
    for (_cond, _chrom), group in nuc.groupby(["condition", "chrom"]):
        assert (np.diff(np.sort(group["dyad"].to_numpy())) >= 147).all()
