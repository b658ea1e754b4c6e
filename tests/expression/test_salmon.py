"""Real ``salmon index`` + ``salmon quant`` on a tiny simulated RNA-seq set (skipped without
salmon): the gentrome of ``regflow expression transcripts`` and the checks of
``regflow expression tables --salmon`` on salmon's own output."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from regflow.cli import main
from regflow.expression.io import read_salmon_genes
from regflow.expression.tables import salmon_matrix
from regflow.expression.tpm import tpm_disagrees

pytestmark = pytest.mark.skipif(shutil.which("salmon") is None, reason="salmon not installed")

COMPLEMENT = str.maketrans("ACGT", "TGCA")
READ_LENGTH = 50

# gene -> (contig, exons 1-based inclusive, strand); GR2 is a copy of GR1 with 3 substitutions
GENES = {
    "GA": ("chr1", [(201, 500), (801, 1000)], "+"),
    "GB": ("chr1", [(2001, 2300), (2601, 3000), (3301, 3500)], "-"),
    "GR1": ("chr1", [(4001, 4600)], "+"),
    "GR2": ("chr2", [(2001, 2600)], "-"),
    "GC": ("chr2", [(301, 1100)], "+"),
}
READS = {"GA": 600, "GB": 900, "GR1": 300, "GR2": 700, "GC": 500}


def revcomp(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


def simulate_genome(rng) -> dict[str, str]:
    chr1, chr2 = ("".join(rng.choice(list("ACGT"), n)) for n in (5000, 3000))
    copy = list(revcomp(chr1[4000:4600]))
    for i in (100, 300, 500):
        copy[i] = "A" if copy[i] != "A" else "C"
    return {"chr1": chr1, "chr2": chr2[:2000] + "".join(copy) + chr2[2600:]}


def transcript(genome, gene) -> str:
    contig, exons, strand = GENES[gene]
    sequence = "".join(genome[contig][start - 1 : end] for start, end in exons)
    return revcomp(sequence) if strand == "-" else sequence


def write_reads(directory, genome, rng, paired: bool) -> list:
    """Reverse-stranded (dUTP) reads: read 1 is the antisense 5' end of the fragment, read 2
    (if ``paired``) its sense 5' end. Returns the FASTQ paths, R1 (and R2)."""
    paths = [directory / f"reads_R{i}.fastq.gz" for i in ((1, 2) if paired else (1,))]
    handles = [gzip.open(path, "wt") for path in paths]
    for gene, n in READS.items():
        sequence = transcript(genome, gene)
        for i in range(n):
            length = int(np.clip(rng.normal(200, 20), 100, len(sequence)))
            start = int(rng.integers(0, len(sequence) - length + 1))
            fragment = sequence[start : start + length]
            for handle, read in zip(handles, (revcomp(fragment), fragment), strict=False):
                handle.write(f"@{gene}.{i}\n{read[:READ_LENGTH]}\n+\n{'I' * READ_LENGTH}\n")
    for handle in handles:
        handle.close()
    return paths


@pytest.mark.parametrize("paired", [False, True], ids=["single-end", "paired-end"])
def test_salmon_index_and_quant(tmp_path, paired):
    rng = np.random.default_rng(3)
    genome = simulate_genome(rng)
    fasta = tmp_path / "genome.fa"
    fasta.write_text("".join(f">{name}\n{seq}\n" for name, seq in genome.items()))
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(
        "".join(
            f'{contig}\tsim\texon\t{start}\t{end}\t.\t{strand}\t.\tgene_id "{gene}"; '
            f'transcript_id "{gene}.t1";\n'
            for gene, (contig, exons, strand) in GENES.items()
            for start, end in exons
        )
    )
    reads = write_reads(tmp_path, genome, rng, paired)
    salmon = tmp_path / "salmon"
    argv = ["expression", "transcripts", "--fasta", str(fasta), "--gtf", str(gtf)]
    argv += ["--output-gentrome", str(salmon / "gentrome.fa")]
    argv += ["--output-decoys", str(salmon / "decoys.txt")]
    assert main([*argv, "--output-tx2gene", str(salmon / "tx2gene.tsv")]) == 0

    index, out = salmon / "index", salmon / "quant"
    if paired:
        library, inputs = "ISR", ["-1", reads[0], "-2", reads[1]]
    else:
        library, inputs = "SR", ["-r", reads[0], "--fldMean", 200, "--fldSD", 20]
    commands = [
        ["index", "-t", salmon / "gentrome.fa", "-d", salmon / "decoys.txt", "-i", index]
        + ["-k", 23, "--keepDuplicates", "-p", 2],
        # salmon 1.10.1's -l A needs ~50,000 reads to detect the type, so name it; the
        # fragment-length distribution is estimated from pairs, given for single reads
        ["quant", "-i", index, "-l", library, *inputs, "--validateMappings"]
        + ["-g", salmon / "tx2gene.tsv", "-p", 2, "-o", out],
    ]
    for command in commands:
        subprocess.run(["salmon", *map(str, command)], check=True, capture_output=True)

    formats = json.loads((out / "lib_format_counts.json").read_text())
    assert formats["expected_format"] == library
    assert formats[library] == formats["num_compatible_fragments"] == sum(READS.values())
    assert (out / "quant.sf").is_file()
    genes = read_salmon_genes(out / "quant.genes.sf")
    assert sorted(genes.index) == sorted(GENES)
    total = sum(READS.values())
    assert 0.98 * total <= genes["num_reads"].sum() <= total + 0.01
    num_reads = genes["num_reads"]
    for gene in ("GA", "GB", "GC"):
        assert num_reads[gene] == pytest.approx(READS[gene], rel=0.05), gene
    # the near-identical pair: the EM shares its reads by the 3 distinguishing bases
    pair = num_reads["GR1"] + num_reads["GR2"]
    assert pair == pytest.approx(READS["GR1"] + READS["GR2"], rel=0.05)
    assert num_reads["GR2"] > num_reads["GR1"]
    # salmon's TPM is NumReads / EffectiveLength, normalized
    assert not tpm_disagrees(genes["num_reads"], genes["effective_length"], genes["tpm"]).any()
    num_reads, lengths = salmon_matrix({"s": genes}, {"s": out}, pd.Index(list(GENES)))
    rates = num_reads["s"] / lengths["s"]
    np.testing.assert_allclose(1e6 * rates / rates.sum(), genes["tpm"][rates.index], rtol=1e-4)
