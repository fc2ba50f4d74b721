"""Search latency per query shape, database and archive size: p50 and p95 in milliseconds.

Runs the real `models.search` functions (search with facets, coverage, arrondissement
counts) on the synthetic archives made by bench/synth.py:

    .venv/bin/python bench/synth.py --size 100000 --db both
    .venv/bin/python bench/bench_search.py --size 100000 --db both

Each shape cycles through several queries of its kind (common words are in 25–45 % of the
items, rare words in about 0.05 %); each query is run once to warm the cache, then the
timed runs cycle through them.
"""

from __future__ import annotations

import argparse
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

from synth import DEFAULT_PG, END  # noqa: E402

COMMON = ["ville", "paris", "rue", "place", "projet", "habitants"]
PHRASES = ['"conseil de Paris"', '"piste cyclable"', '"logement social"', '"espaces verts"', '"mairie du"']
PREFIXES = ["végétal*", "cycl*", "logem*", "pollu*", "scol*", "trav*"]


def rare_words(database: Database, size: int) -> list[str]:
    """Words in roughly 0.05 % of the items (a few hundred at 1M), found in the archive."""
    with database.reader() as session:
        if database.dialect == "sqlite":
            rows = session.execute(text(
                "SELECT term FROM search_fts_vocab WHERE doc BETWEEN :lo AND :hi AND term NOT LIKE '\\_%' "
                "ESCAPE '\\' AND length(term) > 5 LIMIT 8"), {"lo": max(2, size // 4000), "hi": max(4, size // 1000)})
        else:
            rows = session.execute(text(
                "SELECT word FROM ts_stat('SELECT tsv FROM search_docs WHERE sort_key % 50 = 0') "
                "WHERE ndoc BETWEEN :lo AND :hi AND word NOT LIKE '\\_%' AND length(word) > 5 LIMIT 8"),
                {"lo": 1, "hi": 2})
        return [row[0] for row in rows]


def shapes(database: Database, size: int) -> list[tuple[str, list[SearchRequest]]]:
    last = END.date()
    quarter = dict(date_from=last - timedelta(days=90), date_to=last)
    rare = rare_words(database, size) or ["zzzz"]
    return [
        ("common word", [SearchRequest(q=w) for w in COMMON]),
        ("common word, by date", [SearchRequest(q=w, sort="date") for w in COMMON]),
        ("common word, page 5", [SearchRequest(q=w, page=5) for w in COMMON]),
        ("rare word", [SearchRequest(q=w) for w in rare]),
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


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def measure(database: Database, requests: list[SearchRequest], runs: int,
            call: Callable[[Any, SearchRequest], Any] = search) -> tuple[float, float, int]:
    with database.reader() as session:
        totals = [call(session, r) for r in requests]  # warm-up
        samples = [timed(lambda r=requests[i % len(requests)]: call(session, r)) for i in range(runs)]
    total = getattr(totals[0], "total", 0)
    return statistics.median(samples), statistics.quantiles(samples, n=20)[18], total


def open_database(kind: str, size: int, out: Path, pg_url: str) -> Database:
    if kind == "sqlite":
        return Database(f"sqlite:///{out / f'synth-{size}.sqlite'}")
    return Database(make_url(pg_url).set(database=f"veille_synth_{size}").render_as_string(hide_password=False))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, action="append", help="archive sizes (repeatable; default 10000)")
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--out", type=Path, default=Path("/tmp/veille-bench"))
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per shape")
    args = parser.parse_args(argv)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"{'db':<10} {'items':>9}  {'shape':<34} {'p50 ms':>8} {'p95 ms':>8} {'total':>8}")
    for size in args.size or [10_000]:
        for kind in kinds:
            database = open_database(kind, size, args.out, args.postgres)
            rows = [(name, measure(database, requests, args.runs)) for name, requests in shapes(database, size)]
            common = [SearchRequest(q=w) for w in COMMON[:3]]
            rows.append(("coverage, common word", measure(database, common, max(5, args.runs // 4), coverage)))
            rows.append(("arrondissement map, common word",
                         measure(database, common, max(5, args.runs // 4), arrondissement_counts)))
            for name, (p50, p95, total) in rows:
                shown = f"{total:,}" if total else ""
                print(f"{kind:<10} {size:>9,}  {name:<34} {p50:>8.1f} {p95:>8.1f} {shown:>8}", flush=True)
            database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
