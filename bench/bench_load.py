"""The web app under load while a crawl writes: 50 clients searching and reading reviews.

Builds a synthetic archive (bench/synth.py, through bench_web.prepare), starts `veille serve`
in a subprocess (uvicorn), serves the demo outlets on loopback and runs a crawl-and-process
worker against them (`veille worker --all-sources`, a round every second, so the database is
written to throughout), then runs N concurrent httpx clients for a fixed time: members read
the week's reviews, analysts search. Prints p50/p95 per page, the error count (target: zero)
and whether "database is locked" ever reached a user or the server log.

    .venv/bin/python bench/bench_load.py --size 10000 --clients 50 --seconds 60 [--db postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_web  # noqa: E402
from bench_web import DEFAULT_PG, free_port, percentile, prepare  # noqa: E402


def load_pages(week: str) -> dict[str, list[tuple[str, str]]]:
    return {
        "member": [("review", f"/reviews/environment/{week}"), ("review", f"/reviews/public_space/{week}"),
                   ("review", f"/reviews/social_education/{week}"), ("archive", "/reviews")],
        "analyst": [("search_common", "/search?q=paris"), ("search_phrase", '/search?q="conseil de Paris"'),
                    ("search_filtered", "/search?q=rue&theme=public_space&arr=11"),
                    ("search_date", "/search?q=logement&sort=date&page=3"), ("api_items", "/api/items?page_size=50")],
    }


async def run_load(base: str, clients: int, seconds: float, week: str):
    return await bench_web.run_clients(base, [("member", "analyst")[n % 2] for n in range(clients)],
                                       load_pages(week), seconds)


def wait_for(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/login", timeout=1)
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("veille serve did not start") from None
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "veille-bench-load")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    args = parser.parse_args(argv)

    from veille.core import Veille
    from veille.demo.site import DemoSite
    from veille.jobs.setup import sync_sources
    from veille.settings import settings_from_dict

    args.out.mkdir(parents=True, exist_ok=True)
    url, week, _story = prepare(args.db, args.size, args.out, args.postgres)
    port = free_port()
    logs = args.out / "logs"
    logs.mkdir(exist_ok=True)
    with DemoSite() as site:
        raw = {"database_url": url, "data_dir": str(args.out / "data"), "log_level": "WARNING",
               "watch": {"allow_private_networks": True, "min_host_gap": 0.0, "concurrency": 4},
               "pipelines": {"workers": 1, "stages": ["extract", "dedupe", "cluster"]},
               # The 25 analyst clients share one account: at 120 requests a minute it answered 429
               # (as it should) to a third of their API calls on 2026-11-27.
               "web": {"api_rate_limit": 100_000},
               "sources": site.sources()}
        config = args.out / "bench-load.yaml"
        config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        app = Veille(settings_from_dict(raw))
        print(f"demo sources: {sync_sources(app)}", flush=True)
        app.close()
        veille = str(ROOT / ".venv" / "bin" / "veille")
        server_log = open(logs / "serve.log", "wb")
        worker_log = open(logs / "worker.log", "wb")
        server = subprocess.Popen([veille, "--config", str(config), "serve", "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=server_log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        worker = None
        try:
            wait_for(base, server)
            asyncio.run(run_load(base, 4, 3, week))  # warm-up
            worker = subprocess.Popen([veille, "--config", str(config), "worker", "--all-sources", "--pause", "1"],
                                      stdout=worker_log, stderr=subprocess.STDOUT)
            timings, errors, elapsed = asyncio.run(run_load(base, args.clients, args.seconds, week))
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=120)
            server.terminate()
            server.wait(timeout=10)
            server_log.close()
            worker_log.close()
    rounds = (logs / "worker.log").read_text(errors="replace")
    served = (logs / "serve.log").read_text(errors="replace")
    every = [t for values in timings.values() for t in values]
    print(f"\n{args.clients} clients for {elapsed:.0f} s on {args.db}, {args.size:,} items, crawl running, "
          f"load average {os.getloadavg()[0]:.1f}: "
          f"{len(every):,} requests, {len(every) / elapsed:.0f} req/s, errors {sum(errors.values())}")
    print(f"{'page':<16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}")
    import statistics
    for kind in sorted(timings):
        values = timings[kind]
        print(f"{kind:<16} {len(values):>6} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f} "
              f"{max(values):>8.1f} {errors[kind]:>6}")
    print(f"{'all pages':<16} {len(every):>6} {statistics.median(every):>8.1f} {percentile(every, 0.95):>8.1f} "
          f"{max(every):>8.1f} {sum(errors.values()):>6}")
    crawl_rounds = rounds.count("crawl:")
    print(f"crawl rounds during the load: {crawl_rounds}; worker lines: {rounds.strip().splitlines()[:2]}")
    locked = served.count("database is locked") + rounds.count("database is locked")
    print(f'"database is locked" in the server log: {served.count("database is locked")}, '
          f"in the worker log: {rounds.count('database is locked')}")
    return 0 if not sum(errors.values()) and not locked else 1


if __name__ == "__main__":
    sys.exit(main())
