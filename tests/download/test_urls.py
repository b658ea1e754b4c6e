"""URLs versus paths, and what makes a URL or an MD5 unusable."""

from __future__ import annotations

import pytest

from regflow.download.urls import is_url, md5_problem, remote_name, url_problem

ENA = "ftp://ftp.sra.ebi.ac.uk/vol1/fastq/SRR123/005/SRR1234565/SRR1234565_1.fastq.gz"


@pytest.mark.parametrize(
    ("value", "url"),
    [
        (ENA, True),
        ("https://ftp.sra.ebi.ac.uk/vol1/fastq/x_1.fastq.gz", True),
        ("HTTP://host/a.fastq.gz", True),
        ("s3://bucket/a.fastq.gz", True),  # a URL, if an unsupported one
        ("data/a.fastq.gz", False),
        ("/abs/path/a.fastq.gz", False),
        ("ftp.sra.ebi.ac.uk/vol1/fastq/x_1.fastq.gz", False),  # ENA's fastq_ftp, no scheme
        ("", False),
    ],
)
def test_is_url(value, url):
    assert is_url(value) is url


def test_usable_urls_have_no_problem():
    assert url_problem(ENA) is None
    assert url_problem("HTTP://127.0.0.1:8000/a%20b.fastq.gz") is None
    assert remote_name("https://h/dir/a%20b.fastq.gz?x=1") == "a b.fastq.gz"


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("s3://bucket/a.fastq.gz", "unsupported URL scheme 's3'"),
        ("file:///data/a.fastq.gz", "unsupported URL scheme 'file'"),
        ("https:///a.fastq.gz", "URL has no host"),
        ("https://host/dir/", "URL names no file"),
    ],
)
def test_url_problems(url, problem):
    assert url_problem(url).startswith(problem)


def test_md5():
    assert md5_problem("d41d8cd98f00b204e9800998ecf8427E") is None
    assert "32 hex digits" in md5_problem("d41d8cd98f00b204")
    assert "32 hex digits" in md5_problem("g" * 32)
