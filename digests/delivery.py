"""Delivery of published reviews: a `Delivery` row per recipient, claimed before each send,
so that a retry, a second `veille digest send` or a second scheduler never sends twice.

States: ``pending`` → ``sending`` (claimed: attempts + 1, Message-ID fixed) → ``sent``;
or ``retry`` (a temporary failure: tried again after ``retry_minutes × attempts``) until
``max_attempts``, then ``failed``; a permanent refusal (5xx) is ``failed`` at once.

The claim is a compare-and-set (``UPDATE … WHERE status IN ('pending', 'retry')``): of two
senders, one updates the row and the other sees zero rows and moves on, on SQLite (writers
take the lock at BEGIN) as on PostgreSQL (the second UPDATE waits, then re-checks the
condition). A process killed between the SMTP transaction and the record leaves the row in
``sending``: it is never retried on its own, since the message may have gone out;
`recover_interrupted` (``veille digest send --recover``) puts such rows back to ``retry``,
and the resend reuses the stored Message-ID so mail clients can spot a duplicate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from models import Database, Delivery, Digest

from .context import Review
from .mail import Mailer, SendError, SmtpOptions, build_message, new_message_id
from .render import RenderedEmail, render_email

log = logging.getLogger(__name__)

CLAIMABLE = ("pending", "retry")


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)  # "group week → recipient"
    retry: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: int = 0  # claimed by someone else meanwhile
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [f"{len(self.sent)} sent", f"{len(self.retry)} to retry", f"{len(self.failed)} failed"]
        if self.skipped:
            parts.append(f"{self.skipped} taken by another sender")
        return ", ".join(parts)


def ensure_deliveries(session: Session, digest: Digest, recipients: list[str] | tuple[str, ...]) -> int:
    """Create the missing rows (one per recipient) of a published review; the number created."""
    existing = set(session.scalars(select(Delivery.recipient).where(Delivery.digest_id == digest.id)))
    created = 0
    for recipient in dict.fromkeys(r.strip() for r in recipients if r.strip()):
        if recipient not in existing:
            session.add(Delivery(digest_id=digest.id, recipient=recipient, status="pending"))
            created += 1
    session.flush()
    return created


def due(session: Session, now: datetime, digest_ids: list[int] | None = None) -> list[int]:
    """Deliveries that may be sent now, oldest first."""
    query = (select(Delivery.id).join(Digest)
             .where(Digest.status == "published", Delivery.status.in_(CLAIMABLE),
                    or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
             .order_by(Delivery.id))
    if digest_ids is not None:
        query = query.where(Delivery.digest_id.in_(digest_ids))
    return list(session.scalars(query))


def claim(session: Session, delivery_id: int, worker: str, now: datetime, sender: str) -> bool:
    """Take one delivery for sending; False when another sender got it first."""
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status.in_(CLAIMABLE),
               or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now))
        .values(status="sending", claimed_by=worker, claimed_at=now, attempts=Delivery.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return False
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    if not delivery.message_id:
        delivery.message_id = new_message_id(sender)
    return True


def record_sent(session: Session, delivery_id: int, now: datetime) -> None:
    session.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == "sending")
                    .values(status="sent", sent_at=now, error=None, next_attempt_at=None))


def record_failure(session: Session, delivery_id: int, error: SendError, now: datetime,
                   options: SmtpOptions) -> str:
    """``retry`` (later) or ``failed`` (permanent, or out of attempts); the state it ends in."""
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    assert delivery is not None
    if error.permanent or delivery.attempts >= options.max_attempts:
        delivery.status, delivery.next_attempt_at = "failed", None
    else:
        delivery.status = "retry"
        delivery.next_attempt_at = now + timedelta(minutes=options.retry_minutes * delivery.attempts)
    delivery.error = str(error)[:2000]
    return delivery.status


def recover_interrupted(session: Session, now: datetime, older_than: timedelta) -> list[int]:
    """Put back to ``retry`` the deliveries left in ``sending`` by a process that died."""
    stale = list(session.scalars(select(Delivery.id).where(Delivery.status == "sending",
                                                            Delivery.claimed_at < now - older_than)))
    if stale:
        session.execute(update(Delivery).where(Delivery.id.in_(stale))
                        .values(status="retry", next_attempt_at=None,
                                error="interrupted while sending; it may have been delivered, "
                                      "sent again with the same Message-ID")
                        .execution_options(synchronize_session=False))
    return stale


def interrupted(session: Session, now: datetime, older_than: timedelta) -> int:
    return len(list(session.scalars(select(Delivery.id).where(Delivery.status == "sending",
                                                               Delivery.claimed_at < now - older_than))))


def email_of(digest: Digest) -> RenderedEmail:
    """The e-mail of a published review, from the context frozen at publication."""
    if not digest.context:
        raise ValueError(f"review {digest.group} {digest.week} has no frozen context: publish it first")
    return render_email(Review.model_validate(digest.context))


def deliver(db: Database, options: SmtpOptions, *, worker: str, now: Callable[[], datetime],
            digest_ids: list[int] | None = None, mailer: Mailer | None = None) -> DeliveryReport:
    """Send every due delivery once; each claim and each outcome is its own transaction."""
    report = DeliveryReport()
    with db.reader() as session:
        pending = due(session, now(), digest_ids)
    if not pending:
        return report
    emails: dict[int, RenderedEmail] = {}
    own_mailer = mailer is None
    mailer = mailer or Mailer(options)
    try:
        for delivery_id in pending:
            with db.transaction() as session:
                if not claim(session, delivery_id, worker, now(), options.sender):
                    report.skipped += 1
                    continue
                delivery = session.get(Delivery, delivery_id)
                assert delivery is not None
                digest = delivery.digest
                label = f"{digest.group} {digest.week} → {delivery.recipient}"
                if digest.id not in emails:
                    emails[digest.id] = email_of(digest)
                review_url = (digest.context or {}).get("url")
                message = build_message(emails[digest.id], sender=options.sender, recipient=delivery.recipient,
                                        message_id=delivery.message_id or "", review_url=review_url)
            try:
                mailer.send(message)
            except SendError as error:
                with db.transaction() as session:
                    state = record_failure(session, delivery_id, error, now(), options)
                (report.failed if state == "failed" else report.retry).append(label)
                report.errors.append(f"{label}: {error}")
                log.warning("delivery %s (%s): %s", delivery_id, state, error)
                if error.connection:
                    break  # the server is down: leave the rest unclaimed for the next run
                continue
            with db.transaction() as session:
                record_sent(session, delivery_id, now())
            report.sent.append(label)
            log.info("delivery %s sent: %s", delivery_id, label)
    finally:
        if own_mailer:
            mailer.close()
    return report
