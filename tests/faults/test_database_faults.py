"""The database goes away (PostgreSQL backends terminated) or the disk fills up during a run:
a clear error, nothing corrupted, and the next run ends as an uninterrupted one."""

from __future__ import annotations

import random
import resource
import shutil
import time
from pathlib import Path
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models import Database
from tests.conftest import _empty_postgres

from .conftest import deploy
from .test_kill import check_equal, reference  # noqa: F401 (the module fixture)


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url, connect_args={"application_name": "faults-observer"})
    _empty_postgres(database)
    yield database
    database.dispose()


def fetched(database: Database) -> int:
    with database.engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM items WHERE state = 'fetched'")).scalar()


def terminate_backends(url: str) -> int:
    """pg_terminate_backend on every other connection to this test's own database."""
    parsed = make_url(url)
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            return len(connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid() AND application_name <> 'faults-observer'"),
                {"name": parsed.database}).all())
    finally:
        admin.dispose()


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_postgresql_connections_cut_mid_crawl_then_a_rerun_ends_as_an_uninterrupted_run(
        pg_database: Database, tmp_path: Path, demo_site, reference, seed: int) -> None:
    site, requests = demo_site
    deployment = deploy(tmp_path, pg_database, site, requests)
    rng = random.Random(seed)
    # Cut every connection when the crawl has fetched these many articles: always mid-run.
    thresholds = sorted(rng.sample(range(1, 170), 3))
    process = deployment.spawn("worker", "--once", "--all-sources", "--no-process")
    cut = 0
    for threshold in thresholds:
        while process.poll() is None and fetched(pg_database) < threshold:
            time.sleep(0.02)
        if process.poll() is not None:
            break
        cut += terminate_backends(pg_database.url)
    out, err = process.communicate(timeout=300)
    text_out = out.decode() + err.decode()
    if process.returncode != 0:  # the round saw the cut: it says so, in one line, without a traceback
        assert "Traceback" not in err.decode() and "veille: " in err.decode(), text_out
    deployment.run("worker", "--once", "--all-sources", "--no-process")
    check_equal(deployment, reference)
    assert cut >= 1, "no connection was cut: the run ended before the first cut"


def test_disk_full_while_crawling_into_sqlite_fails_clearly_corrupts_nothing_and_resumes(
        sqlite_database: Database, tmp_path: Path, demo_site, reference) -> None:
    site, requests = demo_site
    deployment = deploy(tmp_path, sqlite_database, site, requests)
    path = Path(make_url(sqlite_database.url).database)
    sqlite_database.dispose()
    limit = path.stat().st_size + 400_000  # room for part of the crawl only

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = deployment.run("worker", "--once", "--all-sources", "--no-process", check=False, preexec_fn=small_disk)
    message = done.stderr.decode().strip().split("\nveille: ", 1)[-1]
    assert done.returncode != 0, done.stdout.decode()
    assert "The disk holding the database looks full: free some space, then run again." in message, message
    # Nothing is corrupted, and what was written before the disk filled is kept.
    with sqlite_database.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        partial = connection.exec_driver_sql("SELECT count(*) FROM items").scalar()
    assert partial > 0
    # Room again: the next run completes, and the result is the uninterrupted one.
    deployment.run("worker", "--once", "--all-sources", "--no-process")
    check_equal(deployment, reference)
