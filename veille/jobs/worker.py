"""Crawl-and-process workers: several may share one PostgreSQL database.

A worker loops: release the claims of dead workers of this machine, crawl the due sources
(`crawl_once(due_only=True)`), process the pending items (`process_pending`, once the
pipelines runner exists), then sleeps until the next round. Sources and items are claimed
by the library code (``claimed_by``/``claimed_until`` set inside ``SELECT … FOR UPDATE SKIP
LOCKED`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), so two workers never poll one source
or fetch one article at once.

A worker killed with ``kill -9`` leaves its claims behind; they expire by themselves after
``claim_seconds``. A worker of the same machine does not wait that long: claims whose
``claimed_by`` names this host and a process id that no longer runs are released at once
(`release_dead_claims`), so a restart resumes exactly where the killed run stopped.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy import select, update

from models import Item, Source

from ..core import Veille

log = logging.getLogger(__name__)

__all__ = ["release_dead_claims", "run_worker", "WorkerReport", "pid_alive"]


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (zombies count as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().split(b") ", 1)[1][:1] != b"Z"
    except (OSError, IndexError):
        return True


def _dead_local_workers(claimants: set[str], hostname: str) -> set[str]:
    dead = set()
    for claimant in claimants:
        host, _, pid = claimant.rpartition(":")
        if host != hostname or not pid.isdigit():
            continue  # another machine's worker: its claim expires by itself
        if int(pid) != os.getpid() and not pid_alive(int(pid)):
            dead.add(claimant)
    return dead


def release_dead_claims(app: Veille, *, hostname: str | None = None) -> dict[str, int]:
    """Release the source and item claims held by workers of this machine that no longer run.

    Returns how many sources and items were released. Claims of other machines are left to
    expire (``claimed_until``): we cannot tell whether those workers are alive.
    """
    hostname = hostname or socket.gethostname()
    released = {"sources": 0, "items": 0}
    with app.db.reader() as session:
        claimants = set(session.scalars(select(Source.claimed_by).where(Source.claimed_by.is_not(None)).distinct()))
        claimants |= set(session.scalars(select(Item.claimed_by).where(Item.claimed_by.is_not(None)).distinct()))
    dead = _dead_local_workers(claimants, hostname)
    if not dead:
        return released
    with app.db.transaction() as session:
        for table, key in ((Source, "sources"), (Item, "items")):
            result = session.execute(update(table).where(table.claimed_by.in_(sorted(dead)))
                                     .values(claimed_by=None, claimed_until=None)
                                     .execution_options(synchronize_session=False))
            released[key] = result.rowcount or 0
    log.warning("released the claims of dead workers %s: %d sources, %d items",
                ", ".join(sorted(dead)), released["sources"], released["items"])
    return released


def _process_job() -> Callable[..., Any] | None:
    """`veille.jobs.process.process_pending`, or None while the pipelines runner is not built."""
    try:
        module = importlib.import_module("veille.jobs.process")
    except ModuleNotFoundError as exc:
        if exc.name == "veille.jobs.process":
            return None
        raise
    return getattr(module, "process_pending", None)


@dataclass
class WorkerReport:
    rounds: int = 0
    crawled_sources: int = 0
    new_items: int = 0
    processed: int = 0
    released: dict[str, int] = field(default_factory=lambda: {"sources": 0, "items": 0})
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"{self.rounds} rounds: {self.crawled_sources} sources polled, {self.new_items} new items, "
                f"{self.processed} items processed")
        if any(self.released.values()):
            text += (f"; released the claims of dead workers ({self.released['sources']} sources, "
                     f"{self.released['items']} items)")
        if self.errors:
            text += f"; {len(self.errors)} errors (first: {self.errors[0]})"
        return text


def run_worker(app: Veille, *, once: bool = False, crawl: bool = True, process: bool = True,
               due_only: bool = True, pause: float = 30.0, stop: threading.Event | None = None,
               on_round: Callable[[str], None] | None = None) -> WorkerReport:
    """Crawl and process until ``stop`` is set (or one round with ``once``).

    Each step is a job boundary: its failure is logged and counted, and the loop goes on.
    """
    from .crawl import crawl_once

    stop = stop or threading.Event()
    report = WorkerReport()
    process_pending = _process_job() if process else None
    if process and process_pending is None:
        log.warning("the pipelines runner is not built yet: this worker only crawls")
    while not stop.is_set():
        report.rounds += 1
        parts = []
        try:
            released = release_dead_claims(app)
            for key, value in released.items():
                report.released[key] += value
        except Exception as exc:  # the database is away: try again next round
            log.exception("could not release dead claims")
            report.errors.append(f"release: {exc.__class__.__name__}: {exc}")
        if crawl:
            try:
                crawled = crawl_once(app, due_only=due_only)
                report.crawled_sources += crawled.sources
                report.new_items += crawled.items.get("new", 0)
                parts.append(f"crawl: {crawled.summary()}")
            except Exception as exc:
                log.exception("crawl failed")
                report.errors.append(f"crawl: {exc.__class__.__name__}: {exc}")
        if process_pending is not None:
            try:
                processed = process_pending(app)
                report.processed += processed.items
                parts.append(f"process: {processed.summary()}")
            except Exception as exc:
                log.exception("processing failed")
                report.errors.append(f"process: {exc.__class__.__name__}: {exc}")
        if on_round:
            on_round(" | ".join(parts) or "nothing to do")
        if once:
            break
        stop.wait(pause)
    return report

