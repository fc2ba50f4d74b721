"""veille crawl."""

from __future__ import annotations

from typing import Optional

import typer
from sqlalchemy import select

from models import Source

from .common import app_of, echo_json, fail


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def crawl(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Poll the sources once, then stop (the scheduler is `veille run`)."),
    source: Optional[list[str]] = typer.Option(None, "--source", help="Only this source, by name (repeatable)."),
    due_only: bool = typer.Option(False, "--due-only", help="Only the sources whose next check is due."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Poll the sources and fetch their new articles, then print what happened.

    Without --due-only every enabled source is polled, whatever its schedule; a host that
    asked us to wait (Retry-After) is still left alone.
    """
    from ..jobs.crawl import crawl_once

    if not once:
        fail("`veille crawl` runs once: add --once (to poll on a schedule, run `veille run`)", 2)
    app = app_of(ctx)
    if source:
        with app.db.reader() as session:
            known = {name: enabled for name, enabled in session.execute(select(Source.name, Source.enabled))}
        unknown = [name for name in source if name not in known]
        if unknown:
            fail(f"no source named {', '.join(map(repr, unknown))}; see `veille sources list`")
        disabled = [name for name in source if not known[name]]
        if disabled:
            fail(f"source {', '.join(map(repr, disabled))} is disabled; see `veille sources status`")
    report = crawl_once(app, progress=not as_json, sources=source, due_only=due_only)
    if as_json:
        echo_json(report.as_dict())
    else:
        typer.echo(report.summary())
        for name, outcome, message in report.errors[:20]:
            typer.echo(f"  {name}: {outcome}: {message}", err=True)
        if len(report.errors) > 20:
            typer.echo(f"  … and {len(report.errors) - 20} more: see `veille sources status`", err=True)
    if report.sources and all(o not in ("ok", "not_modified") for o in report.outcomes):
        raise typer.Exit(1)
