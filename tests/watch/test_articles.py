"""Article pages: stored before fetch, robots.txt, retries, content types, canonical links."""

from __future__ import annotations

import zlib
from datetime import timedelta

from sqlalchemy import func, select

from models import Database, Item, ItemPage, ItemSource, ItemState
from watch import crawl

from .conftest import Clock, Reply, Server, add_source, html_page, options_for, rss

HTML = {"Content-Type": "text/html; charset=utf-8"}


def items(db: Database) -> list[Item]:
    with db.reader() as session:
        return list(session.scalars(select(Item).order_by(Item.id)))


def feed_of(server: Server, paths: list[str]) -> bytes:
    return rss([{"title": f"Article {p}", "link": server.url(p), "guid": p, "description": f"Résumé {p}"}
                for p in paths])


def test_new_items_are_fetched_and_their_pages_stored(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/a1", "/a2"])))
    server.route("/robots.txt", Reply(404, b""))
    for path in ("/a1", "/a2"):
        server.route(path, Reply(200, html_page(path), HTML))
    add_source(database, "Flux", server.url("/feed"))
    report = crawl(database, options_for(clock))
    assert report.articles == {"fetched": 2}
    with database.reader() as session:
        page = session.get(ItemPage, items(database)[0].id)
        assert zlib.decompress(page.body) == html_page("/a1")
        assert page.content_type == "text/html" and page.encoding == "utf-8"
    assert all(i.state == ItemState.fetched.value and i.final_url for i in items(database))


def test_an_item_is_stored_before_its_article_is_fetched(database: Database, server: Server,
                                                         clock: Clock) -> None:
    seen_states = []

    def article(request):
        seen_states.extend(i.state for i in items(database))
        return Reply(200, html_page("a"), HTML)

    server.route("/feed", Reply(200, feed_of(server, ["/a1"])))
    server.route("/a1", article)
    add_source(database, "Flux", server.url("/feed"))
    crawl(database, options_for(clock))
    assert seen_states == ["discovered"]


def test_robots_txt_is_honoured_for_articles_and_cached(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/prive/1", "/public/1", "/public/2"])))
    server.route("/robots.txt", Reply(200, b"User-agent: veille-test\nDisallow: /prive/\n"))
    server.route("/public/1", Reply(200, html_page("p1"), HTML))
    server.route("/public/2", Reply(200, html_page("p2"), HTML))
    add_source(database, "Flux", server.url("/feed"))
    report = crawl(database, options_for(clock))
    assert report.articles == {"fetched": 2, "robots_blocked": 1}
    assert not server.requests_to("/prive/1")
    assert len(server.requests_to("/robots.txt")) == 1
    blocked = items(database)[0]
    assert blocked.state == "fetched" and "robots_blocked" in blocked.flags and blocked.summary


def test_a_failed_article_is_retried_with_backoff_then_keeps_the_summary(
        database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/flaky"])))
    server.route("/robots.txt", Reply(404, b""))
    server.route("/flaky", Reply(500, b"oops"))
    add_source(database, "Flux", server.url("/feed"))
    options = options_for(clock, article_retries=3, article_backoff_base=60)
    assert crawl(database, options).articles == {"retry": 1}
    item = items(database)[0]
    assert item.state == "discovered" and item.fetch_attempts == 1
    assert item.next_fetch_at == clock.now + timedelta(seconds=60)
    assert crawl(database, options).articles == {}  # not due yet
    clock.advance(seconds=61)
    assert crawl(database, options).articles == {"retry": 1}
    clock.advance(seconds=121)
    assert crawl(database, options).articles == {"failed": 1}
    item = items(database)[0]
    assert item.state == "fetched" and "fetch_failed" in item.flags and item.summary == "Résumé /flaky"
    assert len(server.requests_to("/flaky")) == 3


def test_a_non_html_article_is_skipped(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/doc.pdf"])))
    server.route("/doc.pdf", Reply(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}))
    add_source(database, "Flux", server.url("/feed"))
    report = crawl(database, options_for(clock))
    assert report.articles == {"skipped_content_type": 1}
    assert "skipped_content_type" in items(database)[0].flags


def test_an_oversized_article_is_given_up_at_once(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/huge"])))
    server.route("/huge", Reply(200, b"<html>" + b"x" * 3000 + b"</html>", HTML))
    add_source(database, "Flux", server.url("/feed"))
    report = crawl(database, options_for(clock, max_article_bytes=1000))
    assert report.articles == {"too_large": 1}
    assert items(database)[0].state == "fetched"


def test_a_canonical_link_replaces_the_listed_url(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/amp/article-1"])))
    server.route("/amp/article-1", Reply(200, html_page("a", canonical="/article-1"), HTML))
    add_source(database, "Flux", server.url("/feed"))
    crawl(database, options_for(clock))
    assert items(database)[0].canonical_url == server.url("/article-1")


def test_a_canonical_link_to_a_known_item_merges_the_two(database: Database, make_server, clock: Clock) -> None:
    outlet, partner = make_server(), make_server()
    outlet.route("/feed", Reply(200, feed_of(outlet, ["/article-1"])))
    outlet.route("/article-1", Reply(200, html_page("a"), HTML))
    partner.route("/feed", Reply(200, feed_of(partner, ["/reprise"])))
    # The partner's page says the original is the outlet's article (same host rule: redirect there).
    partner.route("/reprise", Reply(301, headers={"Location": outlet.url("/article-1-amp")}))
    outlet.route("/article-1-amp", Reply(200, html_page("a", canonical=outlet.url("/article-1")), HTML))
    add_source(database, "Outlet", outlet.url("/feed"))
    crawl(database, options_for(clock))
    add_source(database, "Partner", partner.url("/feed"))
    report = crawl(database, options_for(clock))
    assert report.articles == {"merged": 1}
    assert len(items(database)) == 1
    with database.reader() as session:
        assert session.scalar(select(func.count(ItemSource.id))) == 2


def test_a_canonical_link_to_another_host_is_ignored(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/a"])))
    server.route("/a", Reply(200, html_page("a", canonical="https://elsewhere.example/stolen"), HTML))
    add_source(database, "Flux", server.url("/feed"))
    crawl(database, options_for(clock))
    assert items(database)[0].canonical_url == server.url("/a")


def test_an_article_rate_limit_defers_the_host_without_counting_an_attempt(
        database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, feed_of(server, ["/a", "/b"])))
    server.route("/a", Reply(429, b"", {"Retry-After": "600"}))
    server.route("/b", Reply(200, html_page("b"), HTML))
    add_source(database, "Flux", server.url("/feed"))
    report = crawl(database, options_for(clock, concurrency=1))
    assert report.articles == {"rate_limited": 2}  # the second waits too: same host
    assert not server.requests_to("/b")
    for item in items(database):
        assert item.fetch_attempts == 0 and item.next_fetch_at == clock.now + timedelta(seconds=600)
