"""What a feed or a listing page lists: entries, as one plain model for both kinds."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Entry", "Listing"]


@dataclass
class Entry:
    """One listed article, before it is stored: identity, text as listed, date."""

    link: str
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    author: str | None = None
    published: datetime | None = None


@dataclass
class Listing:
    """A parsed feed or listing page."""

    entries: list[Entry] = field(default_factory=list)
    title: str | None = None
    kind: str = "feed"  # rss20, atom10, ... or "page"
    bozo: str | None = None  # why the document was ill-formed, when it still had entries
    encoding: str | None = None
    ttl_seconds: int | None = None  # <ttl> or similar hint from the document itself
