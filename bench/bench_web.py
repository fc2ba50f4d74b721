"""Web pages under concurrent load: p50, p95 and errors per page, with N clients on loopback.

Builds (or reuses) a synthetic archive with bench/synth.py, publishes the latest week's reviews,
starts `veille serve` in a subprocess (uvicorn, one process) and runs N concurrent httpx
clients, each logged in, cycling through the pages members, facilitators, analysts and
operators open, for a fixed time:

    .venv/bin/python bench/bench_web.py --size 10000 --clients 20 --seconds 30 [--db postgresql]

Target: page p95 under 200 ms at 20 clients on a 10k-item archive.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402
from argon2 import PasswordHasher  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from models import Database, Item, Story, User  # noqa: E402

import loadgen  # noqa: E402
from synth import DEFAULT_PG, Generator, create_database, index, load  # noqa: E402

PASSWORD = "bench-password-1"
ROLES = ("member", "facilitator", "analyst", "admin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(kind: str, size: int, out: Path, pg_url: str) -> tuple[str, str, int]:
    """The archive's URL, its latest full week and one story id; accounts and reviews ready."""
    from veille.core import Veille
    from veille.jobs.digest import publish_review
    from veille.settings import settings_from_dict

    started = time.monotonic()
    database = create_database(kind, size, out, pg_url)
    load(database, Generator(7), size)
    index(database)
    print(f"archive: {size:,} items on {kind} built in {time.monotonic() - started:.0f} s", flush=True)
    password_hash = PasswordHasher().hash(PASSWORD)
    with database.transaction() as session:
        for role in ROLES:
            session.add(User(name=f"bench-{role}", role=role, password_hash=password_hash))
        latest = session.scalar(select(func.max(Item.published_at)))
        iso = latest.isocalendar()
        week = f"{iso.year}-W{iso.week - 1:02d}" if iso.week > 1 else f"{iso.year - 1}-W52"
        story = session.scalar(select(Story.id).order_by(Story.item_count.desc()).limit(1))
    url = database.url
    database.dispose()
    app = Veille(settings_from_dict({"database_url": url, "data_dir": str(out / "data")}))
    started = time.monotonic()
    for group in ("social_education", "environment", "public_space"):
        publish_review(app, group, week)
    print(f"published the three reviews of {week} in {time.monotonic() - started:.1f} s", flush=True)
    app.close()
    return url, week, story or 1


def pages(week: str, story: int) -> dict[str, list[tuple[str, str]]]:
    """Per role, the (kind, path) pages a client of that role cycles through."""
    return {
        "member": [("home", "/"), ("review", f"/reviews/environment/{week}"), ("archive", "/reviews"),
                   ("review", f"/reviews/public_space/{week}")],
        "facilitator": [("inbox", f"/curate/social_education/{week}"), ("dossier", f"/stories/{story}"),
                        ("audit", "/audit"), ("queue", "/curate/queue")],
        "analyst": [("search_common", "/search?q=paris"), ("search_phrase", '/search?q="conseil de Paris"'),
                    ("search_filtered", "/search?q=rue&theme=public_space&arr=11"),
                    ("search_date", "/search?q=logement&sort=date&page=3"), ("api_items", "/api/items?page_size=50")],
        "admin": [("sources", "/admin/sources"), ("runs", "/admin/runs"), ("users", "/admin/users")],
    }


async def client(base: str, role: str, paths: list[tuple[str, str]], seconds: float,
                 timings: dict[str, list[float]], errors: dict[str, int], offset: int,
                 ready: asyncio.Barrier, phase: dict[str, float]) -> None:
    """One logged-in user opening ``paths`` in turn, each as soon as the last one answered.

    Every client logs in first and the timed loop starts when all have: argon2 takes tens of
    milliseconds per login, and 50 logins at once held the first pages up to 7 s."""
    async with loadgen.Client(base) as http:
        _, form = await http.get("/login")
        token = re.search(rb'name="csrf_token" value="([^"]+)"', form).group(1).decode()  # type: ignore[union-attr]
        status, body = await http.post_form("/login", {"name": f"bench-{role}", "password": PASSWORD, "next": "/",
                                                        "csrf_token": token})
        assert status == 303, body[:500]
        await ready.wait()
        until = phase.setdefault("start", time.monotonic()) + seconds
        i = offset
        while time.monotonic() < until:
            kind, path = paths[i % len(paths)]
            i += 1
            started = time.perf_counter()
            try:
                status, _ = await http.get(path)
                ok = status == 200
            except loadgen.HttpError:
                ok = False
            timings[kind].append((time.perf_counter() - started) * 1000)
            if not ok:
                errors[kind] += 1


async def run_clients(base: str, roles: list[str], plan: dict[str, list[tuple[str, str]]], seconds: float
                      ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    """Clients of these roles for ``seconds`` once all are logged in: timings, errors, elapsed."""
    timings: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    ready, phase = asyncio.Barrier(len(roles)), {}
    await asyncio.gather(*(client(base, role, plan[role], seconds, timings, errors, n, ready, phase)
                           for n, role in enumerate(roles)))
    return timings, errors, time.monotonic() - phase["start"]


async def run_load(base: str, clients: int, seconds: float, week: str, story: int
                   ) -> tuple[dict[str, list[float]], dict[str, int], float]:
    mix = ["member"] * 2 + ["facilitator", "analyst"]  # members are most readers
    roles = [mix[n % len(mix)] for n in range(clients)] + ["admin"]
    return await run_clients(base, roles, pages(week, story), seconds)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "veille-bench-web")
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn processes (web.workers)")
    parser.add_argument("--threads", type=int, default=8, help="handler threads per process (web.threads)")
    args = parser.parse_args(argv)

    url, week, story = prepare(args.db, args.size, args.out, args.postgres)
    port = free_port()
    config = args.out / "bench-web.yaml"
    config.write_text(f"database_url: '{url}'\ndata_dir: '{args.out / 'data'}'\nlog_level: WARNING\n"
                      f"web:\n  workers: {args.workers}\n  threads: {args.threads}\n"
                      # All analyst clients share one account: past 120 API calls a minute it gets 429s.
                      "  api_rate_limit: 100000\n",
                      encoding="utf-8")
    server = subprocess.Popen([str(ROOT / ".venv" / "bin" / "veille"), "--config", str(config), "serve",
                               "--host", "127.0.0.1", "--port", str(port)], env={**os.environ})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("veille serve did not start") from None
                time.sleep(0.2)
        # Warm-up: one pass over every page (first renders, caches, connections).
        asyncio.run(run_load(base, 4, 3, week, story))
        timings, errors, elapsed = asyncio.run(run_load(base, args.clients, args.seconds, week, story))
    finally:
        server.terminate()
        server.wait(timeout=10)
    every = [t for values in timings.values() for t in values]
    print(f"\n{args.clients} clients (+1 admin) for {elapsed:.0f} s on {args.db}, {args.size:,} items, "
          f"{args.workers} server process(es) of {args.threads} threads, load average {os.getloadavg()[0]:.1f}: "
          f"{len(every):,} requests, {len(every) / elapsed:.0f} req/s, errors {sum(errors.values())}")
    print(f"{'page':<16} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'errors':>6}")
    for kind in sorted(timings):
        values = timings[kind]
        print(f"{kind:<16} {len(values):>6} {statistics.median(values):>8.1f} {percentile(values, 0.95):>8.1f} "
              f"{max(values):>8.1f} {errors[kind]:>6}")
    print(f"{'all pages':<16} {len(every):>6} {statistics.median(every):>8.1f} {percentile(every, 0.95):>8.1f} "
          f"{max(every):>8.1f} {sum(errors.values()):>6}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
