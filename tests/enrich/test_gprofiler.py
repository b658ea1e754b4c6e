"""g:Profiler mode against a real local HTTP server that speaks g:GOSt's JSON: requests sent,
answers parsed and cached, cache-only reruns, and failures that never hang."""

from __future__ import annotations

import argparse
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pandas as pd
import pytest

from regflow.enrich import cli
from regflow.enrich.gprofiler import build_request, cache_key, profile, result_table
from regflow.enrich.hypergeom import RESULT_COLUMNS
from regflow.errors import RegflowError

TERMS = {
    "GO:0000001": ("GO:BP", "alpha process", {"G01", "G02", "G03", "G04", "G05", "G06"}),
    "KEGG:00010": ("KEGG", "beta pathway", {"G05", "G07", "G08", "G09", "G10", "G11", "G12"}),
    "GO:0000002": ("GO:BP", "tiny process", {"G01", "G02"}),
}


class FakeGProfiler:
    """``POST /api/gost/profile/`` on 127.0.0.1: answers in g:GOSt's format, sleeps, or fails.

    ``p_value`` of a term is ``0.5 ** intersection_size``; every posted body is recorded.
    """

    def __init__(self, mode: str = "ok"):
        self.mode = mode
        self.bodies: list[dict] = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.bodies.append({"path": self.path, **body})
                if fake.mode == "sleep":
                    fake.release.wait(10)
                status, answer = (
                    (500, {"message": "unknown organism"})
                    if fake.mode == "error" or self.path != "/api/gost/profile/"
                    else (200, fake.answer(body))
                )
                data = json.dumps(answer).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def answer(body: dict) -> dict:
        results, genes_metadata = [], {}
        for query, genes in body["query"].items():
            ensgs = [f"ENSG_{gene}" for gene in genes]
            genes_metadata[query] = {
                "ensgs": ensgs,
                "mapping": {gene: [f"ENSG_{gene}"] for gene in genes},
            }
            for native, (source, name, members) in TERMS.items():
                hits = [gene in members for gene in genes]
                if not any(hits):
                    continue
                results.append(
                    {
                        "query": query,
                        "source": source,
                        "native": native,
                        "name": name,
                        "p_value": 0.5 ** sum(hits),
                        "significant": True,
                        "description": name,
                        "term_size": len(members),
                        "query_size": len(genes),
                        "intersection_size": sum(hits),
                        "effective_domain_size": len(body["background"]),
                        "precision": sum(hits) / len(genes),
                        "recall": sum(hits) / len(members),
                        "parents": [],
                        "intersections": [["IDA"] if hit else [] for hit in hits],
                    }
                )
        return {
            "result": results,
            "meta": {
                "query_metadata": {"queries": {q: [] for q in body["query"]}},
                "genes_metadata": {"query": genes_metadata},
            },
        }


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def service():
    fake = FakeGProfiler()
    yield fake
    fake.stop()


UNIVERSE = [f"G{i:02d}" for i in range(1, 31)]


def request_for(url: str, genes=("G03", "G01", "G07", "G20"), **changes) -> dict:
    settings = dict(
        organism="scerevisiae",
        sources=["GO:BP", "KEGG"],
        alpha=0.05,
        threshold_method="g_SCS",
        all_results=False,
        base_url=url,
    )
    settings.update(changes)
    return build_request("TF1", list(genes), UNIVERSE, **settings)


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_cache_key_covers_the_whole_request():
    base = request_for("http://a")
    assert cache_key(base) == cache_key(request_for("http://a/"))  # trailing slash ignored
    for other in (
        request_for("http://b"),
        request_for("http://a", genes=("G01", "G03", "G07", "G20")),  # order matters
        request_for("http://a", sources=["GO:BP"]),
        request_for("http://a", alpha=0.01),
        request_for("http://a", threshold_method="fdr"),
        request_for("http://a", organism="hsapiens"),
        {**base, "background": UNIVERSE[:-1]},
    ):
        assert cache_key(other) != cache_key(base)
    with pytest.raises(RegflowError, match="threshold method"):
        request_for("http://a", threshold_method="holm")


def test_profile_posts_request_parses_and_caches(tmp_path, service):
    request = request_for(service.url)
    cache = tmp_path / "cache"
    first = profile(request, cache_dir=cache, timeout=10)

    (body,) = service.bodies
    assert body["path"] == "/api/gost/profile/"
    assert body["organism"] == "scerevisiae"
    assert body["query"] == {"TF1": ["G03", "G01", "G07", "G20"]}
    assert body["background"] == UNIVERSE and body["domain_scope"] == "custom"
    assert body["sources"] == ["GO:BP", "KEGG"]
    assert body["user_threshold"] == 0.05 and body["significance_threshold_method"] == "g_SCS"
    assert body["no_evidences"] is False

    by_term = {record["native"]: record for record in first}
    assert set(by_term) == set(TERMS)
    assert by_term["GO:0000001"]["intersections"] == ["G03", "G01"]  # gene names, query order
    (cached,) = cache.iterdir()
    assert cached.name == f"{cache_key(request)}.json"
    assert json.loads(cached.read_text())["request"] == request

    service.stop()  # reruns must not need the network
    assert profile(request, cache_dir=cache, timeout=1) == first
    assert profile(request, cache_dir=cache, cache_only=True) == first
    assert len(service.bodies) == 1
    with pytest.raises(RegflowError, match="query TF1 is not cached"):
        profile(request_for(service.url, alpha=0.01), cache_dir=cache, cache_only=True)


def test_result_table_normalises_records():
    records = FakeGProfiler.answer(
        {"query": {"TF1": ["G01", "G02", "G05"]}, "background": UNIVERSE}
    )
    for record in records["result"]:
        record["intersections"] = ["G01"]
    table = result_table({"TF1": records["result"]}, alpha=0.2, min_term_size=3)
    assert list(table.columns) == list(RESULT_COLUMNS)
    assert table["native"].tolist() == ["GO:0000001", "KEGG:00010"]  # tiny term (2) dropped
    assert table["p_adjusted"].tolist() == [0.125, 0.5]
    assert table["p_value"].isna().all()  # g:Profiler reports corrected p-values only
    assert table["significant"].tolist() == [True, False]  # from alpha, not the service
    assert table["intersections"].iloc[0] == "G01"
    with pytest.raises(RegflowError, match="query TF1 lacks fields .*p_value"):
        result_table({"TF1": [{"native": "X"}]}, alpha=0.05)


def test_slow_service_times_out(tmp_path):
    slow = FakeGProfiler(mode="sleep")
    try:
        start = time.monotonic()
        with pytest.raises(RegflowError) as err:
            profile(request_for(slow.url), cache_dir=tmp_path, timeout=1)
        assert time.monotonic() - start < 4
    finally:
        slow.stop()
    message = str(err.value)
    assert f"{slow.url}/api/gost/profile/" in message
    assert "query TF1" in message and "no answer within 1 s" in message
    assert "offline" in message and "\n" not in message
    assert not list(tmp_path.iterdir())  # nothing cached


def test_closed_port_and_http_error(tmp_path):
    url = closed_port_url()
    with pytest.raises(RegflowError) as err:
        profile(request_for(url), cache_dir=tmp_path, timeout=10)
    assert f"{url}/api/gost/profile/" in str(err.value) and "cannot connect" in str(err.value)
    assert "\n" not in str(err.value)

    failing = FakeGProfiler(mode="error")
    try:
        with pytest.raises(RegflowError, match="refused the request: unknown organism"):
            profile(request_for(failing.url), cache_dir=tmp_path, timeout=10)
    finally:
        failing.stop()
    assert not list(tmp_path.iterdir())


def run_cli(argv):
    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    args = parser.parse_args(["enrich", "gprofiler", *argv])
    args.func(args)


def test_cli_online_then_cache_only(tmp_path, service):
    matrix = pd.DataFrame(
        {"TF1": range(30, 0, -1), "TF2": range(30)}, index=pd.Index(UNIVERSE, name="gene_id")
    )
    matrix.to_csv(tmp_path / "m.tsv", sep="\t")
    common = [
        "--matrix", str(tmp_path / "m.tsv"),
        "--top", "6",
        "--min-term-size", "3",
        "--organism", "scerevisiae",
        "--sources", "GO:BP,KEGG",
        "--cache-dir", str(tmp_path / "cache"),
    ]  # fmt: skip
    online = [*common, "--base-url", service.url]
    run_cli([*online, "--table", str(tmp_path / "a.tsv"), "--plot", str(tmp_path / "a.png")])
    assert [body["query"] for body in service.bodies] == [
        {"TF1": UNIVERSE[:6]},
        {"TF2": UNIVERSE[::-1][:6]},
    ]
    table = pd.read_csv(tmp_path / "a.tsv", sep="\t")
    assert list(table.columns) == list(RESULT_COLUMNS)
    tf1 = table[table["query"] == "TF1"]
    assert tf1["native"].tolist() == ["GO:0000001", "KEGG:00010"]
    assert tf1["intersections"].iloc[0] == "G01,G02,G03,G04,G05,G06"
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(list((tmp_path / "cache").iterdir())) == 2

    service.stop()
    run_cli([*online, "--cache-only", "--table", str(tmp_path / "b.tsv")])
    run_cli([*online, "--timeout", "1", "--table", str(tmp_path / "c.tsv")])
    assert (tmp_path / "b.tsv").read_bytes() == (tmp_path / "a.tsv").read_bytes()
    assert (tmp_path / "c.tsv").read_bytes() == (tmp_path / "a.tsv").read_bytes()

    with pytest.raises(RegflowError, match="query TF1 is not cached"):
        outputs = ["--table", str(tmp_path / "d.tsv"), "--plot", str(tmp_path / "d.png")]
        run_cli([*common, "--base-url", "http://elsewhere", "--cache-only", *outputs])
    assert not (tmp_path / "d.tsv").exists() and not (tmp_path / "d.png").exists()
