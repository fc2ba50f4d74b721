"""How crawl, process, search and digest times grow with the archive: 10k → 100k (→ 1M) items.

For each size: a synthetic archive (bench/synth.py) in a SQLite file of its own, then, on it,
the same work an ordinary day brings: crawl the demo outlets (7 feeds, 176 new articles,
`crawl_once`), process those 176 items (extract, dedupe, cluster: `process_pending`), run a
fixed set of searches (`models.search.search`, median of 5 runs each) and build the reviews of
the archive's latest full week (Markdown, `build_reviews`). Prints one table.

    .venv/bin/python bench/bench_growth.py [--sizes 10000,100000,1000000]

SQLite only: the PostgreSQL figures of search at 1M are in bench/bench_search.py.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import func, select  # noqa: E402

from synth import Generator, create_database, index, load  # noqa: E402

QUERIES = ["paris", "logement social", '"conseil de Paris"', "végétal*", "rue"]


def measure(size: int, out: Path, site) -> dict[str, float]:
    from models import Item
    from models.search import SearchRequest, search
    from veille.core import Veille
    from veille.jobs.crawl import crawl_once
    from veille.jobs.digest import build_reviews
    from veille.jobs.process import process_pending
    from veille.jobs.setup import sync_sources
    from veille.settings import settings_from_dict

    started = time.monotonic()
    database = create_database("sqlite", size, out, "")
    load(database, Generator(7), size)
    index(database)
    built = time.monotonic() - started
    with database.reader() as session:
        latest = session.scalar(select(func.max(Item.published_at)))
    iso = latest.isocalendar()
    week = f"{iso.year}-W{iso.week - 1:02d}" if iso.week > 1 else f"{iso.year - 1}-W52"
    raw = {"database_url": database.url, "data_dir": str(out / f"data-{size}"), "log_level": "WARNING",
           "watch": {"allow_private_networks": True, "min_host_gap": 0.0, "concurrency": 8},
           "pipelines": {"workers": 1, "stages": ["extract", "dedupe", "cluster"]}, "sources": site.sources()}
    app = Veille(settings_from_dict(raw))
    app.__dict__["db"] = database
    app.data_dir.mkdir(parents=True, exist_ok=True)
    sync_sources(app)
    figures = {"build": built}
    t = time.monotonic()
    crawled = crawl_once(app, sources=[s["name"] for s in site.sources()])
    figures["crawl"] = time.monotonic() - t
    figures["new"] = crawled.items.get("new", 0)
    t = time.monotonic()
    processed = process_pending(app)
    figures["process"] = time.monotonic() - t
    figures["processed"] = processed.items
    runs = []
    for q in QUERIES:
        times = []
        for _ in range(5):
            t = time.perf_counter()
            with database.reader() as session:
                search(session, SearchRequest(q=q))
            times.append(time.perf_counter() - t)
        runs.append(statistics.median(times))
    figures["search_median"] = statistics.median(runs) * 1000
    figures["search_max"] = max(runs) * 1000
    t = time.monotonic()
    build_reviews(app, week=week, formats=["md"], out=out / f"reviews-{size}")
    figures["digest"] = time.monotonic() - t
    database.dispose()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "veille-bench-growth")
    args = parser.parse_args(argv)
    from veille.demo.site import DemoSite

    rows = {}
    for size in (int(s) for s in args.sizes.split(",")):
        with DemoSite() as site:  # a fresh site (new port) per size: every article is new again
            rows[size] = measure(size, args.out, site)
        f = rows[size]
        print(f"{size:>9,} items: archive built in {f['build']:.0f} s; crawl {f['crawl']:.1f} s "
              f"({f['new']:.0f} new), process {f['process']:.1f} s ({f['processed']:.0f} items), "
              f"search median {f['search_median']:.1f} ms (slowest query {f['search_max']:.1f} ms), "
              f"digest {f['digest']:.1f} s", flush=True)
    print(f"\n{'items':>9} {'crawl s':>8} {'process s':>10} {'search ms':>10} {'digest s':>9}")
    for size, f in rows.items():
        print(f"{size:>9,} {f['crawl']:>8.1f} {f['process']:>10.1f} {f['search_median']:>10.1f} {f['digest']:>9.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
