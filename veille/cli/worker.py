"""veille worker: a crawl-and-process worker; run several on one PostgreSQL database."""

from __future__ import annotations

import signal
import threading
from typing import Any

import typer

from .common import app_of, fail


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)


def worker(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="One round (crawl, then process), then stop."),
    crawl: bool = typer.Option(True, "--crawl/--no-crawl", help="Poll due sources and fetch articles."),
    process: bool = typer.Option(True, "--process/--no-process", help="Run the processing stages."),
    all_sources: bool = typer.Option(False, "--all-sources", help="Poll every enabled source, not only due ones."),
    pause: float = typer.Option(30.0, "--pause", min=0.0, help="Seconds between rounds."),
) -> None:
    """Crawl due sources and process pending items in a loop, beside other workers.

    Several workers (on one machine or several) may share one PostgreSQL database: each
    claims its sources and items, so none is polled or processed twice. `veille run` (the
    scheduler, one per database) still builds and sends the reviews. Stop with Ctrl-C or
    SIGTERM: the round in progress finishes first.
    """
    from ..jobs.worker import run_worker

    app = app_of(ctx)
    stop = threading.Event()

    def shutdown(*_: Any) -> None:
        typer.echo("stopping after this round…", err=True)
        stop.set()

    if not once:
        signal.signal(signal.SIGTERM, shutdown)
        signal.signal(signal.SIGINT, shutdown)
    report = run_worker(app, once=once, crawl=crawl, process=process, due_only=not all_sources, pause=pause,
                        stop=stop, on_round=lambda line: typer.echo(f"{app.worker_id}: {line}"))
    typer.echo(report.summary())
    if once and report.errors:
        text = "; ".join(report.errors[:3])[:1500]
        hint = ""
        if any(marker in text for marker in ("disk is full", "disk I/O error", "No space left", "File too large")):
            hint = " The disk holding the database looks full: free some space, then run again."
        fail(f"the round had errors: {text}.{hint} The next round resumes where this one stopped "
             "(nothing written is lost; `veille worker --verbose` shows the tracebacks).")
