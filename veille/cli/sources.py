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
def status(ctx: typer.Context,
           as_json: bool = typer.Option(False, "--json", help="One JSON object per source.")) -> None:
    """Health of every source: last success, errors by kind, items per day, next check."""
    from ..jobs.sources import source_status

    rows = source_status(app_of(ctx))
    if as_json:
        for row in rows:
            echo_json(row.as_dict())
        return
    if not rows:
        typer.echo("No sources yet: list them in config.yaml and run `veille init`.")
        return
    colours = {"ok": "green", "new": None, "failing": "red", "rate_limited": "yellow", "disabled": "red"}
    typer.echo(f"{'source':<32} {'health':<12} {'last success':<17} {'items/day':>9}  {'next check':<17} last outcome")
    for row in rows:
        typer.secho(f"{row.name[:32]:<32} {row.health:<12} {_when(row.last_success_at):<17} "
                    f"{row.items_per_day:>9.1f}  {_when(row.next_check_at):<17} {row.last_outcome or '-'}",
                    fg=colours.get(row.health))
        if row.health in ("failing", "disabled", "rate_limited"):
            detail = row.disabled_reason or row.last_error or ""
            counts = ", ".join(f"{k} {v}" for k, v in sorted(row.error_counts.items()))
            typer.echo(f"    {detail[:150]}" + (f" [{counts}]" if counts else ""))


def _when(value: object) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value is not None else "-"  # type: ignore[attr-defined]


@sources.command("import")
def import_sources(ctx: typer.Context, file: Path = typer.Argument(..., help="OPML or YAML file.")) -> None:
    """Add or update sources from an OPML or YAML file (sources not in the file are kept)."""
    from ..jobs.sources import import_sources as run_import

    report = run_import(app_of(ctx), file)
    typer.echo(f"{file}: {len(report.added)} added, {len(report.updated)} updated, "
               f"{len(report.unchanged)} unchanged")


@sources.command("export")
def export_sources(ctx: typer.Context,
                   fmt: str = typer.Option("yaml", "--format", help="yaml or opml."),
                   out: Optional[Path] = typer.Option(None, "--out", help="File to write (default: stdout).")) -> None:
    """Write the sources as OPML or YAML (lossless: import gives them back)."""
    from ..jobs.sources import export_sources as run_export

    if fmt not in ("yaml", "opml"):
        fail(f"unknown format {fmt!r}: use --format yaml or --format opml", 2)
    text = run_export(app_of(ctx), fmt)
    if out is None:
        typer.echo(text, nl=False)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror}")
    typer.echo(f"Wrote {out}")


@sources.command("discover")
def discover(ctx: typer.Context, url: str = typer.Argument(..., help="A site's address."),
             as_json: bool = typer.Option(False, "--json", help="One JSON object per feed found.")) -> None:
    """Find the feeds a site offers (<link rel=alternate>, then well-known paths)."""
    from watch import FetchError

    from ..jobs.sources import discover as run_discover

    if not url.startswith(("http://", "https://")):
        url = "https://" + url
    try:
        found = run_discover(app_of(ctx), url)
    except FetchError as exc:
        fail(f"{url}: {exc.outcome}: {exc}")
    if as_json:
        for feed in found:
            echo_json(feed.__dict__)
        return
    if not found:
        fail(f"no feed found at {url}: declare it as a `page` source with listing rules", 1)
    for feed in found:
        typer.echo(f"{feed.url}  ({feed.title or 'sans titre'}, {feed.entries} entries, found by {feed.how})")
