"""Article pages: fetched after their item is stored, through the same client and rules.

An item is stored ``discovered`` before anything else happens to it. This stage claims
due ``discovered`` items, checks robots.txt, fetches the page within the article size cap,
and stores the raw page (`ItemPage`) for the pipelines, moving the item to ``fetched``. A
failed fetch is retried with backoff up to `article_retries` times; after that, or on a
permanent failure (robots, 404, non-HTML, too large), the item goes on with the feed's
summary and a flag saying why. A page's ``<link rel=canonical>`` on the same host
replaces the item's URL, or merges the item into the one already stored under it.
"""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from models import Database, Host, Item, ItemPage, ItemSource, ItemState, Tombstone

from .http import FetchError, Fetcher, HttpOptions, Response, host_of
from .options import CrawlOptions
from .pages import canonical_link
from .robots import RobotsCache
from .schedule import backoff_delay
from .urls import canonical_url

log = logging.getLogger(__name__)

__all__ = ["ArticleCounts", "claim_articles", "fetch_article", "fetch_page", "HTML_TYPES"]

HTML_TYPES = ("text/html", "application/xhtml+xml")
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.3"


@dataclass
class ArticleCounts:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


def fetch_page(url: str, options: HttpOptions, *, max_bytes: int = 5 * 1024 * 1024) -> Response:
    """Fetch one page through the seam (caps, timeouts, guard); `FetchError` on failure.

    For one-off fetches such as ``veille extract URL``: a short-lived client, no robots
    check (a person asked for this page), the same User-Agent and limits as the crawler.
    """
    with Fetcher(options) as fetcher:
        return fetcher.get(url, max_bytes=max_bytes, accept=ARTICLE_ACCEPT)


def claim_articles(db: Database, options: CrawlOptions, *, limit: int,
                   source_ids: list[int] | None = None) -> list[int]:
    """Claim due ``discovered`` items (not claimed by a live worker), oldest first."""
    now = options.clock()
    with db.transaction() as session:
        query = (select(Item).where(Item.state == ItemState.discovered.value,
                                    or_(Item.next_fetch_at.is_(None), Item.next_fetch_at <= now),
                                    or_(Item.claimed_until.is_(None), Item.claimed_until < now))
                 .order_by(Item.id).limit(limit))
        if source_ids is not None:
            query = query.where(Item.source_id.in_(source_ids))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        waiting = {h.name for h in session.scalars(select(Host).where(Host.retry_after_until > now))}
        claimed = []
        for item in session.scalars(query):
            if host_of(item.url) in waiting:
                continue
            item.claimed_by = options.worker_id
            item.claimed_until = now + timedelta(seconds=options.claim_seconds)
            claimed.append(item.id)
    return claimed


def fetch_article(db: Database, fetcher: Fetcher, robots: RobotsCache | None, item_id: int,
                  options: CrawlOptions, *, user_agent: str | None = None) -> str:
    """Fetch one claimed item's page; returns the outcome (fetched, retry, robots_blocked, ...)."""
    with db.reader() as session:
        item = session.get(Item, item_id)
        if item is None or item.state != ItemState.discovered.value:
            return "gone"
        url = item.url
        host = session.get(Host, host_of(url))
        waiting_until = host.retry_after_until if host is not None else None
    if waiting_until is not None and waiting_until > options.clock():
        # The host asked us to wait (Retry-After) since this item was claimed: no request.
        with db.transaction() as session:
            item = session.get(Item, item_id)
            if item is not None:
                item.claimed_by = item.claimed_until = None
                item.next_fetch_at = waiting_until
        return "rate_limited"
    try:
        if robots is not None and not robots.allowed(url):
            raise FetchError("robots_blocked", f"robots.txt disallows {url}", permanent=True, url=url)
        headers = {"User-Agent": user_agent} if user_agent else None
        response = fetcher.get(url, max_bytes=options.max_article_bytes, headers=headers, accept=ARTICLE_ACCEPT)
    except FetchError as exc:
        return _failed(db, item_id, exc, options)
    with db.transaction() as session:
        item = session.get(Item, item_id)
        if item is None:
            return "gone"
        now = options.clock()
        item.final_url = response.url
        item.claimed_by = item.claimed_until = None
        item.fetch_attempts = (item.fetch_attempts or 0) + 1
        item.fetch_error = None
        if response.content_type and response.content_type not in HTML_TYPES:
            item.state = ItemState.fetched.value
            item.flags = sorted(set(item.flags or []) | {"skipped_content_type"})
            item.fetch_error = f"skipped_content_type: {response.content_type}"
            return "skipped_content_type"
        _store_page(session, item, response, now)
        item.state = ItemState.fetched.value
        merged = _apply_canonical(session, item, response)
        return "merged" if merged else "fetched"


def _store_page(session: Session, item: Item, response: Response, now: datetime) -> None:
    charset = None
    for part in response.headers.get("content-type", "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            charset = value.strip().strip('"')[:50] or None
    page = session.get(ItemPage, item.id) or ItemPage(item_id=item.id)
    page.status = response.status
    page.content_type = response.content_type[:200] or None
    page.encoding = charset
    page.body = zlib.compress(response.content, 6)
    page.size = len(response.content)
    page.fetched_at = now
    session.add(page)


def _apply_canonical(session: Session, item: Item, response: Response) -> bool:
    """Use the page's canonical URL (same host only); True when the item was merged away."""
    link = canonical_link(response.content, response.url)
    if not link or host_of(link) not in (host_of(response.url), host_of(item.url)):
        return False
    canonical = canonical_url(link)
    if canonical == item.canonical_url:
        return False
    other = session.scalar(select(Item).where(Item.canonical_url == canonical))
    if other is None:
        if session.scalar(select(Tombstone.id).where(Tombstone.canonical_url == canonical).limit(1)):
            return False
        item.canonical_url = canonical
        return False
    if item.version != 1 or other.id == item.id:
        return False
    # The same article reached under two URLs: keep the older item, move the listings to it.
    for listing in session.scalars(select(ItemSource).where(ItemSource.item_id == item.id)):
        duplicate = session.scalar(select(ItemSource.id).where(ItemSource.source_id == listing.source_id,
                                                               ItemSource.key == listing.key,
                                                               ItemSource.item_id == other.id))
        if duplicate is None:
            listing.item_id = other.id
    session.flush()
    session.execute(update(ItemSource).where(ItemSource.item_id == item.id).values(item_id=other.id))
    session.expunge(item)
    session.execute(delete(Item).where(Item.id == item.id))
    return True


def _failed(db: Database, item_id: int, error: FetchError, options: CrawlOptions) -> str:
    now = options.clock()
    with db.transaction() as session:
        item = session.get(Item, item_id)
        if item is None:
            return "gone"
        item.claimed_by = item.claimed_until = None
        item.fetch_error = f"{error.outcome}: {error}"[:2000]
        if error.outcome == "rate_limited":
            until = error.retry_after or now + timedelta(seconds=options.retry_after_default)
            host = session.get(Host, host_of(item.url))
            if host is None:
                host = Host(name=host_of(item.url))
                session.add(host)
            if host.retry_after_until is None or host.retry_after_until < until:
                host.retry_after_until = until
            item.next_fetch_at = until
            return "rate_limited"
        item.fetch_attempts = (item.fetch_attempts or 0) + 1
        permanent = error.permanent or error.outcome in ("too_large", "robots_blocked", "gone", "blocked",
                                                          "bad_url", "skipped_content_type")
        if permanent or item.fetch_attempts >= options.article_retries:
            # Give up on the page; the item goes on with the feed's title and summary.
            item.state = ItemState.fetched.value
            item.flags = sorted(set(item.flags or []) | {"fetch_failed", error.outcome})
            return error.outcome if permanent else "failed"
        delay = backoff_delay(item.fetch_attempts, base=options.article_backoff_base,
                              maximum=options.article_backoff_max)
        item.next_fetch_at = now + timedelta(seconds=delay)
        return "retry"
