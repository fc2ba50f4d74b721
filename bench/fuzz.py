"""Coverage-guided fuzzing (atheris, libFuzzer) of the four parsers that read outside input.

Targets, each run in a subprocess for a fixed time and reported with the number of inputs
libFuzzer tried:

- ``feed``: ``watch.parse_feed`` on arbitrary bytes, seeded with feedparser's own test feeds
  (../shared/corpora/feedparser, read in place); allowed outcome: entries with http(s) links, or
  ``NotAFeed``.
- ``url``: ``watch.canonical_url`` (must be idempotent) and ``watch.http.check_url`` (accepts,
  or refuses with a ``FetchError`` whose outcome is ``bad_url``).
- ``date``: ``watch.parse_date`` (None, or a timezone-aware datetime).
- ``query``: the search query language end to end: ``models.search.search`` on a small SQLite
  archive (so the FTS5 expression built from the query reaches SQLite); allowed outcome: a
  result page or a ``QueryError`` with a message.

Anything else (another exception, a broken invariant, a crash, a timeout of one input) is a
finding: libFuzzer stops, prints the input and this script exits with 1.

    .venv/bin/python bench/fuzz.py [--seconds 60] [--target feed,url,date,query]

Needs ``pip install atheris`` (not a project dependency: it is a development tool).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
TARGETS = ("feed", "url", "date", "query")


# -- the targets (run inside the fuzzing subprocess) --

def _feed_target():
    from watch import NotAFeed, parse_feed

    def one(data: bytes) -> None:
        try:
            listing = parse_feed(data, url="http://example.org/feed")
        except NotAFeed:
            return
        for entry in listing.entries:
            if not entry.link.startswith(("http://", "https://")):
                raise AssertionError(f"entry link not http(s): {entry.link!r}")
    return one


def _url_target():
    import atheris

    from watch import canonical_url
    from watch.http import FetchError, check_url

    def one(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        once = canonical_url(text)
        if canonical_url(once) != once:
            raise AssertionError(f"canonical_url not idempotent: {text!r} -> {once!r}")
        try:
            check_url(text, allow_private_networks=True)
        except FetchError as exc:
            if exc.outcome != "bad_url":
                raise AssertionError(f"check_url outcome {exc.outcome!r} for {text!r}") from exc
    return one


def _date_target():
    import atheris

    from watch import parse_date

    def one(data: bytes) -> None:
        text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        value = parse_date(text)
        if value is not None and value.utcoffset() is None:
            raise AssertionError(f"naive datetime from {text!r}")
    return one


def _query_target():
    import atheris
    from datetime import datetime, timezone

    from models import Database, Item, Source, ThemeScore
    from models.migrate import upgrade
    from models.search import QueryError, SearchRequest, index_items, search

    folder = Path(tempfile.mkdtemp(prefix="veille-fuzz-"))
    database = Database(f"sqlite:///{folder / 'fuzz.sqlite'}")
    upgrade(database.engine)
    texts = [("Une école végétalisée rue de la Roquette", "Les parents saluent la cour Oasis du 11e."),
             ("Pistes cyclables : le conseil de Paris vote", "La Ville élargit la piste cyclable de Rivoli."),
             ("Canicule : les îlots de fraîcheur ouvrent", "Des parcs ouverts la nuit pour les personnes âgées.")]
    with database.transaction() as session:
        source = Source(name="Le Quotidien de Paris", url="https://example.org/feed.xml", outlet_type="regional")
        session.add(source)
        session.flush()
        ids = []
        for n, (title, text) in enumerate(texts):
            item = Item(canonical_url=f"https://example.org/{n}", url=f"https://example.org/{n}",
                        source_id=source.id, title=title, text=text, state="done",
                        published_at=datetime(2026, 11, 2 + n, 9, tzinfo=timezone.utc))
            session.add(item)
            session.flush()
            session.add(ThemeScore(item_id=item.id, theme="environment", score=0.9, assigned=True,
                                   model_version="fuzz"))
            ids.append(item.id)
        index_items(session, ids)

    def one(data: bytes) -> None:
        query = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))
        try:
            with database.reader() as session:
                search(session, SearchRequest(q=query))
        except QueryError as exc:
            if not str(exc):
                raise AssertionError(f"QueryError without a message for {query!r}") from exc
    return one


def _seeds(target: str, folder: Path) -> None:
    """A small seed corpus: feedparser's test feeds for ``feed``, a few typical inputs otherwise."""
    samples: list[bytes] = []
    if target == "feed":
        tests = SHARED / "corpora" / "feedparser" / "tests"
        for path in sorted(tests.rglob("*.xml"))[:400]:
            samples.append(path.read_bytes()[:20_000])
    elif target == "url":
        samples = [b"https://www.example.fr/paris/article?utm_source=x&id=3#top", b"HTTP://Example.ORG:80/a/../b",
                   b"javascript:alert(1)", b"http://user:pw@[::1]:8080/x", b"//cdn.example.org/a b"]
    elif target == "date":
        samples = [b"Tue, 24 Nov 2026 08:30:00 +0100", b"2026-11-24T08:30:00", b"24 novembre 2026 \xc3\xa0 8h30",
                   b"lundi 1er d\xc3\xa9cembre 2025", b"2026-13-45"]
    else:
        samples = ['"conseil de Paris" AND végétal* NOT title:canicule'.encode(), b"source:(a OR b)", b'"',
                   b"a OR OR b", b"-x", "école écoles".encode()]
    for n, sample in enumerate(samples):
        (folder / f"seed-{n:04d}").write_bytes(sample)


def fuzz_child(target: str, seconds: int, corpus: str) -> None:
    import atheris

    with atheris.instrument_imports():
        import models.query  # noqa: F401
        import watch.dates  # noqa: F401
        import watch.feeds  # noqa: F401
        import watch.urls  # noqa: F401
    one = {"feed": _feed_target, "url": _url_target, "date": _date_target, "query": _query_target}[target]()
    atheris.Setup([sys.argv[0], f"-max_total_time={seconds}", "-timeout=10", "-rss_limit_mb=4096",
                   "-print_final_stats=1", f"-artifact_prefix={corpus}/", corpus], one)
    atheris.Fuzz()


def run(target: str, seconds: int) -> tuple[int, float, bool, str]:
    corpus = Path(tempfile.mkdtemp(prefix=f"veille-fuzz-{target}-"))
    _seeds(target, corpus)
    started = time.monotonic()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, __file__, "--child", target, "--seconds", str(seconds),
                           "--corpus", str(corpus)], capture_output=True, text=True, env=env, cwd=ROOT)
    elapsed = time.monotonic() - started
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    done = re.findall(r"Done (\d+) runs", proc.stderr)
    count = int(runs[-1]) if runs else int(done[-1]) if done else 0
    ok = proc.returncode == 0
    tail = "" if ok else "\n".join(proc.stderr.splitlines()[-40:]) + f"\n(the input is in {corpus})"
    return count, elapsed, ok, tail


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="fuzzing time per target (default 60)")
    parser.add_argument("--target", default=",".join(TARGETS), help="comma-separated: " + ", ".join(TARGETS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fuzz_child(args.child, args.seconds, args.corpus)
        return 0
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: run `.venv/bin/pip install atheris` first", file=sys.stderr)
        return 2
    targets = [t.strip() for t in args.target.split(",") if t.strip()]
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown:
        print(f"unknown target(s) {', '.join(unknown)}: choose among {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    failed = False
    print(f"{'target':<8} {'inputs':>10} {'seconds':>8} {'inputs/s':>9}  result", flush=True)
    for target in targets:
        count, elapsed, ok, tail = run(target, args.seconds)
        print(f"{target:<8} {count:>10,} {elapsed:>8.0f} {count / elapsed:>9,.0f}  "
              f"{'no finding' if ok else 'FINDING'}", flush=True)
        if not ok:
            failed = True
            print(tail, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
