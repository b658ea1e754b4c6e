"""g:Profiler (g:GOSt) enrichment, one cached request per query, that never hangs.

Each query's request (service URL, organism, genes in order, sources, thresholds, background)
is hashed; the answer is stored as ``<sha256>.json`` in a cache folder, so reruns and
``--cache-only`` runs never touch the network. The client library posts without a timeout,
so each call runs in a daemon thread that is abandoned when the timeout passes.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from regflow.enrich.choices import DEFAULT_URL, THRESHOLD_METHODS
from regflow.enrich.hypergeom import RESULT_COLUMNS
from regflow.errors import RegflowError
from regflow.io import atomic_output

log = logging.getLogger(__name__)

# fields every g:Profiler record carries, named as in the offline table (its p_value is
# already corrected; the other offline columns are derived here)
RESULT_FIELDS = tuple(
    c for c in RESULT_COLUMNS if c not in ("query", "p_adjusted", "significant", "intersections")
)
OFFLINE_HINT = (
    "run offline with `regflow enrich offline --gmt ...`, or rerun against answers already in "
    "--cache-dir with --cache-only"
)


def build_request(
    query: str,
    genes: Sequence[str],
    background: Sequence[str],
    *,
    organism: str,
    sources: Sequence[str],
    alpha: float,
    threshold_method: str,
    all_results: bool,
    base_url: str = DEFAULT_URL,
) -> dict:
    """Everything that decides one query's answer: the cache key is a hash of this object.

    Parameters
    ----------
    query
        Query name (the motif).
    genes
        Query genes, best first.
    background
        Custom domain (``domain_scope="custom"``): the genes that could have been picked.
    organism, sources, alpha, threshold_method, all_results
        g:Profiler's ``organism``, ``sources``, ``user_threshold``,
        ``significance_threshold_method`` and ``all_results``.
    base_url
        Service root, e.g. ``https://biit.cs.ut.ee/gprofiler``.

    Returns
    -------
    dict
        JSON-serialisable request.
    """
    if threshold_method not in THRESHOLD_METHODS:
        raise RegflowError(
            f"threshold method must be one of {', '.join(THRESHOLD_METHODS)}, "
            f"got {threshold_method}"
        )
    if not 0 < alpha <= 1:
        raise RegflowError(f"alpha must be in (0, 1], got {alpha}")
    return {
        "base_url": base_url.rstrip("/"),
        "organism": organism,
        "query": query,
        "genes": list(genes),
        "sources": list(sources),
        "user_threshold": alpha,
        "significance_threshold_method": threshold_method,
        "all_results": all_results,
        "no_evidences": False,
        "domain_scope": "custom",
        "background": list(background),
    }


def cache_key(request: Mapping) -> str:
    """SHA-256 of the request's canonical JSON."""
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def endpoint(request: Mapping) -> str:
    """The URL the client posts a g:GOSt request to."""
    return f"{request['base_url']}/api/gost/profile/"


def profile(
    request: Mapping, *, cache_dir: Path, cache_only: bool = False, timeout: float = 60.0
) -> list[dict]:
    """One query's g:Profiler results, from the cache or from the service (then cached).

    Parameters
    ----------
    request
        From :func:`build_request`.
    cache_dir
        Folder of cached answers, created when first written.
    cache_only
        Fail, naming the query, instead of contacting the service.
    timeout
        Seconds to wait for the service.

    Returns
    -------
    list of dict
        The client's result records (``return_dataframe=False``).
    """
    path = Path(cache_dir) / f"{cache_key(request)}.json"
    if path.is_file():
        log.info("%s: cached answer %s", request["query"], path)
        return read_cached(path, request)
    if cache_only:
        raise RegflowError(
            f"g:Profiler query {request['query']} is not cached in {cache_dir} "
            f"(expected {path.name}); rerun without --cache-only to fetch it"
        )
    log.info("%s: asking %s", request["query"], endpoint(request))
    result = call_service(request, timeout)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps({"request": request, "result": result}), encoding="utf-8")
    return result


def read_cached(path: Path, request: Mapping) -> list[dict]:
    """The result stored in a cache file, checked to answer ``request``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise RegflowError(
            f"g:Profiler cache file {path} is unreadable ({err}); delete it"
        ) from None
    if (
        not isinstance(data, dict)
        or data.get("request") != request
        or not isinstance(data.get("result"), list)
    ):
        raise RegflowError(
            f"g:Profiler cache file {path} does not hold the answer to query "
            f"{request['query']}; delete it"
        )
    return data["result"]


def call_service(request: Mapping, timeout: float) -> list[dict]:
    """Post one g:GOSt request, giving up after ``timeout`` seconds.

    The call runs in a daemon thread: a thread still blocked on the socket is left behind and
    does not keep the interpreter alive.
    """
    if timeout <= 0:
        raise RegflowError(f"timeout must be > 0 seconds, got {timeout}")
    try:
        from gprofiler import GProfiler
    except ImportError:
        raise RegflowError(
            f"g:Profiler's client (gprofiler-official) is not installed; {OFFLINE_HINT}"
        ) from None

    client = GProfiler(user_agent="regflow", base_url=request["base_url"], return_dataframe=False)
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["result"] = client.profile(
                query={request["query"]: request["genes"]},
                organism=request["organism"],
                sources=request["sources"],
                user_threshold=request["user_threshold"],
                all_results=request["all_results"],
                no_evidences=request["no_evidences"],
                domain_scope=request["domain_scope"],
                significance_threshold_method=request["significance_threshold_method"],
                background=request["background"],
            )
        except Exception as err:  # reported to the caller's thread below
            outcome["error"] = err

    thread = threading.Thread(target=target, name="regflow-gprofiler", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise _service_error(request, f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise _service_error(request, _describe(outcome["error"])) from None
    result = outcome["result"]
    if not isinstance(result, list):
        raise _service_error(request, "the answer is not a list of results")
    return result


def _describe(err: Exception) -> str:
    """A one-line cause for a failed call."""
    import requests

    if isinstance(err, requests.exceptions.ConnectionError):
        kind = "cannot connect"
    elif isinstance(err, AssertionError):  # the client's way of reporting an HTTP error
        kind = "the service refused the request"
    elif isinstance(err, requests.exceptions.RequestException):
        kind = "request failed"
    else:
        kind = f"unreadable answer ({type(err).__name__})"
    text = " ".join(str(err).split())
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{kind}: {text}" if text else kind


def _service_error(request: Mapping, cause: str) -> RegflowError:
    return RegflowError(
        f"g:Profiler at {endpoint(request)} failed for query {request['query']}: {cause}; "
        f"{OFFLINE_HINT}"
    )


def result_table(
    results: Mapping[str, list[dict]],
    *,
    alpha: float,
    min_term_size: int = 1,
    max_term_size: int | None = None,
) -> pd.DataFrame:
    """g:Profiler results of several queries as the offline table (:data:`RESULT_COLUMNS`).

    g:Profiler reports only corrected p-values: they fill ``p_adjusted`` and ``p_value`` is
    missing. ``significant`` is ``p_adjusted < alpha``; terms outside the size range
    (``term_size``, g:Profiler's size within its domain) are dropped.

    Parameters
    ----------
    results
        Query name -> the records :func:`profile` returned for it.
    alpha
        Significance level.
    min_term_size, max_term_size
        Term-size range kept (``None``: no upper bound).

    Returns
    -------
    pandas.DataFrame
        By query (in ``results`` order), then adjusted p-value, then term.
    """
    rows = []
    for query, records in results.items():
        for record in records:
            missing = [f for f in RESULT_FIELDS if f not in record]
            if missing:
                raise RegflowError(
                    f"g:Profiler result of query {query} lacks fields {', '.join(missing)}"
                )
            rows.append(
                {
                    "query": query,
                    **{f: record[f] for f in RESULT_FIELDS},
                    "intersections": ",".join(record.get("intersections") or []),
                }
            )
    table = pd.DataFrame(rows, columns=["query", *RESULT_FIELDS, "intersections"])
    table["p_adjusted"] = table.pop("p_value").astype(np.float64)
    table["p_value"] = np.nan
    table["significant"] = table["p_adjusted"] < alpha
    keep = table["term_size"] >= min_term_size
    if max_term_size is not None:
        keep &= table["term_size"] <= max_term_size
    table = table[keep]
    order = {query: i for i, query in enumerate(results)}
    table = table.assign(_order=table["query"].map(order)).sort_values(
        ["_order", "p_adjusted", "native"], kind="stable"
    )
    return table.drop(columns="_order").reindex(columns=list(RESULT_COLUMNS)).reset_index(drop=True)
