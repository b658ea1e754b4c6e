"""``regflow download``: fetch one URL to a local file (the workflow's download rules)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from regflow.download.fetch import Checks, Policy, fetch
from regflow.download.urls import md5_problem
from regflow.errors import RegflowError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``regflow download --url URL --output PATH --label TEXT [options]``."""
    defaults = Policy()
    parser = subparsers.add_parser(
        "download",
        help="download a FASTQ or reference file",
        description="Download one http(s)/ftp URL, checked, with retries; the output appears "
        "only when the download is complete and every check passed.",
    )
    parser.add_argument("--url", required=True, help="http, https or ftp URL")
    parser.add_argument("--output", required=True, type=Path, help="local file to write")
    parser.add_argument(
        "--label", required=True, help="what is fetched, for messages (e.g. sample 'x' fastq_1)"
    )
    parser.add_argument("--md5", help="expected MD5 of the file as served")
    parser.add_argument(
        "--format",
        choices=("gzip", "gunzip", "any"),
        default="gzip",
        help="gzip: must be gzip, stored as is (default); gunzip: must be gzip, stored "
        "decompressed; any: stored as is, unchecked",
    )
    parser.add_argument("--retries", type=int, default=defaults.retries, help="retries")
    parser.add_argument("--timeout", type=float, default=defaults.timeout, help="seconds")
    parser.add_argument(
        "--backoff", type=float, default=defaults.backoff, help="seconds before the 1st retry"
    )
    parser.set_defaults(func=_download)


def _download(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    if args.md5 and md5_problem(args.md5):
        raise RegflowError(f"{args.label}: --md5 {md5_problem(args.md5)}")
    checks = Checks(gzip=args.format != "any", decompress=args.format == "gunzip", md5=args.md5)
    policy = Policy(retries=args.retries, timeout=args.timeout, backoff=args.backoff)
    fetch(args.url, args.output, label=args.label, checks=checks, policy=policy)
    logging.getLogger(__name__).info("%s: %s -> %s", args.label, args.url, args.output)
