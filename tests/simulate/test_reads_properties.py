"""Generative properties of the simulated reads, checked for two seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from regflow.simulate.genes import read_gtf
from regflow.simulate.genome import BASES, CODE_OF_ASCII, read_fasta
from regflow.simulate.readnames import parse_name
from regflow.simulate.rna import effective_lengths
from regflow.simulate.truth_io import read_table, truth_paths

from .conftest import SAMPLES, SimRun, read_fastq, run_simulation, small_config


def origins(path) -> pd.DataFrame:
    """Parsed read names of a FASTQ."""
    names, _ = read_fastq(path)
    return pd.DataFrame([parse_name(n) for n in names])


def test_reads_carry_their_true_origin(simulated):
    """Read 1 is the genome at the fragment's start (+) or the reverse complement at its end."""
    genome = read_fasta(truth_paths(simulated.outdir)["genome"])
    for sample in ("atac_cellA_r1", "mnase_0min_r1"):
        names, seqs = read_fastq(simulated.fastq(sample))
        o = pd.DataFrame([parse_name(n) for n in names[:3000]])
        length = seqs.shape[1]
        full = (o["end"] - o["start"] >= length).to_numpy()
        mismatch = []
        for row, seq in zip(o[full].itertuples(), seqs[:3000][full], strict=True):
            chrom = genome.chrom(row.chrom)
            if row.strand == "+":
                expect = chrom[row.start : row.start + length]
            else:
                expect = 3 - chrom[row.end - length : row.end][::-1]
            mismatch.append(np.mean(CODE_OF_ASCII[seq] != expect))
        # Sequencing errors are 0.1-1% per base; a wrong origin would mismatch ~75%.
        assert np.mean(mismatch) < 0.02
        assert np.max(mismatch) < 0.3


def test_short_fragments_read_into_the_adapter(simulated):
    """Reads longer than their fragment continue with the Nextera adapter."""
    names, seqs = read_fastq(simulated.fastq("atac_cellA_r1"))
    o = pd.DataFrame([parse_name(n) for n in names])
    short = o.index[(o["end"] - o["start"]) <= 30].to_numpy()[:200]
    assert short.size > 20
    adapter = b"CTGTCTCTTATA"
    hits = sum(adapter in seqs[i].tobytes() for i in short)
    assert hits / short.size > 0.8


def test_atac_fragment_lengths_show_the_nucleosome_ladder(simulated):
    """Peaks of the length histogram sit at the configured nucleosome-free, mono and di modes."""
    o = origins(simulated.fastq("atac_cellA_r1"))
    lengths = (o["end"] - o["start"]).to_numpy()
    hist = np.bincount(lengths, minlength=800)[:800].astype(float)
    smooth = np.convolve(hist, np.ones(15) / 15, mode="same")
    ladder = simulated.cfg["atac"]["fragment_lengths"]
    mono, di = ladder[1]["mean"], ladder[2]["mean"]
    mono_peak = 140 + int(np.argmax(smooth[140:290]))
    di_peak = 300 + int(np.argmax(smooth[300:480]))
    nfr_peak = int(np.argmax(smooth[:140]))
    assert abs(mono_peak - mono) <= 8
    assert abs(di_peak - di) <= 10
    assert nfr_peak < 100
    # a ladder, not a smear: valleys between the peaks
    assert smooth[(nfr_peak + mono_peak) // 2] < 0.7 * smooth[mono_peak]
    assert smooth[(mono_peak + di_peak) // 2] < 0.7 * smooth[di_peak]


def test_tn5_cut_sites_carry_the_bias_motif_at_the_shifted_position(simulated):
    """Base composition around start+4 and end-5 matches the Tn5 bias matrix; unshifted does not."""
    paths = truth_paths(simulated.outdir)
    genome = read_fasta(paths["genome"])
    bias = read_table(paths["tn5_bias"])[list("ACGT")].to_numpy()
    truth_lo = np.log2(bias / 0.25).ravel()
    o = origins(simulated.fastq("atac_cellA_r1"))
    o = o[(o["copy"] == 0) & (o["chrom"] != "chrM")]
    offsets = dict(zip(genome.names, genome.offsets, strict=True))
    base = o["chrom"].map(offsets).to_numpy()
    background = np.bincount(genome.codes, minlength=4) / genome.codes.size

    def agreement(shift_left, shift_right):
        centres = np.concatenate([base + o["start"] + shift_left, base + o["end"] - shift_right])
        window = genome.codes[centres[:, None] + np.arange(-9, 10)[None, :]]
        freq = np.stack([(window == b).mean(axis=0) for b in range(4)], axis=1)
        observed = np.log2(freq / background).ravel()
        return np.corrcoef(observed, truth_lo)[0, 1]

    shifted = agreement(4, 5)
    assert shifted > 0.8
    assert agreement(0, 0) < shifted - 0.3
    assert agreement(5, 4) < shifted - 0.3


def test_atac_chrM_and_duplicate_shares_follow_the_config(simulated):
    o = origins(simulated.fastq("atac_cellA_r1"))
    cfg = simulated.cfg["atac"]
    assert abs((o["chrom"] == "chrM").mean() - cfg["chrM_fraction"]) < 0.02
    assert abs((o["copy"] > 0).mean() - cfg["duplicate_rate"]) < 0.01
    # duplicates repeat an original fragment exactly
    dups = o[o["copy"] > 0].head(200)
    originals = set(
        zip(
            o.loc[o["copy"] == 0, "chrom"],
            o.loc[o["copy"] == 0, "start"],
            o.loc[o["copy"] == 0, "end"],
            strict=True,
        )
    )
    assert all((r.chrom, r.start, r.end) in originals for r in dups.itertuples())


def test_atac_signal_falls_in_accessible_regions(simulated):
    """Signal fragments have a cut site inside the condition's open regions; FRiP as set."""
    paths = truth_paths(simulated.outdir)
    regions = read_table(paths["regions"])
    regions = regions[regions["condition"] == "cellA"]
    o = origins(simulated.fastq("atac_cellA_r1"))
    assert abs((o["kind"] == "signal").mean() - simulated.cfg["atac"]["frip"]) < 0.03
    sig = o[o["kind"] == "signal"].head(2000)
    inside = 0
    for row in sig.itertuples():
        r = regions[regions["chrom"] == row.chrom]
        cuts = np.array([row.start + 4, row.end - 5])
        lo = r["acc_start"].to_numpy()[:, None] - 10
        hi = r["acc_end"].to_numpy()[:, None] + 10
        inside += bool(((cuts >= lo) & (cuts < hi)).any())
    assert inside / len(sig) > 0.95


def _footprint_contrast(run: SimRun) -> tuple[float, float, float]:
    """Insertions per bp of cellA's ATAC sample inside sites bound > 0.6, in the 30 bp beside
    them, and beside weakly bound (< 0.1) sites."""
    paths = truth_paths(run.outdir)
    sites = read_table(paths["sites"]).rename(columns={"#chrom": "chrom"})
    sites["occupancy"] = read_table(paths["site_occupancy"])["cellA"].to_numpy()
    o = origins(run.fastq("atac_cellA_r1"))
    o = o[(o["kind"] == "signal") & (o["copy"] == 0)]
    cuts = {
        chrom: np.sort(np.concatenate([g["start"].to_numpy() + 4, g["end"].to_numpy() - 5]))
        for chrom, g in o.groupby("chrom")
    }

    def density(table, lo, hi):
        """Insertions per bp in [start + lo, end + hi) summed over ``table``'s sites."""
        total = width = 0
        for row in table.itertuples():
            c = cuts.get(row.chrom, np.empty(0, int))
            a, b = row.start + lo, row.end + hi
            total += np.searchsorted(c, b) - np.searchsorted(c, a)
            width += b - a
        return total / width

    def flanks(table):
        left = density(table.assign(end=table["start"]), -30, 0)
        right = density(table.assign(start=table["end"]), 0, 30)
        return (left + right) / 2

    bound = sites[sites["occupancy"] > 0.6]
    weak = sites[sites["occupancy"] < 0.1]
    assert len(bound) > 30 and len(weak) > 30
    return density(bound, 0, 0), flanks(bound), flanks(weak)


def test_atac_insertions_footprint_the_bound_tf_sites(simulated, tmp_path):
    """With footprints on, Tn5 insertions around sites bound in cellA are denser in the 30 bp
    beside the site than inside it, and denser there than beside weakly bound sites; with
    them off (the default) the site and its flanks look alike."""
    cfg = small_config(simulated.cfg["seed"], {"atac": {"footprint_share": 0.3}})
    run = run_simulation(cfg, tmp_path, {"atac_cellA_r1": SAMPLES["atac_cellA_r1"]})
    core, beside, beside_weak = _footprint_contrast(run)
    assert beside > 1.3 * core
    assert beside > beside_weak
    assert simulated.cfg["atac"]["footprint_share"] == 0
    core_off, beside_off, _ = _footprint_contrast(simulated)  # Tn5's own sequence preference
    assert beside / core > 1.15 * beside_off / core_off


def test_mnase_coverage_is_depleted_at_active_tss(simulated):
    """Nucleosome-sized fragments avoid the NDR of active promoters more than inactive ones."""
    paths = truth_paths(simulated.outdir)
    prom = read_table(paths["promoters"])
    prom = prom[prom["condition"] == "0min"].merge(
        read_gtf(paths["gtf"])[["gene_id", "chrom", "tss", "strand"]], on="gene_id"
    )
    o = origins(simulated.fastq("mnase_0min_r1"))
    length = o["end"] - o["start"]
    nuc = o[(length >= 140) & (length < 201)]
    mid = ((nuc["start"] + nuc["end"]) // 2).to_numpy()
    by_chrom = {c: np.sort(mid[(nuc["chrom"] == c).to_numpy()]) for c in nuc["chrom"].unique()}

    def count(chrom, centre, half=40):
        m = by_chrom[chrom]
        return np.searchsorted(m, centre + half) - np.searchsorted(m, centre - half)

    # the promoter from 200 bp upstream to 50 bp downstream of the TSS
    ndr = np.array(
        [
            count(r.chrom, r.tss + (-75 if r.strand == "+" else 75), half=125)
            for r in prom.itertuples()
        ]
    )
    plus1 = np.array([count(r.chrom, r.plus1_dyad) for r in prom.itertuples()])
    active = prom["activity"] >= prom["activity"].quantile(0.75)
    inactive = prom["activity"] <= prom["activity"].quantile(0.25)
    assert ndr[active].mean() < 0.6 * ndr[inactive].mean()
    # the +1 nucleosome stands out above the NDR at active promoters (phasing)
    assert plus1[active].mean() > ndr[active].mean()


def test_mnase_footprints_sit_on_bound_sites(simulated):
    """Sub-nucleosomal fragments are enriched over occupied planted sites."""
    paths = truth_paths(simulated.outdir)
    sites = read_table(paths["sites"]).rename(columns={"#chrom": "chrom"})
    occ = read_table(paths["site_occupancy"])["0min"].to_numpy()
    o = origins(simulated.fastq("mnase_0min_r1"))
    length = o["end"] - o["start"]
    small = o[(length >= 45) & (length < 90)]
    mid = ((small["start"] + small["end"]) // 2).to_numpy()
    chroms = small["chrom"].to_numpy()
    centre = ((sites["start"] + sites["end"]) // 2).to_numpy()

    def density(chrom_of, positions):
        total = 0
        for c, p in zip(chrom_of, positions, strict=True):
            m = mid[chroms == c]
            total += int(((m >= p - 10) & (m <= p + 10)).sum())
        return total / len(positions)

    bound = occ > 0.5
    rng = np.random.default_rng(0)
    shuffled = centre[bound] + rng.integers(2000, 5000, bound.sum())
    assert density(sites["chrom"][bound], centre[bound]) > 5 * density(
        sites["chrom"][bound], shuffled
    )


def test_rna_counts_track_tpm_times_length(simulated):
    paths = truth_paths(simulated.outdir)
    genes = read_gtf(paths["gtf"]).set_index("gene_id")
    tpm = read_table(paths["tpm"], index_col=0)
    for sample, condition in (("rna_0min_r1", "0min"), ("rna_cellB_r1", "cellB")):
        o = origins(simulated.fastq(sample))
        counts = o["gene_id"].value_counts().reindex(genes.index, fill_value=0)
        expected = tpm[condition] * effective_lengths(
            genes["tx_length"].to_numpy(), simulated.cfg["rna"]["fragment_mean"]
        )
        assert spearmanr(counts, expected).statistic > 0.9
        # reverse-stranded (dUTP) library: read 1 lies on the strand opposite the gene
        gene_strand = genes.loc[o["gene_id"], "strand"].to_numpy()
        assert (o["strand"].to_numpy() != gene_strand).mean() > 0.999


def test_paired_rna_mates_agree(simulated):
    n1, s1 = read_fastq(simulated.fastq("rna_cellB_r1", 1))
    n2, s2 = read_fastq(simulated.fastq("rna_cellB_r1", 2))
    assert n1 == n2
    assert s1.shape == s2.shape
    assert (s1 != s2).mean() > 0.5  # the mates read opposite ends, not the same bases
    assert set(s1[:1000].tobytes()) <= set(BASES.tobytes())
