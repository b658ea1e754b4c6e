"""Spliced transcripts, decoys and tx2gene for salmon, from a tiny genome and GTF."""

from __future__ import annotations

import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.expression import io as expression_io
from regflow.expression.io import gentrome_writer, open_genome, read_gtf_exons
from regflow.expression.transcripts import (
    check_contigs,
    reverse_complement,
    spliced_sequences,
    transcript_models,
)

#         1-based:  1   5    10   15   20   25   30   35   40
CHR_A = "AACCGGTTACGATCCATGGATTTTGGGGCAACGTCCAAAA"
CHR_B = "ggggaaaaCCCCTTTT"  # soft-masked in part

# chrom, start, end (1-based inclusive), strand, gene_id, transcript_id; TM's exons listed 3'
# to 5' as '-' strand GTFs list them
EXONS = [
    ("chrA", 1, 4, "+", "GP", "TP"),
    ("chrA", 11, 14, "+", "GP", "TP"),
    ("chrA", 29, 34, "-", "GM", "TM"),
    ("chrA", 21, 24, "-", "GM", "TM"),
    ("chrA", 6, 10, "+", "GP", "TP2"),
    ("chrB", 5, 12, "+", "GB", "TB"),
]


def write_gtf(path, exons=EXONS):
    lines = ["#!genome-build tiny"]
    for chrom, start, end, strand, gene, transcript in exons:
        attributes = f'gene_id "{gene}"; transcript_id "{transcript}"; exon_number "1";'
        if transcript == exons[0][5]:  # gene and transcript records are ignored
            lines.append(f'{chrom}\tsim\tgene\t1\t40\t.\t{strand}\t.\tgene_id "{gene}";')
        lines.append(f"{chrom}\tsim\texon\t{start}\t{end}\t.\t{strand}\t.\t{attributes}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def genome(tmp_path):
    fasta = tmp_path / "genome" / "genome.fa"
    fasta.parent.mkdir()
    fasta.write_text(f">chrA description\n{CHR_A[:25]}\n{CHR_A[25:]}\n>chrB\n{CHR_B}\n")
    return fasta, write_gtf(tmp_path / "genes.gtf")


def read_fasta(path):
    records, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith(">"):
            name = line[1:]
            records[name] = ""
        else:
            records[name] += line
    return records


def models_and_sequences(fasta, gtf):
    models = transcript_models(read_gtf_exons(gtf), gtf)
    with open_genome(fasta) as handle:
        lengths = dict(zip(handle.references, handle.lengths, strict=True))
        check_contigs(models, lengths, gtf, fasta)
        return models, spliced_sequences(models, handle.fetch)


def test_reverse_complement():
    assert reverse_complement("TTTTCAACGT") == "ACGTTGAAAA"
    assert reverse_complement("AcgN") == "NcgT"


def test_minus_strand_two_exons_base_by_base(genome):
    fasta, gtf = genome
    models, sequences = models_and_sequences(fasta, gtf)
    assert models.loc["TM", "starts"] == (20, 28) and models.loc["TM", "ends"] == (24, 34)
    # exons TTTT (21-24) + CAACGT (29-34) = TTTTCAACGT, reverse-complemented
    assert sequences["TM"] == "ACGTTGAAAA"
    assert sequences["TP"] == "AACC" + "GATC"
    assert sequences["TP2"] == "GTTAC"
    assert sequences["TB"] == "AAAACCCC"  # upper case
    assert list(sequences) == ["TP", "TM", "TP2", "TB"]  # first appearance in the GTF
    assert models["gene_id"].to_dict() == {"TP": "GP", "TM": "GM", "TP2": "GP", "TB": "GB"}


def transcripts_argv(fasta, gtf, out):
    return [
        "expression",
        "transcripts",
        "--fasta",
        str(fasta),
        "--gtf",
        str(gtf),
        "--output-gentrome",
        str(out / "gentrome.fa"),
        "--output-decoys",
        str(out / "decoys.txt"),
        "--output-tx2gene",
        str(out / "tx2gene.tsv"),
    ]


def test_transcripts_cli(genome, tmp_path, capsys):
    fasta, gtf = genome
    out = tmp_path / "salmon"
    assert main(transcripts_argv(fasta, gtf, out)) == 0
    gentrome = read_fasta(out / "gentrome.fa")
    assert gentrome == {
        "TP": "AACCGATC",
        "TM": "ACGTTGAAAA",
        "TP2": "GTTAC",
        "TB": "AAAACCCC",
        "chrA": CHR_A,
        "chrB": CHR_B.upper(),
    }
    assert (out / "decoys.txt").read_text() == "chrA\nchrB\n"
    assert (out / "tx2gene.tsv").read_text() == "TP\tGP\nTM\tGM\nTP2\tGP\nTB\tGB\n"
    assert fasta.with_name("genome.fa.fai").is_file()  # created by pysam
    assert "4 transcripts of 3 genes (31 bp) + 2 decoy sequences (56 bp)" in capsys.readouterr().err


def test_gentrome_wraps_lines(genome, tmp_path):
    fasta, _ = genome
    gentrome_writer({"T": "ACGTACGTAC"}, fasta, width=8)(tmp_path / "g.fa")
    lines = (tmp_path / "g.fa").read_text().splitlines()
    assert lines[:3] == [">T", "ACGTACGT", "AC"]
    assert lines[3:] == [">chrA", *(CHR_A[i : i + 8] for i in range(0, 40, 8)), ">chrB"] + [
        CHR_B[:8].upper(),
        CHR_B[8:].upper(),
    ]


def test_absent_contigs_name_gtf_and_contigs(genome, tmp_path, capsys):
    fasta, gtf = genome
    write_gtf(gtf, [*EXONS, ("chrZ", 1, 5, "+", "GZ", "TZ"), ("chrY", 1, 5, "+", "GY", "TY")])
    assert main(transcripts_argv(fasta, gtf, tmp_path / "out")) == 1
    err = capsys.readouterr().err.strip()
    assert err == (
        f"regflow expression: error: GTF {gtf}: transcripts on 2 contig(s) absent from genome "
        f"FASTA {fasta}: chrY, chrZ (same assembly and contig names?)"
    )
    assert not (tmp_path / "out").exists()


def test_transcript_past_contig_end(genome):
    fasta, gtf = genome
    write_gtf(gtf, [*EXONS, ("chrB", 10, 17, "+", "GB", "TB2")])
    with pytest.raises(RegflowError, match=r"transcript TB2 ends at 17, past the end of chrB"):
        models_and_sequences(fasta, gtf)


def test_transcript_named_like_a_contig(genome):
    fasta, gtf = genome
    write_gtf(gtf, [*EXONS, ("chrB", 1, 5, "+", "GB", "chrA")])
    with pytest.raises(RegflowError, match=r"transcript_id chrA is also a contig name"):
        models_and_sequences(fasta, gtf)


def test_unindexed_fasta_in_read_only_directory(genome, monkeypatch):
    fasta, _ = genome
    monkeypatch.setattr(expression_io.os, "access", lambda path, mode: False)
    with pytest.raises(
        RegflowError,
        match=rf"genome FASTA {fasta} has no index genome.fa.fai and its directory is not "
        "writable to create one",
    ):
        open_genome(fasta)


def test_indexed_fasta_in_read_only_directory(genome, monkeypatch):
    fasta, _ = genome
    open_genome(fasta).close()  # creates the .fai
    monkeypatch.setattr(expression_io.os, "access", lambda path, mode: False)
    with open_genome(fasta) as handle:
        assert handle.fetch("chrB", 0, 4) == "gggg"


def test_missing_fasta(tmp_path):
    with pytest.raises(RegflowError, match=r"genome FASTA .*nope.fa does not exist"):
        open_genome(tmp_path / "nope.fa")


@pytest.mark.parametrize(
    ("exons", "problem"),
    [
        (
            [("chrA", 1, 4, "+", "G", "T"), ("chrA", 9, 12, "-", "G", "T")],
            "exons on several strands: \\+, -",
        ),
        (
            [("chrA", 1, 4, "+", "G", "T"), ("chrB", 9, 12, "+", "G", "T")],
            "exons on several contigs",
        ),
        (
            [("chrA", 1, 4, "+", "G", "T"), ("chrA", 9, 12, "+", "H", "T")],
            "exons on several genes: G, H",
        ),
        ([("chrA", 1, 10, "+", "G", "T"), ("chrA", 9, 12, "+", "G", "T")], "overlapping exons"),
        ([("chrA", 1, 4, ".", "G", "T")], "strand '.'; expected \\+ or -"),
    ],
)
def test_transcript_model_errors(tmp_path, exons, problem):
    gtf = write_gtf(tmp_path / "genes.gtf", exons)
    with pytest.raises(RegflowError, match=rf"GTF {gtf}: transcript T has {problem}"):
        transcript_models(read_gtf_exons(gtf), gtf)


def test_gtf_exon_without_transcript_id(tmp_path):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text('chrA\tsim\texon\t1\t4\t.\t+\t.\tgene_id "G";\n')
    with pytest.raises(RegflowError, match=r"exon chrA:1-4 lacks gene_id or transcript_id"):
        read_gtf_exons(gtf)


def test_gtf_exon_bad_coordinates(tmp_path):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text('chrA\tsim\texon\t9\t4\t.\t+\t.\tgene_id "G"; transcript_id "T";\n')
    with pytest.raises(RegflowError, match=r"exon chrA:9-4 is not 1 <= start <= end"):
        read_gtf_exons(gtf)


def test_gtf_without_exons(tmp_path):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text('chrA\tsim\tgene\t1\t4\t.\t+\t.\tgene_id "G";\n')
    with pytest.raises(RegflowError, match=r"GTF .*genes.gtf has no exon records"):
        read_gtf_exons(gtf)


def test_gtf_attribute_names_are_exact(tmp_path):
    gtf = tmp_path / "genes.gtf"
    gtf.write_text(
        'chrA\tsim\texon\t1\t4\t.\t+\t.\tgene_id "G"; transcript_id "T"; '
        'xtranscript_id "X"; gene_id_version "9";\n'
    )
    exons = read_gtf_exons(gtf)
    assert exons.to_dict("records") == [
        {"chrom": "chrA", "start": 0, "end": 4, "strand": "+", "transcript_id": "T", "gene_id": "G"}
    ]
