"""Item identity and dedupe, edits, tombstones, dates, block rules, listing pages, crashes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from models import Database, Item, ItemSource, Source, Tombstone
from watch import crawl, tombstone_item

from .conftest import Clock, Reply, Server, add_source, options_for, rss

UTC = timezone.utc


def items(db: Database) -> list[Item]:
    with db.reader() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def count(db: Database, model: type) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count()).select_from(model))


def poll(db: Database, clock: Clock, **overrides: object):
    return crawl(db, options_for(clock, **overrides), fetch_articles=False)


def entries(n: int, *, link: str = "http://example.org/paris/{n}", guid: str | None = "g{n}",
            suffix: str = "") -> list[dict[str, str]]:
    out = []
    for i in range(n):
        entry = {"title": f"Titre {i}", "link": link.format(n=i) + suffix,
                 "date": "Mon, 16 Nov 2026 08:00:00 +0100", "description": f"Résumé {i}"}
        if guid is not None:
            entry["guid"] = guid.format(n=i)
        out.append(entry)
    return out


def test_the_same_feed_served_again_and_with_tracking_and_new_guids_gives_n_items(
        database: Database, server: Server, clock: Clock) -> None:
    feeds = [rss(entries(5))] * 3 + [rss(entries(5, suffix="?xtor=RSS-1")),
                                     rss(entries(5, guid="new-{n}")),
                                     rss(entries(5, suffix="?utm_source=rss&utm_medium=flux#xtor=RSS-3"))]
    server.route("/feed", lambda request: Reply(200, feeds[len(server.log) - 1]))
    add_source(database, "Flux", server.url("/feed"))
    for _ in feeds:
        poll(database, clock)
        clock.advance(hours=1)
    assert count(database, Item) == 5
    assert [i.canonical_url for i in items(database)] == [f"http://example.org/paris/{n}" for n in range(5)]


def test_repeated_guids_switch_the_feed_to_link_keys(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(entries(10, guid="same"))))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    assert count(database, Item) == 10
    with database.reader() as session:
        assert session.scalars(select(Source.key_mode)).one() == "link"


def test_empty_guids_fall_back_to_links(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(entries(4, guid=""))))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    assert count(database, Item) == 4


def test_the_same_article_in_two_feeds_is_one_item_listed_twice(make_server, clock: Clock,
                                                                database: Database) -> None:
    a, b = make_server("127.0.0.1"), make_server("127.0.0.1")
    shared = {"title": "Le même article", "link": "http://example.org/paris/commun", "guid": "x-1"}
    a.route("/feed", Reply(200, rss([shared] + entries(2))))
    b.route("/feed", Reply(200, rss([{**shared, "guid": "autre-guid",
                                      "link": shared["link"] + "?xtor=RSS-9"}])))
    add_source(database, "A", a.url("/feed"))
    add_source(database, "B", b.url("/feed"))
    report = poll(database, clock)
    assert count(database, Item) == 3
    assert report.items["new"] == 3 and report.items["linked"] == 1
    with database.reader() as session:
        links = session.scalars(select(ItemSource).join(Item).where(Item.canonical_url == shared["link"])).all()
    assert len(links) == 2


def test_an_edited_entry_updates_its_item_instead_of_adding_one(database: Database, server: Server,
                                                               clock: Clock) -> None:
    original = entries(2)
    edited = [dict(original[0], title="Titre corrigé"), original[1]]
    feeds = iter([rss(original), rss(edited), rss(edited)])
    server.route("/feed", lambda request: Reply(200, next(feeds)))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    first_hash = items(database)[0].content_hash
    clock.advance(hours=1)
    report = poll(database, clock)
    assert report.items["updated"] == 1 and report.items.get("new", 0) == 0
    changed = items(database)[0]
    assert changed.title == "Titre corrigé" and changed.version == 2 and changed.content_hash != first_hash
    assert "edited" in changed.flags
    clock.advance(hours=1)
    poll(database, clock)
    assert items(database)[0].version == 2 and count(database, Item) == 2


def test_the_same_edit_listed_by_two_feeds_counts_once_after_processing(make_server, clock: Clock,
                                                                         database: Database) -> None:
    """Processing replaces the item's content hash by that of its text; an edit seen in two
    feeds must still bump the version once, not once per feed."""
    a, b = make_server("127.0.0.1"), make_server("127.0.0.1")
    entry = {"title": "Avant", "link": "http://example.org/paris/commun", "guid": "x-1",
             "description": "Résumé"}
    feeds = {"a": [rss([entry]), rss([dict(entry, title="Après")])],
             "b": [rss([dict(entry, guid="y-1")]), rss([dict(entry, guid="y-1", title="Après")])]}
    a.route("/feed", lambda request: Reply(200, feeds["a"][min(len(a.log), 2) - 1]))
    b.route("/feed", lambda request: Reply(200, feeds["b"][min(len(b.log), 2) - 1]))
    add_source(database, "A", a.url("/feed"))
    add_source(database, "B", b.url("/feed"))
    poll(database, clock)
    with database.transaction() as session:
        session.scalars(select(Item)).one().content_hash = "f" * 64  # as the extract stage does
    clock.advance(hours=2)
    poll(database, clock)
    (item,) = items(database)
    assert item.title == "Après" and item.version == 2


def test_a_purged_item_never_comes_back(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(entries(3))))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    with database.transaction() as session:
        tombstone_item(session, session.get(Item, items(database)[0].id), "purged by the operator")
    assert count(database, Item) == 2 and count(database, Tombstone) == 1
    clock.advance(hours=2)
    server.route("/feed", Reply(200, rss(entries(3, suffix="?xtor=RSS-2"))))  # body changes, same items
    report = poll(database, clock)
    assert report.items["tombstoned"] == 1 and count(database, Item) == 2


def test_items_still_listed_have_their_last_seen_time_updated(database: Database, server: Server,
                                                              clock: Clock) -> None:
    feeds = iter([rss(entries(2)), rss(entries(2), title="changed")])
    server.route("/feed", lambda request: Reply(200, next(feeds)))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    clock.advance(hours=3)
    poll(database, clock)
    assert all(i.last_seen_at == clock.now for i in items(database))


@pytest.mark.parametrize("written,expected", [
    ("Mon, 12 Feb 2024 10:00:00 +0100", datetime(2024, 2, 12, 9, tzinfo=UTC)),
    ("Mon, 12 Feb 2024 10:00:00 CET", datetime(2024, 2, 12, 9, tzinfo=UTC)),
    ("Mon, 12 Aug 2024 10:00:00 CEST", datetime(2024, 8, 12, 8, tzinfo=UTC)),
    ("2024-02-12 10:00:00", datetime(2024, 2, 12, 9, tzinfo=UTC)),
    ("Mon, 12 Feb 2024 10:00:00", datetime(2024, 2, 12, 9, tzinfo=UTC)),
    ("lun., 12 févr. 2024 10:00", datetime(2024, 2, 12, 9, tzinfo=UTC)),
    ("12 août 2024 à 10 h 15", datetime(2024, 8, 12, 8, 15, tzinfo=UTC)),
])
def test_feed_dates_are_read_as_paris_time_when_they_do_not_say(sqlite_database: Database, server: Server,
                                                              clock: Clock, written: str,
                                                              expected: datetime) -> None:
    server.route("/feed", Reply(200, rss([{"title": "t", "link": "http://example.org/d", "guid": "d",
                                           "date": written}])))
    add_source(sqlite_database, "Flux", server.url("/feed"))
    poll(sqlite_database, clock)
    stored = items(sqlite_database)[0]
    assert stored.published_at == expected and stored.date_source == "feed" and not stored.date_suspect


def test_a_missing_date_is_the_first_seen_time_and_a_future_one_is_clamped(
        database: Database, server: Server, clock: Clock) -> None:
    future = (clock.now + timedelta(days=2)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    soon = (clock.now + timedelta(minutes=10)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    server.route("/feed", Reply(200, rss([
        {"title": "sans date", "link": "http://example.org/1", "guid": "1"},
        {"title": "futur", "link": "http://example.org/2", "guid": "2", "date": future},
        {"title": "bientôt", "link": "http://example.org/3", "guid": "3", "date": soon}])))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    missing, ahead, close = items(database)
    assert missing.published_at == clock.now and missing.date_source == "first_seen"
    assert ahead.published_at == clock.now and ahead.date_suspect and "date_suspect" in ahead.flags
    assert close.published_at == clock.now + timedelta(minutes=10) and not close.date_suspect


def test_block_rules_drop_entries_before_any_fetch(database: Database, server: Server, clock: Clock) -> None:
    page = "<html><body><h1>Article</h1><p>" + "Texte. " * 100 + "</p></body></html>"
    server.route("/feed", Reply(200, rss([
        {"title": "Match au Parc", "link": server.url("/sport/psg"), "guid": "s"},
        {"title": "Horoscope du jour", "link": server.url("/vie/astro"), "guid": "h"},
        {"title": "Budget participatif", "link": server.url("/paris/budget"), "guid": "p"}])))
    server.route("/paris/budget", Reply(200, page.encode(), {"Content-Type": "text/html"}))
    server.route("/robots.txt", Reply(404, b""))
    add_source(database, "Flux", server.url("/feed"), block=["/sport/", "(?i)horoscope"])
    report = crawl(database, options_for(clock))
    assert report.items["blocked"] == 2 and report.items["new"] == 1
    assert [i.title for i in items(database)] == ["Budget participatif"]
    assert not server.requests_to("/sport/psg")


LISTING = """<!doctype html><html><head><title>Billets</title></head><body>
<ul class="liste-billets">
  <li><h2><a href="/2026/11/jardin-partage/">Un jardin partagé rue Riquet</a></h2>
      <time datetime="2026-11-12T18:30:00+01:00">12 novembre</time></li>
  <li><h2><a href="/2026/11/ecole/">L'école Tandou rouvre</a></h2><time datetime="2026-11-10T09:00:00+01:00">10</time></li>
  <li><h2><a href="/sport/match/">Match du dimanche</a></h2><time datetime="2026-11-09T09:00:00+01:00">9</time></li>
</ul>
<aside><a href="/2026/11/jardin-partage/">Un jardin partagé rue Riquet</a></aside></body></html>"""


@pytest.mark.parametrize("rules", [
    {"item": "//ul[@class='liste-billets']/li", "title": "./h2/a", "link": "./h2/a/@href",
     "date": "./time/@datetime"},
    {"item": "ul.liste-billets li", "title": "h2 a", "link": "h2 a", "date": "time"},
])
def test_a_listing_page_yields_the_same_items_as_a_feed(database: Database, server: Server, clock: Clock,
                                                        rules: dict[str, str]) -> None:
    server.route("/actualites/", Reply(200, LISTING.encode(), {"Content-Type": "text/html; charset=utf-8"}))
    server.route("/robots.txt", Reply(200, b"User-agent: *\nDisallow: /admin/\n", {"Content-Type": "text/plain"}))
    add_source(database, "Blog", server.url("/actualites/"), kind="page", rules=rules, block=["/sport/"])
    report = poll(database, clock)
    assert report.outcomes == {"ok": 1} and report.items == {"new": 2, "blocked": 1}
    first, second = items(database)
    assert first.title == "Un jardin partagé rue Riquet"
    assert first.canonical_url == server.url("/2026/11/jardin-partage/")
    if "@datetime" in rules["date"]:
        assert first.published_at == datetime(2026, 11, 12, 17, 30, tzinfo=UTC)


def test_a_listing_page_disallowed_by_robots_is_not_fetched(database: Database, server: Server,
                                                            clock: Clock) -> None:
    server.route("/actualites/", Reply(200, LISTING.encode(), {"Content-Type": "text/html"}))
    server.route("/robots.txt", Reply(200, b"User-agent: veille-test\nDisallow: /actualites/\n"))
    add_source(database, "Blog", server.url("/actualites/"), kind="page",
               rules={"item": "li", "title": "h2 a", "link": "h2 a"})
    report = poll(database, clock)
    assert report.outcomes == {"robots_blocked": 1}
    assert not server.requests_to("/actualites/")


def test_a_crash_mid_crawl_loses_nothing_and_the_rerun_adds_no_duplicate(
        database: Database, server: Server, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    import watch.polling as polling

    server.route("/feed", Reply(200, rss(entries(10))))
    add_source(database, "Flux", server.url("/feed"))
    real = polling.store_entry
    calls = {"n": 0}

    def crashing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 6:
            raise RuntimeError("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(polling, "store_entry", crashing)
    report = poll(database, clock)
    assert report.outcomes == {"error": 1}
    assert count(database, Item) == 5  # every entry before the crash was committed
    monkeypatch.setattr(polling, "store_entry", real)
    clock.advance(seconds=1)
    poll(database, clock)
    assert count(database, Item) == 10 and count(database, ItemSource) == 10
    with database.reader() as session:
        assert session.scalars(select(Source.claimed_by)).one() is None
