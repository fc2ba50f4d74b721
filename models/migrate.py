"""Alembic migrations, run programmatically: `veille init` creates or upgrades the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

from .db import DatabaseError

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to ``revision``; returns (before, after)."""
    before = current_revision(engine)
    if before is None and "sources" in inspect(engine).get_table_names():
        raise DatabaseError("the database has veille tables but no migration history; "
                            "it was not created by `veille init`: use a new database")
    command.upgrade(alembic_config(engine), revision)
    return before, current_revision(engine) or ""


def check_current(engine: Engine) -> None:
    """Raise a `DatabaseError` that says what to run when the schema is missing or old."""
    try:
        current = current_revision(engine)
    except Exception as exc:  # connection refused, bad credentials, unreadable file
        raise DatabaseError(f"cannot open the database: {exc.__class__.__name__}: {exc}") from None
    if current is None:
        raise DatabaseError("the database is not initialised: run `veille init`")
    if current != head_revision():
        script = ScriptDirectory.from_config(alembic_config())
        if script.get_revision(current) is None:
            raise DatabaseError(f"the database is at revision {current}, which this version of veille "
                                "does not know (it was upgraded by a newer veille)")
        raise DatabaseError(f"the database schema is out of date ({current} < {head_revision()}): "
                            "run `veille init` to upgrade it")
