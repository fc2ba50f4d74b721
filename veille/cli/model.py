"""model train | eval | status, classify."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from models import DatabaseError
from pipelines.themes import THEMES, LineError, ModelNotFound

from ..jobs import model as jobs
from .common import app_of, echo_json, fail

model = typer.Typer(help="The theme classifier.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(model, name="model")
    app.command("classify")(classify)


def _warn(message: str) -> None:
    typer.secho(message, err=True, fg="yellow")


@model.command("train")
def train(
    ctx: typer.Context,
    data: Optional[list[Path]] = typer.Option(
        None, "--data", metavar="FILE.jsonl",
        help="Extra labelled JSONL files (title, text, themes) added to the training data (repeatable)."),
) -> None:
    """Train the theme model from the project's data and facilitators' labels, and activate it.

    Prints the cross-validated metrics before and after, and the archived items whose tags change.
    """
    app = app_of(ctx)
    try:
        report = jobs.train(app, progress=lambda line: typer.echo(f"… {line}", err=True), data=data or [])
    except jobs.ModelJobError as exc:
        fail(str(exc))
    typer.echo(report.summary())


@model.command("eval")
def evaluate(
    ctx: typer.Context,
    data: Path = typer.Option(..., "--data", metavar="FILE.jsonl",
                              help="JSONL file with title, text, themes (other fields are ignored)."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Measure the active model on a labelled JSONL file: F1 per theme, macro and micro F1."""
    app = app_of(ctx)
    try:
        classifier = jobs.load_model(app)
        metrics, errors = jobs.evaluate_file(classifier, data)
    except (ModelNotFound, jobs.ModelJobError) as exc:
        fail(str(exc))
    for error in errors:
        _warn(f"{data}: {error} (skipped)")
    if metrics["n"] == 0:
        fail(f"{data}: no usable labelled line")
    if as_json:
        echo_json({"model_version": classifier.version, **metrics})
        return
    typer.echo(f"Model {classifier.version} on {data} ({metrics['n']} items, {len(errors)} lines skipped)")
    typer.echo(f"  macro-F1 {metrics['macro_f1']:.3f}   micro-F1 {metrics['micro_f1']:.3f}   "
               f"exact match {metrics['exact_match']:.3f}")
    for theme, values in metrics["per_theme"].items():
        typer.echo(f"  {theme:<17} P {values['precision']:.3f}  R {values['recall']:.3f}  "
                   f"F1 {values['f1']:.3f}  (support {values['support']})")
    typer.echo(f"  items with no theme: {metrics['none']['support']}, of which tagged: {metrics['none']['tagged']}")


@model.command("status")
def status(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON."),
) -> None:
    """The active model, its metrics and thresholds, the stored versions and the new labels."""
    app = app_of(ctx)
    store = jobs.store_of(app)
    active = store.active_version()
    versions = store.versions()
    try:
        pending = jobs.new_labels(app)
    except DatabaseError as exc:  # the database may not exist yet: status still shows the files
        pending = None
        _warn(f"labels unknown: {exc}")
    data = {"active": active, "folder": str(store.folder), "new_labels": pending,
            "retrain_min_labels": app.settings.model.retrain_min_labels,
            "versions": [{"version": s.version, "n_examples": s.meta.get("n_examples"),
                          "n_labels": s.meta.get("n_labels"), "macro_f1": s.meta.get("metrics", {}).get("macro_f1"),
                          "thresholds": s.meta.get("thresholds"), "data_hash": s.meta.get("data_hash")}
                         for s in versions]}
    if as_json:
        echo_json(data)
        return
    if active is None:
        typer.echo(f"No trained model in {store.folder}: run `veille model train`.")
        return
    typer.echo(f"Active model {active} ({len(versions)} stored in {store.folder})")
    for stored in reversed(versions):
        meta = stored.meta
        mark = "*" if stored.version == active else " "
        thresholds = ", ".join(f"{t} {meta.get('thresholds', {}).get(t, 0):.2f}" for t in THEMES)
        typer.echo(f" {mark} {stored.version}  {meta.get('n_examples')} examples ({meta.get('n_labels')} labels)  "
                   f"CV macro-F1 {meta.get('metrics', {}).get('macro_f1', 0):.3f}  thresholds {thresholds}")
    if pending is not None:
        typer.echo(f"New facilitators' labels since the active model: {pending} "
                   f"(the scheduler retrains at {app.settings.model.retrain_min_labels})")


def classify(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="JSONL out (the default output is one line per item)."),
) -> None:
    """Tag JSONL items (title, text) read on stdin with themes, scores and reasons.

    Each input line is written back with `themes`, `scores` and `reasons` added. A bad line
    is reported on stderr with its number and reason, and the others go on.
    """
    app = app_of(ctx)
    try:
        classifier = jobs.load_model(app)
    except ModelNotFound as exc:
        fail(str(exc))
    done = skipped = 0
    for number, found in jobs.classify_stream(classifier, sys.stdin):
        if isinstance(found, LineError):
            skipped += 1
            _warn(f"stdin: {found} (skipped)")
            continue
        done += 1
        for warning in found.get("warnings", []):
            _warn(f"stdin: line {number}: {warning}")
        if as_json:
            sys.stdout.write(json.dumps(found, ensure_ascii=False) + "\n")
        else:
            tags = ", ".join(found["themes"]) or "none"
            title = (found.get("title") or found.get("text") or "")[:70]
            typer.echo(f"{number}\t{tags}\t{title}")
    if skipped:
        _warn(f"{done} items classified, {skipped} lines skipped")
