"""Weekly reviews: build every format of each group's review, publish, and deliver by e-mail.

`build_reviews` writes ``out/reviews/<week>/<group>.{html,md,txt,pdf,eml}`` and
``out/reviews/<group>.atom``. A draft is assembled afresh from the archive at each build; a
published review is rendered from the context frozen when it was published, so what members
received never changes afterwards.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from digests import (GroupOptions, Review, ReviewOptions, SmtpOptions, Week, assemble_review, build_message,
                     deliver, ensure_deliveries, last_complete_week, load_review, parse_week, recover_interrupted,
                     render_atom, render_review)
from digests.delivery import interrupted
from models import Delivery, Digest, User, utcnow

from ..core import Veille

log = logging.getLogger(__name__)

# CLI format names → (renderer format, file extension).
FILE_FORMATS = {"html": ("html", "html"), "md": ("markdown", "md"), "txt": ("text", "txt"),
                "pdf": ("pdf", "pdf"), "eml": ("email", "eml"), "atom": ("atom", "atom")}


class DigestJobError(ValueError):
    """Bad input to a digest job; the message says what is allowed."""


def review_options(app: Veille) -> ReviewOptions:
    """The typed options of the digests library, from the settings."""
    d = app.settings.digests
    groups = {key: GroupOptions(key=key, title=g.title, recipients=tuple(g.recipients), auto_publish=g.auto_publish)
              for key, g in d.groups.items()}
    return ReviewOptions(groups=groups, base_url=d.base_url, timezone=app.settings.timezone,
                         top_stories=d.top_stories, max_stories=d.max_stories, max_brief=d.max_brief,
                         history_weeks=d.history_weeks, public=d.public)


def smtp_options(app: Veille) -> SmtpOptions:
    s = app.settings.smtp
    password = s.password.require("smtp.password") if s.password is not None else None
    return SmtpOptions(host=s.host, port=s.port, security=s.security, username=s.username, password=password,
                       sender=s.sender, timeout=s.timeout, max_attempts=s.max_attempts,
                       retry_minutes=s.retry_minutes)


def resolve_week(app: Veille, week: str | Week | None, now: datetime | None = None) -> Week:
    if isinstance(week, Week):
        return week
    if week:
        try:
            return parse_week(week)
        except ValueError as exc:
            raise DigestJobError(str(exc)) from None
    return last_complete_week(now, app.settings.timezone)


def resolve_groups(app: Veille, groups: Iterable[str] | None) -> list[str]:
    configured = list(app.settings.digests.groups)
    if not groups:
        return configured
    unknown = [g for g in groups if g not in configured]
    if unknown:
        raise DigestJobError(f"unknown group {unknown[0]!r}; groups: {', '.join(configured)}")
    return list(dict.fromkeys(groups))


def resolve_formats(formats: Iterable[str] | str | None) -> list[str]:
    if formats is None:
        return list(FILE_FORMATS)
    names = [f.strip().lower() for f in (formats.split(",") if isinstance(formats, str) else formats) if f.strip()]
    unknown = [f for f in names if f not in FILE_FORMATS]
    if unknown or not names:
        raise DigestJobError(f"unknown format {unknown[0] if unknown else '(none)'!r}; "
                             f"formats: {','.join(FILE_FORMATS)}")
    return names


@dataclass
class BuildReport:
    week: str
    week_label: str
    files: list[Path] = field(default_factory=list)
    reviews: dict[str, dict[str, int]] = field(default_factory=dict)  # group → counts
    seconds: dict[str, float] = field(default_factory=dict)  # per format, summed over groups
    published: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "group format: error", the other files are written

    def summary(self) -> str:
        counts = "; ".join(f"{group}: {c['items']} items, {c['stories']} stories"
                           for group, c in self.reviews.items())
        extra = f"; auto-published: {', '.join(self.published)}" if self.published else ""
        folders = sorted({str(p.parent) for p in self.files if p.parent.name == self.week})
        where = f" in {folders[0]}" if len(folders) == 1 else ""
        failed = f"; FAILED: {'; '.join(self.errors)}" if self.errors else ""
        return f"{self.week} ({self.week_label}): {len(self.files)} files{where} — {counts}{extra}{failed}"


def _record_build(session: Session, group: str, week: Week, review: Review) -> Digest:
    digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == str(week)))
    if digest is None:
        digest = Digest(group=group, week=str(week), status="draft")
        session.add(digest)
    digest.built_at = utcnow()
    digest.counts = review.counts.model_dump()
    session.flush()
    return digest


def build_reviews(app: Veille, *, week: str | Week | None = None, groups: Iterable[str] | None = None,
                  formats: Iterable[str] | str | None = None, out: Path | str = Path("out"),
                  now: datetime | None = None, echo: Callable[[str], None] | None = None) -> BuildReport:
    """Assemble and write each group's review of ``week`` (default: the last complete week)."""
    the_week = resolve_week(app, week, now)
    names = resolve_groups(app, groups)
    wanted = resolve_formats(formats)
    options = review_options(app)
    folder = Path(out) / "reviews" / str(the_week)
    folder.mkdir(parents=True, exist_ok=True)
    report = BuildReport(week=str(the_week), week_label="")
    for group in names:
        started = time.perf_counter()
        with app.db.transaction() as session:
            review = load_review(session, group, the_week, options, now=now)
            _record_build(session, group, the_week, review)
            if options.group(group).auto_publish and review.status != "published":
                review = publish(session, group, the_week, options, None, now)
                report.published.append(group)
        report.seconds["assemble"] = report.seconds.get("assemble", 0.0) + time.perf_counter() - started
        report.week_label = review.week_label
        report.reviews[group] = review.counts.model_dump()
        for name in wanted:
            started = time.perf_counter()
            try:
                report.files.append(_write_format(app, options, review, group, the_week, name, Path(out), folder))
            except Exception as exc:  # a job boundary: one format failing must not lose the others
                log.exception("review %s %s: the %s format failed", group, the_week, name)
                report.errors.append(f"{group} {name}: {exc.__class__.__name__}: {exc}")
            report.seconds[name] = report.seconds.get(name, 0.0) + time.perf_counter() - started
        if echo:
            echo(f"  {group}: {review.counts.items} items, {review.counts.stories} stories → {folder}")
    return report


def _write_format(app: Veille, options: ReviewOptions, review: Review, group: str, the_week: Week, name: str,
                  out: Path, folder: Path) -> Path:
    """Render one format of one review and write it; the path written."""
    fmt, extension = FILE_FORMATS[name]
    content: str | bytes
    if fmt == "atom":
        with app.db.reader() as session:
            content = render_atom(session, group, options)
        path = out / "reviews" / f"{group}.atom"
    elif fmt == "email":
        rendered = render_review(review, "email")
        recipients = ", ".join(options.group(group).recipients) or app.settings.smtp.sender
        content = build_message(rendered, sender=app.settings.smtp.sender, recipient=recipients,
                                message_id=f"<{group}.{the_week}@veille.preview>", review_url=review.url).as_bytes()
        path = folder / f"{group}.{extension}"
    else:
        content = render_review(review, fmt)
        path = folder / f"{group}.{extension}"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def publish(session: Session, group: str, week: Week, options: ReviewOptions, user_id: int | None,
            now: datetime | None = None) -> Review:
    """Freeze the review as it is now and mark it published (the caller owns the transaction)."""
    review = assemble_review(session, group, week, options, now=now)
    review = review.model_copy(update={"status": "published"})
    digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == str(week)))
    if digest is None:
        digest = Digest(group=group, week=str(week))
        session.add(digest)
    digest.status = "published"
    digest.published_at = now or utcnow()
    digest.published_by_id = user_id
    digest.context = review.model_dump(mode="json")
    digest.counts = review.counts.model_dump()
    session.flush()
    ensure_deliveries(session, digest, list(options.group(group).recipients))
    return review


def publish_review(app: Veille, group: str, week: str | Week, user: User | int | str | None = None) -> Review:
    """Publish a group's review of a week (the web app's « Publier » and `veille digest publish`).

    ``user`` is the publishing facilitator: a `User`, its id or its name (None for the scheduler).
    """
    the_week = resolve_week(app, week)
    resolve_groups(app, [group])
    with app.db.transaction() as session:
        if isinstance(user, str):
            user_id = session.scalar(select(User.id).where(User.name == user))
            if user_id is None:
                raise DigestJobError(f"no user named {user!r}")
        else:
            user_id = user.id if isinstance(user, User) else user
        return publish(session, group, the_week, review_options(app), user_id)


@dataclass
class SendReport:
    lines: list[str] = field(default_factory=list)
    sent: int = 0
    retry: int = 0
    failed: int = 0
    skipped: int = 0
    recovered: int = 0
    interrupted: int = 0
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.dry_run:
            return f"dry run: {len(self.lines)} e-mails would be sent"
        text = f"{self.sent} sent, {self.retry} to retry, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} taken by another sender"
        if self.recovered:
            text += f", {self.recovered} interrupted sends queued again"
        if self.interrupted:
            text += (f"; {self.interrupted} interrupted while sending (may have gone out): "
                     "check, then run `veille digest send --recover`")
        return text


def send_reviews(app: Veille, *, week: str | Week | None = None, groups: Iterable[str] | None = None,
                 dry_run: bool = False, recover: bool = False,
                 now: Callable[[], datetime] | None = None) -> SendReport:
    """Deliver published reviews (all weeks, or one) to each group's recipients, each once."""
    clock = now or (lambda: datetime.now(timezone.utc))
    names = resolve_groups(app, groups)
    the_week = resolve_week(app, week) if week else None
    options = review_options(app)
    smtp = app.settings.smtp
    report = SendReport(dry_run=dry_run)
    stale = timedelta(minutes=smtp.stale_minutes)
    with app.db.transaction() as session:
        query = select(Digest).where(Digest.status == "published", Digest.group.in_(names))
        if the_week is not None:
            query = query.where(Digest.week == str(the_week))
        digests = list(session.scalars(query.order_by(Digest.week, Digest.group)))
        if not dry_run:
            # Deliveries are created at publication; a week named explicitly also reaches the
            # recipients added since. Without --week, a new member never gets the back issues.
            if the_week is not None:
                for digest in digests:
                    ensure_deliveries(session, digest, list(options.group(digest.group).recipients))
            if recover:
                report.recovered = len(recover_interrupted(session, clock(), stale))
        else:
            for digest in digests:
                rows = dict(session.execute(select(Delivery.recipient, Delivery.status)
                                            .where(Delivery.digest_id == digest.id)).all())
                wanted = (list(dict.fromkeys([*options.group(digest.group).recipients, *rows]))
                          if the_week is not None else list(rows))
                for recipient in wanted:
                    if rows.get(recipient, "pending") in ("pending", "retry"):
                        report.lines.append(f"{digest.group} {digest.week} → {recipient}: "
                                            f"« Revue de presse {options.group(digest.group).title} »")
        digest_ids = [d.id for d in digests]
    if dry_run or not digest_ids:
        return report
    if not smtp.host:
        raise DigestJobError("no SMTP server configured: set smtp.host (and smtp.username, smtp.password) "
                             "in config.yaml, or use --dry-run")
    delivered = deliver(app.db, smtp_options(app), worker=app.worker_id, now=clock, digest_ids=digest_ids)
    report.sent, report.retry, report.failed = len(delivered.sent), len(delivered.retry), len(delivered.failed)
    report.skipped, report.errors = delivered.skipped, delivered.errors
    report.lines = [f"sent: {line}" for line in delivered.sent] + [f"retry: {e}" for e in delivered.errors]
    with app.db.reader() as session:
        report.interrupted = interrupted(session, clock(), stale)
    return report


def weekly_tick(app: Veille) -> None:
    """The scheduler's weekly job: last week's reviews into the data directory (auto-publish applies)."""
    report = build_reviews(app, week=None, out=app.data_dir / "out")
    log.info("weekly reviews: %s", report.summary())


def send_tick(app: Veille) -> None:
    """The scheduler's delivery job: send what is due, when an SMTP server is configured."""
    if not app.settings.smtp.host:
        return
    report = send_reviews(app)
    if report.sent or report.retry or report.failed or report.interrupted:
        log.info("review deliveries: %s", report.summary())


__all__ = ["BuildReport", "DigestJobError", "SendReport", "build_reviews", "publish_review",
           "review_options", "send_reviews", "send_tick", "smtp_options", "weekly_tick"]
