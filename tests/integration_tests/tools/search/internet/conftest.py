"""A real HTTP server on 127.0.0.1 that speaks SearXNG's JSON API and serves real pages."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

LISBON = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lisbon - City guide</title></head>
<body>
<nav><a href="/">Home</a> | <a href="/cities">Cities</a> | <a href="/login">Log in</a></nav>
<header><h1>Lisbon</h1></header>
<article>
<p>Lisbon is the capital and largest city of Portugal, with an estimated population of 567,131
within its administrative limits. It lies on the north bank of the Tagus estuary, where the river
meets the Atlantic Ocean, and is the westernmost capital of mainland Europe.</p>
<p>The city is built on seven hills. Its historic districts, such as Alfama and Baixa, were largely
rebuilt after the earthquake of 1 November 1755, which destroyed most of the city centre.</p>
<p>Lisbon's trams, especially tram 28, climb the steep streets of the old quarters and are
among the city's best known sights. The Vasco da Gama Bridge over the Tagus is one of the
longest in Europe.</p>
</article>
<footer>© 2024 City guides. Cookie settings. Privacy policy. Contact us.</footer>
</body></html>
"""

PORTO = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Porto</title></head><body>
<nav>Menu: Home · Travel · Food</nav>
<main><h1>Porto</h1>
<p>Porto is the second-largest city in Portugal, on the estuary of the Douro river in the north of
the country. It is known for port wine, which is aged in cellars in Vila Nova de Gaia across the
river, and for its historic centre, a UNESCO World Heritage Site since 1996.</p>
</main><footer>Subscribe to our newsletter</footer></body></html>
"""


class Site(ThreadingHTTPServer):
    """The server; ``queries`` records the parameters of every /search request."""

    daemon_threads = True
    queries: list[dict[str, list[str]]]
    results: list[dict[str, str]]
    searxng_status: int = 200

    @property
    def base(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class Handler(BaseHTTPRequestHandler):
    server: Site

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass

    def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        path = url.path
        if path == "/search":
            query = parse_qs(url.query)
            self.server.queries.append(query)
            if self.server.searxng_status != 200:
                self._send(self.server.searxng_status, b"Forbidden", "text/plain")
                return
            payload = {
                "query": query.get("q", [""])[0],
                "number_of_results": 0,
                "results": self.server.results,
                "answers": [],
                "corrections": [],
                "infoboxes": [],
                "suggestions": [],
                "unresponsive_engines": [],
            }
            self._send(200, json.dumps(payload).encode(), "application/json")
        elif path == "/html/search":  # an instance without the json format: HTML only
            self._send(200, b"<html><body>results</body></html>", "text/html")
        elif path == "/page/lisbon":
            self._send(200, LISBON.encode(), "text/html; charset=utf-8")
        elif path == "/page/porto":
            self._send(200, PORTO.encode(), "text/html; charset=utf-8")
        elif path == "/page/plain":
            self._send(200, b"Plain text: the Tagus is the longest river of Iberia.", "text/plain")
        elif path == "/page/binary":
            self._send(200, bytes(range(256)) * 4, "application/octet-stream")
        elif path == "/page/missing":
            self._send(404, b"<h1>Not found</h1>", "text/html")
        elif path == "/page/big-declared":
            self._send(200, b"<p>" + b"x" * 300_000 + b"</p>", "text/html")
        elif path == "/page/big-streamed":
            # no Content-Length: the cap must hold while streaming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            for _ in range(40):
                self.wfile.write(b"<p>" + b"y" * 10_000 + b"</p>")
        elif path == "/page/slow":
            # headers at once, then the body drips: only an overall deadline stops this
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(30):
                    self.wfile.write(b"<p>slow</p>")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass
        elif path == "/redirect/lisbon":
            self._redirect("/page/lisbon")
        elif path == "/redirect/metadata":
            self._redirect("http://169.254.169.254/latest/meta-data/")
        elif path == "/redirect/private":
            self._redirect("http://10.0.0.1/admin")
        elif path == "/redirect/file":
            self._redirect("file:///etc/passwd")
        elif path == "/redirect/loop":
            self._redirect("/redirect/loop")
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="session")
def site() -> Iterator[Site]:
    server = Site(("127.0.0.1", 0), Handler)
    server.queries = []
    server.results = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def results(site: Site) -> Iterator[list[dict[str, str]]]:
    """The SearXNG results the site answers with (set by the test), reset afterwards."""
    site.queries.clear()
    site.searxng_status = 200
    yield site.results
    site.results.clear()
    site.searxng_status = 200
