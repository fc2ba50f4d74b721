"""digest build | publish | send."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import app_of, echo_json, fail

digest = typer.Typer(help="The weekly press reviews.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(digest, name="digest")


def _jobs():  # type: ignore[no-untyped-def]
    from ..jobs import digest as jobs  # WeasyPrint and scikit-learn load only for these commands

    return jobs


@digest.command("build")
def build(
    ctx: typer.Context,
    week: Optional[str] = typer.Option(None, "--week", metavar="YYYY-Www",
                                       help="ISO week (default: the last complete week)."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Group key (repeatable; default all)."),
    formats: str = typer.Option("html,md,txt,pdf,eml,atom", "--format", help="Comma-separated formats."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder to write the reviews to."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Build each group's review of a week in every format (published reviews as published)."""
    jobs = _jobs()
    app = app_of(ctx)
    try:
        report = jobs.build_reviews(app, week=week, groups=group, formats=formats, out=out,
                                    echo=None if as_json else typer.echo)
    except jobs.DigestJobError as exc:
        fail(str(exc), 2)
    if as_json:
        echo_json({"week": report.week, "week_label": report.week_label, "reviews": report.reviews,
                   "files": [str(p) for p in report.files], "seconds": report.seconds, "errors": report.errors})
    else:
        typer.echo(report.summary())
    if report.errors:
        raise typer.Exit(1)


@digest.command("publish")
def publish(
    ctx: typer.Context,
    group: str = typer.Option(..., "--group", help="Group key."),
    week: Optional[str] = typer.Option(None, "--week", metavar="YYYY-Www",
                                       help="ISO week (default: the last complete week)."),
    user: Optional[str] = typer.Option(None, "--user", help="Name of the facilitator publishing it."),
) -> None:
    """Freeze a group's review as it is now and publish it (then `digest send` delivers it)."""
    jobs = _jobs()
    app = app_of(ctx)
    user_id = None
    if user:
        from sqlalchemy import select

        from models import User

        with app.db.reader() as session:
            user_id = session.scalar(select(User.id).where(User.name == user))
        if user_id is None:
            fail(f"no user named {user!r} (create one with `veille users add`)", 2)
    try:
        review = jobs.publish_review(app, group, week, user_id)
    except jobs.DigestJobError as exc:
        fail(str(exc), 2)
    typer.echo(f"Published: {review.group_title}, {review.week_label} ({review.counts.items} items) — {review.url}")


@digest.command("send")
def send(
    ctx: typer.Context,
    week: Optional[str] = typer.Option(None, "--week", metavar="YYYY-Www", help="ISO week (default: every week)."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Group key (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent."),
    recover: bool = typer.Option(False, "--recover",
                                 help="Send again the e-mails left « sending » by an interrupted run "
                                      "(they may already have been delivered)."),
) -> None:
    """Send published reviews by e-mail to each group's recipients (once each)."""
    jobs = _jobs()
    app = app_of(ctx)
    try:
        report = jobs.send_reviews(app, week=week, groups=group, dry_run=dry_run, recover=recover)
    except jobs.DigestJobError as exc:
        fail(str(exc), 2)
    for line in report.lines:
        typer.echo(line)
    typer.echo(report.summary())
    if report.failed or report.retry:
        raise typer.Exit(1)
