"""RSS 2.0 and Atom 1.0 feeds of the demo outlets, built with xml.etree so escaping is never by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .site import DemoSite

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    el = ET.SubElement(parent, tag, attrs)
    if text is not None:
        el.text = text
    return el


def _entry_link(site: DemoSite, outlet_id: str, art: dict[str, Any]) -> str:
    """The link a feed gives: its own articles carry the outlet's tracking parameters,
    a partner's article keeps the partner's clean URL (the same URL in both feeds)."""
    url = site.article_url(art["id"])
    tracking = site.layout(outlet_id).tracking
    return f"{url}?{tracking}" if tracking and art["outlet"] == outlet_id else url


def build_feed(site: DemoSite, outlet_id: str) -> tuple[bytes, datetime | None, str]:
    """The outlet's feed as bytes in the outlet's encoding, its Last-Modified and Content-Type."""
    outlet = site.outlet(outlet_id)
    arts = site.outlet_articles(outlet_id, with_partners=True)
    modified = max((site.modified_at(a) for a in arts), default=None)
    if outlet["feed_format"] == "atom":
        root, ctype = _atom(site, outlet, arts, modified), "application/atom+xml"
    else:
        root, ctype = _rss(site, outlet, arts, modified), "application/rss+xml"
    encoding = outlet.get("encoding", "utf-8")
    # ElementTree turns characters the encoding lacks (œ, €, ’ in ISO-8859-1) into character
    # references; the prolog is written by hand so it names the charset as French CMSs do.
    prolog = f'<?xml version="1.0" encoding="{encoding.upper()}"?>\n'.encode("ascii")
    body = prolog + ET.tostring(root, encoding=encoding, xml_declaration=False)
    return body, modified, f"{ctype}; charset={encoding}"


def _rss(site: DemoSite, outlet: dict[str, Any], arts: list[dict[str, Any]],
         modified: datetime | None) -> ET.Element:
    oid = outlet["id"]
    layout = site.layout(oid)
    rss = ET.Element("rss", {"version": "2.0", "xmlns:dc": DC_NS, "xmlns:atom": ATOM_NS})
    channel = _sub(rss, "channel")
    _sub(channel, "title", outlet["name"])
    _sub(channel, "link", site.base_url(oid) + "/")
    _sub(channel, "description", outlet["description"])
    _sub(channel, "language", "fr-fr")
    if modified is not None:
        _sub(channel, "lastBuildDate", format_datetime(modified))
    _sub(channel, "atom:link", href=site.feed_url(oid) or "", rel="self", type="application/rss+xml")
    for art in arts:
        item = _sub(channel, "item")
        _sub(item, "title", site.served_title(art))
        link = _entry_link(site, oid, art)
        _sub(item, "link", link)
        if layout.guid_permalink or art["outlet"] != oid:
            _sub(item, "guid", site.article_url(art["id"]), isPermaLink="true")
        else:
            _sub(item, "guid", f"{oid}-{art['id']}", isPermaLink="false")
        if not art.get("feed_without_date"):
            _sub(item, "pubDate", format_datetime(datetime.fromisoformat(art["published"])))
        _sub(item, "description", art["lead"])
        if art.get("author"):
            _sub(item, "dc:creator", art["author"])
        _sub(item, "category", art["section"])
    return rss


def _atom(site: DemoSite, outlet: dict[str, Any], arts: list[dict[str, Any]],
          modified: datetime | None) -> ET.Element:
    oid = outlet["id"]
    feed = ET.Element("feed", {"xmlns": ATOM_NS, "xml:lang": "fr"})
    _sub(feed, "title", outlet["name"])
    _sub(feed, "subtitle", outlet["description"])
    # Ids do not contain the port, so they stay stable across restarts of the demo site.
    _sub(feed, "id", f"tag:{oid}.demo,2026:feed")
    if modified is not None:
        _sub(feed, "updated", modified.isoformat())
    _sub(feed, "link", rel="self", type="application/atom+xml", href=site.feed_url(oid) or "")
    _sub(feed, "link", rel="alternate", type="text/html", href=site.base_url(oid) + "/")
    for art in arts:
        entry = _sub(feed, "entry")
        _sub(entry, "title", site.served_title(art))
        _sub(entry, "id", f"tag:{art['outlet']}.demo,2026:{art['id']}")
        _sub(entry, "link", rel="alternate", type="text/html", href=_entry_link(site, oid, art))
        published = datetime.fromisoformat(art["published"])
        if not art.get("feed_without_date"):
            _sub(entry, "published", published.isoformat())
            _sub(entry, "updated", site.modified_at(art).isoformat())
        author = _sub(entry, "author")
        _sub(author, "name", art.get("author") or outlet["name"])
        _sub(entry, "summary", art["lead"], type="text")
        _sub(entry, "category", term=art["section"])
    return feed
