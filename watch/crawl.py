"""One crawl: claim sources, poll them host by host, then fetch the new articles.

Work is grouped by host: each host is one task in a thread pool of `concurrency`, and
runs its sources one after the other, so there is never more than one request in flight
to a host (the `HostGate` also enforces the minimum gap, robots.txt and articles
included). A deadline (the scheduler's tick) stops taking new work: sources not reached
are released for the next tick, articles not fetched stay ``discovered``.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from models import Database, Item, Source

from .articles import claim_articles, fetch_article
from .http import Fetcher, host_of
from .options import CrawlOptions
from .polling import PollResult, claim_sources, effective_url, poll_source, release_sources
from .robots import RobotsCache

log = logging.getLogger(__name__)

__all__ = ["CrawlReport", "crawl"]

SUCCESS = ("ok", "not_modified")


@dataclass
class CrawlReport:
    sources: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    items: Counter[str] = field(default_factory=Counter)  # new, linked, updated, seen, blocked, tombstoned
    articles: Counter[str] = field(default_factory=Counter)  # fetched, retry, robots_blocked, ...
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (source, outcome, message)
    deferred_sources: int = 0
    ill_formed: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def requests(self) -> int:
        return self.sources + sum(self.articles.values())

    def summary(self) -> str:
        failed = {k: v for k, v in self.outcomes.items() if k not in SUCCESS}
        parts = [f"{self.sources} sources polled ({self.outcomes.get('ok', 0)} changed, "
                 f"{self.outcomes.get('not_modified', 0)} not modified)",
                 f"{self.items.get('new', 0)} new items",
                 f"{self.items.get('linked', 0)} already known from another source",
                 f"{self.items.get('updated', 0)} edited",
                 f"{self.articles.get('fetched', 0) + self.articles.get('merged', 0)} articles fetched"]
        if self.items.get("blocked"):
            parts.append(f"{self.items['blocked']} blocked by rules")
        pending = sum(v for k, v in self.articles.items() if k not in ("fetched", "merged"))
        if pending:
            parts.append("articles not fetched: " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.articles.items()) if k not in ("fetched", "merged")))
        parts.append("errors: " + (", ".join(f"{k} {v}" for k, v in sorted(failed.items())) or "none"))
        if self.deferred_sources:
            parts.append(f"{self.deferred_sources} sources left for the next tick")
        return "; ".join(parts) + f" ({self.elapsed:.1f} s)"

    def as_dict(self) -> dict[str, object]:
        return {"sources": self.sources, "outcomes": dict(self.outcomes), "items": dict(self.items),
                "articles": dict(self.articles), "deferred_sources": self.deferred_sources,
                "errors": [{"source": s, "outcome": o, "message": m} for s, o, m in self.errors],
                "ill_formed": self.ill_formed, "elapsed": round(self.elapsed, 3)}


def crawl(db: Database, options: CrawlOptions, *, names: list[str] | None = None, due_only: bool = False,
          deadline: float | None = None, fetch_articles: bool = True,
          on_source: Callable[[PollResult], None] | None = None,
          on_article: Callable[[str], None] | None = None,
          fetcher: Fetcher | None = None) -> CrawlReport:
    """Poll the claimed sources and fetch their new articles.

    ``deadline`` (a `time.monotonic` value) is when the crawl must be over: no request starts
    later than one total timeout before it, so the last ones end in time.
    """
    started = time.monotonic()
    if deadline is not None:
        deadline -= options.http.total_timeout
    report = CrawlReport()
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(options.http, clock=options.clock)
    robots = RobotsCache(db, fetcher, ttl=options.robots_ttl, user_agent=options.http.user_agent,
                         clock=options.clock)
    try:
        claimed = claim_sources(db, options, names=names, due_only=due_only)
        by_host: dict[str, list[int]] = defaultdict(list)
        with db.reader() as session:
            for source in session.scalars(select(Source).where(Source.id.in_(claimed))):
                by_host[host_of(effective_url(source))].append(source.id)

        def run_host(source_ids: list[int]) -> tuple[list[PollResult], list[int]]:
            results, left = [], []
            for source_id in source_ids:
                if deadline is not None and time.monotonic() >= deadline:
                    left.append(source_id)
                    continue
                try:
                    result = poll_source(db, fetcher, robots, source_id, options)
                except Exception as exc:  # job boundary for one source: record, go on with the next
                    log.exception("source %s: unexpected failure", source_id)
                    result = PollResult(source_id, str(source_id), "error", f"{exc.__class__.__name__}: {exc}")
                    release_sources(db, [source_id], options.worker_id)
                if on_source:
                    on_source(result)
                results.append(result)
            return results, left

        with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="crawl") as pool:
            for results, left in pool.map(run_host, list(by_host.values())):
                release_sources(db, left, options.worker_id)
                report.deferred_sources += len(left)
                for result in results:
                    report.sources += 1
                    report.outcomes[result.outcome] += 1
                    report.items.update(result.counts)
                    if result.outcome not in SUCCESS:
                        report.errors.append((result.name, result.outcome, result.message or ""))
                    if result.bozo:
                        report.ill_formed.append(result.name)
        if fetch_articles:
            source_ids = claimed if names else None
            _fetch_articles(db, fetcher, robots, options, report, source_ids, deadline, on_article)
    finally:
        if own_fetcher:
            fetcher.close()
    report.elapsed = time.monotonic() - started
    return report


def _fetch_articles(db: Database, fetcher: Fetcher, robots: RobotsCache, options: CrawlOptions,
                    report: CrawlReport, source_ids: list[int] | None, deadline: float | None,
                    on_article: Callable[[str], None] | None) -> None:
    while deadline is None or time.monotonic() < deadline:
        claimed = claim_articles(db, options, limit=max(50, options.batch_size), source_ids=source_ids)
        if not claimed:
            return
        by_host: dict[str, list[tuple[int, str | None]]] = defaultdict(list)
        with db.reader() as session:
            rows = session.execute(select(Item.id, Item.url, Source.options)
                                   .join(Source, Source.id == Item.source_id).where(Item.id.in_(claimed))
                                   .order_by(Item.id)).all()
            for item_id, url, source_options in rows:
                agent = (source_options or {}).get("user_agent")
                by_host[host_of(url)].append((item_id, agent))

        def run_host(items: list[tuple[int, str | None]]) -> list[str]:
            outcomes = []
            for item_id, agent in items:
                if deadline is not None and time.monotonic() >= deadline:
                    outcomes.append("deferred")
                    _release_item(db, item_id)
                    continue
                try:
                    outcome = fetch_article(db, fetcher, robots, item_id, options, user_agent=agent)
                except Exception as exc:  # one article's bug must not stop the others
                    log.exception("item %s: unexpected failure while fetching its article", item_id)
                    outcome = "error"
                    # A database error (connection cut, disk full) says nothing about the page:
                    # no backoff, the next crawl takes the item again.
                    retry = None if isinstance(exc, SQLAlchemyError) else options.article_backoff_base
                    try:
                        _release_item(db, item_id, retry_in=retry, clock=options.clock)
                    except SQLAlchemyError:
                        log.warning("item %s: claim not released (database unavailable); it lapses by itself",
                                    item_id)
                if on_article:
                    on_article(outcome)
                outcomes.append(outcome)
            return outcomes

        with ThreadPoolExecutor(max_workers=options.concurrency, thread_name_prefix="articles") as pool:
            for outcomes in pool.map(run_host, list(by_host.values())):
                report.articles.update(outcomes)
        if len(claimed) < max(50, options.batch_size):
            return


def _release_item(db: Database, item_id: int, *, retry_in: int | None = None,
                  clock: Callable[[], datetime] | None = None) -> None:
    with db.transaction() as session:
        item = session.get(Item, item_id)
        if item is not None:
            item.claimed_by = item.claimed_until = None
            if retry_in is not None and clock is not None:
                item.next_fetch_at = clock() + timedelta(seconds=retry_in)
