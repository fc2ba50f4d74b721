"""search."""

from __future__ import annotations

from typing import Optional

import typer

from .common import fail


def register(app: typer.Typer) -> None:
    app.command("search")(search)


def search(
    ctx: typer.Context,
    query: str = typer.Argument(..., help='Words, "phrases", AND/OR/NOT, prefix*, title:, source:.'),
    theme: Optional[str] = typer.Option(None, "--theme", help="Theme key."),
    source: Optional[str] = typer.Option(None, "--source", help="Source name."),
    place: Optional[int] = typer.Option(None, "--place", min=1, max=20, help="Arrondissement 1–20."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="From this date (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Up to this date (YYYY-MM-DD)."),
    limit: int = typer.Option(20, "--limit", min=1, help="Results to show."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
) -> None:
    """Search the archive."""
    fail("`veille search` is not built yet (issue 7)", 4)
