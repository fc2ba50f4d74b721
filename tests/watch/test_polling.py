"""Polling a feed: conditional GET, body hash, unconditional refresh, backoff, Retry-After, 410."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import Database, Host, Item, Source
from watch import crawl

from .conftest import Clock, Reply, Server, add_source, options_for, rss

ITEMS = [{"title": f"Article {n}", "link": f"http://example.org/a/{n}", "guid": f"g{n}",
          "date": "Mon, 16 Nov 2026 08:00:00 +0100"} for n in range(3)]


def source(db: Database, name: str = "Flux") -> Source:
    with db.reader() as session:
        return session.scalars(select(Source).where(Source.name == name)).one()


def item_count(db: Database) -> int:
    with db.reader() as session:
        return session.scalar(select(func.count(Item.id)))


def poll(db: Database, clock: Clock, **overrides: object):
    return crawl(db, options_for(clock, **overrides), fetch_articles=False)


def test_validators_are_stored_and_sent_and_a_304_parses_nothing(database: Database, server: Server,
                                                                 clock: Clock) -> None:
    body = rss(ITEMS)

    def feed(request):  # answers 304 when the validators match
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304)
        return Reply(200, body, {"ETag": '"v1"', "Last-Modified": "Mon, 16 Nov 2026 08:00:00 GMT"})

    server.route("/feed", feed)
    add_source(database, "Flux", server.url("/feed"))
    first = poll(database, clock)
    assert first.items["new"] == 3
    stored = source(database)
    assert (stored.etag, stored.last_modified) == ('"v1"', "Mon, 16 Nov 2026 08:00:00 GMT")
    clock.advance(hours=1)
    second = poll(database, clock)
    assert server.log[-1].headers["if-none-match"] == '"v1"'
    assert server.log[-1].headers["if-modified-since"] == "Mon, 16 Nov 2026 08:00:00 GMT"
    assert second.outcomes == {"not_modified": 1} and not second.items
    after = source(database)
    assert after.last_checked_at == clock.now and after.consecutive_failures == 0
    assert item_count(database) == 3


def test_a_server_changing_one_validator_changes_only_that_one(database: Database, server: Server,
                                                              clock: Clock) -> None:
    versions = iter([("a", {"ETag": '"e1"', "Last-Modified": "Mon, 16 Nov 2026 08:00:00 GMT"}),
                     ("b", {"ETag": '"e2"'})])

    def feed(request):
        marker, headers = next(versions)
        return Reply(200, rss(ITEMS, title=marker), headers)

    server.route("/feed", feed)
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    clock.advance(hours=1)
    poll(database, clock)
    stored = source(database)
    assert stored.etag == '"e2"' and stored.last_modified == "Mon, 16 Nov 2026 08:00:00 GMT"


def test_after_twelve_hours_one_request_goes_out_without_validators(database: Database, server: Server,
                                                                   clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(ITEMS), {"ETag": '"v1"'}))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    assert "if-none-match" not in server.log[0].headers
    clock.advance(hours=1)
    poll(database, clock)
    assert server.log[1].headers.get("if-none-match") == '"v1"'
    clock.advance(hours=11, minutes=1)
    poll(database, clock)
    assert "if-none-match" not in server.log[2].headers


def test_the_same_body_again_is_not_parsed(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(ITEMS)))  # no validators at all
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    clock.advance(hours=1)
    again = poll(database, clock)
    assert again.outcomes == {"not_modified": 1}
    assert source(database).last_outcome == "not_modified"


def test_failures_back_off_exponentially_and_a_success_resets(database: Database, server: Server,
                                                             clock: Clock) -> None:
    replies = [Reply(500, b"down")] * 3 + [Reply(200, rss(ITEMS))]
    server.route("/feed", lambda request: replies[len(server.requests_to("/feed")) - 1])
    add_source(database, "Flux", server.url("/feed"))
    delays = []
    for _ in range(3):
        poll(database, clock, backoff_base=300)
        stored = source(database)
        delays.append((stored.next_check_at - clock.now).total_seconds())
        clock.now = stored.next_check_at
    assert delays == [300, 600, 1200]
    assert source(database).consecutive_failures == 3
    assert source(database).error_counts == {"http_5xx": 3}
    poll(database, clock, backoff_base=300)
    stored = source(database)
    assert stored.consecutive_failures == 0 and stored.last_success_at == clock.now
    assert stored.first_failure_at is None


def test_backoff_is_capped(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(500, b"down"))
    add_source(database, "Flux", server.url("/feed"))
    for _ in range(12):
        poll(database, clock, backoff_base=300, backoff_max=86400)
        clock.now = source(database).next_check_at
    stored = source(database)
    assert stored.enabled
    assert (stored.next_check_at - stored.last_checked_at) == timedelta(seconds=86400)


def test_retry_after_reschedules_the_source_and_its_host_without_an_error(
        database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(429, b"slow down", {"Retry-After": "120"}))
    server.route("/other", Reply(200, rss(ITEMS)))
    add_source(database, "Flux", server.url("/feed"))
    add_source(database, "Autre", server.url("/other"))
    poll(database, clock, batch_size=1)  # only "Flux" (oldest first, then id)
    limited = source(database)
    assert limited.next_check_at == clock.now + timedelta(seconds=120)
    assert limited.consecutive_failures == 0 and limited.last_outcome == "rate_limited"
    other = source(database, "Autre")
    assert other.next_check_at >= clock.now + timedelta(seconds=120)
    with database.reader() as session:
        host = session.get(Host, f"127.0.0.1:{server.port}")
        assert host.retry_after_until == clock.now + timedelta(seconds=120)
    # A crawl before that time does not touch the host.
    clock.advance(seconds=60)
    report = poll(database, clock)
    assert report.sources == 0 and len(server.log) == 1


def test_a_410_disables_the_source(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(410, b"gone"))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    stored = source(database)
    assert not stored.enabled and "410" in stored.disabled_reason
    clock.advance(days=1)
    assert poll(database, clock).sources == 0


def test_thirty_days_of_failure_disable_the_source(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(503, b"down", {"Retry-After": "nonsense"}))
    server.route("/feed", Reply(500, b"down"))
    add_source(database, "Flux", server.url("/feed"))
    poll(database, clock)
    assert source(database).enabled
    clock.advance(days=29)
    poll(database, clock)
    assert source(database).enabled
    clock.advance(days=1, minutes=1)
    poll(database, clock)
    stored = source(database)
    assert not stored.enabled and "30 days" in stored.disabled_reason


def test_the_adaptive_interval_is_a_week_divided_by_the_entries_of_the_week(clock: Clock) -> None:
    from watch.schedule import adaptive_interval

    week = [clock.now - timedelta(hours=n) for n in range(100)]
    assert adaptive_interval(week, clock.now, minimum=300, maximum=86400) == 6048
    assert adaptive_interval(week * 30, clock.now, minimum=300, maximum=3600) == 300
    assert adaptive_interval([clock.now - timedelta(days=30)], clock.now, minimum=300, maximum=3600) == 3600
    assert adaptive_interval([None], clock.now, minimum=300, maximum=3600) == 3600


def test_server_hints_are_a_lower_bound_capped_at_two_hours(database: Database, server: Server,
                                                          clock: Clock) -> None:
    recent = [{"title": f"A{n}", "link": f"http://example.org/b/{n}", "guid": f"b{n}",
               "date": (clock.now - timedelta(minutes=10 * n)).strftime("%a, %d %b %Y %H:%M:%S +0000")}
              for n in range(200)]
    server.route("/busy", Reply(200, rss(recent)))
    server.route("/quiet", Reply(200, rss([{"title": "old", "link": "http://example.org/old", "guid": "o",
                                            "date": "Mon, 02 Jan 2023 08:00:00 +0000"}])))
    server.route("/ttl", Reply(200, rss(recent, extra="<ttl>90</ttl>")))
    server.route("/maxage", Reply(200, rss(recent), {"Cache-Control": "public, max-age=100000"}))
    for name in ("busy", "quiet", "ttl", "maxage"):
        add_source(database, name, server.url(f"/{name}"))
    poll(database, clock)
    intervals = {name: (source(database, name).next_check_at - clock.now).total_seconds()
                 for name in ("busy", "quiet", "ttl", "maxage")}
    assert intervals == {"busy": 3024, "quiet": 3600, "ttl": 5400, "maxage": 7200}


def test_jitter_spreads_next_checks_within_ten_percent(database: Database, server: Server, clock: Clock) -> None:
    server.route("/feed", Reply(200, rss(ITEMS[:0] + [{"title": "x", "link": "http://example.org/x", "guid": "x",
                                                        "date": "Mon, 02 Jan 2023 08:00:00 +0000"}])))
    for n in range(20):
        add_source(database, f"F{n}", server.url("/feed") + f"?n={n}")
    crawl(database, options_for(clock, jitter=0.1), fetch_articles=False)
    with database.reader() as session:
        delays = [(s.next_check_at - clock.now).total_seconds() for s in session.scalars(select(Source))]
    assert all(3240 <= d <= 3960 for d in delays)
    assert len(set(delays)) > 10


def test_two_workers_never_claim_the_same_source(database: Database, server: Server, clock: Clock) -> None:
    from watch.polling import claim_sources

    for n in range(10):
        add_source(database, f"F{n}", server.url(f"/f{n}"))
    first = claim_sources(database, options_for(clock, worker_id="w1", batch_size=6))
    second = claim_sources(database, options_for(clock, worker_id="w2", batch_size=6))
    assert len(first) == 6 and len(second) == 4 and not set(first) & set(second)
    clock.advance(seconds=901)  # claims expire: a killed worker never holds a source for ever
    assert len(claim_sources(database, options_for(clock, worker_id="w3", batch_size=20))) == 10


def test_a_permanent_redirect_is_followed_directly_after_three_observations(
        database: Database, server: Server, clock: Clock) -> None:
    server.route("/old", Reply(301, headers={"Location": "/new"}))
    server.route("/new", Reply(200, rss(ITEMS), {"ETag": '"n"'}))
    add_source(database, "Flux", server.url("/old"))
    for _ in range(4):
        poll(database, clock)
        clock.advance(hours=2)
    assert [r.path for r in server.log] == ["/old", "/new"] * 3 + ["/new"]
    stored = source(database)
    assert stored.url == server.url("/old") and stored.redirect_url == server.url("/new")


def test_requests_to_one_host_keep_the_minimum_gap_across_sources_and_articles(
        database: Database, server: Server, clock: Clock) -> None:
    page = b"<html><head><title>a</title></head><body><p>texte</p></body></html>"
    for n in range(3):
        server.route(f"/f{n}", Reply(200, rss([{"title": f"t{n}", "link": server.url(f"/a{n}"), "guid": f"{n}"}])))
        server.route(f"/a{n}", Reply(200, page, {"Content-Type": "text/html"}))
        add_source(database, f"F{n}", server.url(f"/f{n}"))
    server.route("/robots.txt", Reply(404, b""))
    crawl(database, options_for(clock, http_min_host_gap=0.25, concurrency=4))
    times = sorted(r.at for r in server.log)
    assert len(times) == 7 and server.max_active == 1
    assert all(b - a >= 0.24 for a, b in zip(times, times[1:])), times


def test_the_scheduler_tick_polls_only_due_sources(app, server: Server) -> None:
    from veille.jobs.crawl import crawl_tick
    from veille.scheduler import job_specs

    assert any(spec.target == "veille.jobs.crawl:crawl_tick" for spec in job_specs(app))
    server.route("/feed", Reply(200, rss(ITEMS)))
    add_source(app.db, "Flux", server.url("/feed"))
    first = crawl_tick(app)
    assert first.sources == 1 and first.items["new"] == 3
    again = crawl_tick(app)  # next check is minutes away: nothing is due
    assert again.sources == 0 and len(server.requests_to("/feed")) == 1
