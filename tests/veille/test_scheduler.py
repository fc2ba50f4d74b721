import threading
import time

import pytest
from sqlalchemy import select

from models import Run
from veille.core import Veille
from veille.scheduler import JobSpec, SchedulerLock, SchedulerLockError, build_scheduler, guarded, job_specs

CALLS: list[str] = []


def boom(app: Veille) -> None:
    raise RuntimeError("the feed server fell over")


def slow(app: Veille) -> None:
    CALLS.append("start")
    time.sleep(0.3)
    CALLS.append("end")


def test_a_failing_job_is_recorded_and_does_not_raise(app: Veille) -> None:
    job = guarded(app, JobSpec("crawl", "tests.veille.test_scheduler:boom", None, "test"))
    job()  # must not raise
    with app.db.reader() as session:
        run = session.scalars(select(Run)).one()
    assert run.kind == "crawl" and run.status == "failed"
    assert "the feed server fell over" in run.message


def test_a_job_that_cannot_be_imported_is_recorded_too(sqlite_app: Veille) -> None:
    guarded(sqlite_app, JobSpec("x", "veille.jobs.nothing_here:tick", None, "test"))()
    with sqlite_app.db.reader() as session:
        assert "ModuleNotFoundError" in session.scalars(select(Run)).one().message


def test_only_one_scheduler_runs_per_database(app: Veille) -> None:
    first, second = SchedulerLock(app), SchedulerLock(app)
    first.acquire()
    try:
        with pytest.raises(SchedulerLockError, match="already running"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_every_job_is_single_instance_and_coalesced(sqlite_app: Veille) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = build_scheduler(sqlite_app, BackgroundScheduler)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
    finally:
        scheduler.shutdown(wait=False)
    assert set(jobs) == {spec.id for spec in job_specs(sqlite_app)}
    assert all(job.max_instances == 1 and job.coalesce for job in jobs.values())


def test_a_tick_that_overruns_never_runs_twice_at_once(sqlite_app: Veille) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    CALLS.clear()
    scheduler = BackgroundScheduler(job_defaults={"coalesce": True, "max_instances": 1})
    spec = JobSpec("slow", "tests.veille.test_scheduler:slow", IntervalTrigger(seconds=0.1), "test")
    scheduler.add_job(guarded(sqlite_app, spec), spec.trigger)
    scheduler.start()
    time.sleep(1.0)
    scheduler.shutdown(wait=True)
    # Calls alternate start/end: never two starts in a row.
    assert CALLS and all(a != b for a, b in zip(CALLS, CALLS[1:]))


def test_the_weekly_build_follows_the_configured_day_and_hour(sqlite_app: Veille) -> None:
    spec = {s.id: s for s in job_specs(sqlite_app)}["digest"]
    fields = {f.name: str(f) for f in spec.trigger.fields}
    assert fields["day_of_week"] == "mon" and fields["hour"] == "7"
    assert str(spec.trigger.timezone) == "Europe/Paris"


def test_run_scheduler_stops_cleanly_when_asked(sqlite_app: Veille) -> None:
    from veille.scheduler import run_scheduler

    stop = threading.Event()
    thread = threading.Thread(target=run_scheduler, args=(sqlite_app,), kwargs={"stop": stop})
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive()
