"""`veille demo`: the whole pipeline, offline, on the bundled sample corpus.

It serves the corpus's feeds and article pages on loopback hosts, then runs what an
operator's scheduler would: crawl → process → reviews of the corpus's latest week, into
``--out``. The demo database starts afresh at each run (the site's port changes, and so
would every URL).
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any, Callable

import typer
from sqlalchemy import func, select

from models import Item

from ..core import Veille
from ..jobs.crawl import crawl_once
from ..jobs.digest import build_reviews
from ..jobs.process import process_pending
from ..jobs.setup import initialise
from .site import DemoSite
from ..settings import settings_from_dict


def demo_settings(out: Path, sources: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "data_dir": str(out / "data"),
        "log_level": "WARNING",
        "watch": {
            "allow_private_networks": True,  # the corpus is served on 127.0.0.x
            "min_host_gap": 0.05,            # our own server: no need to wait between requests
            "concurrency": 8,
        },
        "sources": sources,
    }


def step(title: str) -> Callable[[Callable[[], str]], str]:
    def run(function: Callable[[], str]) -> str:
        started = time.monotonic()
        typer.secho(f"→ {title}", bold=True)
        summary = function()
        elapsed = f"({time.monotonic() - started:.1f} s)"
        typer.echo(f"  {summary}" if summary.rstrip().endswith(" s)") else f"  {summary} {elapsed}")
        return summary

    return run


def latest_week(app: Veille) -> str | None:
    """The week of the corpus's latest dated article (an item dated by its first sighting is
    dated today, not by its outlet, so it does not count)."""
    with app.db.reader() as session:
        latest = session.scalar(select(func.max(Item.published_at))
                                .where(Item.date_source.is_distinct_from("first_seen")))
    if latest is None:
        return None
    year, week, _ = latest.astimezone(ZoneInfo(app.settings.timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def run_demo(out: Path, serve: bool = False, verbose: bool = False, config: Path | None = None) -> None:
    out = out.resolve()
    (out / "data").mkdir(parents=True, exist_ok=True)
    for leftover in (out / "data").glob("veille.sqlite*"):
        leftover.unlink()
    started = time.monotonic()
    with DemoSite() as site:
        app = Veille(settings_from_dict(demo_settings(out, site.sources()), origin="demo settings"))
        typer.secho(f"veille demo: {len(site.sources())} fictional Paris outlets served on loopback; "
                    f"output in {out}", bold=True)
        step("Database")(lambda: initialise(app))
        step("Crawl")(lambda: crawl_once(app, progress=True).summary())
        step("Process")(lambda: process_pending(app, progress=True).summary())
        week = latest_week(app)
        if week is None:
            typer.secho("No dated article was crawled: no review to write.", fg="yellow")
        else:
            step(f"Press reviews of {week}")(
                lambda: build_reviews(app, week=week, groups=None, formats=None, out=out).summary())
            for group in app.settings.digests.groups:
                page = out / "reviews" / week / f"{group}.html"
                if page.exists():
                    typer.echo(f"  {app.settings.digests.groups[group].title}: {page}")
        typer.secho(f"Done in {time.monotonic() - started:.0f} s.", bold=True)
        if serve:
            from ..web.server import serve as serve_web

            serve_web(app)
