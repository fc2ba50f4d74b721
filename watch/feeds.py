"""Feed parsing: feedparser gets the bytes and the response headers, and never does HTTP.

A document that is not a feed (a consent wall, an HTML page, a zero-entry bozo body) is
`NotAFeed`, so the caller records ``not_a_feed`` instead of seeing an empty feed, and keeps
the items it already has. An ill-formed feed that still has entries is kept and flagged.
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import datetime, timezone
from typing import Any, Mapping
from urllib.parse import urljoin, urlsplit

import feedparser

from . import dates  # noqa: F401  (registers the French date handler with feedparser)
from .entries import Entry, Listing

log = logging.getLogger(__name__)

__all__ = ["NotAFeed", "parse_feed", "usable_link", "MAX_ENTRIES"]

# A feed listing more entries than this is cut (document order, newest first on news sites); 10,000-entry
# feeds exist (archives served as feeds) and would otherwise cost minutes per poll.
MAX_ENTRIES = 500
MAX_FIELD = 100_000  # characters kept of a title or summary


class NotAFeed(Exception):
    """The body is not a feed; the message says what it looked like."""


def join_url(base: str, link: str) -> str | None:
    """``link`` resolved against ``base``, or None when either is malformed (``http://[x``)."""
    try:
        return urljoin(base, link)
    except ValueError:
        return None


def absolute_link(base: str, link: str) -> str | None:
    """``link`` resolved against ``base`` if the result is a usable http(s) link, else None."""
    joined = join_url(base, link)
    return usable_link(joined) if joined is not None else None


def usable_link(link: str) -> str | None:
    """``link`` if it is an http(s) URL without credentials and of sane length, else None."""
    if len(link) > 4000:
        return None
    try:
        parts = urlsplit(link)
        parts.port  # noqa: B018 (raises ValueError on a malformed port)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None
    return link


def _struct_to_utc(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=timezone.utc)
    except (OverflowError, ValueError, TypeError):
        return None


def _text(value: Any, limit: int = MAX_FIELD) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] or None


_DECLARED_ENCODING = re.compile(rb"""\s+encoding\s*=\s*("[^"]*"|'[^']*')""")


def parse_feed(body: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> Listing:
    """Parse ``body`` (bytes as received) with its response headers; `NotAFeed` if it is none."""
    response_headers = {"content-location": url}
    for name in ("content-type", "content-language", "last-modified", "etag"):
        if headers and headers.get(name):
            response_headers[name] = headers[name]
    try:
        parsed = feedparser.parse(body, response_headers=response_headers, sanitize_html=True,
                                  resolve_relative_uris=True)
    except UnicodeDecodeError:
        # feedparser decodes the XML declaration's encoding name as UTF-8 and fails on a garbled
        # one (found by bench/fuzz.py): drop the name and let it detect the encoding itself.
        cleaned = _DECLARED_ENCODING.sub(b"", body[:512], count=1) + body[512:]
        try:
            parsed = feedparser.parse(cleaned, response_headers=response_headers, sanitize_html=True,
                                      resolve_relative_uris=True)
        except UnicodeDecodeError as exc:
            raise NotAFeed(f"the body's encoding cannot be read ({len(body)} bytes; {exc})") from None
    except (KeyError, IndexError, AttributeError, TypeError, ValueError) as exc:
        # feedparser's own bugs on malformed markup (e.g. a GeoRSS <gml:pos> outside <where>
        # raises KeyError; found by bench/fuzz.py): an outcome of the source, not a crash.
        raise NotAFeed(f"the feed parser failed on this body ({len(body)} bytes; "
                       f"{exc.__class__.__name__}: {str(exc)[:200]})") from None
    bozo = parsed.get("bozo_exception") if parsed.get("bozo") else None
    version = parsed.get("version") or ""
    if not parsed.entries:
        head = body[:2048].lower()
        benign = isinstance(bozo, (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType))
        if not version or (bozo is not None and not benign):
            looks = "an HTML page" if b"<html" in head or b"<!doctype html" in head else "no feed"
            raise NotAFeed(f"the body is {looks} ({len(body)} bytes"
                           + (f"; parser: {str(bozo)[:200]}" if bozo is not None else "") + ")")
    feed = parsed.get("feed", {})
    listing = Listing(title=_text(feed.get("title"), 500), kind=version or "unknown",
                      encoding=parsed.get("encoding"),
                      bozo=f"{bozo.__class__.__name__}: {str(bozo)[:300]}" if bozo is not None else None)
    ttl = feed.get("ttl")
    if isinstance(ttl, str) and ttl.strip().isdigit():
        listing.ttl_seconds = int(ttl.strip()) * 60
    for raw in parsed.entries[:MAX_ENTRIES]:
        link = _text(raw.get("link"), 4000)
        guid = _text(raw.get("id"), 4000)
        if not link and guid and guid.startswith(("http://", "https://")):
            link = guid
        if not link:
            continue  # nothing to fetch and nothing to show: not an article
        link = absolute_link(url, link)
        if link is None:
            continue  # javascript:, file:, data:, credentials: never stored, never fetched
        summary = raw.get("summary")
        if not summary and raw.get("content"):
            summary = raw["content"][0].get("value")
        published = _struct_to_utc(raw.get("published_parsed") or raw.get("updated_parsed")
                                    or raw.get("created_parsed"))
        listing.entries.append(Entry(link=link, guid=guid, title=_text(raw.get("title"), 2000),
                                     summary=_text(summary), author=_text(raw.get("author"), 500),
                                     published=published))
    return listing
