"""Feed parsing: feedparser's own corpus over HTTP, French encodings, not-a-feed bodies, hostile XML."""

from __future__ import annotations

import json
import re
import time
import tracemalloc
import urllib.request
from pathlib import Path
from urllib.parse import urljoin

import feedparser
import pytest
from sqlalchemy import func, select

from models import Database, Item, Source
from watch import NotAFeed, canonical_url, crawl, parse_feed
from watch.feeds import usable_link

from .conftest import Clock, Reply, Server, add_source, options_for, rss


def header_lines(body: bytes) -> dict[str, str]:
    """The ``Header:`` lines of the comment at the top of a corpus file."""
    head = body[:2000].decode("latin-1")
    return {name.strip().lower(): value.strip()
            for name, value in re.findall(r"^Header:\s*([^:\n]+):(.*)$", head, re.MULTILINE)}


def expected_urls(body: bytes, url: str, headers: dict[str, str]) -> set[str]:
    parsed = feedparser.parse(body, response_headers={**headers, "content-location": url})
    found = set()
    for entry in parsed.entries:
        link = entry.get("link") or (entry.get("id") if str(entry.get("id", "")).startswith("http") else None)
        if link and usable_link(urljoin(url, link)):
            found.add(canonical_url(urljoin(url, link)))
    return found


def crawl_corpus(database: Database, server: Server, clock: Clock, corpus_dir: Path, every: int) -> None:
    manifest = json.loads((corpus_dir / "manifest.json").read_text())
    # Every ill-formed file, and every ``every``-th of the others.
    manifest = {path: spec for n, (path, spec) in enumerate(sorted(manifest.items()))
                if spec["kind"] == "ill-formed" or n % every == 0}
    expected: set[str] = set()
    ill_formed_with_entries = []
    for n, path in enumerate(sorted(manifest)):
        body = (corpus_dir / path).read_bytes()
        headers = header_lines(body)
        headers.setdefault("content-type", "application/json" if path.endswith(".json") else "application/xml")
        server.route(f"/{path}", Reply(200, body, {k.title(): v for k, v in headers.items()}))
        url = server.url(f"/{path}")
        urls = expected_urls(body, url, headers)
        expected |= urls
        if manifest[path]["kind"] == "ill-formed" and urls:
            ill_formed_with_entries.append(f"f{n:03d}")
        add_source(database, f"f{n:03d}", url)
    report = crawl(database, options_for(clock, batch_size=1000, concurrency=2), fetch_articles=False)
    assert report.sources == len(manifest)
    assert "error" not in report.outcomes, report.errors[:5]  # no exception escaped
    with database.reader() as session:
        stored = set(session.scalars(select(Item.canonical_url)))
        flagged = set(session.scalars(select(Source.name).where(Source.last_error.like("ill-formed but kept%"))))
    assert stored == expected
    assert ill_formed_with_entries and set(ill_formed_with_entries) <= flagged
    # A few ill-formed files have no entries at all: those are not_a_feed, never an empty success.
    assert set(report.outcomes) <= {"ok", "not_a_feed"}


@pytest.mark.slow
def test_every_file_of_the_feedparser_corpus_is_crawled_and_its_items_stored(
        database: Database, server: Server, clock: Clock, corpus_dir: Path) -> None:
    crawl_corpus(database, server, clock, corpus_dir, every=1)


def test_a_sample_of_the_feedparser_corpus_is_crawled_and_its_items_stored(
        database: Database, server: Server, clock: Clock, corpus_dir: Path) -> None:
    crawl_corpus(database, server, clock, corpus_dir, every=12)


def test_feedparser_never_opens_a_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args, **kwargs):
        raise AssertionError("feedparser tried to fetch something")

    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    monkeypatch.setattr(urllib.request.OpenerDirector, "open", forbidden)
    body = rss([{"title": "t", "link": "http://example.org/1", "guid": "1"}],
               extra='<image><url>http://example.org/logo.png</url></image>')
    assert parse_feed(body, url="http://example.org/feed").entries[0].title == "t"


FRENCH = "Élection à l'Hôtel de Ville : « œuvre » — 5 €"


@pytest.mark.parametrize("encoding,content_type", [
    ("iso-8859-1", "text/xml"),               # ISO-8859-1 served as text/xml without charset
    ("windows-1252", "application/rss+xml"),  # Windows-1252 (œ, €, « » quotes)
    ("utf-8", "application/xml"),
])
def test_french_encodings_parse_to_the_right_titles(encoding: str, content_type: str) -> None:
    title = FRENCH if encoding != "iso-8859-1" else "Élection à l'Hôtel de Ville : « été »"
    body = rss([{"title": title, "link": "http://example.org/1", "guid": "1"}], encoding=encoding)
    assert title.encode(encoding) in body  # the characters are really in that encoding
    listing = parse_feed(body, url="http://example.org/feed", headers={"content-type": content_type})
    assert listing.entries[0].title == title


def test_a_utf8_feed_with_a_wrong_prolog_keeps_its_entries_and_is_flagged() -> None:
    body = rss([{"title": FRENCH, "link": "http://example.org/1", "guid": "1"}]).replace(
        b'encoding="utf-8"', b'encoding="iso-8859-1"')
    listing = parse_feed(body, url="http://example.org/feed", headers={"content-type": "application/xml"})
    assert len(listing.entries) == 1 and listing.entries[0].link == "http://example.org/1"


def test_a_garbled_encoding_name_in_the_prolog_keeps_the_entries() -> None:
    # Found by bench/fuzz.py: feedparser raised UnicodeDecodeError on a non-UTF-8 byte there.
    body = rss([{"title": "Piste cyclable", "link": "http://example.org/1", "guid": "1"}]).replace(
        b'encoding="utf-8"', b'encoding="u\x90\x99-8"')
    listing = parse_feed(body, url="http://example.org/feed")
    assert [entry.link for entry in listing.entries] == ["http://example.org/1"]


def test_a_feedparser_failure_is_a_named_outcome_not_a_crash() -> None:
    # Found by bench/fuzz.py: feedparser raises KeyError on a GML position outside <georss:where>.
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom" xmlns:gml="http://www.opengis.net/gml"><entry>'
            b'<title>x</title><link href="http://example.org/1"/><gml:pos>48.85 2.35</gml:pos></entry></feed>')
    with pytest.raises(NotAFeed, match="feed parser failed.*KeyError"):
        parse_feed(body, url="http://example.org/feed")


def test_an_entry_with_a_malformed_link_is_skipped_and_the_others_kept() -> None:
    # Found by bench/fuzz.py: urljoin raised ValueError ("Invalid IPv6 URL") out of parse_feed.
    body = rss([{"title": "Cassé", "link": "http://[2001:db8::1/x", "guid": "1"},
                {"title": "Bon", "link": "http://example.org/2", "guid": "2"}])
    listing = parse_feed(body, url="http://example.org/feed")
    links = [entry.link for entry in listing.entries]
    assert "http://example.org/2" in links and not any("[" in link for link in links)


def test_a_bozo_feed_with_entries_is_kept() -> None:
    body = rss([{"title": "Un & deux", "link": "http://example.org/1", "guid": "1"}])
    listing = parse_feed(body, url="http://example.org/feed")
    assert listing.bozo and listing.entries[0].title


@pytest.mark.parametrize("body", [
    b"<!doctype html><html><head><title>Consentement</title></head><body><form>Accepter</form></body></html>",
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>broken",
    b"\x00\x01\x02 binary garbage",
])
def test_a_body_that_is_not_a_feed_is_refused(body: bytes) -> None:
    with pytest.raises(NotAFeed):
        parse_feed(body, url="http://example.org/feed", headers={"content-type": "text/html"})


def test_a_consent_wall_keeps_the_items_and_counts_as_an_error(database: Database, server: Server,
                                                              clock: Clock) -> None:
    replies = iter([Reply(200, rss([{"title": "t", "link": "http://example.org/1", "guid": "1"}])),
                    Reply(200, b"<html><body>Nous utilisons des cookies</body></html>",
                          {"Content-Type": "text/html"})])
    server.route("/feed", lambda request: next(replies))
    add_source(database, "Flux", server.url("/feed"))
    crawl(database, options_for(clock), fetch_articles=False)
    clock.advance(hours=1)
    report = crawl(database, options_for(clock), fetch_articles=False)
    assert report.outcomes == {"not_a_feed": 1}
    with database.reader() as session:
        assert session.scalar(select(func.count(Item.id))) == 1
        assert session.scalars(select(Source.consecutive_failures)).one() == 1


def test_a_valid_feed_with_no_entries_is_a_success() -> None:
    assert parse_feed(rss([]), url="http://example.org/feed").entries == []


# -- hostile input ---------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>bomb</title>
<item><title>&g;</title><link>http://example.org/bomb</link></item></channel></rss>"""


def test_an_entity_expansion_bomb_stays_small_and_fast() -> None:
    tracemalloc.start()
    started = time.monotonic()
    try:
        listing = parse_feed(BILLION_LAUGHS, url="http://example.org/feed")
        titles = [e.title or "" for e in listing.entries]
    except NotAFeed:
        titles = []
    elapsed = time.monotonic() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 5 and peak < 200 * 1024 * 1024
    assert all(len(t) <= 100_000 for t in titles)


def test_external_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    body = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
            '<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title>'
            '<link>http://example.org/x</link></item></channel></rss>').encode()
    try:
        listing = parse_feed(body, url="http://example.org/feed")
    except NotAFeed:
        return
    assert all("TOP-SECRET" not in (e.title or "") + (e.summary or "") for e in listing.entries)


def test_links_with_odd_schemes_or_credentials_are_never_stored() -> None:
    body = rss([{"title": "js", "link": "javascript:alert(1)", "guid": "1"},
                {"title": "file", "link": "file:///etc/passwd", "guid": "2"},
                {"title": "data", "link": "data:text/html,bonjour", "guid": "3"},
                {"title": "creds", "link": "http://user:pw@example.org/x", "guid": "4"},
                {"title": "ok", "link": "https://example.org/ok", "guid": "5"}])
    assert [e.title for e in parse_feed(body, url="http://example.org/feed").entries] == ["ok"]


def test_a_ten_thousand_item_feed_is_handled_in_bounded_time(database: Database, server: Server,
                                                             clock: Clock) -> None:
    body = rss([{"title": f"Article {n}", "link": f"http://example.org/a/{n}", "guid": f"{n}"}
                for n in range(10_000)])
    server.route("/feed", Reply(200, body))
    add_source(database, "Gros", server.url("/feed"))
    started = time.monotonic()
    report = crawl(database, options_for(clock), fetch_articles=False)
    assert time.monotonic() - started < 120
    from watch.feeds import MAX_ENTRIES

    assert report.items["new"] == MAX_ENTRIES


def test_huge_attribute_values_and_fields_are_cut() -> None:
    huge = "x" * 2_000_000
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f'<item><title>{huge}</title><link>http://example.org/1</link><guid>1</guid>'
            f'<description>{huge}</description><enclosure url="{huge}" type="a/b" length="{huge}"/>'
            '</item></channel></rss>').encode()
    listing = parse_feed(body, url="http://example.org/feed")
    entry = listing.entries[0]
    assert len(entry.title or "") <= 2000 and len(entry.summary or "") <= 100_000
