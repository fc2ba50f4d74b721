"""Polling one source: claim, conditional GET, parse, store each entry, schedule the next check.

Several workers may share one PostgreSQL database: `claim_sources` marks the due sources
it takes (``claimed_by``/``claimed_until``) inside a ``SELECT … FOR UPDATE SKIP LOCKED``,
so two workers never poll one source at once; on SQLite the writer transaction
(``BEGIN IMMEDIATE``) serialises claims. A claim expires by itself after
`CrawlOptions.claim_seconds`, so a killed worker never holds a source for ever.

Errors are data: every outcome is counted on the source, a failure streak backs off
exponentially (capped), a 429/503 with Retry-After reschedules the source and every
source on its host without counting as a failure, a 410 disables the source, and so do
30 days of continuous failure.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import Database, Host, Item, ItemSource, Source

from .entries import Entry, Listing
from .feeds import NotAFeed, parse_feed
from .http import FetchError, Fetcher, Response, host_of
from .options import CrawlOptions
from .pages import PageRules, PageRulesError, parse_listing
from .robots import RobotsCache
from .schedule import adaptive_interval, backoff_delay, jittered, server_hint
from .store import entry_hash, entry_key, key_mode_for, store_entry

log = logging.getLogger(__name__)

__all__ = ["PollResult", "claim_sources", "release_sources", "poll_source", "blocked_by_rules",
           "effective_url", "REDIRECTS_TO_ADOPT"]

# A permanent redirect is followed directly once seen this many times in a row.
REDIRECTS_TO_ADOPT = 3
FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, "
               "text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


@dataclass
class PollResult:
    source_id: int
    name: str
    outcome: str = "ok"
    message: str | None = None
    entries: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # new, linked, updated, seen, blocked, tombstoned
    bozo: str | None = None

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


def claim_sources(db: Database, options: CrawlOptions, *, names: list[str] | None = None,
                  due_only: bool = True) -> list[int]:
    """Claim up to `batch_size` enabled sources (due ones only with ``due_only``), oldest first."""
    now = options.clock()
    with db.transaction() as session:
        query = select(Source).where(Source.enabled.is_(True),
                                     or_(Source.claimed_until.is_(None), Source.claimed_until < now))
        if names:
            query = query.where(Source.name.in_(names))
        if due_only:
            query = query.where(or_(Source.next_check_at.is_(None), Source.next_check_at <= now))
        query = query.order_by(Source.next_check_at.asc().nulls_first(), Source.id).limit(options.batch_size)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        waiting = {host.name for host in session.scalars(select(Host).where(Host.retry_after_until > now))}
        claimed: list[int] = []
        for source in session.scalars(query):
            if host_of(effective_url(source)) in waiting:
                continue  # its host asked us to come back later (Retry-After)
            source.claimed_by = options.worker_id
            source.claimed_until = now + timedelta(seconds=options.claim_seconds)
            claimed.append(source.id)
    return claimed


def release_sources(db: Database, source_ids: list[int], worker_id: str) -> None:
    """Give back claims not used (a tick that ran out of time)."""
    if not source_ids:
        return
    with db.transaction() as session:
        for source in session.scalars(select(Source).where(Source.id.in_(source_ids),
                                                           Source.claimed_by == worker_id)):
            source.claimed_by = source.claimed_until = None


def effective_url(source: Source) -> str:
    """The URL polled: the declared one, or its permanent redirect target once adopted."""
    if source.redirect_url and (source.redirect_seen or 0) >= REDIRECTS_TO_ADOPT:
        return source.redirect_url
    return source.url


def blocked_by_rules(entry: Entry, patterns: list[str]) -> str | None:
    """The first block rule matching the entry's URL or title (dropped before any fetch)."""
    for pattern in patterns:
        try:
            if re.search(pattern, entry.link) or (entry.title and re.search(pattern, entry.title)):
                return pattern
        except re.error:
            continue
    return None


def _request_headers(source: Source, options: CrawlOptions, conditional: bool) -> dict[str, str]:
    headers: dict[str, str] = {}
    extra = source.options or {}
    if extra.get("user_agent"):
        headers["User-Agent"] = str(extra["user_agent"])
    if isinstance(extra.get("cookie"), dict):
        cookie = options.resolve_secret(extra["cookie"])
        if cookie:
            headers["Cookie"] = cookie
    if conditional:
        if source.etag:
            headers["If-None-Match"] = source.etag
        if source.last_modified:
            headers["If-Modified-Since"] = source.last_modified
    return headers


def poll_source(db: Database, fetcher: Fetcher, robots: RobotsCache | None, source_id: int,
                options: CrawlOptions) -> PollResult:
    """Poll one claimed source and store what it lists; the claim is released at the end."""
    now = options.clock()
    with db.reader() as session:
        source = session.get(Source, source_id)
        if source is None:
            return PollResult(source_id, "?", "error", "the source was deleted")
        session.expunge(source)
    result = PollResult(source.id, source.name)
    url = effective_url(source)
    unconditional = (source.last_unconditional_at is None
                     or now - source.last_unconditional_at >= timedelta(seconds=options.unconditional_every))
    try:
        if source.kind == "page" and robots is not None and not robots.allowed(url):
            raise FetchError("robots_blocked", f"robots.txt of {host_of(url)} disallows {url}", url=url)
        response = fetcher.get(url, max_bytes=options.max_feed_bytes,
                               headers=_request_headers(source, options, conditional=not unconditional),
                               accept=PAGE_ACCEPT if source.kind == "page" else FEED_ACCEPT)
    except FetchError as exc:
        _record_failure(db, source.id, exc, options, result)
        return result
    if response.status == 304:
        result.outcome, result.message = "not_modified", "HTTP 304"
        _record_success(db, source.id, response, None, options, result, unconditional=False)
        return result
    body_hash = hashlib.sha256(response.content).hexdigest()
    if body_hash == source.body_hash:
        result.outcome, result.message = "not_modified", "same body as last time (sha256)"
        _record_success(db, source.id, response, None, options, result, unconditional=unconditional)
        return result
    try:
        if source.kind == "page":
            rules = (source.options or {}).get("rules")
            if not rules:
                raise PageRulesError("a `page` source needs listing rules")
            listing = parse_listing(response.content, url=response.url, rules=PageRules.from_mapping(rules),
                                    content_type=response.headers.get("content-type"))
            if not listing.entries:
                raise NotAFeed("the listing rules found no item on the page")
        else:
            listing = parse_feed(response.content, url=response.url, headers=response.headers)
    except NotAFeed as exc:
        _record_failure(db, source.id, FetchError("not_a_feed", str(exc)), options, result)
        return result
    except PageRulesError as exc:
        _record_failure(db, source.id, FetchError("error", str(exc), permanent=True), options, result)
        return result
    result.entries = len(listing.entries)
    result.bozo = listing.bozo
    _store_listing(db, source.id, listing, options, result)
    _record_success(db, source.id, response, listing, options, result, unconditional=unconditional,
                    body_hash=body_hash)
    return result


def _store_listing(db: Database, source_id: int, listing: Listing, options: CrawlOptions,
                   result: PollResult) -> None:
    """New and edited entries each in their own transaction: a crash keeps every one stored
    before it. Entries already stored unchanged only have their ``last_seen_at`` touched, in
    one statement (the common case of a feed that moved by one or two entries)."""
    now = options.clock()
    with db.transaction() as session:
        source = session.get(Source, source_id)
        assert source is not None
        mode = key_mode_for(listing.entries, source.key_mode or "guid")
        if mode != source.key_mode:
            log.info("source %s: GUIDs empty or repeated, switching to link keys", source_id)
            source.key_mode = mode
        patterns = list((source.options or {}).get("block") or [])
        fetch_articles = bool((source.options or {}).get("fetch_articles", True))
        session.flush()
        session.expunge(source)  # read-only from here on, in the per-entry transactions
        todo: list[tuple[str, Entry]] = []
        done: set[str] = set()
        for entry in listing.entries:
            if blocked_by_rules(entry, patterns):
                result.add("blocked")
                continue
            key = entry_key(source_id, mode, entry)
            if key not in done:  # an entry repeated in one document is listed once
                done.add(key)
                todo.append((key, entry))
        known: dict[str, tuple[int, str | None]] = {}
        keys = [key for key, _ in todo]
        for chunk in range(0, len(keys), 500):
            known.update((key, (item_id, digest)) for key, item_id, digest in session.execute(
                select(ItemSource.key, ItemSource.item_id, ItemSource.entry_hash)
                .where(ItemSource.source_id == source_id, ItemSource.key.in_(keys[chunk:chunk + 500]))))
        unchanged = [(key, known[key][0]) for key, entry in todo
                     if key in known and known[key][1] == entry_hash(entry)]
        if unchanged:
            seen_keys = [key for key, _ in unchanged]
            session.execute(update(ItemSource).where(ItemSource.source_id == source_id,
                                                     ItemSource.key.in_(seen_keys)).values(last_seen_at=now))
            session.execute(update(Item).where(Item.id.in_([i for _, i in unchanged])).values(last_seen_at=now))
            result.add("seen", len(unchanged))
    skip = {key for key, _ in unchanged}
    for key, entry in todo:
        if key in skip:
            continue
        for attempt in (1, 2):
            try:
                with db.transaction() as session:
                    stored = store_entry(session, source, entry, key, options.clock(),
                                         fetch_articles=fetch_articles)
                result.add(stored.outcome)
                break
            except IntegrityError:
                # Another worker stored the same URL between our read and our insert: link to it.
                if attempt == 2:
                    raise


def _with_counts(source: Source, outcome: str) -> None:
    counts = dict(source.error_counts or {})
    counts[outcome] = int(counts.get(outcome, 0)) + 1
    source.error_counts = counts
    source.checks = (source.checks or 0) + 1
    source.last_outcome = outcome


def _record_success(db: Database, source_id: int, response: Response, listing: Listing | None,
                    options: CrawlOptions, result: PollResult, *, unconditional: bool,
                    body_hash: str | None = None) -> None:
    now = options.clock()
    with db.transaction() as session:
        source = session.get(Source, source_id)
        assert source is not None
        _with_counts(source, result.outcome)
        source.last_error = f"ill-formed but kept: {listing.bozo}" if listing and listing.bozo else None
        # Each validator on its own: a server that changes only one changes only that one.
        if response.headers.get("etag"):
            source.etag = response.headers["etag"]
        if response.headers.get("last-modified"):
            source.last_modified = response.headers["last-modified"]
        if body_hash:
            source.body_hash = body_hash
        if unconditional:
            source.last_unconditional_at = now
        _learn_redirect(source, response)
        if listing is not None:
            source.interval_seconds = adaptive_interval([e.published for e in listing.entries], now,
                                                        minimum=options.min_interval, maximum=options.max_interval)
        interval = source.interval_seconds or options.max_interval
        hint = server_hint(response.headers, listing.ttl_seconds if listing else None, now,
                           cap=options.max_server_hint)
        if hint:
            interval = max(interval, hint)
        source.next_check_at = now + timedelta(seconds=jittered(interval, options.jitter))
        source.last_checked_at = source.last_success_at = now
        source.consecutive_failures = 0
        source.first_failure_at = None
        new = result.counts.get("new", 0)
        if new:
            source.items_found = (source.items_found or 0) + new
            source.last_new_item_at = now
        source.claimed_by = source.claimed_until = None


def _learn_redirect(source: Source, response: Response) -> None:
    target = response.permanent_redirect
    if target and target != source.url:
        if target == source.redirect_url:
            source.redirect_seen = (source.redirect_seen or 0) + 1
        else:
            source.redirect_url, source.redirect_seen = target, 1
    elif not response.redirects and source.redirect_url and effective_url(source) != source.redirect_url:
        source.redirect_url, source.redirect_seen = None, 0


def _record_failure(db: Database, source_id: int, error: FetchError, options: CrawlOptions,
                    result: PollResult) -> None:
    now = options.clock()
    result.outcome, result.message = error.outcome, str(error)
    with db.transaction() as session:
        source = session.get(Source, source_id)
        assert source is not None
        _with_counts(source, error.outcome)
        source.last_checked_at = now
        source.last_error = f"{error.outcome}: {error}"[:2000]
        source.claimed_by = source.claimed_until = None
        if error.outcome == "rate_limited":
            # Not a failure: the server told us when to come back, for this source and its host.
            until = error.retry_after or now + timedelta(seconds=options.retry_after_default)
            _defer_host(session, host_of(effective_url(source)), until, options)
            source.next_check_at = max(until, now)
            return
        source.consecutive_failures = (source.consecutive_failures or 0) + 1
        source.first_failure_at = source.first_failure_at or now
        if error.outcome == "gone":
            _disable(source, now, "HTTP 410 Gone: the feed was removed; fix its URL and re-enable it")
            return
        if now - source.first_failure_at >= timedelta(days=options.disable_after_days):
            _disable(source, now, f"failing for {options.disable_after_days} days (last: {error.outcome})")
            return
        delay = backoff_delay(source.consecutive_failures, base=options.backoff_base, maximum=options.backoff_max)
        source.next_check_at = now + timedelta(seconds=jittered(delay, options.jitter))


def _disable(source: Source, now: datetime, reason: str) -> None:
    log.warning("source %s (%s) disabled: %s", source.id, source.name, reason)
    source.enabled = False
    source.disabled_at = now
    source.disabled_reason = reason
    source.next_check_at = None


def _defer_host(session: Session, host: str, until: datetime, options: CrawlOptions) -> None:
    row = session.get(Host, host)
    if row is None:
        row = Host(name=host)
        session.add(row)
    if row.retry_after_until is None or row.retry_after_until < until:
        row.retry_after_until = until
    for other in session.scalars(select(Source).where(Source.enabled.is_(True))):
        if host_of(effective_url(other)) == host and (other.next_check_at is None or other.next_check_at < until):
            other.next_check_at = until


def source_options(source: Source) -> dict[str, Any]:
    return dict(source.options or {})
