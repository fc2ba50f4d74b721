"""Item identity: keys per feed, one item per canonical URL, edits, tombstones.

The key of a listing (`ItemSource.key`) is sha256(source id, GUID) while a feed's GUIDs
are usable; when more than 5 % of them are empty or repeated in one document the source
switches for good to link mode, sha256(canonical link), as FreshRSS does. Whatever the
key, the item itself is unique by canonical URL: a second feed listing the same article
is linked to the existing item, not stored again.

The caller owns the transaction; the crawler commits after each entry so a crash loses
nothing already seen.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm import Session

from models import Item, ItemSource, ItemState, Source, Tombstone

from .dates import clamp_future
from .entries import Entry
from .urls import canonical_url

log = logging.getLogger(__name__)

__all__ = ["GUID_COLLISION_LIMIT", "key_mode_for", "entry_key", "entry_hash", "store_entry",
           "tombstone_item", "Stored"]

GUID_COLLISION_LIMIT = 0.05
# Core statements built once: building an ORM insert per row cost more than running it.
_INSERT_ITEM = Item.__table__.insert().returning(Item.__table__.c.id)
_INSERT_LISTING = ItemSource.__table__.insert()


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def key_mode_for(entries: list[Entry], current: str) -> str:
    """``link`` once more than 5 % of the GUIDs are empty or repeated; link mode is kept."""
    if current == "link" or not entries:
        return current
    seen: set[str] = set()
    bad = 0
    for entry in entries:
        if not entry.guid or entry.guid in seen:
            bad += 1
        seen.add(entry.guid or "")
    return "link" if bad / len(entries) > GUID_COLLISION_LIMIT else "guid"


def entry_key(source_id: int, mode: str, entry: Entry) -> str:
    if mode == "guid" and entry.guid:
        return _sha(str(source_id), "guid", entry.guid)
    return _sha("link", canonical_url(entry.link))


def entry_hash(entry: Entry) -> str:
    """What an edit changes: title and summary as listed."""
    return _sha(entry.title or "", entry.summary or "")


@dataclass
class Stored:
    outcome: str  # new | linked | updated | seen | tombstoned
    item_id: int | None = None


_LISTING = select(ItemSource.id).where(ItemSource.source_id == bindparam("source_id"),
                                       ItemSource.key == bindparam("key"))
_TOMBSTONE = select(Tombstone.id).where(or_(
    (Tombstone.source_id == bindparam("source_id")) & (Tombstone.key == bindparam("key")),
    Tombstone.canonical_url == bindparam("canonical"))).limit(1)
_ITEM_BY_URL = select(Item.id).where(Item.canonical_url == bindparam("canonical"))


def _tombstoned(session: Session, source_id: int, key: str, canonical: str) -> bool:
    return session.connection().execute(
        _TOMBSTONE, {"source_id": source_id, "key": key, "canonical": canonical}).first() is not None


def store_entry(session: Session, source: Source, entry: Entry, key: str, now: datetime,
                *, fetch_articles: bool = True) -> Stored:
    """Insert, link or update the item an entry lists. Never creates a second item for one URL.

    ``source`` is only read (id, language); it may be detached from ``session``.
    """
    canonical = canonical_url(entry.link)
    with session.no_autoflush:
        return _store(session, source, entry, key, now, canonical, fetch_articles)


def _store(session: Session, source: Source, entry: Entry, key: str, now: datetime, canonical: str,
           fetch_articles: bool) -> Stored:
    connection = session.connection()
    listing_id = connection.execute(_LISTING, {"source_id": source.id, "key": key}).scalar()
    digest = entry_hash(entry)
    if listing_id is not None:
        listing = session.get(ItemSource, listing_id)
        assert listing is not None
        listing.last_seen_at = now
        item = session.get(Item, listing.item_id)
        if item is None:
            return Stored("seen")
        item.last_seen_at = now
        if listing.entry_hash == digest:
            return Stored("seen", item.id)
        listing.entry_hash = digest
        _apply_edit(item, entry, digest, fetch_articles)
        return Stored("updated", item.id)
    if _tombstoned(session, source.id, key, canonical):
        return Stored("tombstoned")
    item_id = connection.execute(_ITEM_BY_URL, {"canonical": canonical}).scalar()
    if item_id is not None:
        _add_listing(session, item_id, source.id, key, entry, digest, now)
        session.execute(update(Item).where(Item.id == item_id).values(last_seen_at=now))
        return Stored("linked", item_id)
    published, suspect, date_source = clamp_future(entry.published, now)
    # Core inserts: the ORM unit of work costs several times more per row, and a crawl
    # stores thousands of rows one transaction each (measured in bench/bench_crawl.py).
    item_id = connection.execute(_INSERT_ITEM, dict(
        canonical_url=canonical, url=entry.link, source_id=source.id, title=entry.title,
        summary=entry.summary, author=entry.author, language=source.language,
        published_at=published, date_source=date_source, date_suspect=suspect,
        flags=["date_suspect"] if suspect else [], first_seen_at=now, last_seen_at=now, updated_at=now,
        content_hash=digest, version=1, fetch_attempts=0, is_wire=False,
        state=ItemState.discovered.value if fetch_articles else ItemState.fetched.value,
    )).scalar_one()
    _add_listing(session, item_id, source.id, key, entry, digest, now)
    return Stored("new", item_id)


def _add_listing(session: Session, item_id: int, source_id: int, key: str, entry: Entry, digest: str,
                 now: datetime) -> None:
    session.connection().execute(_INSERT_LISTING, dict(
        item_id=item_id, source_id=source_id, key=key, guid=entry.guid, link=entry.link, entry_hash=digest,
        first_seen_at=now, last_seen_at=now))


def _apply_edit(item: Item, entry: Entry, digest: str, fetch_articles: bool) -> None:
    """An edited entry updates its item in place (version + 1) and queues a new article fetch."""
    if item.content_hash == digest or (item.title, item.summary) == (entry.title, entry.summary):
        return  # another listing of the item brought the same edit already
    item.title = entry.title
    item.summary = entry.summary
    item.content_hash = digest
    item.version = (item.version or 1) + 1
    item.flags = sorted(set(item.flags or []) | {"edited"})
    if fetch_articles and item.state != ItemState.dropped.value:
        item.state = ItemState.discovered.value
        item.fetch_attempts = 0
        item.next_fetch_at = None
        item.fetch_error = None


def tombstone_item(session: Session, item: Item, reason: str) -> int:
    """Delete an item and remember its keys and URL, so no later fetch brings it back."""
    links = session.scalars(select(ItemSource).where(ItemSource.item_id == item.id)).all()
    for listing in links:
        session.add(Tombstone(source_id=listing.source_id, key=listing.key, canonical_url=item.canonical_url,
                              reason=reason))
    if not links:
        session.add(Tombstone(source_id=None, key=None, canonical_url=item.canonical_url, reason=reason))
    session.execute(delete(Item).where(Item.id == item.id))
    return len(links) or 1
