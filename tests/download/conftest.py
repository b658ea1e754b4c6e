"""A real HTTP server on 127.0.0.1 (a thread, port 0) whose paths answer as each test scripts
them: a file, an HTTP status, a stall, or a body cut short."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass(frozen=True)
class Serve:
    """Answer 200 with ``body``; ``declared`` overrides Content-Length (a longer value makes
    the server close the connection before the promised end)."""

    body: bytes
    declared: int | None = None


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status and a short text body."""

    code: int


@dataclass(frozen=True)
class Stall:
    """Send the headers of a 200, then say nothing for ``seconds``."""

    seconds: float


@dataclass
class Server:
    """``routes[path]``: the answers to successive requests (the last one repeats);
    ``requests``: every path asked for, in order."""

    port: int
    routes: dict[str, list[object]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str) -> object:
        self.requests.append(path)
        answers = self.routes.get(path, [Status(404)])
        return answers.pop(0) if len(answers) > 1 else answers[0]


def fastq_gz(n_reads: int, seed: int = 0) -> bytes:
    """A small gzipped FASTQ (``n_reads`` records of 50 bp)."""
    bases = "ACGT"
    lines = []
    for i in range(n_reads):
        seq = "".join(bases[(i * 7 + j * (seed + 3)) % 4] for j in range(50))
        lines += [f"@read{i}", seq, "+", "I" * 50]
    return gzip.compress(("\n".join(lines) + "\n").encode(), mtime=0)


def _handler(server: Server) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            answer = server.answer(self.path)
            if isinstance(answer, Status):
                body = f"status {answer.code}\n".encode()
                self.send_response(answer.code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif isinstance(answer, Stall):
                self.send_response(200)
                self.send_header("Content-Length", "1000")
                self.end_headers()
                self.wfile.flush()
                time.sleep(answer.seconds)
            else:
                self.send_response(200)
                self.send_header("Content-Length", str(answer.declared or len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                self.close_connection = True

        def log_message(self, *args: object) -> None:
            """Keep the test output quiet."""

    return Handler


@pytest.fixture
def server() -> Iterator[Server]:
    """A running server; scripted through ``server.routes``."""
    state = Server(port=0)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
