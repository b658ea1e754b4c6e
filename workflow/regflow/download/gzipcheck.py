"""Check a gzip stream chunk by chunk as it is downloaded, so a file that is not gzip, is
corrupt or is cut short is caught before it replaces anything (and before a long alignment)."""

from __future__ import annotations

import zlib

MAGIC = b"\x1f\x8b"


class GzipProblem(Exception):
    """The stream is not valid gzip; the message says how, in a few words."""


class GzipStream:
    """Incremental check (and decompression) of gzip data with one or more members.

    Concatenated members are valid gzip (``cat a.gz b.gz``, bgzip's blocks), so each member's
    end starts the next one. :meth:`feed` raises :class:`GzipProblem` at the first bad byte;
    :meth:`finish` raises it when the data ended inside a member.
    """

    def __init__(self) -> None:
        self._head = b""  # the first bytes, until the magic number can be checked
        self._member: zlib._Decompress | None = None  # None between members
        self._offset = 0  # compressed bytes consumed so far

    def feed(self, chunk: bytes) -> bytes:
        """Check the next compressed bytes; return what they decompress to."""
        if len(self._head) < len(MAGIC):
            self._head += chunk
            if len(self._head) < len(MAGIC):
                return b""
            if not self._head.startswith(MAGIC):
                raise GzipProblem(f"not gzip (starts with {self._head[:16]!r})")
            chunk, self._head = self._head, MAGIC
        out = []
        data = chunk
        while data:
            if self._member is None:
                self._member = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                out.append(self._member.decompress(data))
            except zlib.error as err:
                raise GzipProblem(f"corrupt gzip near byte {self._offset}: {err}") from None
            if self._member.eof:
                data = self._member.unused_data
                self._member = None
            else:
                data = b""
        self._offset += len(chunk)
        return b"".join(out)

    def finish(self) -> None:
        """Declare the end of the data: it must not stop before a member's end."""
        if len(self._head) < len(MAGIC):
            raise GzipProblem("not gzip (empty)" if not self._head else "not gzip (too short)")
        if self._member is not None:
            raise GzipProblem(f"truncated gzip (ends inside a member at byte {self._offset})")
