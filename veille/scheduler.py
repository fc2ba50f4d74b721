"""`veille run`: one APScheduler process that drives every background role.

Jobs are kept in memory, not in an APScheduler job store: what is due lives in the
database (sources' ``next_check_at``, items' states, reviews and deliveries), so a restart
loses nothing and there is nothing to pickle. Each job runs with ``max_instances=1`` and
``coalesce=True``: a tick that overruns never overlaps the next one. Every job is wrapped
at its boundary: an exception is logged with its traceback and recorded on a run row, and
the scheduler goes on (style habit 7).

Only one scheduler may run per database: `SchedulerLock` takes a PostgreSQL advisory lock,
or an exclusive file lock next to the SQLite file.
"""

from __future__ import annotations

import fcntl
import importlib
import logging
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from models import Run, utcnow

from .core import Veille

log = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x7665696C6C65  # "veille"
WEEKDAYS = {"monday": "mon", "tuesday": "tue", "wednesday": "wed", "thursday": "thu", "friday": "fri",
            "saturday": "sat", "sunday": "sun"}


class SchedulerLockError(RuntimeError):
    pass


class SchedulerLock:
    """Exclusive per database; released when the process ends, even on kill -9."""

    def __init__(self, app: Veille) -> None:
        self.app = app
        self._file: Any = None
        self._connection: Any = None

    def acquire(self) -> None:
        if self.app.db.dialect == "postgresql":
            self._connection = self.app.db.engine.connect()
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:k)"),
                                           {"k": ADVISORY_LOCK_KEY}).scalar()
            self._connection.commit()
            if not got:
                self._connection.close()
                raise SchedulerLockError("another `veille run` is already running on this database")
            return
        path = Path(self.app.data_dir) / "scheduler.lock"
        self._file = open(path, "w")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            raise SchedulerLockError(f"another `veille run` is already running on this database ({path})") from None

    def release(self) -> None:
        if self._connection is not None:
            # The lock belongs to the session: unlock before the connection goes back to the pool.
            self._connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_LOCK_KEY})
            self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()


@dataclass(frozen=True)
class JobSpec:
    id: str
    target: str  # "module:function" taking the app
    trigger: Any
    description: str


def job_specs(app: Veille) -> list[JobSpec]:
    settings = app.settings
    zone = settings.timezone
    return [
        JobSpec("crawl", "veille.jobs.crawl:crawl_tick", IntervalTrigger(seconds=settings.watch.tick_seconds),
                "poll due sources and fetch new articles"),
        JobSpec("process", "veille.jobs.process:process_tick", IntervalTrigger(seconds=60),
                "run the processing stages on new items"),
        JobSpec("digest", "veille.jobs.digest:weekly_tick",
                CronTrigger(day_of_week=WEEKDAYS[settings.digests.build_weekday],
                            hour=settings.digests.build_hour, timezone=zone),
                "build last week's reviews (and publish those set to auto-publish)"),
        JobSpec("send", "veille.jobs.digest:send_tick", IntervalTrigger(minutes=5),
                "deliver published reviews not yet sent"),
        JobSpec("retrain", "veille.jobs.model:retrain_tick", IntervalTrigger(hours=1),
                "retrain the theme model when enough new labels exist"),
    ]


def resolve(target: str) -> Callable[[Veille], Any]:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def guarded(app: Veille, spec: JobSpec) -> Callable[[], None]:
    """The job as the scheduler calls it: failures are logged and recorded, never raised."""

    def run_job() -> None:
        try:
            function = resolve(spec.target)
            function(app)
        except Exception as exc:
            log.exception("job %s failed", spec.id)
            try:
                with app.db.transaction() as session:
                    session.add(Run(kind=spec.id, status="failed", finished_at=utcnow(), worker=app.worker_id,
                                    message=f"{exc.__class__.__name__}: {exc}"[:2000]))
            except Exception:
                log.exception("job %s: could not record the failure", spec.id)

    run_job.__name__ = f"job_{spec.id}"
    return run_job


def build_scheduler(app: Veille, scheduler_class: type[BaseScheduler] = BlockingScheduler) -> BaseScheduler:
    scheduler = scheduler_class(
        timezone=app.settings.timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    for spec in job_specs(app):
        scheduler.add_job(guarded(app, spec), spec.trigger, id=spec.id, name=spec.description,
                          replace_existing=True)
    return scheduler


def run_scheduler(app: Veille, *, stop: threading.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop`` is set, for tests)."""
    lock = SchedulerLock(app)
    lock.acquire()
    scheduler = build_scheduler(app)
    for job in scheduler.get_jobs():
        log.info("scheduled: %s (%s)", job.id, job.name)

    def shutdown(*_: Any) -> None:
        log.info("stopping the scheduler")
        scheduler.shutdown(wait=True)

    if stop is not None:
        threading.Thread(target=lambda: (stop.wait(), shutdown()), daemon=True).start()
    elif threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, shutdown)
    # A first crawl and process right away, instead of waiting a whole interval.
    for job_id in ("crawl", "process", "send"):
        scheduler.modify_job(job_id, next_run_time=utcnow())
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        lock.release()
