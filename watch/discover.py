"""Feed discovery: a one-off tool for the operator adding a source; the scheduler never runs it.

The page's ``<link rel=alternate>`` feeds come first; when there are none, a few
well-known paths are tried. Each candidate is fetched and parsed, so only real feeds
(with their title and entry count) are returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from .feeds import NotAFeed, parse_feed
from .http import FetchError, Fetcher
from .pages import WELL_KNOWN_FEEDS, feed_links

__all__ = ["FoundFeed", "discover_feeds"]

MAX_BYTES = 5 * 1024 * 1024


@dataclass
class FoundFeed:
    url: str
    title: str | None
    entries: int
    how: str  # "self" | "link" | "well-known"


def _try(fetcher: Fetcher, url: str, how: str) -> FoundFeed | None:
    try:
        response = fetcher.get(url, max_bytes=MAX_BYTES)
        listing = parse_feed(response.content, url=response.url, headers=response.headers)
    except (FetchError, NotAFeed):
        return None
    return FoundFeed(response.url, listing.title, len(listing.entries), how)


def discover_feeds(fetcher: Fetcher, url: str) -> list[FoundFeed]:
    """The feeds offered by the page at ``url`` (the page itself if it is a feed)."""
    response = fetcher.get(url, max_bytes=MAX_BYTES)  # FetchError: the caller reports it
    try:
        listing = parse_feed(response.content, url=response.url, headers=response.headers)
        return [FoundFeed(response.url, listing.title, len(listing.entries), "self")]
    except NotAFeed:
        pass
    found = [f for f in (_try(fetcher, link, "link") for link, _type, _title in feed_links(response.content,
                                                                                          response.url)) if f]
    if found:
        return found
    seen: set[str] = set()
    for path in WELL_KNOWN_FEEDS:
        feed = _try(fetcher, urljoin(response.url, path), "well-known")
        if feed and feed.url not in seen:
            seen.add(feed.url)
            found.append(feed)
    return found
