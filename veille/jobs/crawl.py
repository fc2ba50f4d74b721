"""Crawl jobs: `crawl_once` (CLI, demo) and `crawl_tick` (the scheduler's polling tick)."""

from __future__ import annotations

import logging
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Callable, Mapping

from models import Run, utcnow
from watch import CrawlOptions, CrawlReport, HttpOptions, crawl
from watch.polling import PollResult

from ..core import Veille
from ..settings import SecretRef, WatchSettings

log = logging.getLogger(__name__)

__all__ = ["crawl_once", "crawl_tick", "crawl_options", "http_options"]


def _version() -> str:
    try:
        return version("veille")
    except PackageNotFoundError:
        return "dev"


def http_options(watch: WatchSettings) -> HttpOptions:
    return HttpOptions(
        user_agent=watch.user_agent.format(version=_version(), contact_url=watch.contact_url),
        allow_private_networks=watch.allow_private_networks,
        connect_timeout=watch.connect_timeout, read_timeout=watch.read_timeout,
        total_timeout=watch.total_timeout, max_redirects=watch.max_redirects,
        min_host_gap=watch.min_host_gap, retry_after_default=watch.retry_after_default)


def _resolve_secret(reference: Mapping[str, Any]) -> str | None:
    try:
        return SecretRef.model_validate(reference).resolve(os.environ)
    except ValueError:
        return None


def crawl_options(app: Veille, **overrides: Any) -> CrawlOptions:
    w = app.settings.watch
    values: dict[str, Any] = dict(
        http=http_options(w), max_feed_bytes=w.max_feed_bytes, max_article_bytes=w.max_article_bytes,
        concurrency=w.concurrency, min_interval=w.min_interval, max_interval=w.max_interval,
        max_server_hint=w.max_server_hint, jitter=w.jitter, unconditional_every=w.unconditional_every,
        backoff_base=w.backoff_base, backoff_max=w.backoff_max, retry_after_default=w.retry_after_default,
        disable_after_days=w.disable_after_days, batch_size=w.batch_size, robots_ttl=w.robots_ttl,
        article_retries=w.article_retries, worker_id=app.worker_id, resolve_secret=_resolve_secret)
    values.update(overrides)
    return CrawlOptions(**values)


class _Progress:
    """One line per source on a terminal (stderr), overwritten in place."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.sources = self.articles = 0

    def source(self, result: PollResult) -> None:
        self.sources += 1
        if self.enabled:
            new = result.counts.get("new", 0)
            sys.stderr.write(f"\r\033[K  sources {self.sources}: {result.name[:40]} → {result.outcome}"
                             + (f", {new} new" if new else ""))
            sys.stderr.flush()
        elif self.enabled is False and result.outcome not in ("ok", "not_modified"):
            log.info("source %s: %s %s", result.name, result.outcome, result.message)

    def article(self, outcome: str) -> None:
        self.articles += 1
        if self.enabled and self.articles % 5 == 0:
            sys.stderr.write(f"\r\033[K  articles {self.articles} (last: {outcome})")
            sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\033[K")
            sys.stderr.flush()


def _record(app: Veille, report: CrawlReport, params: dict[str, Any], started: Any) -> None:
    failed = report.sources and all(o not in ("ok", "not_modified") for o in report.outcomes)
    with app.db.transaction() as session:
        session.add(Run(kind="crawl", status="failed" if failed else "ok", started_at=started,
                        finished_at=utcnow(), worker=app.worker_id, params=params,
                        counters={"sources": dict(report.outcomes), "items": dict(report.items),
                                  "articles": dict(report.articles)},
                        errors=[{"kind": o, "target": s, "message": m[:500]} for s, o, m in report.errors[:200]],
                        items=report.items.get("new", 0), message=report.summary()[:2000]))


def crawl_once(app: Veille, *, progress: bool = False, sources: list[str] | None = None,
               due_only: bool = False, options: CrawlOptions | None = None) -> CrawlReport:
    """Poll every enabled source once (or the due ones, or those named) and fetch new articles."""
    started = utcnow()
    bar = _Progress(progress)
    try:
        report = crawl(app.db, options or crawl_options(app), names=sources or None, due_only=due_only,
                       on_source=bar.source, on_article=bar.article)
    finally:
        bar.done()
    _record(app, report, {"sources": sources, "due_only": due_only}, started)
    return report


def crawl_tick(app: Veille, *, options: CrawlOptions | None = None,
               clock: Callable[[], float] = time.monotonic) -> CrawlReport:
    """The scheduler's tick: due sources only, and nothing new started after the tick deadline."""
    started = utcnow()
    report = crawl(app.db, options or crawl_options(app), due_only=True,
                   deadline=clock() + app.settings.watch.tick_deadline)
    if report.sources or sum(report.articles.values()):
        _record(app, report, {"tick": True}, started)
    log.info("crawl tick: %s", report.summary())
    return report
