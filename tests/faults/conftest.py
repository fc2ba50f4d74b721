"""Fault tests: real worker subprocesses against the demo site on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml
from sqlalchemy import func, insert, select, text

from models import Base, Database, Entity, Item, ItemPage, ItemPlace, ItemSource, Source, ThemeScore
from veille.core import Veille
from veille.demo.site import DemoSite
from veille.jobs.setup import sync_sources
from veille.settings import settings_from_dict

from tests.conftest import _empty_postgres

ROOT = Path(__file__).resolve().parents[2]


class RequestLog(logging.Handler):
    """Counts the requests the demo site answers, by (host:port, path)."""

    PATTERN = re.compile(r'^(\S+) "(?:GET|HEAD) (\S+) HTTP')

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.counts: Counter[str] = Counter()
        self.guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        match = self.PATTERN.match(record.getMessage())
        if match:
            with self.guard:
                self.counts[f"{match.group(1)} {match.group(2).split('?')[0]}"] += 1

    def reset(self) -> None:
        with self.guard:
            self.counts.clear()


@pytest.fixture(scope="module")
def demo_site() -> Iterator[tuple[DemoSite, RequestLog]]:
    requests = RequestLog()
    logger = logging.getLogger("veille.demo.site")
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(requests)
    logger.propagate = False
    with DemoSite() as site:
        yield site, requests
    logger.removeHandler(requests)
    logger.setLevel(previous)
    logger.propagate = True


@dataclass
class Deployment:
    """A config file, a database with the demo sources, and a way to run `veille` on them."""

    config: Path
    database: Database
    site: DemoSite
    requests: RequestLog
    env: dict[str, str] = field(default_factory=dict)

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "veille", "--config", str(self.config), *args]

    def spawn(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self.command(*args), cwd=ROOT, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, **kwargs)

    def run(self, *args: str, timeout: float = 300, check: bool = True, **kwargs: Any) -> subprocess.CompletedProcess:
        done = subprocess.run(self.command(*args), cwd=ROOT, env=self.env, capture_output=True, timeout=timeout,
                              **kwargs)
        if check and done.returncode != 0:
            raise AssertionError(f"veille {' '.join(args)} failed ({done.returncode}):\n"
                                 f"{done.stdout.decode()}\n{done.stderr.decode()}")
        return done


def deploy(tmp_path: Path, database: Database, site: DemoSite, requests: RequestLog,
           pipelines: dict[str, Any] | None = None, **watch: Any) -> Deployment:
    raw = {"data_dir": str(tmp_path / "data"), "database_url": database.url, "log_level": "WARNING",
           "watch": {"allow_private_networks": True, "min_host_gap": 0.0, "concurrency": 4, **watch},
           "pipelines": pipelines or {"workers": 1}, "sources": site.sources()}
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    app = Veille(settings_from_dict(raw, origin="fault test"))
    app.data_dir.mkdir(parents=True, exist_ok=True)
    app.__dict__["db"] = database
    sync_sources(app)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("VEILLE_CONFIG", None)
    return Deployment(config, database, site, requests, env)


@pytest.fixture
def pg_database(postgres_url: str) -> Iterator[Database]:
    """An empty PostgreSQL database, for the tests that are about PostgreSQL only."""
    database = Database(postgres_url)
    _empty_postgres(database)
    yield database
    database.dispose()


@pytest.fixture
def deployment(database: Database, tmp_path: Path, demo_site: tuple[DemoSite, RequestLog]) -> Deployment:
    site, requests = demo_site
    requests.reset()
    return deploy(tmp_path, database, site, requests)


def kill_group(process: subprocess.Popen[bytes]) -> None:
    """kill -9 the process (and anything it started), then reap it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate(timeout=30)


def snapshot(database: Database) -> dict[str, Any]:
    """What a crawl leaves in the database, independent of ids, times and the site's port."""
    with database.reader() as session:
        sources = {s.id: s.name for s in session.scalars(select(Source))}
        linked: dict[int, list[str]] = {}
        for row in session.scalars(select(ItemSource)):
            linked.setdefault(row.item_id, []).append(sources[row.source_id])
        items = {}
        for item in session.scalars(select(Item)):
            # Which source "found it first" depends on thread timing when two outlets list it.
            when = ("first_seen" if item.date_source == "first_seen" or item.published_at is None
                    else item.published_at.isoformat()[:19])
            items[item.canonical_url] = (item.state, item.title, when, item.drop_reason, item.claimed_by,
                                         tuple(sorted(linked.get(item.id, []))))
        links = Counter(sources[row.source_id] for row in session.scalars(select(ItemSource)))
        pages = len(session.scalars(select(ItemPage.item_id)).all())
        claimed = [s.name for s in session.scalars(select(Source).where(Source.claimed_by.is_not(None)))]
    return {"items": items, "links": dict(links), "pages": pages, "claimed_sources": claimed,
            "item_count": len(items)}


def processed_snapshot(database: Database) -> dict[str, Any]:
    """What processing leaves: each item's state and findings, and the stories as a partition."""
    with database.reader() as session:
        urls = dict(session.execute(select(Item.id, Item.canonical_url)).all())
        entities: dict[int, list[tuple[str, str, int]]] = {}
        for e in session.scalars(select(Entity)):
            entities.setdefault(e.item_id, []).append((e.label, e.norm, e.count))
        places: dict[int, list[int]] = {}
        for p in session.scalars(select(ItemPlace)):
            places.setdefault(p.item_id, []).append(p.arrondissement)
        themes: dict[int, list[str]] = {}
        for t in session.scalars(select(ThemeScore)):
            themes.setdefault(t.item_id, []).append(t.theme)
        items, stories = {}, {}
        for item in session.scalars(select(Item)):
            items[item.canonical_url] = (
                item.state, item.drop_reason, item.claimed_by, item.language, item.duplicate_kind,
                urls.get(item.duplicate_of_id), len(item.text or ""), sorted(entities.get(item.id, [])),
                sorted(places.get(item.id, [])), sorted(themes.get(item.id, [])))
            if item.story_id is not None:
                stories.setdefault(item.story_id, set()).add(item.canonical_url)
        counts = {"entities": sum(map(len, entities.values())), "places": sum(map(len, places.values())),
                  "theme_scores": sum(map(len, themes.values()))}
    return {"items": items, "stories": sorted(sorted(s) for s in stories.values()), "counts": counts}


def clone(source: Database, target: Database) -> None:
    """Copy every row of ``source`` into the empty ``target``, ids included (same processing order)."""
    with source.engine.connect() as reading, target.engine.begin() as writing:
        for table in Base.metadata.sorted_tables:
            rows = [dict(row._mapping) for row in reading.execute(select(table))]
            for start in range(0, len(rows), 500):
                writing.execute(insert(table), rows[start:start + 500])
            if target.dialect == "postgresql" and rows and "id" in table.c:
                writing.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                     f"(SELECT max(id) FROM \"{table.name}\"))"))
