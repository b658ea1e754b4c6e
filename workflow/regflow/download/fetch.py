"""Download one URL to a local file, all or nothing.

The body streams into a temporary file beside the destination while its MD5 is summed and its
gzip checked; the file is renamed into place only when every check passes, so an interrupted
or failed download never leaves a file that looks finished. Transient failures (timeouts,
refused or dropped connections, HTTP 408/429/5xx, short bodies) are retried with exponential
backoff; the others stop at once. Every failure is one line naming what was fetched, the URL
and the problem.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import http.client
import logging
import os
import socket
import ssl
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from regflow.download.gzipcheck import GzipProblem, GzipStream
from regflow.download.urls import url_problem
from regflow.errors import RegflowError

log = logging.getLogger(__name__)

CHUNK = 1 << 20
RETRY_STATUS = frozenset({408, 429})


@dataclass(frozen=True)
class Policy:
    """How hard to try: ``retries`` after the first attempt, waiting ``backoff`` x 2^k seconds
    before retry k + 1; ``timeout`` seconds for connecting and for each read."""

    retries: int = 3
    timeout: float = 60.0
    backoff: float = 5.0


@dataclass(frozen=True)
class Checks:
    """What the body must be: gzip (and then stored ``decompress``-ed or as is), and the MD5
    of the bytes as served when ``md5`` is given."""

    gzip: bool = True
    decompress: bool = False
    md5: str | None = None


class Transient(Exception):
    """A failure worth another attempt."""


class Permanent(Exception):
    """A failure another attempt would repeat."""


def fetch(
    url: str,
    dest: str | os.PathLike[str],
    *,
    label: str,
    checks: Checks = Checks(),
    policy: Policy = Policy(),
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Download ``url`` to ``dest`` (parents created), replacing it only on success.

    Parameters
    ----------
    url
        An http, https or ftp URL.
    dest
        The local file to write.
    label
        What is fetched, for messages, e.g. ``sample 'atac_1' fastq_1``.
    checks, policy
        What the body must satisfy; how often and how long to try.
    sleep
        Waits between attempts (tests pass a recorder).

    Raises
    ------
    RegflowError
        ``"{label}: {url}: {problem}"``, after the last attempt for transient problems.
    """
    problem = url_problem(url)
    if problem:
        raise RegflowError(f"{label}: {problem}")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    attempts = policy.retries + 1
    for attempt in range(attempts):
        try:
            _download_once(url, dest, checks, policy.timeout)
            return
        except Permanent as err:
            raise RegflowError(f"{label}: {url}: {err}") from None
        except Transient as err:
            if attempt + 1 == attempts:
                tries = f"{attempts} attempts" if attempts > 1 else "1 attempt"
                raise RegflowError(f"{label}: {url}: {err} (gave up after {tries})") from None
            delay = policy.backoff * 2**attempt
            log.warning("%s: %s: %s; retrying in %g s", label, url, err, delay)
            sleep(delay)


def _download_once(url: str, dest: Path, checks: Checks, timeout: float) -> None:
    """One attempt: stream into a temporary file beside ``dest``, then rename it into place."""
    fd, part = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            _stream(url, out, checks, timeout)
        os.replace(part, dest)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        raise


def _stream(url: str, out: BinaryIO, checks: Checks, timeout: float) -> None:
    """Copy the body of ``url`` to ``out``, checking length, gzip and MD5."""
    digest = hashlib.md5(usedforsecurity=False)
    stream = GzipStream() if checks.gzip or checks.decompress else None
    received = 0
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            expected = response.headers.get("Content-Length")
            while chunk := response.read(CHUNK):
                received += len(chunk)
                digest.update(chunk)
                plain = stream.feed(chunk) if stream else chunk
                out.write(plain if checks.decompress else chunk)
        if expected is not None and expected.isdigit() and received != int(expected):
            raise Transient(f"connection closed after {received} of {expected} bytes")
        if stream:
            stream.finish()
    except GzipProblem as err:
        raise Permanent(str(err)) from None
    except urllib.error.HTTPError as err:
        retry = err.code in RETRY_STATUS or err.code >= 500
        raise (Transient if retry else Permanent)(f"HTTP {err.code} {err.reason}") from None
    except urllib.error.URLError as err:
        raise _classify(err.reason, err.__cause__, timeout) from None
    except (OSError, http.client.HTTPException) as err:
        raise _classify(err, None, timeout) from None
    if checks.md5 and digest.hexdigest() != checks.md5.lower():
        raise Permanent(f"MD5 mismatch: expected {checks.md5.lower()}, got {digest.hexdigest()}")


def _classify(reason: object, cause: BaseException | None, timeout: float) -> Exception:
    """The Transient or Permanent failure a network error stands for, in a few words."""
    if isinstance(reason, TimeoutError):
        return Transient(f"timed out after {timeout:g} s")
    if isinstance(reason, ConnectionRefusedError):
        return Transient("connection refused")
    if isinstance(reason, socket.gaierror):
        return Permanent(f"cannot resolve the host name ({reason.strerror or reason})")
    if isinstance(reason, ssl.SSLCertVerificationError):
        return Permanent(f"TLS certificate problem: {reason.verify_message}")
    if isinstance(reason, http.client.IncompleteRead):
        return Transient(f"connection closed after {len(reason.partial)} bytes of a chunk")
    if isinstance(reason, (ConnectionError, http.client.HTTPException)):
        return Transient(f"connection lost ({type(reason).__name__})")
    if isinstance(cause, ftplib.error_perm):
        return Permanent(f"FTP {cause}")
    if isinstance(reason, OSError) and not reason.strerror:
        return Transient(type(reason).__name__)
    return Transient(str(getattr(reason, "strerror", None) or reason))
