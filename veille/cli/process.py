"""process, extract."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import fail


def register(app: typer.Typer) -> None:
    app.command("process")(process)
    app.command("extract")(extract)


def process(
    ctx: typer.Context,
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Process at most N items."),
) -> None:
    """Run the processing stages on items waiting for them."""
    fail("`veille process` is not built yet (issue 4)", 4)


def extract(
    ctx: typer.Context,
    inputs: list[str] = typer.Argument(..., metavar="FILE_OR_URL...", help="HTML files or URLs."),
    url: Optional[str] = typer.Option(None, "--url", help="The page's URL, for a file input."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per input."),
) -> None:
    """Extract the main text and metadata of pages."""
    fail("`veille extract` is not built yet (issue 4)", 4)

