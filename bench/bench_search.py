"""Search latency per query shape, database and archive size: p50 and p95 in milliseconds.

Runs the real `models.search` functions (search with facets, coverage, arrondissement
counts) on the synthetic archives made by bench/synth.py:

    .venv/bin/python bench/synth.py --size 100000 --db both
    .venv/bin/python bench/bench_search.py --size 100000 --db both

(an archive that does not exist yet is generated first).

Each shape cycles through several queries of its kind (common words are in 25–45 % of the
items, rare words in 0.04–0.08 %); each query is run once to warm the cache, then the
timed runs cycle through them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from models import Database  # noqa: E402
from models.search import SearchRequest, arrondissement_counts, coverage, search  # noqa: E402
from models.search import _WINDOWS as windows  # noqa: E402

import synth  # noqa: E402
from synth import DEFAULT_PG, END  # noqa: E402

COMMON = ["ville", "paris", "rue", "place", "projet", "habitants"]
PHRASES = ['"conseil de Paris"', '"piste cyclable"', '"logement social"', '"espaces verts"', '"mairie du"']
PREFIXES = ["végétal*", "cycl*", "logem*", "pollu*", "scol*", "trav*"]
# In 0.04–0.08 % of the synthetic items (40–80 per 100k), picked from the FTS5 vocabulary.
RARE = ["anxiété", "boursière", "échelon", "tutorat", "autocensure", "récalcitrants", "neurosciences",
        "conciergerie", "diabète", "faillite"]


def shapes(database: Database, size: int) -> list[tuple[str, list[SearchRequest]]]:
    last = END.date()
    quarter = dict(date_from=last - timedelta(days=90), date_to=last)
    return [
        ("common word", [SearchRequest(q=w) for w in COMMON]),
        ("common word, by date", [SearchRequest(q=w, sort="date") for w in COMMON]),
        ("common word, page 5", [SearchRequest(q=w, page=5) for w in COMMON]),
        ("rare word", [SearchRequest(q=w) for w in RARE]),
        ("phrase", [SearchRequest(q=p) for p in PHRASES]),
        ("prefix", [SearchRequest(q=p) for p in PREFIXES]),
        ("common word, last 90 days", [SearchRequest(q=w, **quarter) for w in COMMON]),
        ("common word, one year", [SearchRequest(q=w, date_from=date(2024, 1, 1), date_to=date(2024, 12, 31))
                                   for w in COMMON]),
        ("common + theme + arrondissement", [SearchRequest(q=w, themes=["environment"], arrondissements=[11])
                                             for w in COMMON]),
        ("two common words OR", [SearchRequest(q=f"{a} OR {b}") for a, b in zip(COMMON, COMMON[1:])]),
        ("theme filter only", [SearchRequest(themes=[t]) for t in ("environment", "public_space")]),
        ("everything, no query", [SearchRequest()]),
    ]


def backend_cpu_ns(pid: int | None) -> int:
    """CPU time used so far by a PostgreSQL backend (Linux schedstat, nanoseconds)."""
    if pid is None:
        return 0
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def measure(database: Database, requests: list[SearchRequest], runs: int,
            call: Callable[[Any, SearchRequest], Any] = search) -> tuple[list[float], list[float], Any]:
    """Wall-clock and CPU milliseconds of each run. CPU = this process (SQLite runs inside it)
    plus, on PostgreSQL, the server backend serving the session: what a run costs when the
    machine's cores are not shared (the benchmark machine's 2 cores were shared with other
    work, so wall-clock figures carry queueing)."""
    walls, cpus = [], []
    with database.reader() as session:
        pid = (session.execute(text("SELECT pg_backend_pid()")).scalar()
               if database.dialect == "postgresql" else None)
        if pid is not None and not Path(f"/proc/{pid}").exists():
            pid = None  # a server on another machine: CPU is this process only
        totals = [call(session, r) for r in requests]  # warm-up
        for i in range(runs):
            request = requests[i % len(requests)]
            windows.clear()  # every run reads the index: the benchmark cycles through few queries
            wall, cpu, backend = time.perf_counter(), time.process_time(), backend_cpu_ns(pid)
            call(session, request)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000 + (backend_cpu_ns(pid) - backend) / 1e6)
    return walls, cpus, getattr(totals[0], "total", None)


def p50_p95(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18]


def open_database(kind: str, size: int, out: Path, pg_url: str) -> Database:
    """The synthetic archive of that size, generated first (bench/synth.py) if missing."""
    if kind == "sqlite":
        path = out / f"synth-{size}.sqlite"
        if not path.exists():
            synth.main(["--size", str(size), "--db", kind, "--out", str(out), "--postgres", pg_url])
        return Database(f"sqlite:///{path}")
    database = Database(make_url(pg_url).set(database=f"veille_synth_{size}").render_as_string(hide_password=False))
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1 FROM search_docs LIMIT 1"))
    except Exception:  # no such database (or table): make it
        database.dispose()
        synth.main(["--size", str(size), "--db", kind, "--out", str(out), "--postgres", pg_url])
    return database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, action="append", help="archive sizes (repeatable; default 10000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--out", type=Path, default=Path("/tmp/veille-bench"))
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per shape")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'db':<10} {'items':>9}  {'shape':<34} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8} {'cpu p95':>8} "
          f"{'total':>9}")
    for size in args.size or [10_000]:
        for kind in kinds:
            database = open_database(kind, size, args.out, args.postgres)
            rows = [(name, measure(database, requests, args.runs)) for name, requests in shapes(database, size)]
            common = [SearchRequest(q=w) for w in COMMON[:3]]
            rows.append(("coverage, common word", measure(database, common, max(5, args.runs // 4), coverage)))
            rows.append(("arrondissement map, common word",
                         measure(database, common, max(5, args.runs // 4), arrondissement_counts)))
            for name, (walls, cpus, total) in rows:
                shown = f"{total:,}" if total is not None else ""
                (p50, p95), (c50, c95) = p50_p95(walls), p50_p95(cpus)
                print(f"{kind:<10} {size:>9,}  {name:<34} {p50:>8.1f} {p95:>8.1f} {c50:>8.1f} {c95:>8.1f} "
                      f"{shown:>9}", flush=True)
            database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
