"""kill -9 the crawler at random points, many times, and restart: the final database equals an
uninterrupted run's (same items, no duplicates, nothing left claimed or half done)."""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from models import Database, Item, ItemSource

from .conftest import Deployment, deploy, kill_group, snapshot


@pytest.fixture(scope="module")
def reference(demo_site, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One uninterrupted crawl of the demo site on a fresh SQLite database, and how long it took."""
    site, requests = demo_site
    folder = tmp_path_factory.mktemp("reference")
    shutil.copyfile(sqlite_template, folder / "veille.sqlite")
    database = Database(f"sqlite:///{folder / 'veille.sqlite'}")
    deployment = deploy(folder, database, site, requests)
    started = time.monotonic()
    done = deployment.run("worker", "--once", "--all-sources", "--no-process")
    print(done.stdout.decode(), done.stderr.decode())
    elapsed = time.monotonic() - started
    result = snapshot(database)
    database.dispose()
    assert result["item_count"] > 100 and not result["claimed_sources"]
    return {"snapshot": result, "elapsed": elapsed}


def kill_and_restart(deployment: Deployment, reference: dict[str, Any], *, kills: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    points = []
    for _ in range(kills):
        delay = rng.uniform(0.2, reference["elapsed"])
        process = deployment.spawn("worker", "--once", "--all-sources", "--no-process")
        time.sleep(delay)
        kill_group(process)
        points.append(round(delay, 2))
    deployment.run("worker", "--once", "--all-sources", "--no-process")
    return points


def check_equal(deployment: Deployment, reference: dict[str, Any]) -> None:
    got = snapshot(deployment.database)
    want = reference["snapshot"]
    assert got["item_count"] == want["item_count"]
    differ = {url: (got["items"].get(url), value) for url, value in want["items"].items()
              if got["items"].get(url) != value}
    assert not differ, "\n".join(f"{url}: got {a}, want {b}" for url, (a, b) in list(differ.items())[:5])
    assert got["links"] == want["links"]
    assert got["pages"] == want["pages"]
    assert got["claimed_sources"] == []
    with deployment.database.reader() as session:
        assert session.scalar(select(func.count()).select_from(Item).where(Item.claimed_by.is_not(None))) == 0
        assert session.scalar(select(func.count()).select_from(Item).where(Item.state == "discovered")) == \
            sum(1 for v in want["items"].values() if v[0] == "discovered")


def test_the_crawler_killed_twice_then_restarted_ends_as_an_uninterrupted_run(
        deployment: Deployment, reference: dict[str, Any]) -> None:
    kill_and_restart(deployment, reference, kills=2, seed=8)
    check_equal(deployment, reference)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2])
def test_the_crawler_killed_ten_times_at_random_points_ends_as_an_uninterrupted_run(
        deployment: Deployment, reference: dict[str, Any], seed: int) -> None:
    points = kill_and_restart(deployment, reference, kills=10, seed=seed)
    print("kill points (s after start):", points)
    check_equal(deployment, reference)
