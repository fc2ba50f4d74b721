"""Engines and sessions: SQLite (WAL, foreign keys, busy timeout) by default, PostgreSQL by URL.

On SQLite, a transaction that reads and then writes while another connection has written
meanwhile fails at once with "database is locked", whatever the busy timeout, because
its snapshot is stale. Sessions that will write are therefore opened with
``BEGIN IMMEDIATE`` (`Database.writer`): they wait for the write lock (up to the busy
timeout) before reading. Read-only sessions (`Database.reader`) stay deferred, so the web
app's readers never queue behind a crawl. On PostgreSQL both are plain transactions.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connections kept open per engine. The web app runs up to `web.threads` handlers at once;
# with SQLAlchemy's default pool (5), every connection past the fifth was opened and closed
# per request (SQLite: four PRAGMAs; PostgreSQL: a new server backend). Opened on demand only.
POOL_SIZE = 20
POOL_OVERFLOW = 20


class DatabaseError(Exception):
    """The database cannot be used as it is; the message says what to do."""


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url`` with the settings veille relies on for that dialect."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseError(f"{url!r} is not a database URL "
                            "(e.g. sqlite:///data/veille.sqlite or postgresql+psycopg://user@host/db)") from None
    in_memory = parsed.database in (None, "", ":memory:") or (parsed.database or "").startswith("file:")
    if "poolclass" not in kwargs and not (parsed.get_backend_name() == "sqlite" and in_memory):
        kwargs.setdefault("pool_size", POOL_SIZE)
        kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).parent
            if not folder.exists():
                raise DatabaseError(f"the folder of the SQLite database does not exist: {folder} "
                                    "(run `veille init`, which creates it)")
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
                                                     "check_same_thread": False}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(parsed, **kwargs)
    raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let us issue BEGIN ourselves (pysqlite's implicit BEGIN is always DEFERRED).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class Database:
    """The engine and session factories of one database."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_db_engine(url, **engine_kwargs)
        self.dialect = self.engine.dialect.name
        writer_engine = (self.engine.execution_options(sqlite_begin="IMMEDIATE")
                         if self.dialect == "sqlite" else self.engine)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer_engine, expire_on_commit=False)

    def reader(self) -> Session:
        """A session for reading (it can write, but may then meet a stale snapshot on SQLite)."""
        return self._reader()

    def writer(self) -> Session:
        """A session that will write: on SQLite it takes the write lock when it begins."""
        return self._writer()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A writer session committed on success and rolled back on error."""
        with self.writer() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<Database {self.engine.url.render_as_string(hide_password=True)}>"
