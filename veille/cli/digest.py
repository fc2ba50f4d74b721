"""digest build | send."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import fail

digest = typer.Typer(help="The weekly press reviews.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(digest, name="digest")


@digest.command("build")
def build(
    ctx: typer.Context,
    week: Optional[str] = typer.Option(None, "--week", metavar="YYYY-Www",
                                       help="ISO week (default: the last complete week)."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Group key (repeatable; default all)."),
    formats: str = typer.Option("html,md,txt,pdf,eml,atom", "--format", help="Comma-separated formats."),
    out: Path = typer.Option(Path("out"), "--out", help="Folder to write the reviews to."),
) -> None:
    """Build each group's review of a week in every format."""
    fail("`veille digest build` is not built yet (issue 6)", 4)


@digest.command("send")
def send(
    ctx: typer.Context,
    week: Optional[str] = typer.Option(None, "--week", metavar="YYYY-Www", help="ISO week."),
    group: Optional[list[str]] = typer.Option(None, "--group", help="Group key (repeatable)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be sent."),
) -> None:
    """Send published reviews by e-mail to each group's recipients (once each)."""
    fail("`veille digest send` is not built yet (issue 6)", 4)
