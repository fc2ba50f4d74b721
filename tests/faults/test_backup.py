"""The backup and restore recipes of docs/operations.md, run as written."""

from __future__ import annotations

import re
import subprocess
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from models import Database, Item, Source, utcnow
from models.migrate import check_current, upgrade

DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def fill(database: Database, n: int, start: int = 0) -> None:
    with database.transaction() as session:
        source = session.scalar(select(Source).where(Source.name == "Source"))
        if source is None:
            source = Source(name="Source", url="http://127.0.0.1/feed", outlet_type="local")
            session.add(source)
            session.flush()
        for i in range(start, start + n):
            session.add(Item(canonical_url=f"http://127.0.0.1/a/{i}", url=f"http://127.0.0.1/a/{i}",
                             source_id=source.id, title=f"Article {i}", text="Le conseil de Paris " * 50,
                             published_at=utcnow() - timedelta(hours=i), state="fetched"))


def recipe(name: str) -> str:
    """The command line of a recipe in docs/operations.md, from its fenced block."""
    match = re.search(rf"<!-- recipe: {name} -->\s*```(?:sh|bash)?\n(.+?)\n```", DOC.read_text(encoding="utf-8"),
                      re.S)
    assert match, f"docs/operations.md has no recipe {name!r}"
    return match.group(1).strip()


def test_the_sqlite_backup_recipe_copies_a_live_database_consistently(sqlite_database: Database,
                                                                      tmp_path: Path) -> None:
    fill(sqlite_database, 300)
    source = Path(make_url(sqlite_database.url).database)
    backup = tmp_path / "backup" / "veille-backup.sqlite"
    backup.parent.mkdir()
    # A writer keeps adding items while the backup runs: WAL frames not yet checkpointed.
    stop = threading.Event()

    def writer() -> None:
        start = 300
        while not stop.is_set():
            fill(sqlite_database, 20, start)
            start += 20

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        command = recipe("sqlite-backup").replace("data/veille.sqlite", str(source)).replace(
            "backups/veille-backup.sqlite", str(backup))
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 0, done.stderr
    copy = Database(f"sqlite:///{backup}")
    try:
        with copy.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        check_current(copy.engine)  # a restored file is usable at once
        with copy.reader() as session:
            count = session.scalar(select(func.count()).select_from(Item))
            titles = set(session.scalars(select(Item.title)))
        # A consistent snapshot: whole batches of 20 after the first 300, no torn transaction.
        assert count >= 300 and (count - 300) % 20 == 0
        assert titles == {f"Article {i}" for i in range(count)}
    finally:
        copy.dispose()
    # Restore: the recipe copies the backup over the database while nothing runs.
    sqlite_database.dispose()
    restore = recipe("sqlite-restore").replace("data/veille.sqlite", str(source)).replace(
        "backups/veille-backup.sqlite", str(backup))
    done = subprocess.run(["sh", "-c", restore], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    restored = Database(sqlite_database.url)
    with restored.reader() as session:
        assert session.scalar(select(func.count()).select_from(Item)) == count
    restored.dispose()


def test_the_postgresql_dump_and_restore_recipes_round_trip(postgres_url: str, tmp_path: Path) -> None:
    base = make_url(postgres_url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    names = [f"veille_backup_{uuid.uuid4().hex[:8]}", f"veille_restore_{uuid.uuid4().hex[:8]}"]
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{names[0]}"'))
        connection.execute(text(f'CREATE DATABASE "{names[1]}"'))
    try:
        original = Database(base.set(database=names[0]).render_as_string(hide_password=False))
        upgrade(original.engine)
        fill(original, 250)
        dump = tmp_path / "veille.dump"
        env_url = f"postgresql://{base.username}@{base.host}:{base.port or 5432}"
        command = recipe("pg-dump").replace("postgresql://veille@db/veille", f"{env_url}/{names[0]}").replace(
            "backups/veille.dump", str(dump))
        done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        restore = recipe("pg-restore").replace("postgresql://veille@db/veille", f"{env_url}/{names[1]}").replace(
            "backups/veille.dump", str(dump))
        done = subprocess.run(["sh", "-c", restore], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        restored = Database(base.set(database=names[1]).render_as_string(hide_password=False))
        check_current(restored.engine)
        with restored.reader() as session:
            assert session.scalar(select(func.count()).select_from(Item)) == 250
        # Sequences came along: a new item gets a fresh id.
        fill(restored, 1, start=250)
        with restored.reader() as session:
            assert session.scalar(select(func.max(Item.id))) == 251
        restored.dispose()
        original.dispose()
    finally:
        with admin.connect() as connection:
            for name in names:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
