"""HTML pages: listing pages read with XPath or CSS rules, canonical links, feed discovery."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

import lxml.etree
import lxml.html
from cssselect import GenericTranslator, SelectorError

from .dates import parse_date, to_utc
from .entries import Entry, Listing
from .feeds import absolute_link, join_url

log = logging.getLogger(__name__)

__all__ = ["PageRulesError", "parse_listing", "canonical_link", "feed_links", "WELL_KNOWN_FEEDS",
           "PageRules"]

WELL_KNOWN_FEEDS = ("/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml", "/index.xml", "/feed.atom",
                    "/feeds/all.atom.xml", "/?feed=rss2")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/json",
              "application/rdf+xml", "text/xml", "application/xml")


class PageRulesError(Exception):
    """A listing rule is not valid XPath or CSS."""


@dataclass(frozen=True)
class PageRules:
    item: str
    title: str
    link: str
    date: str | None = None
    date_format: str | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> "PageRules":
        return cls(item=data["item"], title=data["title"], link=data["link"], date=data.get("date"),
                   date_format=data.get("date_format"))


def _xpath(rule: str) -> lxml.etree.XPath:
    """A compiled XPath; a rule not starting with ``/``, ``./`` or ``(`` is CSS."""
    try:
        if rule.startswith(("/", "./", "(")):
            return lxml.etree.XPath(rule)
        return lxml.etree.XPath(GenericTranslator().css_to_xpath(rule, prefix="descendant-or-self::"))
    except (lxml.etree.XPathSyntaxError, SelectorError) as exc:
        raise PageRulesError(f"invalid rule {rule!r}: {exc}") from None


def _first_text(node: Any, path: lxml.etree.XPath) -> str | None:
    found = path(node)
    if isinstance(found, list):
        found = found[0] if found else None
    if found is None:
        return None
    if isinstance(found, str):  # attribute or text() result
        text = str(found)
    else:
        text = found.text_content() if hasattr(found, "text_content") else "".join(found.itertext())
    return " ".join(text.split())[:2000] or None


def _first_link(node: Any, path: lxml.etree.XPath) -> str | None:
    found = path(node)
    if isinstance(found, list):
        found = found[0] if found else None
    if found is None:
        return None
    if isinstance(found, str):
        return str(found).strip() or None
    href = found.get("href")
    if href is None:
        anchors = found.xpath(".//a[@href]")
        href = anchors[0].get("href") if anchors else None
    return href.strip() if href else None


def html_text(body: bytes, content_type: str | None = None) -> str | bytes:
    """The page as text when its charset is known (header, else valid UTF-8), else the bytes.

    lxml reads bytes as Latin-1 unless the page has a ``<meta charset>``, which would turn
    every "é" of a UTF-8 page without one into "Ã©".
    """
    for part in (content_type or "").split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset":
            try:
                return body.decode(value.strip().strip('"'), "replace")
            except LookupError:
                break
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body  # lxml then uses the page's <meta charset>, or Latin-1


def _document(body: bytes, url: str, content_type: str | None = None) -> Any:
    text = html_text(body, content_type)
    if isinstance(text, str) and text.lstrip().startswith("<?xml"):
        text = text.split("?>", 1)[-1]  # lxml refuses str input with an encoding declaration
    try:
        return lxml.html.document_fromstring(text, base_url=url)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise PageRulesError(f"the page cannot be parsed as HTML: {exc}") from None


def parse_listing(body: bytes, *, url: str, rules: PageRules, content_type: str | None = None) -> Listing:
    """Read a listing page into entries (links made absolute, duplicates removed)."""
    item_path, title_path, link_path = _xpath(rules.item), _xpath(rules.title), _xpath(rules.link)
    date_path = _xpath(rules.date) if rules.date else None
    document = _document(body, url, content_type)
    title_nodes = document.xpath("//title")
    listing = Listing(kind="page", title=" ".join(title_nodes[0].text_content().split())[:500]
                      if title_nodes else None)
    seen: set[str] = set()
    for node in item_path(document):
        href = _first_link(node, link_path)
        if not href:
            continue
        link = absolute_link(url, href)
        if link is None or link in seen:
            continue
        seen.add(link)
        published = None
        if date_path is not None:
            raw = _first_text(node, date_path)
            if raw:
                published = _page_date(raw, rules.date_format)
        listing.entries.append(Entry(link=link, title=_first_text(node, title_path), published=published))
    return listing


def _page_date(raw: str, date_format: str | None) -> datetime | None:
    if date_format:
        try:
            return to_utc(datetime.strptime(raw, date_format))
        except ValueError:
            return None
    try:
        return to_utc(datetime.fromisoformat(raw.replace("Z", "+00:00")))
    except ValueError:
        return parse_date(raw)


def canonical_link(body: bytes, url: str) -> str | None:
    """``<link rel=canonical href>`` of an article page, absolute; None when absent."""
    try:
        document = lxml.html.document_fromstring(body[:2_000_000])
    except (lxml.etree.ParserError, ValueError):
        return None
    for link in document.xpath("//head/link[@href]"):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = link.get("href").strip()
            if href:
                return join_url(url, href)
    return None


def feed_links(body: bytes, url: str) -> list[tuple[str, str | None, str | None]]:
    """(url, type, title) of every ``<link rel=alternate>`` pointing to a feed, in page order."""
    try:
        document = lxml.html.document_fromstring(body)
    except (lxml.etree.ParserError, ValueError):
        return []
    found: list[tuple[str, str | None, str | None]] = []
    for link in document.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        kind = (link.get("type") or "").lower().strip()
        if "alternate" in rel and kind in FEED_TYPES[:5]:
            href = join_url(url, link.get("href").strip())
            if href is not None and href not in [f[0] for f in found]:
                found.append((href, kind, link.get("title")))
    return found
