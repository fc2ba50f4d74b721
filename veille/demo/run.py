"""`veille demo`: the whole pipeline, offline, on the bundled sample corpus.

It serves the corpus's feeds and article pages on loopback hosts, then runs what an
operator's scheduler would: crawl → process → reviews of the corpus's latest week, into
``--out``. The demo database starts afresh at each run (the site's port changes, and so
would every URL).
"""

from __future__ import annotations

import importlib
import time
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any, Callable

import typer
from sqlalchemy import func, select

from models import Item

from ..core import Veille
from ..jobs.setup import initialise
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


def available(module: str) -> Any | None:
    """A job module, or None while the issue that builds it has not landed."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise


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
    site_module = available("veille.demo.site")
    if site_module is None:
        typer.secho("The sample corpus is not built yet (issue 2): nothing to demonstrate.", fg="yellow")
        return
    DemoSite = site_module.DemoSite
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
        crawl = available("veille.jobs.crawl")
        if crawl:
            step("Crawl")(lambda: crawl.crawl_once(app, progress=True).summary())
        process = available("veille.jobs.process")
        if process:
            step("Process")(lambda: process.process_pending(app, progress=True).summary())
        digest = available("veille.jobs.digest")
        week = latest_week(app)
        if digest:
            step(f"Press reviews of {week}")(
                lambda: digest.build_reviews(app, week=week, groups=None, formats=None, out=out).summary())
        missing = [name for name, module in (("crawler", crawl), ("processing", process), ("reviews", digest))
                   if module is None]
        if missing:
            typer.secho(f"Not built yet: {', '.join(missing)}.", fg="yellow")
        typer.secho(f"Done in {time.monotonic() - started:.0f} s.", bold=True)
        if serve:
            from ..web.server import serve as serve_web

            serve_web(app)
