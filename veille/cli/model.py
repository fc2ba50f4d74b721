"""model train | eval, classify."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .common import fail

model = typer.Typer(help="The theme classifier.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(model, name="model")
    app.command("classify")(classify)


@model.command("train")
def train(
    ctx: typer.Context,
    data: Optional[list[Path]] = typer.Option(None, "--data", help="Extra JSONL training files (repeatable)."),
) -> None:
    """Train the theme model from the project's data and facilitators' labels."""
    fail("`veille model train` is not built yet (issue 5)", 4)


@model.command("eval")
def evaluate(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", help="JSONL file with title, text, themes."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Measure the current model on a labelled JSONL file."""
    fail("`veille model eval` is not built yet (issue 5)", 4)


def classify(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="JSONL in, JSONL out."),
) -> None:
    """Tag JSONL items (title, text) read on stdin with themes, scores and reasons."""
    fail("`veille classify` is not built yet (issue 5)", 4)
