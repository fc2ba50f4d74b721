"""kill -9 `veille process` at random points, many times, and restart: the final database
equals an uninterrupted run's (same states, findings and stories; no row twice; no claim left)."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from models import Database

from .conftest import Deployment, clone, deploy, kill_group, processed_snapshot

FAST_STAGES = ["extract", "dedupe", "cluster"]


@pytest.fixture(scope="module")
def crawl_file(demo_site, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo site crawled once into a SQLite file: every test processes a copy of it, ids included."""
    site, requests = demo_site
    folder = tmp_path_factory.mktemp("crawl")
    shutil.copyfile(sqlite_template, folder / "veille.sqlite")
    database = Database(f"sqlite:///{folder / 'veille.sqlite'}")
    deploy(folder, database, site, requests).run("worker", "--once", "--all-sources", "--no-process")
    with database.engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return folder / "veille.sqlite"


def crawled(folder: Path, database: Database, demo_site, crawl_file: Path, stages: list[str]) -> Deployment:
    site, requests = demo_site
    copy = Database(f"sqlite:///{crawl_file}")
    clone(copy, database)
    copy.dispose()
    return deploy(folder, database, site, requests, pipelines={"workers": 1, "batch_size": 16, "stages": stages})


def reference_run(demo_site, crawl_file: Path, sqlite_template: Path, folder: Path,
                  stages: list[str]) -> dict[str, Any]:
    folder.mkdir(exist_ok=True)
    shutil.copyfile(sqlite_template, folder / "veille.sqlite")
    database = Database(f"sqlite:///{folder / 'veille.sqlite'}")
    deployment = crawled(folder, database, demo_site, crawl_file, stages)
    started = time.monotonic()
    deployment.run("process")
    elapsed = time.monotonic() - started
    result = processed_snapshot(database)
    database.dispose()
    assert len(result["items"]) > 100 and result["stories"]
    return {"snapshot": result, "elapsed": elapsed}


@pytest.fixture(scope="module")
def reference_fast(demo_site, crawl_file, sqlite_template, tmp_path_factory) -> dict[str, Any]:
    return reference_run(demo_site, crawl_file, sqlite_template, tmp_path_factory.mktemp("ref-fast"), FAST_STAGES)


def kill_and_restart(deployment: Deployment, elapsed: float, *, kills: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    points = []
    for _ in range(kills):
        delay = rng.uniform(0.5, elapsed)
        process = deployment.spawn("process")
        time.sleep(delay)
        kill_group(process)
        points.append(round(delay, 2))
    deployment.run("process")
    return points


def check_equal(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["counts"] == want["counts"]
    assert got["items"] == want["items"]
    assert got["stories"] == want["stories"]


@pytest.mark.slow
def test_processing_killed_twice_then_restarted_ends_as_an_uninterrupted_run(
        database: Database, tmp_path: Path, demo_site, crawl_file: Path, reference_fast: dict[str, Any]) -> None:
    deployment = crawled(tmp_path, database, demo_site, crawl_file, FAST_STAGES)
    kill_and_restart(deployment, reference_fast["elapsed"], kills=2, seed=3)
    check_equal(processed_snapshot(database), reference_fast["snapshot"])


@pytest.mark.slow
@pytest.mark.parametrize("seed", [11])
def test_processing_with_every_stage_killed_ten_times_ends_as_an_uninterrupted_run(
        database: Database, tmp_path: Path, demo_site, crawl_file: Path, sqlite_template: Path, seed: int) -> None:
    stages = ["extract", "dedupe", "enrich", "classify", "cluster"]
    reference = reference_run(demo_site, crawl_file, sqlite_template, tmp_path / "ref", stages)
    deployment = crawled(tmp_path, database, demo_site, crawl_file, stages)
    points = kill_and_restart(deployment, reference["elapsed"], kills=10, seed=seed)
    print("kill points (s after start):", points)
    check_equal(processed_snapshot(database), reference["snapshot"])
