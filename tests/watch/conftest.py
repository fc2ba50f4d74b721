"""A programmable HTTP server on 127.0.0.1 for the crawler tests, and crawl helpers."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from models import Database
from watch import CrawlOptions, HttpOptions
from watch.sources import upsert_sources


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    # Optional: write the body slowly or hang; called with the handler after the headers.
    stream: Callable[[BaseHTTPRequestHandler], None] | None = None


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request arrived
    host: str


Route = Callable[[Request], Reply]


class Server:
    """Routes by path (query included when registered with one); logs every request."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.routes: dict[str, Route] = {}
        self.log: list[Request] = []
        self._lock = threading.Lock()
        self.active = 0
        self.max_active = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10

            def do_GET(self) -> None:  # noqa: N802
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()}, time.monotonic(), host)
                with server._lock:
                    server.log.append(request)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    route = server.routes.get(self.path) or server.routes.get(self.path.split("?")[0])
                    reply = route(request) if route else Reply(404, b"not found")
                    self.send_response(reply.status)
                    headers = {"Content-Type": "application/xml", **reply.headers}
                    if reply.stream is None:
                        headers.setdefault("Content-Length", str(len(reply.body)))
                    else:
                        headers["Connection"] = "close"
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    if reply.stream is not None:
                        reply.stream(self)
                        self.close_connection = True
                    elif reply.status != 304:
                        self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True
                finally:
                    with server._lock:
                        server.active -= 1

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer((host, 0), Handler)
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False  # a hanging handler must not hold up the teardown
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def route(self, path: str, reply: Reply | Route) -> None:
        self.routes[path] = reply if callable(reply) else (lambda _request, r=reply: r)

    def requests_to(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path.split("?")[0] == path]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def make_server() -> Iterator[Callable[[str], Server]]:
    servers: list[Server] = []

    def make(host: str = "127.0.0.1") -> Server:
        s = Server(host)
        servers.append(s)
        return s

    yield make
    for s in servers:
        s.close()


class Clock:
    """A clock the tests move by hand (aware UTC)."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 16, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def options_for(clock: Clock | None = None, **overrides: Any) -> CrawlOptions:
    http = HttpOptions(user_agent="veille-test/1 (+https://example.org/contact)", allow_private_networks=True,
                       connect_timeout=2, read_timeout=2, total_timeout=5, min_host_gap=0.0)
    http_overrides = {k[5:]: overrides.pop(k) for k in list(overrides) if k.startswith("http_")}
    if http_overrides:
        http = HttpOptions(**{**http.__dict__, **http_overrides})
    values: dict[str, Any] = dict(http=http, jitter=0.0, concurrency=4, worker_id="test-worker")
    if clock is not None:
        values["clock"] = clock
    values.update(overrides)
    return CrawlOptions(**values)


def add_source(db: Database, name: str, url: str, **extra: Any) -> None:
    spec = {"name": name, "url": url, "kind": "feed", "language": "fr", "outlet_type": "local", **extra}
    with db.transaction() as session:
        upsert_sources(session, [spec])


def rss(items: list[dict[str, str]], *, title: str = "Flux de test", extra: str = "",
        encoding: str = "utf-8") -> bytes:
    """A small RSS 2.0 document; each item dict may have title, link, guid, date, description."""
    parts = [f'<?xml version="1.0" encoding="{encoding}"?>\n<rss version="2.0"><channel>'
             f"<title>{title}</title><link>http://example.org/</link><description>d</description>{extra}"]
    for item in items:
        parts.append("<item>")
        for tag, key in (("title", "title"), ("link", "link"), ("guid", "guid"), ("pubDate", "date"),
                         ("description", "description")):
            if key in item:
                parts.append(f"<{tag}>{item[key]}</{tag}>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "".join(parts).encode(encoding, "xmlcharrefreplace")


def html_page(title: str, *, canonical: str | None = None, body: str = "") -> bytes:
    head = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    text = body or ("Le Conseil de Paris a débattu du budget participatif. " * 20)
    return (f"<!doctype html><html lang=fr><head><title>{title}</title>{head}</head>"
            f"<body><article><h1>{title}</h1><p>{text}</p></article></body></html>").encode()


@pytest.fixture
def corpus_dir(shared_dir: Path) -> Path:
    return shared_dir / "corpora" / "feedparser"
