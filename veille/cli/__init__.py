"""The `veille` command: a thin layer over job functions (style habit 12)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from . import admin, crawl, digest, model, process, search, sources, worker
from .common import CliState, run_guarded

app = typer.Typer(
    name="veille",
    help="Media watch and weekly press review of the Citizens' Assembly of Paris.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None, "--config", "-c", metavar="PATH",
        help="Configuration file (default: $VEILLE_CONFIG, else ./config.yaml)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
) -> None:
    ctx.obj = CliState(config=config, verbose=verbose)


admin.register(app)
sources.register(app)
crawl.register(app)
process.register(app)
digest.register(app)
search.register(app)
model.register(app)
worker.register(app)


def main(argv: list[str] | None = None) -> None:
    sys.exit(run_guarded(app, argv))
