"""Tests for regflow.reads.fastq_check: bad FASTQ input is one line naming sample, file, problem.

Every file is a few records written to ``tmp_path``; error cases run the CLI in-process and
check the exit status, the single line on stderr and that no output (or temporary) is left.
"""

from __future__ import annotations

import gzip
import json
import zlib

import pytest

from regflow.cli import main
from regflow.errors import RegflowError
from regflow.reads import fastq_check
from regflow.reads.fastq_check import (
    check_sample,
    iter_fastq_batches,
    read_chunks,
    read_names,
)

SAMPLE = "atac_1"


def fastq(*reads: tuple[str, str], mate: int | None = None) -> bytes:
    """FASTQ text for ``(name, sequence)`` reads, quality ``I``; ``mate`` adds `` 1:N:0:A``."""
    tag = f" {mate}:N:0:ACGT" if mate else ""
    return b"".join(f"@{name}{tag}\n{seq}\n+\n{'I' * len(seq)}\n".encode() for name, seq in reads)


READS = [("r1", "ACGTACGTAC"), ("r2", "NNACGT"), ("r3", "ACGTACGTACGTACGTACGT")]


def write(path, data: bytes, gz: bool = True):
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def run(tmp_path, capsys, fastq_1, fastq_2=None):
    """Run ``regflow check-fastq``; return (status, stderr lines, output path)."""
    output = tmp_path / "out" / f"{SAMPLE}.json"
    argv = ["check-fastq", "--sample", SAMPLE, "--fastq-1", str(fastq_1), "--output", str(output)]
    if fastq_2 is not None:
        argv += ["--fastq-2", str(fastq_2)]
    status = main(argv)
    captured = capsys.readouterr()
    return status, captured.err.splitlines(), output


def assert_fails(tmp_path, capsys, fastq_1, fastq_2=None, *, bad_file, problem):
    """The CLI fails with one line naming the sample, ``bad_file`` and ``problem``."""
    status, err, output = run(tmp_path, capsys, fastq_1, fastq_2)
    assert status == 1
    assert len(err) == 1, err
    line = err[0]
    assert line.startswith(f"regflow check-fastq: error: sample '{SAMPLE}': {bad_file}: ")
    assert problem in line, line
    assert not output.exists()
    leftovers = list(output.parent.iterdir()) if output.parent.exists() else []
    assert leftovers == []
    return line


# --- error cases ------------------------------------------------------------------------


def test_truncated_gzip(tmp_path, capsys):
    data = gzip.compress(fastq(*READS * 50), mtime=0)
    path = tmp_path / "r1.fastq.gz"
    path.write_bytes(data[: len(data) // 2])
    assert_fails(tmp_path, capsys, path, bad_file=path, problem="truncated or corrupt gzip")


def test_corrupt_gzip(tmp_path, capsys):
    data = bytearray(gzip.compress(fastq(*READS), mtime=0))
    data[-6] ^= 0xFF  # the CRC no longer matches
    path = tmp_path / "r1.fastq.gz"
    path.write_bytes(bytes(data))
    assert_fails(tmp_path, capsys, path, bad_file=path, problem="truncated or corrupt gzip")


def test_pairs_differ_in_count(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS, mate=1))
    r2 = write(tmp_path / "r2.fq.gz", fastq(*READS[:2], mate=2))
    line = assert_fails(tmp_path, capsys, r1, r2, bad_file=r2, problem="2 records but")
    assert f"{r1} has 3 (record 3 has no mate)" in line


def test_pairs_differ_in_name(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS, mate=1))
    r2 = write(tmp_path / "r2.fq.gz", fastq(READS[0], ("rX", "ACGT"), READS[2], mate=2))
    line = assert_fails(tmp_path, capsys, r1, r2, bad_file=r2, problem="read name 'rX'")
    assert f"does not match 'r2' in {r1} (record 2)" in line


@pytest.mark.parametrize("gz", [False, True], ids=["plain", "gzip"])
def test_empty_file(tmp_path, capsys, gz):
    path = write(tmp_path / "r1.fastq.gz", b"", gz=gz)
    assert_fails(tmp_path, capsys, path, bad_file=path, problem="no reads")


@pytest.mark.parametrize(
    "data, first_line",
    [
        (b">chr1\nACGTACGT\n>chr2\nACGT\n", "'>chr1'"),
        (b"hello, this is not a FASTQ file\n", "'hello, this is not a FASTQ file'"),
        (gzip.compress(b"BAM\x01\x00\x00\x00\xff\x10" * 3), "'BAM\\x01\\x00\\x00\\x00\\xff"),
        (b"@HD\tVN:1.6\n@SQ\tSN:chr1\tLN:100\nr1\t0\tchr1\t1\n", "'@HD\\tVN:1.6'"),
    ],
    ids=["fasta", "text", "bam", "sam"],
)
def test_not_fastq(tmp_path, capsys, data, first_line):
    path = write(tmp_path / "r1.fastq.gz", data, gz=False)
    assert_fails(
        tmp_path, capsys, path, bad_file=path, problem=f"not a FASTQ file (first line {first_line}"
    )


def test_quality_length_mismatch(tmp_path, capsys):
    data = fastq(*READS).replace(b"+\nIIIIII\n", b"+\nIIIII\n")  # record 2
    path = write(tmp_path / "r1.fq", data, gz=False)
    assert_fails(
        tmp_path,
        capsys,
        path,
        bad_file=path,
        problem="quality length 5 differs from sequence length 6 (record 2)",
    )


@pytest.mark.parametrize("cut", [1, 2, 3])
def test_last_record_cut_short(tmp_path, capsys, cut):
    lines = fastq(*READS).splitlines(keepends=True)
    path = write(tmp_path / "r1.fq.gz", b"".join(lines[: 8 + cut]))
    assert_fails(
        tmp_path,
        capsys,
        path,
        bad_file=path,
        problem=f"last record cut short: {cut} of 4 lines (record 3)",
    )


def test_missing_file(tmp_path, capsys):
    path = tmp_path / "absent.fq.gz"
    assert_fails(tmp_path, capsys, path, bad_file=path, problem="file not found")


def test_missing_mate_file(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS, mate=1))
    r2 = tmp_path / "absent_R2.fq.gz"
    assert_fails(tmp_path, capsys, r1, r2, bad_file=r2, problem="file not found")


@pytest.mark.parametrize(
    "old, new, problem",
    [
        (b"@r3", b"r3", "header line 'r3' does not start with '@' (record 3)"),
        (b"NNACGT", b"NNAXGT", "invalid character 'X' in sequence (record 2)"),
        (b"NNACGT", b"NNA GT", "invalid character ' ' in sequence (record 2)"),
        (b"+\nIIIIII\n", b"-\nIIIIII\n", "third line '-' does not start with '+' (record 2)"),
        (b"+\nIIIIII\n", b"+\nIII II\n", "invalid quality character ' ' (record 2)"),
        (b"@r1\n", b"r1\n", "not a FASTQ file (first line 'r1')"),
    ],
    ids=["header", "base", "space", "plus", "quality", "first-header"],
)
def test_malformed_record(tmp_path, capsys, old, new, problem):
    path = write(tmp_path / "r1.fq.gz", fastq(*READS).replace(old, new, 1))
    assert_fails(tmp_path, capsys, path, bad_file=path, problem=problem)


def test_error_in_read_2_names_read_2(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS, mate=1))
    r2 = write(tmp_path / "r2.fq.gz", fastq(*READS, mate=2).replace(b"NNACGT", b"NNAC!T"))
    assert_fails(tmp_path, capsys, r1, r2, bad_file=r2, problem="invalid character '!'")


def test_same_file_twice(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS))
    assert_fails(tmp_path, capsys, r1, r1, bad_file=r1, problem="is the same file as read 1")


def test_blank_line_inside_file(tmp_path):
    data = fastq(*READS[:1]) + b"\n" * 4 + fastq(*READS[1:])
    with pytest.raises(RegflowError, match=r"blank line \(record 2\)"):
        check_sample(SAMPLE, write(tmp_path / "r1.fq", data, gz=False))


def test_bad_record_in_a_later_chunk_is_numbered_in_the_file(tmp_path):
    data = fastq(*READS * 100).replace(b"@r2\nNNACGT", b"@r2\nNNAC-T")
    chunks = [data[i : i + 7] for i in range(0, len(data), 7)]
    with pytest.raises(RegflowError, match=r"invalid character '-' in sequence \(record 2\)$"):
        list(iter_fastq_batches("r1.fq", SAMPLE, chunks))
    data = fastq(*READS * 100)
    data = data[: len(data) - 50] + data[len(data) - 50 :].replace(b"IIII", b"III", 1)
    with pytest.raises(RegflowError, match=r"\(record 300\)$"):
        list(
            iter_fastq_batches("r1.fq", SAMPLE, [data[i : i + 64] for i in range(0, len(data), 64)])
        )


# --- valid input ------------------------------------------------------------------------


def test_single_end(tmp_path, capsys):
    path = write(tmp_path / "r1.fq.gz", fastq(*READS))
    status, err, output = run(tmp_path, capsys, path)
    assert (status, err) == (0, [])
    assert json.loads(output.read_text()) == {
        "sample": SAMPLE,
        "paired": False,
        "reads": 3,
        "bases": 36,
        "read_length_mean": 12.0,
        "read_length_max": 20,
    }
    assert sorted(p.name for p in output.parent.iterdir()) == [output.name]


def test_paired_end(tmp_path, capsys):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS, mate=1))
    mates = [("r1", "ACGT"), ("r2", "ACGTACGTACGTACGTACGTACGTA"), ("r3", "AC")]
    r2 = write(tmp_path / "r2.fq", fastq(*mates, mate=2), gz=False)  # plain text is fine
    status, err, output = run(tmp_path, capsys, r1, r2)
    assert (status, err) == (0, [])
    assert json.loads(output.read_text()) == {
        "sample": SAMPLE,
        "paired": True,
        "reads": 3,
        "bases": 36 + 31,
        "read_length_mean": 67 / 6,
        "read_length_max": 25,
    }


def test_format_is_decided_by_content_not_name(tmp_path):
    gz = write(tmp_path / "plain_name.fastq", fastq(*READS))
    plain = write(tmp_path / "gz_name.fastq.gz", fastq(*READS), gz=False)
    assert check_sample(SAMPLE, gz)["reads"] == check_sample(SAMPLE, plain)["reads"] == 3


@pytest.mark.parametrize(
    "transform",
    [
        lambda data: data.rstrip(b"\n"),  # no line end after the last record
        lambda data: data + b"\n\n",  # blank lines at the end
        lambda data: data + b"\n" * 9,
        lambda data: data.replace(b"\n", b"\r\n"),  # Windows line ends
        lambda data: data.replace(b"ACGT", b"acgu").replace(b"NNA", b"RYK"),  # IUPAC codes
    ],
    ids=["no-final-newline", "blank-end", "many-blank-end", "crlf", "iupac"],
)
def test_accepted_variants(tmp_path, transform):
    path = write(tmp_path / "r1.fq.gz", transform(fastq(*READS)))
    stats = check_sample(SAMPLE, path)
    assert (stats["reads"], stats["bases"], stats["read_length_max"]) == (3, 36, 20)


def test_empty_reads_are_counted(tmp_path):
    path = write(tmp_path / "r1.fq", fastq(("r1", "ACGT"), ("r2", "")), gz=False)
    assert check_sample(SAMPLE, path)["reads"] == 2


def test_old_style_mate_suffixes_pair_up(tmp_path):
    r1 = write(tmp_path / "r1.fq.gz", fastq(("a/1", "ACGT"), ("b/1", "ACGT")))
    r2 = write(tmp_path / "r2.fq.gz", fastq(("a/2", "ACGT"), ("b/2", "ACGT")))
    assert check_sample(SAMPLE, r1, r2)["reads"] == 2


def test_read_names():
    headers = [b"@a/1", b"@b 1:N:0", b"@c/2\tx", b"@d/3", b"@", b"@ x"]
    assert read_names(headers) == [b"a", b"b", b"c", b"d/3", b"", b""]


def test_result_does_not_depend_on_chunking(tmp_path):
    data = fastq(*READS * 40)
    whole = list(iter_fastq_batches("r1.fq", SAMPLE, [data]))
    for size in (1, 3, 17, 100):
        chunks = [data[i : i + size] for i in range(0, len(data), size)]
        batches = list(iter_fastq_batches("r1.fq", SAMPLE, chunks))
        assert [h for b in batches for h in b.headers] == whole[0].headers
        assert [n for b in batches for n in b.lengths] == whole[0].lengths
        assert [b.first for b in batches] == [
            1 + sum(len(b.lengths) for b in batches[:i]) for i in range(len(batches))
        ]


def test_gzip_members_padding_and_small_output_limit(tmp_path, monkeypatch):
    """Concatenated members (as BGZF writes) and zero padding; tiny chunks exercise the loop."""
    data = fastq(*READS * 30)
    member = len(data) // 3
    parts = [data[:member], data[member : 2 * member], data[2 * member :]]
    path = tmp_path / "r1.fq.gz"
    path.write_bytes(b"".join(gzip.compress(p, mtime=0) for p in parts) + b"\0" * 10)
    monkeypatch.setattr(fastq_check, "CHUNK_SIZE", 64)
    chunks = list(read_chunks(path, SAMPLE))
    assert b"".join(chunks) == data
    assert max(map(len, chunks)) <= 64
    assert check_sample(SAMPLE, path)["reads"] == 90


def test_garbage_after_gzip_member(tmp_path):
    path = tmp_path / "r1.fq.gz"
    path.write_bytes(gzip.compress(fastq(*READS), mtime=0) + b"junk")
    with pytest.raises(RegflowError, match="truncated or corrupt gzip"):
        check_sample(SAMPLE, path)
    with pytest.raises(zlib.error):
        list(read_chunks(path, SAMPLE))


@pytest.mark.parametrize("bad", [None, 1, 57, 120])
def test_pairs_are_compared_across_chunks(tmp_path, monkeypatch, bad):
    """Mates are split into chunks at different records; names still compare pairwise."""
    monkeypatch.setattr(fastq_check, "CHUNK_SIZE", 50)
    reads = [(f"read{i}", "ACGT" * (1 + i % 5)) for i in range(1, 121)]
    r1 = write(tmp_path / "r1.fq.gz", fastq(*reads, mate=1))
    mates = [(f"read{i}/2" if i != bad else "other/2", "AC") for i in range(1, 121)]
    r2 = write(tmp_path / "r2.fq", fastq(*mates), gz=False)
    if bad is None:
        stats = check_sample(SAMPLE, r1, r2)
        assert (stats["reads"], stats["read_length_max"]) == (120, 20)
    else:
        with pytest.raises(RegflowError) as info:
            check_sample(SAMPLE, r1, r2)
        assert str(info.value) == (
            f"sample '{SAMPLE}': {r2}: read name 'other' does not match 'read{bad}' in {r1} "
            f"(record {bad})"
        )


def test_longer_read_1_is_named_as_its_mate_missing(tmp_path):
    r1 = write(tmp_path / "r1.fq.gz", fastq(*READS[:2], mate=1))
    r2 = write(tmp_path / "r2.fq.gz", fastq(*READS, mate=2))
    with pytest.raises(RegflowError, match=r"r1.fq.gz: 2 records but .*r2.fq.gz has 3"):
        check_sample(SAMPLE, r1, r2)


def test_truncation_after_some_records(tmp_path, monkeypatch):
    monkeypatch.setattr(fastq_check, "CHUNK_SIZE", 256)
    data = gzip.compress(
        b"".join(fastq((f"r{i}", "ACGT" * (i % 7 + 1))) for i in range(3000)), mtime=0
    )
    path = tmp_path / "r1.fq.gz"
    path.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(RegflowError, match=r"truncated or corrupt gzip: .* \(after record \d+\)$"):
        check_sample(SAMPLE, path)


def test_directory_instead_of_file(tmp_path, capsys):
    assert_fails(tmp_path, capsys, tmp_path, bad_file=tmp_path, problem="cannot read file")


def test_output_directory_is_created(tmp_path):
    path = write(tmp_path / "r1.fq.gz", fastq(*READS))
    output = tmp_path / "a" / "b" / "stats.json"
    argv = ["check-fastq", "--sample", SAMPLE, "--fastq-1", str(path), "--output", str(output)]
    assert main(argv) == 0
    assert json.loads(output.read_text())["reads"] == 3


def test_overlong_line(tmp_path, monkeypatch):
    monkeypatch.setattr(fastq_check, "MAX_LINE", 100)
    monkeypatch.setattr(fastq_check, "CHUNK_SIZE", 64)
    path = write(tmp_path / "r1.fq", fastq(*READS) + b"@" + b"x" * 500, gz=False)
    with pytest.raises(RegflowError, match=r"line longer than 0 MiB \(record 4\)$"):
        check_sample(SAMPLE, path)
