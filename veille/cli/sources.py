"""sources list | status | import | export | discover."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from sqlalchemy import select

from models import Source

from .common import app_of, echo_json, fail

sources = typer.Typer(help="The sources veille watches.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(sources, name="sources")


@sources.command("list")
def list_sources(ctx: typer.Context,
                 as_json: bool = typer.Option(False, "--json", help="One JSON object per source.")) -> None:
    """List the sources in the database."""
    with app_of(ctx).db.reader() as session:
        rows = session.scalars(select(Source).order_by(Source.name)).all()
        for source in rows:
            if as_json:
                echo_json({"name": source.name, "url": source.url, "kind": source.kind,
                           "language": source.language, "outlet_type": source.outlet_type,
                           "enabled": source.enabled})
            else:
                flag = "" if source.enabled else " (disabled)"
                typer.echo(f"{source.name:<40} {source.kind:<5} {source.outlet_type:<14} {source.url}{flag}")
    if not rows and not as_json:
        typer.echo("No sources yet: list them in config.yaml and run `veille init`, "
                   "or `veille sources import FILE`.")


@sources.command("status")
def status(ctx: typer.Context) -> None:
    """Health of every source: last success, errors by kind, items per day, next check."""
    fail("`veille sources status` is not built yet (issue 3)", 4)


@sources.command("import")
def import_sources(ctx: typer.Context, file: Path = typer.Argument(..., help="OPML or YAML file.")) -> None:
    """Add or update sources from an OPML or YAML file."""
    fail("`veille sources import` is not built yet (issue 3)", 4)


@sources.command("export")
def export_sources(ctx: typer.Context,
                   fmt: str = typer.Option("yaml", "--format", help="yaml or opml."),
                   out: Optional[Path] = typer.Option(None, "--out", help="File to write (default: stdout).")) -> None:
    """Write the sources as OPML or YAML (lossless: import gives them back)."""
    fail("`veille sources export` is not built yet (issue 3)", 4)


@sources.command("discover")
def discover(ctx: typer.Context, url: str = typer.Argument(..., help="A site's address.")) -> None:
    """Find the feeds a site offers (<link rel=alternate>, then well-known paths)."""
    fail("`veille sources discover` is not built yet (issue 3)", 4)
