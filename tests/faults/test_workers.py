"""Two workers on one PostgreSQL database: no source polled twice, no article fetched twice,
no item processed twice, and together they finish everything."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from models import Database, Item, Run, Source

from .conftest import Deployment, deploy

STAGES = ["extract", "dedupe", "cluster"]


def run_workers(deployment: Deployment, n: int, timeout: float = 240) -> float:
    """Start ``n`` looping workers, wait until every item is processed, stop them; seconds taken."""
    started = time.monotonic()
    workers = [deployment.spawn("worker", "--pause", "0.2") for _ in range(n)]
    try:
        while time.monotonic() - started < timeout:
            time.sleep(0.5)
            with deployment.database.reader() as session:
                unpolled = session.scalar(select(func.count()).select_from(Source)
                                          .where(Source.last_checked_at.is_(None)))
                waiting = session.scalar(select(func.count()).select_from(Item)
                                         .where(Item.state.not_in(["done", "dropped"])))
                total = session.scalar(select(func.count()).select_from(Item))
            if unpolled == 0 and total and waiting == 0:
                break
            for worker in workers:
                assert worker.poll() is None, worker.communicate()[1].decode()[-2000:]
        else:
            pytest.fail(f"{waiting} items still waiting after {timeout} s")
        return time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            out, err = worker.communicate(timeout=120)
            assert worker.returncode == 0, err.decode()[-2000:]


def test_two_workers_share_the_work_and_never_do_anything_twice(pg_database: Database, tmp_path: Path,
                                                                demo_site) -> None:
    site, requests = demo_site
    requests.reset()
    # Small claims, so both workers take sources and articles in turn.
    deployment = deploy(tmp_path, pg_database, site, requests, batch_size=2,
                        pipelines={"workers": 1, "batch_size": 8, "stages": STAGES})
    run_workers(deployment, 2)
    counts = dict(requests.counts)
    feeds = {source["url"].split("/", 3)[-1] for source in site.sources()}
    polled = {path: n for path, n in counts.items() if "/" + path.split(" /", 1)[1].lstrip("/") in
              {"/" + f for f in feeds}}
    assert len(polled) == len(feeds) and set(polled.values()) == {1}, polled
    with pg_database.reader() as session:
        items = session.scalar(select(func.count()).select_from(Item))
        runs = session.scalars(select(Run).where(Run.kind == "process")).all()
        crawl_workers = set(session.scalars(select(Run.worker).where(Run.kind == "crawl", Run.items > 0)))
    articles = {k: n for k, n in counts.items() if k.split(" ", 1)[1] not in {"/robots.txt"}
                and k not in polled and not k.endswith((".svg",))}
    assert len(articles) == items - 0 and set(articles.values()) == {1}, \
        {k: n for k, n in articles.items() if n != 1}
    extracted = sum((run.counters or {}).get("extract", {}).get("in", 0) for run in runs)
    assert extracted == items  # each item went through extraction exactly once
    assert len({run.worker for run in runs if (run.counters or {}).get("extract")}) == 2
    assert len(crawl_workers) == 2
