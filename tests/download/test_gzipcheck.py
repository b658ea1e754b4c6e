"""``GzipStream`` checks gzip however the bytes are chunked, across members, to the end."""

from __future__ import annotations

import gzip

import pytest

from regflow.download.gzipcheck import GzipProblem, GzipStream

TEXT = b"@r1\nACGT\n+\nIIII\n" * 200


def check(data: bytes, chunk: int) -> bytes:
    """Feed ``data`` in pieces of ``chunk`` bytes, then finish; the decompressed bytes."""
    stream = GzipStream()
    out = b"".join(stream.feed(data[i : i + chunk]) for i in range(0, len(data), chunk))
    stream.finish()
    return out


@pytest.mark.parametrize("chunk", [1, 2, 7, 1 << 20])
def test_members_decompress_whatever_the_chunking(chunk):
    data = gzip.compress(TEXT) + gzip.compress(b"tail\n")
    assert check(data, chunk) == TEXT + b"tail\n"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not gzip (empty)"),
        (b"\x1f", "not gzip (too short)"),
        (TEXT, "not gzip (starts with b'@r1"),
        (gzip.compress(TEXT)[:-1], "truncated gzip"),
        (gzip.compress(TEXT) + b"garbage", "corrupt gzip near byte"),
    ],
    ids=["empty", "one byte", "plain text", "cut short", "trailing garbage"],
)
def test_problems(data, problem):
    with pytest.raises(GzipProblem) as err:
        check(data, 5)
    assert str(err.value).startswith(problem)


def test_a_flipped_byte_is_caught():
    data = bytearray(gzip.compress(TEXT))
    data[len(data) // 2] ^= 0xFF
    with pytest.raises(GzipProblem, match="corrupt gzip"):
        check(bytes(data), 64)
