"""Setting up a database: schema, declared sources, first model."""

from __future__ import annotations

from typing import Callable

from watch.sources import upsert_sources

from ..core import Veille
from ..settings import SourceConfig


def source_declaration(source: SourceConfig) -> dict[str, object]:
    """A config source as the plain declaration `watch.sources.upsert_sources` takes."""
    data = source.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["outlet_type"] = source.outlet_type.value
    return data


def sync_sources(app: Veille) -> str:
    with app.db.transaction() as session:
        report = upsert_sources(session, [source_declaration(s) for s in app.settings.sources])
    return (f"{len(report.added)} added, {len(report.updated)} updated, "
            f"{len(report.unchanged)} unchanged")


def initialise(app: Veille, echo: Callable[[str], None] = lambda _: None) -> str:
    """Create or upgrade the schema and load the declared sources; a one-line report."""
    before, after = app.init_database()
    if before is None:
        schema = f"created (revision {after})"
    elif before != after:
        schema = f"upgraded {before} → {after}"
    else:
        schema = f"up to date (revision {after})"
    echo(f"Database {app.db.engine.url.render_as_string(hide_password=True)}: {schema}")
    echo(f"Sources from the configuration: {sync_sources(app)}")
    from .model import ModelJobError, ensure_model

    try:
        trained = ensure_model(app, echo)
    except ModelJobError as exc:  # the database is ready; the model can be trained later
        echo(f"Theme model NOT trained: {exc} (fix it, then run `veille model train`)")
    else:
        if trained is not None:
            echo(f"Theme model: {trained.summary().splitlines()[0]}")
    return "Ready."
