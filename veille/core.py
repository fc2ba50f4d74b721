"""The application object: settings plus the resources built from them, created lazily.

The CLI, the scheduler and the web app each hold one `Veille`; job functions take it as
their first argument. Library packages never see it: they receive typed options and a
session (style habit 2).
"""

from __future__ import annotations

import logging
import os
import socket
from functools import cached_property
from pathlib import Path

from models import Database, DatabaseError
from models.migrate import check_current, upgrade

from .settings import Settings

log = logging.getLogger(__name__)


class Veille:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def data_dir(self) -> Path:
        return self.settings.resolved_data_dir

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def worker_id(self) -> str:
        return f"{socket.gethostname()}:{os.getpid()}"

    @cached_property
    def db(self) -> Database:
        """The database, checked to be initialised and at the current schema."""
        database = Database(self.settings.resolved_database_url)
        try:
            check_current(database.engine)
        except DatabaseError:
            database.dispose()
            raise
        return database

    def init_database(self) -> tuple[str | None, str]:
        """Create the data directory and create or upgrade the schema; (before, after) revisions."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.models_dir.mkdir(parents=True, exist_ok=True)
        database = Database(self.settings.resolved_database_url)
        try:
            revisions = upgrade(database.engine)
        except DatabaseError:
            database.dispose()
            raise
        except Exception as exc:  # connection refused, read-only file, ...
            database.dispose()
            raise DatabaseError(f"cannot create or upgrade the database "
                                f"{database.engine.url.render_as_string(hide_password=True)}: "
                                f"{exc.__class__.__name__}: {exc}") from None
        self.__dict__["db"] = database
        return revisions

    def close(self) -> None:
        if "db" in self.__dict__:
            self.__dict__.pop("db").dispose()


def configure_logging(level: str) -> None:
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Third-party chatter that says nothing an operator can act on.
    for noisy in ("alembic", "httpx", "httpcore", "trafilatura", "htmldate", "charset_normalizer", "apscheduler.executors"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, getattr(logging, level)))
