import pandas as pd
import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.reads.genome_check import check_genome, fasta_lengths, keep_regions


def write(tmp_path, fasta=">chr1 desc\nACGT\nAC\n>chrM\nAAAA\n", gtf_contigs=("chr1",)):
    fa = tmp_path / "g.fa"
    fa.write_text(fasta)
    gtf = tmp_path / "g.gtf"
    gtf.write_text("".join(f'{c}\tx\tgene\t1\t2\t.\t+\t.\tgene_id "g";\n' for c in gtf_contigs))
    return fa, gtf


def test_lengths_and_keep_regions(tmp_path):
    fa, gtf = write(tmp_path)
    lengths, keep = check_genome(fa, gtf, ["chrM"], None)
    assert lengths == {"chr1": 6, "chrM": 4}
    assert keep.values.tolist() == [["chr1", 0, 6]]


def test_blacklist_is_subtracted():
    bl = pd.DataFrame({"chrom": ["c", "c", "c"], "start": [10, 15, 80], "end": [20, 30, 100]})
    keep = keep_regions({"c": 100, "chrM": 5}, {"chrM"}, bl)
    assert keep.values.tolist() == [["c", 0, 10], ["c", 30, 80]]


def test_annotation_contigs_missing_from_fasta(tmp_path):
    fa, gtf = write(tmp_path, gtf_contigs=("chr1", "1", "chrX"))
    with pytest.raises(RegflowError, match=r"g.gtf: 2 contig\(s\) .* not in .*g.fa: 1, chrX"):
        check_genome(fa, gtf, ["chrM"], None)


def test_not_a_fasta(tmp_path):
    fa, _ = write(tmp_path, fasta="ACGT\n")
    with pytest.raises(RegflowError, match="not a FASTA"):
        fasta_lengths(fa)


def test_cli_one_line_error_and_no_output(tmp_path, capsys):
    fa, gtf = write(tmp_path, gtf_contigs=("chrZ",))
    out = tmp_path / "sizes"
    rc = main(
        [
            "check-genome",
            "--fasta",
            str(fa),
            "--gtf",
            str(gtf),
            "--chrom-sizes",
            str(out),
            "--keep-bed",
            str(tmp_path / "keep.bed"),
        ]
    )
    assert rc == 1 and "chrZ" in capsys.readouterr().err
    assert not out.exists()
