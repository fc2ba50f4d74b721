"""Throughput of the processing pipeline against the bare libraries, on 2,000 articles.

    .venv/bin/python bench/bench_process.py [--n 2000] [--workers 2]

Articles: ``--real`` real pages of ../shared/corpora/extraction (its 26 French pages first)
plus the demo corpus's 176 French articles rendered as pages in variants (paragraphs
rotated, so no two are equal), stored as fetched items in a fresh SQLite database.

- ours: the runner with extract, dedupe, enrich and cluster (classify is the theme model's
  and needs a trained model; it is measured in bench/bench_themes.py), ``workers``
  processes, batches committed to SQLite;
- bare: ``trafilatura.extract(html)`` then ``nlp.pipe(texts)`` with the same spaCy model and
  components (parser off) and the same text cap, alone, in the same number of processes.

Prints wall and CPU seconds, articles per second, the ratios ours / bare, the cores in use
(CPU / wall) and peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import zlib
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# ../shared next to the checkout, or next to the folder of worktrees (/work/wt/<name>).
SHARED = next((p / "shared" for p in ROOT.parents if (p / "shared").is_dir()), ROOT.parent / "shared")
MAX_CHARS = 12_000


def pages(n: int, real: int) -> list[tuple[str, bytes, datetime]]:
    corpus = SHARED / "corpora" / "extraction"
    expected = json.loads((corpus / "expected.json").read_text(encoding="utf-8"))
    start = datetime(2026, 11, 2, tzinfo=timezone.utc)
    chosen = sorted(expected, key=lambda path: (not expected[path]["french"], path))[:real]
    found = [(f"https://corpus.example/{i}", (corpus / path).read_bytes(), start + timedelta(minutes=7 * i))
             for i, path in enumerate(chosen)]
    articles = [json.loads(line) for line in
                (ROOT / "veille" / "demo" / "corpus" / "articles.jsonl").read_text(encoding="utf-8").splitlines()]
    variant = 0
    while len(found) < n:
        for article in articles:
            if len(found) >= n:
                break
            body = article["body"][variant % len(article["body"]):] + article["body"][:variant % len(article["body"])]
            html = ("<html lang='fr'><head><title>{t}</title></head><body><nav>Accueil · Paris · Société</nav>"
                    "<article><h1>{t}</h1><p>{lead}</p>{body}</article><footer>Mentions légales</footer>"
                    "</body></html>").format(t=article["title"], lead=article["lead"],
                                             body="".join(f"<p>{p}</p>" for p in body))
            published = datetime.fromisoformat(article["published"]) + timedelta(days=21 * variant)
            found.append((f"https://demo.example/{variant}/{article['slug']}", html.encode(), published))
        variant += 1
    return found[:n]


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def bare_chunk(htmls: list[bytes]) -> int:
    import spacy
    import trafilatura

    nlp = spacy.load("fr_core_news_sm", disable=["parser"])
    texts = [(trafilatura.extract(html) or "")[:MAX_CHARS] for html in htmls]
    return sum(len(doc) for doc in nlp.pipe(texts, batch_size=32))


def run_bare(htmls: list[bytes], workers: int) -> float:
    started = time.perf_counter()
    if workers == 1:
        bare_chunk(htmls)
    else:
        size = -(-len(htmls) // workers)
        pool = multiprocessing.get_context("spawn").Pool(workers)
        pool.map(bare_chunk, [htmls[i:i + size] for i in range(0, len(htmls), size)])
        pool.close()
        pool.join()
    return time.perf_counter() - started


def run_ours(data: list[tuple[str, bytes, datetime]], workers: int) -> tuple[float, float, dict]:
    """Wall and CPU seconds of the runner alone (not of storing the fetched pages first), and its report."""
    from models import Database, Item, ItemPage, Source
    from models.migrate import upgrade
    from pipelines import (ClusterStage, DedupeStage, EnrichStage, ExtractStage, Runner, RunnerOptions)

    folder = Path(tempfile.mkdtemp(prefix="bench-process-"))
    db = Database(f"sqlite:///{folder / 'bench.sqlite'}")
    upgrade(db.engine)
    with db.transaction() as session:
        source = Source(name="bench", url="https://bench.example/feed", outlet_type="local")
        session.add(source)
        session.flush()
        for url, html, published in data:
            item = Item(canonical_url=url, url=url, source_id=source.id, published_at=published,
                        date_source="feed", state="fetched")
            session.add(item)
            session.flush()
            session.add(ItemPage(item_id=item.id, status=200, content_type="text/html", body=zlib.compress(html)))
    stages = [ExtractStage(), DedupeStage(), EnrichStage(), ClusterStage()]
    cpu = cpu_seconds()
    started = time.perf_counter()
    report = Runner(db, stages, RunnerOptions(batch_size=64, workers=workers)).run()
    seconds = time.perf_counter() - started
    cpu = cpu_seconds() - cpu
    db.dispose()
    return seconds, cpu, report.as_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="articles (default 2000)")
    parser.add_argument("--workers", type=int, default=2, help="processes for both sides (default 2)")
    parser.add_argument("--real", type=int, default=100,
                        help="pages of the extraction corpus among them, French first (default 100; "
                             "they average 140 KB, four times a news article)")
    args = parser.parse_args()
    data = pages(args.n, args.real)
    size = sum(len(html) for _, html, _ in data)
    print(f"{len(data)} articles, {size / 1e6:.1f} MB of HTML; {args.workers} processes on each side")
    cpu = cpu_seconds()
    bare = run_bare([html for _, html, _ in data], args.workers)
    bare_cpu = cpu_seconds() - cpu
    print(f"bare libraries: {bare:.1f} s wall, {bare_cpu:.1f} s CPU, {len(data) / bare:.1f} articles/s")
    ours, ours_cpu, report = run_ours(data, args.workers)
    own, children = peak_mb()
    print(f"veille process: {ours:.1f} s wall, {ours_cpu:.1f} s CPU, {len(data) / ours:.1f} articles/s "
          f"(states {report['states']}; seconds per stage in the main process "
          f"{report['seconds_per_stage']})")
    print(f"ratio ours / bare: wall {ours / bare:.2f}, CPU {ours_cpu / bare_cpu:.2f}; "
          f"cores in use (CPU / wall): ours {ours_cpu / ours:.2f}, bare {bare_cpu / bare:.2f}")
    print(f"peak memory: main process {own:.0f} MB, largest worker {children:.0f} MB")
    print(f"load average at the end: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          "(wall times on a shared machine vary with its load; the CPU ratio is the steadier figure)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
