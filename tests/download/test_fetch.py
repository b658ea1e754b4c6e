"""``regflow.download.fetch`` against a real local HTTP server: success, permanent and
transient failures, retries, checks; a failure never leaves a file behind."""

from __future__ import annotations

import gzip
import hashlib
import socket

import pytest

from regflow.download.fetch import Checks, Policy, fetch
from regflow.errors import RegflowError

from .conftest import Serve, Stall, Status, fastq_gz

LABEL = "sample 'atac_1' fastq_1"
FAST = Policy(retries=2, timeout=5.0, backoff=0.25)


def run(url, dest, *, checks=None, policy=FAST):
    """fetch() with the waits between attempts recorded instead of slept."""
    waits: list[float] = []
    checks = checks or Checks()
    fetch(url, dest, label=LABEL, checks=checks, policy=policy, sleep=waits.append)
    return waits


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir())


def test_success_is_byte_identical(server, tmp_path):
    body = fastq_gz(500)
    server.routes["/a_R1.fastq.gz"] = [Serve(body)]
    dest = tmp_path / "fastq" / "atac_1_R1.fastq.gz"

    waits = run(server.url("/a_R1.fastq.gz"), dest)

    assert dest.read_bytes() == body
    assert leftovers(dest.parent) == ["atac_1_R1.fastq.gz"]
    assert waits == []


def test_not_found_fails_at_once_naming_sample_url_and_status(server, tmp_path):
    dest = tmp_path / "atac_1_R1.fastq.gz"
    url = server.url("/missing.fastq.gz")

    with pytest.raises(RegflowError) as err:
        run(url, dest)

    assert str(err.value) == f"{LABEL}: {url}: HTTP 404 Not Found"
    assert server.requests == ["/missing.fastq.gz"]  # no retry
    assert leftovers(tmp_path) == []


def test_one_503_then_success_retries_after_the_backoff(server, tmp_path):
    body = fastq_gz(50)
    server.routes["/flaky.fastq.gz"] = [Status(503), Serve(body)]
    dest = tmp_path / "x.fastq.gz"

    waits = run(server.url("/flaky.fastq.gz"), dest)

    assert dest.read_bytes() == body
    assert server.requests == ["/flaky.fastq.gz"] * 2
    assert waits == [0.25]


def test_persistent_503_gives_up_after_every_retry_with_doubling_waits(server, tmp_path):
    server.routes["/down.fastq.gz"] = [Status(503)]
    dest = tmp_path / "x.fastq.gz"

    with pytest.raises(RegflowError, match=r"HTTP 503 .*\(gave up after 3 attempts\)$"):
        waits = []
        fetch(server.url("/down.fastq.gz"), dest, label=LABEL, policy=FAST, sleep=waits.append)
    assert waits == [0.25, 0.5]
    assert len(server.requests) == 3
    assert leftovers(tmp_path) == []


def test_server_stalling_past_the_timeout(server, tmp_path):
    server.routes["/stall.fastq.gz"] = [Stall(3.0)]
    dest = tmp_path / "x.fastq.gz"
    policy = Policy(retries=1, timeout=0.5, backoff=0.0)

    with pytest.raises(RegflowError) as err:
        run(server.url("/stall.fastq.gz"), dest, policy=policy)

    assert str(err.value).endswith("timed out after 0.5 s (gave up after 2 attempts)")
    assert LABEL in str(err.value)
    assert leftovers(tmp_path) == []


def test_connection_closed_before_the_declared_length(server, tmp_path):
    body = fastq_gz(200)
    server.routes["/short.fastq.gz"] = [Serve(body[:300], declared=len(body))]
    dest = tmp_path / "x.fastq.gz"

    with pytest.raises(RegflowError, match=r"connection closed after 300 .*after 1 attempt\)"):
        run(server.url("/short.fastq.gz"), dest, policy=Policy(retries=0, backoff=0.0))
    assert leftovers(tmp_path) == []


def test_connection_refused(tmp_path):
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dest = tmp_path / "x.fastq.gz"

    with pytest.raises(RegflowError, match="connection refused .gave up after 2 attempts"):
        run(f"http://127.0.0.1:{port}/a.fastq.gz", dest, policy=Policy(retries=1, backoff=0.0))
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"<html>Moved</html>\n", "not gzip (starts with b'<html>Moved</htm')"),
        (fastq_gz(300)[:-20], "truncated gzip"),
        (fastq_gz(300)[:40] + bytes(200) + fastq_gz(300)[240:], "corrupt gzip near byte"),
        (b"", "not gzip (empty)"),
    ],
    ids=["html", "truncated", "corrupt", "empty"],
)
def test_bad_gzip_fails_at_once_and_keeps_an_older_copy(server, tmp_path, body, problem):
    server.routes["/bad.fastq.gz"] = [Serve(body)]
    dest = tmp_path / "x.fastq.gz"
    dest.write_bytes(b"an older, complete download")

    with pytest.raises(RegflowError) as err:
        run(server.url("/bad.fastq.gz"), dest)

    assert problem in str(err.value)
    assert server.requests == ["/bad.fastq.gz"]
    assert dest.read_bytes() == b"an older, complete download"
    assert leftovers(tmp_path) == ["x.fastq.gz"]


def test_md5_is_checked(server, tmp_path):
    body = fastq_gz(100)
    server.routes["/a.fastq.gz"] = [Serve(body)]
    good = hashlib.md5(body).hexdigest()
    dest = tmp_path / "x.fastq.gz"

    run(server.url("/a.fastq.gz"), dest, checks=Checks(md5=good.upper()))
    assert dest.read_bytes() == body

    dest.unlink()
    with pytest.raises(RegflowError, match=f"MD5 mismatch: expected {'0' * 32}, got {good}"):
        run(server.url("/a.fastq.gz"), dest, checks=Checks(md5="0" * 32))
    assert leftovers(tmp_path) == []


def test_gunzip_stores_the_plain_text_of_every_member(server, tmp_path):
    members = gzip.compress(b">c1\nACGT\n") + gzip.compress(b">c2\nTT\n")
    server.routes["/genome.fa.gz"] = [Serve(members)]
    dest = tmp_path / "genome.fa"

    run(server.url("/genome.fa.gz"), dest, checks=Checks(decompress=True))

    assert dest.read_bytes() == b">c1\nACGT\n>c2\nTT\n"


def test_unchecked_format_stores_any_body(server, tmp_path):
    server.routes["/genes.gtf"] = [Serve(b'c1\tx\tgene\t1\t10\t.\t+\t.\tgene_id "g";\n')]
    dest = tmp_path / "genes.gtf"

    run(server.url("/genes.gtf"), dest, checks=Checks(gzip=False))

    assert dest.read_bytes().startswith(b"c1\tx\tgene")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("s3://bucket/a.fastq.gz", "unsupported URL scheme 's3'"),
        ("https:///a.fastq.gz", "URL has no host"),
        ("https://example.org/dir/", "URL names no file"),
    ],
)
def test_unusable_urls_fail_without_a_request(tmp_path, url, problem):
    with pytest.raises(RegflowError, match=problem):
        run(url, tmp_path / "x.fastq.gz")
    assert leftovers(tmp_path) == []
