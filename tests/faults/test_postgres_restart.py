"""PostgreSQL itself restarted (``pg_ctlcluster … restart``) in the middle of a crawl and in the
middle of processing: the run stops with a one-line error or rides it out, nothing is lost or
doubled, and the next run ends as an uninterrupted one.

These tests restart the local server the test database lives on, so they are slow tests (CI
runs them) and they need that server to be a cluster of this machine (``pg_lsclusters``).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from models import Database

from .conftest import deploy, processed_snapshot
from .test_kill import check_equal as check_crawl_equal
from .test_kill import reference  # noqa: F401 (module fixture: an uninterrupted crawl)
from .test_kill_process import FAST_STAGES, crawl_file, crawled, reference_fast  # noqa: F401 (fixtures)
from .test_kill_process import check_equal as check_processing_equal

pytestmark = pytest.mark.slow


def local_cluster(url: str) -> tuple[str, str]:
    """(version, name) of the local cluster serving ``url``; skips when there is none to restart."""
    parsed = make_url(url)
    if parsed.host not in ("127.0.0.1", "localhost", None) or shutil.which("pg_lsclusters") is None:
        pytest.skip(f"PostgreSQL at {parsed.host} is not a cluster of this machine: cannot restart it")
    listing = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        fields = line.split()
        if len(fields) >= 4 and fields[2] == str(parsed.port or 5432) and fields[3].startswith("online"):
            return fields[0], fields[1]
    pytest.skip(f"no online local cluster on port {parsed.port or 5432} (pg_lsclusters)")


def restart(cluster: tuple[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart", "-m", "fast"],
                   check=True, capture_output=True, timeout=120)
    return time.monotonic() - started


def count(database: Database, sql: str) -> int:
    try:
        with database.engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar() or 0)
    except Exception:  # the server is away for a moment
        return 0


def wait_for(process: subprocess.Popen[bytes], reached: Callable[[], bool], limit: float = 240) -> None:
    deadline = time.monotonic() + limit
    while process.poll() is None and not reached() and time.monotonic() < deadline:
        time.sleep(0.05)


def finished(process: subprocess.Popen[bytes]) -> str:
    out, err = process.communicate(timeout=300)
    if process.returncode != 0:  # the run saw the restart: it says so in one line, no traceback
        assert "Traceback" not in err.decode() and "veille: " in err.decode(), out.decode() + err.decode()
    return err.decode()


def test_postgresql_restarted_mid_crawl_then_a_rerun_ends_as_an_uninterrupted_run(
        pg_database: Database, postgres_url: str, tmp_path: Path, demo_site, reference: dict[str, Any]) -> None:
    cluster = local_cluster(postgres_url)
    site, requests = demo_site
    deployment = deploy(tmp_path, pg_database, site, requests)
    process = deployment.spawn("worker", "--once", "--all-sources", "--no-process")
    wait_for(process, lambda: count(pg_database, "SELECT count(*) FROM items WHERE state = 'fetched'") >= 40)
    assert process.poll() is None, "the crawl ended before the restart: nothing was tested"
    took = restart(cluster)
    print(f"restarted PostgreSQL in {took:.1f} s; crawl said: {finished(process).strip()[-300:]}")
    deployment.run("worker", "--once", "--all-sources", "--no-process")
    check_crawl_equal(deployment, reference)


def test_postgresql_restarted_mid_processing_then_a_rerun_ends_as_an_uninterrupted_run(
        pg_database: Database, postgres_url: str, tmp_path: Path, demo_site, crawl_file: Path,
        reference_fast: dict[str, Any]) -> None:
    cluster = local_cluster(postgres_url)
    deployment = crawled(tmp_path, pg_database, demo_site, crawl_file, FAST_STAGES)
    process = deployment.spawn("process")
    wait_for(process, lambda: count(pg_database, "SELECT count(*) FROM items WHERE state = 'done'") >= 16)
    assert process.poll() is None, "processing ended before the restart: nothing was tested"
    took = restart(cluster)
    print(f"restarted PostgreSQL in {took:.1f} s; processing said: {finished(process).strip()[-300:]}")
    deployment.run("process")
    check_processing_equal(processed_snapshot(pg_database), reference_fast["snapshot"])
