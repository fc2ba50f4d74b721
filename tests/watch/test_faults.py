"""Faults: slow, hanging, unresolvable and TLS-broken sources never hold up the others or the tick."""

from __future__ import annotations

import time

from sqlalchemy import select

from models import Database, Source
from watch import crawl

from .conftest import Clock, Reply, add_source, options_for, rss


def test_a_tick_with_broken_sources_ends_on_time_and_polls_the_others(database: Database, make_server,
                                                                      clock: Clock) -> None:
    good, bad = make_server(), make_server()

    def trickle(handler) -> None:
        for _ in range(100):
            handler.wfile.write(b" ")
            handler.wfile.flush()
            time.sleep(0.1)

    bad.route("/slow", Reply(200, headers={"Content-Length": "500"}, stream=trickle))
    bad.route("/hang", Reply(200, headers={"Content-Length": "500"}, stream=lambda handler: time.sleep(8)))
    for n in range(4):
        good.route(f"/f{n}", Reply(200, rss([{"title": f"t{n}", "link": f"http://example.org/{n}", "guid": f"{n}"}])))
        add_source(database, f"good-{n}", good.url(f"/f{n}"))
    add_source(database, "slow", bad.url("/slow"))
    add_source(database, "hang", bad.url("/hang"))
    add_source(database, "dns", "http://no-such-outlet.invalid/rss")
    add_source(database, "tls", f"https://127.0.0.1:{good.port}/rss")
    options = options_for(clock, http_total_timeout=2.0, http_read_timeout=1.0, concurrency=4)
    started = time.monotonic()
    report = crawl(database, options, deadline=started + 6, fetch_articles=False)
    elapsed = time.monotonic() - started
    assert elapsed < 6.5
    assert report.outcomes["ok"] == 4
    with database.reader() as session:
        outcomes = dict(session.execute(select(Source.name, Source.last_outcome)).all())
    assert {outcomes[k] for k in ("slow", "hang")} == {"timeout"}
    assert outcomes["dns"] == "dns" and outcomes["tls"] in ("tls", "connect")


def test_sources_not_reached_before_the_deadline_are_released_for_the_next_tick(database: Database, make_server,
                                                                                clock: Clock) -> None:
    server = make_server()
    server.route("/f", Reply(200, rss([{"title": "t", "link": "http://example.org/x", "guid": "x"}])))
    for n in range(5):
        add_source(database, f"s{n}", server.url(f"/f?n={n}"))
    options = options_for(clock, http_total_timeout=1.0, http_min_host_gap=0.4, concurrency=1)
    report = crawl(database, options, deadline=time.monotonic() + 1.9, fetch_articles=False)
    assert 1 <= report.sources < 5 and report.deferred_sources == 5 - report.sources
    with database.reader() as session:
        assert all(s.claimed_by is None for s in session.scalars(select(Source)))
    later = crawl(database, options, due_only=True, fetch_articles=False)
    assert later.sources == 5 - report.sources
