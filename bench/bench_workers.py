"""One worker against two on one PostgreSQL database: the speed-up of crawl-and-process.

Serves the demo outlets on loopback (veille.demo.site.DemoSite, 7 outlets, 176 articles),
with a per-request delay standing for a real site's latency, then, for 1 and for 2 workers
(`veille worker` subprocesses), starts from an empty database and measures the wall-clock
time until every source is polled and every item processed. Small claims (watch.batch_size)
let the workers share the sources.

    .venv/bin/python bench/bench_workers.py [--delay 0.05] [--stages extract,dedupe,cluster]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import yaml
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from models import Database, Item, Source  # noqa: E402
from models.migrate import upgrade  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def run(site, workers: int, pg: str, stages: list[str], out: Path) -> tuple[float, int]:
    from veille.core import Veille
    from veille.jobs.setup import sync_sources
    from veille.settings import settings_from_dict

    base = make_url(pg)
    name = f"veille_bench_workers_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        database = Database(url)
        upgrade(database.engine)
        raw = {"database_url": url, "data_dir": str(out / "data"), "log_level": "WARNING",
               "watch": {"allow_private_networks": True, "min_host_gap": 0.0, "concurrency": 2, "batch_size": 2},
               "pipelines": {"workers": 1, "batch_size": 8, "stages": stages}, "sources": site.sources()}
        config = out / f"workers-{workers}.yaml"
        config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
        app = Veille(settings_from_dict(raw))
        app.__dict__["db"] = database
        sync_sources(app)
        started = time.monotonic()
        procs = [subprocess.Popen([sys.executable, "-m", "veille", "--config", str(config), "worker", "--pause", "0.2"],
                                  cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                 for _ in range(workers)]
        try:
            while True:
                time.sleep(0.25)
                with database.reader() as session:
                    unpolled = session.scalar(select(func.count()).select_from(Source)
                                              .where(Source.last_checked_at.is_(None)))
                    total = session.scalar(select(func.count()).select_from(Item))
                    waiting = session.scalar(select(func.count()).select_from(Item)
                                             .where(Item.state.not_in(["done", "dropped"])))
                if unpolled == 0 and total and waiting == 0:
                    break
                if time.monotonic() - started > 900:
                    raise SystemExit("the workers did not finish in 15 minutes")
            elapsed = time.monotonic() - started
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=120)
        database.dispose()
        return elapsed, total
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each demo-site response waits")
    parser.add_argument("--stages", default="extract,dedupe,cluster")
    parser.add_argument("--max-workers", type=int, default=2)
    args = parser.parse_args(argv)

    from veille.demo import site as demo

    handler = demo._Handler
    original = handler._respond

    def slow(self, head: bool) -> None:  # a real site's latency, on loopback
        time.sleep(args.delay)
        original(self, head)

    handler._respond = slow
    stages = args.stages.split(",")
    out = Path(tempfile.mkdtemp(prefix="veille-bench-workers-"))
    results = {}
    with demo.DemoSite() as site:
        for n in range(1, args.max_workers + 1):
            elapsed, items = run(site, n, args.postgres, stages, out)
            results[n] = elapsed
            print(f"{n} worker(s): {items} items crawled and processed ({', '.join(stages)}) in {elapsed:.1f} s",
                  flush=True)
    for n in range(2, args.max_workers + 1):
        print(f"speed-up {n} workers / 1 worker: {results[1] / results[n]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
