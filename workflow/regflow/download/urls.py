"""Tell remote inputs (http, https, ftp URLs) from local paths, and check their form."""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

SCHEMES = ("http", "https", "ftp")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
MD5 = re.compile(r"[0-9a-fA-F]{32}")


def is_url(value: str) -> bool:
    """Whether ``value`` names a remote file (``scheme://...``) rather than a local path."""
    return bool(SCHEME.match(value))


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be downloaded (unsupported scheme, no host, no file name), or None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES:
        return f"unsupported URL scheme {parts.scheme!r} in {url} (use {', '.join(SCHEMES)})"
    if not parts.hostname:
        return f"URL has no host: {url}"
    if not remote_name(url):
        return f"URL names no file: {url}"
    return None


def remote_name(url: str) -> str:
    """The file name at the end of the URL's path (``''`` when it ends in a slash)."""
    return posixpath.basename(unquote(urlsplit(url).path))


def md5_problem(value: str) -> str | None:
    """Why ``value`` is not an MD5 checksum (32 hexadecimal digits), or None."""
    return None if MD5.fullmatch(value) else f"not an MD5 checksum (32 hex digits): {value!r}"
