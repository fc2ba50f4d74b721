"""search: the archive search, its exports and the index rebuild."""

from __future__ import annotations

import sys
from datetime import date
from typing import Optional

import typer

from models import Source
from models.search import QueryError, SearchRequest

from ..jobs import search as jobs
from .common import app_of, fail


def register(app: typer.Typer) -> None:
    app.command("search")(search)


def _day(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} {value!r} is not a date: write it as YYYY-MM-DD (e.g. 2026-11-02)", 2)


def search(
    ctx: typer.Context,
    query: str = typer.Argument("", help='Words, "exact phrases", AND / OR / NOT or -word, prefix*, '
                                         "title:word, source:word, (parentheses). Empty: everything."),
    theme: list[str] = typer.Option([], "--theme", help="Theme key (repeatable: any of them)."),
    source: list[str] = typer.Option([], "--source", help="Source name or id (repeatable)."),
    outlet_type: list[str] = typer.Option([], "--outlet-type", help="national, regional, local, "
                                                                    "institutional or independent (repeatable)."),
    place: list[int] = typer.Option([], "--place", min=1, max=20, help="Arrondissement 1–20 (repeatable)."),
    entity: list[str] = typer.Option([], "--entity", help="Person or organisation, as in the facets "
                                                          "(e.g. anne_hidalgo; repeatable)."),
    story: Optional[int] = typer.Option(None, "--story", help="Story id."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="From this day (YYYY-MM-DD)."),
    until: Optional[str] = typer.Option(None, "--until", metavar="DATE", help="Up to this day, included."),
    sort: str = typer.Option("relevance", "--sort", help="relevance or date."),
    page: int = typer.Option(1, "--page", min=1, help="Page of results (table output)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1,
                                        help="Results to show (table: 20, at most 200); with --json or --csv, "
                                             "stop after N (default: the full result set)."),
    as_json: bool = typer.Option(False, "--json", help="Export every match as a JSON array (streamed)."),
    as_csv: bool = typer.Option(False, "--csv", help="Export every match as CSV (streamed)."),
    fmt: Optional[str] = typer.Option(None, "--format", metavar="table|json|csv",
                                      help="Output format; json and csv are the same as --json and --csv."),
    facets: bool = typer.Option(False, "--facets", help="Also print the facet counts (table output)."),
    reindex: bool = typer.Option(False, "--reindex", help="Rebuild the search index from the archive, "
                                                          "then exit."),
) -> None:
    """Search the archive (the same search as the web page)."""
    app = app_of(ctx)
    if reindex:
        done = {"last": -1}

        def progress(current: int, total: int) -> None:
            percent = 100 * current // max(total, 1)
            if percent // 10 != done["last"]:
                done["last"] = percent // 10
                typer.echo(f"  indexed up to item {current} of {total} ({percent} %)", err=True)

        typer.echo(jobs.reindex(app, progress=progress).summary())
        return
    if fmt is not None:
        if fmt not in ("table", "json", "csv"):
            fail(f"--format must be table, json or csv, not {fmt!r}", 2)
        as_json, as_csv = as_json or fmt == "json", as_csv or fmt == "csv"
    if as_json and as_csv:
        fail("choose one of --json and --csv", 2)
    if sort not in ("relevance", "date"):
        fail(f"--sort {sort!r}: use relevance or date", 2)
    request = SearchRequest(
        q=query, themes=theme, sources=_source_ids(app, source), outlet_types=outlet_type,
        date_from=_day(since, "--since"), date_to=_day(until, "--until"), arrondissements=place,
        entities=entity, story_id=story, sort=sort, page=page, page_size=min(limit or 20, 200))
    try:
        if as_json or as_csv:
            chunks = (jobs.json_chunks if as_json else jobs.csv_chunks)(jobs.export_hits(app, request, limit))
            for chunk in chunks:
                sys.stdout.write(chunk)
            sys.stdout.flush()
            return
        result = jobs.run_search(app, request)
    except QueryError as exc:
        fail(f"query not understood: {exc}\n  {query}\n  {' ' * exc.position}^", 2)
    _print_page(result, facets)


def _source_ids(app, names: list[str]) -> list[int]:
    if not names:
        return []
    with app.db.reader() as session:
        known = {name: source_id for source_id, name in session.query(Source.id, Source.name)}
    ids = []
    for name in names:
        if name.isdigit() and int(name) in known.values():
            ids.append(int(name))
        elif name in known:
            ids.append(known[name])
        else:
            matches = [n for n in known if name.lower() in n.lower()]
            if len(matches) != 1:
                hint = f"it matches {', '.join(matches[:5])}" if matches else "`veille sources list` shows them"
                fail(f"--source {name!r}: no single source of that name ({hint})", 2)
            ids.append(known[matches[0]])
    return ids


def _print_page(result, facets: bool) -> None:
    total = f"{result.total}" if result.total_exact else f"more than {result.total}"
    first = (result.page - 1) * result.page_size + 1
    typer.echo(f"{total} results ({result.sort}); page {result.page} of {result.pages}")
    for n, hit in enumerate(result.hits, start=first):
        day = hit.published_at.date().isoformat() if hit.published_at else "?"
        themes = ",".join(hit.themes) or "-"
        typer.echo(f"{n:>4}. {day}  {hit.source} [{themes}]  #{hit.item_id}")
        typer.echo(f"      {hit.title}")
        typer.echo(f"      {hit.url}")
    if facets:
        sample = "" if result.facets_sample >= result.total else f" (newest {result.facets_sample})"
        for name, values in result.facets.items():
            if values:
                shown = ", ".join(f"{label} {count}" for _, label, count in values[:10])
                typer.echo(f"{name}{sample}: {shown}")

