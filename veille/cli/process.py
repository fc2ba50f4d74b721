"""process, extract."""

from __future__ import annotations

from typing import Optional

import typer

from .common import app_of, echo_json, fail


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("extract")(extract)


def process(
    ctx: typer.Context,
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Process at most N items."),
    as_json: bool = typer.Option(False, "--json", help="Print the run's counters as JSON."),
) -> None:
    """Run the processing stages (extract, dedupe, enrich, classify, cluster) on items waiting for them."""
    from ..jobs.process import process_pending

    app = app_of(ctx)
    report = process_pending(app, progress=not as_json, limit=limit)
    if as_json:
        echo_json(report.as_json())
    else:
        typer.echo(report.details())
        typer.echo(report.summary())
    if report.status == "failed":
        fail(f"processing failed: {report.message}; see `veille process --verbose` for the traceback")


def extract(
    ctx: typer.Context,
    inputs: list[str] = typer.Argument(..., metavar="FILE_OR_URL...", help="HTML files or http(s) URLs."),
    url: Optional[str] = typer.Option(None, "--url", help="The page's URL, for a file input (resolves links, "
                                                          "helps the date)."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input, one per line."),
) -> None:
    """Extract the main text and metadata (title, author, date, language...) of pages."""
    from ..jobs.extract import extract_inputs

    failures = 0
    for record in extract_inputs(app_of(ctx), inputs, url):
        if "error" in record:
            failures += 1
            if not as_json:
                typer.secho(f"{record['input']}: {record['error']}", err=True, fg="red")
        if as_json:
            echo_json(record)
        elif "error" not in record:
            text = record.get("text") or ""
            typer.secho(record.get("title") or "(no title)", bold=True)
            typer.echo(f"{record.get('author') or '-'} · {record.get('date') or 'no date'} · "
                       f"{record.get('language') or '?'} · {len(text)} characters"
                       + (f" · problems: {', '.join(record['problems'])}" if record["problems"] else ""))
            typer.echo(text[:400] + ("…" if len(text) > 400 else ""))
            typer.echo("")
    if failures:
        fail(f"{failures} of {len(inputs)} inputs could not be read", 1)
