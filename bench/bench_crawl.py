"""Crawl benchmark: 500 feeds on 50 loopback hosts, a first pass (200) and a second (304).

Also crawls the demo corpus end to end (feeds, listing page, articles) and profiles it.
Prints figures; not part of the test run. Usage: ``python bench/bench_crawl.py [--sources N]``.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import pstats
import re
import resource
import sys
import tempfile
import threading
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models import Database  # noqa: E402
from models.migrate import upgrade  # noqa: E402
from watch import CrawlOptions, HttpOptions, crawl  # noqa: E402
from watch.sources import upsert_sources  # noqa: E402

ENTRIES = 20
CONCURRENCY = int(__import__("os").environ.get("BENCH_CONCURRENCY", "8"))


def feed_body(n: int) -> bytes:
    now = datetime(2026, 11, 16, 9, tzinfo=timezone.utc)
    items = "".join(
        f"<item><title>Source {n}, article {i} : le Conseil de Paris vote le budget</title>"
        f"<link>http://outlet{n}.example/paris/article-{n}-{i}.html?xtor=RSS-{n}</link><guid>s{n}-{i}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=i))}</pubDate>"
        f"<description>Résumé de l'article {i} de la source {n}, avec quelques phrases de plus.</description></item>"
        for i in range(ENTRIES))
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Source {n}</title>'
            f"<link>http://outlet{n}.example/</link><description>d</description>{items}</channel></rss>").encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    bodies: dict[str, tuple[bytes, str]] = {}

    def do_GET(self) -> None:  # noqa: N802
        body, etag = self.bodies[self.path]
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def serve(hosts: int) -> list[ThreadingHTTPServer]:
    servers = []
    port = 0
    for h in range(hosts):
        server = ThreadingHTTPServer((f"127.0.0.{10 + h}", port), Handler)
        server.daemon_threads = True
        port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    return servers


def database(folder: Path) -> Database:
    db = Database(f"sqlite:///{folder / 'bench.sqlite'}")
    upgrade(db.engine)
    return db


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_polling(sources: int, hosts: int) -> None:
    servers = serve(hosts)
    port = servers[0].server_address[1]
    specs = []
    for n in range(sources):
        path = f"/feed/{n}.xml"
        body = feed_body(n)
        Handler.bodies[path] = (body, '"' + hashlib.sha256(body).hexdigest()[:16] + '"')
        specs.append({"name": f"source-{n:03d}", "url": f"http://127.0.0.{10 + n % hosts}:{port}{path}",
                      "kind": "feed", "language": "fr", "outlet_type": "local", "fetch_articles": False})
    with tempfile.TemporaryDirectory() as folder:
        db = database(Path(folder))
        with db.transaction() as session:
            upsert_sources(session, specs)
        options = CrawlOptions(http=HttpOptions(allow_private_networks=True, min_host_gap=0.0),
                               batch_size=sources, concurrency=CONCURRENCY, jitter=0.0)
        rss_before = peak_mib()
        started = time.monotonic()
        first = crawl(db, options, fetch_articles=False)
        first_time = time.monotonic() - started
        rss_first = peak_mib()
        started = time.monotonic()
        second = crawl(db, options, fetch_articles=False)
        second_time = time.monotonic() - started
        print(f"polling {sources} sources on {hosts} loopback hosts, {ENTRIES} entries each, SQLite, "
              f"concurrency 8, no host gap")
        print(f"  first pass (200): {first_time:6.2f} s, {first.sources / first_time:6.1f} req/s, "
              f"{first.items['new']} items stored, outcomes {dict(first.outcomes)}")
        print(f"  second pass (304): {second_time:6.2f} s, {second.sources / second_time:6.1f} req/s, "
              f"outcomes {dict(second.outcomes)}")
        print(f"  second/first: {second_time / first_time:.2f}")
        print(f"  peak RSS: {rss_before:.0f} MiB before, {rss_first:.0f} MiB after the first pass "
              f"(process maximum, includes the servers)")
        db.dispose()
    for server in servers:
        server.shutdown()
        server.server_close()


def bench_demo() -> None:
    """The demo corpus end to end, twice: threaded as in production, then single-threaded under
    cProfile to show where the time goes (sources, then articles)."""
    from veille.demo.site import DemoSite
    from watch.articles import claim_articles, fetch_article
    from watch.http import Fetcher
    from watch.polling import claim_sources, poll_source
    from watch.robots import RobotsCache

    with DemoSite() as site:
        for label in ("threaded", "profiled"):
            with tempfile.TemporaryDirectory() as folder:
                db = database(Path(folder))
                with db.transaction() as session:
                    upsert_sources(session, site.sources())
                options = CrawlOptions(http=HttpOptions(allow_private_networks=True, min_host_gap=0.05),
                                       concurrency=8, jitter=0.0)
                if label == "threaded":
                    started = time.monotonic()
                    report = crawl(db, options)
                    print(f"demo corpus end to end (7 outlets: 6 feeds and a listing page, 176 articles, "
                          f"host gap 0.05 s, 8 threads): {time.monotonic() - started:.2f} s")
                    print(f"  {report.summary()}")
                else:
                    profile = cProfile.Profile()
                    fetcher = Fetcher(options.http)
                    robots = RobotsCache(db, fetcher, ttl=3600, user_agent="veille", clock=options.clock)
                    started = time.monotonic()
                    profile.enable()
                    for source_id in claim_sources(db, options):
                        poll_source(db, fetcher, robots, source_id, options)
                    polled = time.monotonic() - started
                    for item_id in claim_articles(db, options, limit=1000):
                        fetch_article(db, fetcher, robots, item_id, options)
                    profile.disable()
                    total = time.monotonic() - started
                    fetcher.close()
                    print(f"  single-threaded under cProfile: {total:.2f} s "
                          f"(sources {polled:.2f} s, articles {total - polled:.2f} s)")
                    out = io.StringIO()
                    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(12)
                    print("  top functions by own time:")
                    for line in out.getvalue().splitlines():
                        if re.match(r"\s*\d", line):
                            print("   ", line.strip()[:160])
                db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    bench_polling(args.sources, args.hosts)
    if not args.skip_demo:
        bench_demo()


if __name__ == "__main__":
    main()
