"""The worker loop and the release of dead workers' claims."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from models import Item, Source, utcnow
from veille.core import Veille
from veille.jobs.worker import pid_alive, release_dead_claims, run_worker


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_claims_of_dead_local_workers_are_released_and_live_or_remote_ones_kept(app: Veille) -> None:
    host = socket.gethostname()
    dead, alive = f"{host}:{dead_pid()}", f"{host}:{subprocess.os.getpid()}"
    remote = "elsewhere.example:1"
    until = utcnow() + timedelta(minutes=15)
    with app.db.transaction() as session:
        sources = [Source(name=f"S{i}", url=f"http://127.0.0.1/{i}", outlet_type="local",
                          claimed_by=who, claimed_until=until) for i, who in enumerate([dead, alive, remote])]
        session.add_all(sources)
        session.flush()
        session.add_all([Item(canonical_url=f"http://127.0.0.1/a/{i}", url=f"http://127.0.0.1/a/{i}",
                              source_id=sources[0].id, claimed_by=who, claimed_until=until)
                         for i, who in enumerate([dead, dead, alive, remote])])
    assert not pid_alive(int(dead.rsplit(":", 1)[1]))
    assert release_dead_claims(app) == {"sources": 1, "items": 2}
    with app.db.reader() as session:
        assert sorted(filter(None, session.scalars(select(Source.claimed_by)))) == sorted([alive, remote])
        assert sorted(filter(None, session.scalars(select(Item.claimed_by)))) == sorted([alive, remote])
    assert release_dead_claims(app) == {"sources": 0, "items": 0}


def test_a_failing_crawl_is_counted_and_the_worker_goes_on(app: Veille, monkeypatch) -> None:
    import veille.jobs.crawl as crawl_jobs

    def broken(*_args, **_kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(crawl_jobs, "crawl_once", broken)
    rounds = []
    report = run_worker(app, once=True, process=False, on_round=rounds.append)
    assert report.rounds == 1 and report.errors == ["crawl: RuntimeError: database went away"]
    assert rounds == ["nothing to do"]
    assert "1 errors" in report.summary()
