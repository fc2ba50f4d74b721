"""crawl."""

from __future__ import annotations

from typing import Optional

import typer

from .common import fail


def register(app: typer.Typer) -> None:
    app.command("crawl")(crawl)


def crawl(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Poll every due source once, then stop."),
    source: Optional[list[str]] = typer.Option(None, "--source", help="Only this source (repeatable)."),
) -> None:
    """Poll due sources and fetch their new articles."""
    fail("`veille crawl` is not built yet (issue 3)", 4)
