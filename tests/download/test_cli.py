"""``regflow download`` end to end: the file on success; on failure exit status 1, one line on
stderr naming what was fetched, the URL and the problem, and no file."""

from __future__ import annotations

import gzip

from regflow.cli import main

from .conftest import Serve, fastq_gz


def test_download_gunzips_a_reference(server, tmp_path):
    server.routes["/genes.gtf.gz"] = [Serve(gzip.compress(b"chr1\tx\tgene\n"))]
    dest = tmp_path / "genome" / "genes.gtf"

    status = main(
        ["download", "--url", server.url("/genes.gtf.gz"), "--output", str(dest)]
        + ["--label", "reference genes.gtf", "--format", "gunzip"]
    )

    assert status == 0
    assert dest.read_bytes() == b"chr1\tx\tgene\n"


def test_failure_is_one_line_naming_the_sample(server, tmp_path, capsys):
    server.routes["/a.fastq.gz"] = [Serve(fastq_gz(10))]
    dest = tmp_path / "a_R1.fastq.gz"

    status = main(
        ["download", "--url", server.url("/a.fastq.gz"), "--output", str(dest)]
        + ["--label", "sample 'a' fastq_1", "--md5", "f" * 32, "--retries", "0"]
    )

    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert err[-1].startswith(f"regflow download: error: sample 'a' fastq_1: {server.url('/a')}")
    assert "MD5 mismatch" in err[-1]
    assert list(tmp_path.iterdir()) == []


def test_a_malformed_md5_is_refused_before_connecting(server, tmp_path, capsys):
    status = main(
        ["download", "--url", server.url("/a.fastq.gz"), "--output", str(tmp_path / "a")]
        + ["--label", "sample 'a' fastq_1", "--md5", "xyz"]
    )

    assert status == 1
    assert "--md5 not an MD5 checksum" in capsys.readouterr().err
    assert server.requests == []
