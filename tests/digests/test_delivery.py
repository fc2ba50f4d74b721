"""Delivery by SMTP to a real aiosmtpd server on loopback: once per recipient, retried when the
server is down, never twice, even with two senders at once."""

from __future__ import annotations

import email
import threading
from datetime import datetime, timedelta, timezone
from email import policy

from sqlalchemy import select, update

from models import Database, Delivery
from veille.core import Veille
from veille.jobs.digest import publish_review, send_reviews

from .conftest import RECIPIENTS, SmtpSink, fill


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now


def deliveries(database: Database) -> list[Delivery]:
    with database.reader() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.recipient)))


def test_a_published_review_reaches_each_recipient_once(digest_app: Veille, database: Database,
                                                        smtp_port: int) -> None:
    fill(database)
    publish_review(digest_app, "environment", "2026-W47")
    sink = SmtpSink(smtp_port).start()
    try:
        report = send_reviews(digest_app)
        again = send_reviews(digest_app)
    finally:
        sink.stop()
    assert (report.sent, report.retry, report.failed) == (2, 0, 0)
    assert again.sent == 0
    assert sorted(r for e in sink.envelopes for r in e.rcpt_tos) == sorted(RECIPIENTS)
    message = email.message_from_bytes(sink.envelopes[0].content, policy=policy.default)
    assert message["Subject"] == "Revue de presse Environnement – semaine du 16 au 22 novembre 2026"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Les cours Oasis du 11e, un an après" in text and "Île-de-France" in text
    assert 'href="https://veille.example.org/reviews/environment/2026-W47"' in html
    assert "<img" not in html and "<style" not in html
    stored = deliveries(database)
    assert {d.status for d in stored} == {"sent"}
    assert {d.message_id for d in stored} == {e["Message-ID"] for e in (
        email.message_from_bytes(env.content, policy=policy.default) for env in sink.envelopes)}


def test_drafts_are_never_sent_and_dry_run_sends_nothing(digest_app: Veille, database: Database,
                                                         smtp_port: int) -> None:
    fill(database)
    sink = SmtpSink(smtp_port).start()
    try:
        assert send_reviews(digest_app).sent == 0  # the review is still a draft
        publish_review(digest_app, "environment", "2026-W47")
        dry = send_reviews(digest_app, dry_run=True)
    finally:
        sink.stop()
    assert len(dry.lines) == 2 and all("2026-W47" in line for line in dry.lines)
    assert sink.envelopes == [] and {d.status for d in deliveries(database)} == {"pending"}


def test_a_server_that_is_down_means_a_retry_later_not_a_loss(digest_app: Veille, database: Database,
                                                              smtp_port: int) -> None:
    fill(database)
    publish_review(digest_app, "environment", "2026-W47")
    clock = Clock()
    down = send_reviews(digest_app, now=clock)
    assert (down.sent, down.retry) == (0, 1)  # the first attempt failed; the batch stopped there
    first = [d for d in deliveries(database) if d.attempts][0]
    assert first.status == "retry" and "unreachable" in (first.error or "")
    assert first.next_attempt_at == clock.now + timedelta(minutes=10)
    sink = SmtpSink(smtp_port).start()
    try:
        early = send_reviews(digest_app, now=clock)  # the other recipient goes; the first waits
        clock.now += timedelta(minutes=11)
        later = send_reviews(digest_app, now=clock)
    finally:
        sink.stop()
    assert (early.sent, later.sent) == (1, 1)
    assert sorted(r for e in sink.envelopes for r in e.rcpt_tos) == sorted(RECIPIENTS)
    assert {d.status for d in deliveries(database)} == {"sent"}


def test_a_refused_address_fails_for_good_without_blocking_the_others(digest_app: Veille, database: Database,
                                                                       smtp_port: int) -> None:
    fill(database)
    digest_app.settings.digests.groups["environment"].recipients.append("refuse@example.org")
    publish_review(digest_app, "environment", "2026-W47")  # creates the three deliveries
    sink = SmtpSink(smtp_port).start()
    try:
        report = send_reviews(digest_app)
    finally:
        sink.stop()
    assert (report.sent, report.failed) == (2, 1)
    refused = [d for d in deliveries(database) if d.recipient == "refuse@example.org"][0]
    assert refused.status == "failed" and "550" in (refused.error or "")


def test_a_recipient_added_later_gets_only_the_weeks_sent_explicitly(digest_app: Veille, database: Database,
                                                                    smtp_port: int) -> None:
    fill(database)
    publish_review(digest_app, "environment", "2026-W47")
    sink = SmtpSink(smtp_port).start()
    try:
        assert send_reviews(digest_app).sent == 2
        digest_app.settings.digests.groups["environment"].recipients.append("nouveau@example.org")
        assert send_reviews(digest_app).sent == 0  # no back issues on the scheduler's rounds
        assert send_reviews(digest_app, week="2026-W47").sent == 1  # the operator asked for this week
    finally:
        sink.stop()
    assert sorted(r for e in sink.envelopes for r in e.rcpt_tos)[-1] == "nouveau@example.org"


def test_two_senders_at_once_deliver_each_email_once(digest_app: Veille, database: Database,
                                                     smtp_port: int) -> None:
    fill(database)
    for n in range(6):
        digest_app.settings.digests.groups["environment"].recipients.append(f"membre{n}@example.org")
    publish_review(digest_app, "environment", "2026-W47")  # one delivery per recipient, created here
    sink = SmtpSink(smtp_port, delay=0.05).start()
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        barrier.wait()
        reports.append(send_reviews(digest_app))

    threads = [threading.Thread(target=run) for _ in range(2)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sink.stop()
    received = [r for e in sink.envelopes for r in e.rcpt_tos]
    assert len(received) == len(set(received)) == 8
    assert sum(r.sent for r in reports) == 8


def test_an_interrupted_send_is_reported_and_only_resent_on_request(digest_app: Veille, database: Database,
                                                                      smtp_port: int) -> None:
    fill(database)
    publish_review(digest_app, "environment", "2026-W47")
    clock = Clock()
    with database.transaction() as session:  # a sender died between its claim and its record
        stuck = session.scalars(select(Delivery).order_by(Delivery.recipient)).first()
        assert stuck is not None
        session.execute(update(Delivery).where(Delivery.id == stuck.id).values(
            status="sending", claimed_at=clock.now - timedelta(hours=3), attempts=1,
            message_id="<stuck@example.org>"))
    sink = SmtpSink(smtp_port).start()
    try:
        first = send_reviews(digest_app, now=clock)
        assert first.sent == 1 and first.interrupted == 1
        recovered = send_reviews(digest_app, now=clock, recover=True)
    finally:
        sink.stop()
    assert recovered.recovered == 1 and recovered.sent == 1
    ids = [email.message_from_bytes(e.content, policy=policy.default)["Message-ID"] for e in sink.envelopes]
    assert "<stuck@example.org>" in ids and len(sink.envelopes) == 2
