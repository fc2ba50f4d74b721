"""Processing jobs: `process_pending` (CLI, demo) and `process_tick` (the scheduler)."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from typing import Callable

from pipelines import (ClusterStage, DedupeOptions, DedupeStage, EnrichOptions, EnrichStage, ExtractOptions,
                       ExtractStage, RunReport, Runner, RunnerOptions, Stage, StoryOptions)

from models.search import index_items

from ..core import Veille

log = logging.getLogger(__name__)

__all__ = ["build_stages", "process_pending", "process_tick"]


class Unavailable(Stage):
    """A configured stage whose code is not there (the theme model's module not installed)."""

    def __init__(self, name: str, reason: str) -> None:
        self.name = name
        self.reason = reason

    def available(self) -> tuple[bool, str]:
        return False, self.reason


def classify_stage(app: Veille) -> Stage:
    """The theme model's stage (`veille.jobs.model.classify_stage`), loaded lazily."""
    try:
        module = importlib.import_module("veille.jobs.model")
    except ModuleNotFoundError as exc:
        return Unavailable("classify", f"the theme model is not installed ({exc.name})")
    factory = getattr(module, "classify_stage", None)
    if factory is None:
        return Unavailable("classify", "veille.jobs.model has no classify_stage")
    return factory(app)


def build_stages(app: Veille) -> list[Stage]:
    """The configured stages, in order, with options from the settings."""
    p = app.settings.pipelines
    makers: dict[str, Callable[[], Stage]] = {
        "extract": lambda: ExtractStage(ExtractOptions(
            min_text_chars=p.min_text_chars, languages=tuple(p.languages),
            max_html_bytes=app.settings.watch.max_article_bytes + 1024)),
        "dedupe": lambda: DedupeStage(DedupeOptions(
            threshold=p.near_duplicate_threshold, window_hours=p.duplicate_window_hours,
            agencies=tuple(p.wire_agencies))),
        "enrich": lambda: EnrichStage(EnrichOptions(min_place_score=p.min_place_score)),
        "classify": lambda: classify_stage(app),
        "cluster": lambda: ClusterStage(StoryOptions(
            threshold=p.story_threshold, window_days=p.story_window_days, continuity=p.story_continuity)),
    }
    return [makers[name]() for name in p.stages]


def runner_options(app: Veille) -> RunnerOptions:
    p = app.settings.pipelines
    workers = p.workers or os.cpu_count() or 1
    return RunnerOptions(batch_size=p.batch_size, workers=workers, worker_id=app.worker_id,
                         after_store=index_items)


def process_pending(app: Veille, *, progress: bool = False, limit: int | None = None) -> RunReport:
    """Run the stages on every item waiting for them (at most ``limit``); the run's report."""
    show: Callable[[int, int], None] | None = None
    if progress:
        def show(done: int, total: int) -> None:
            end = "\n" if done >= total else ""
            sys.stderr.write(f"\r  processed {done}/{total} items{end}")
            sys.stderr.flush()
    runner = Runner(app.db, build_stages(app), runner_options(app), progress=show)
    return runner.run(limit=limit)


def process_tick(app: Veille) -> RunReport:
    """The scheduler's job: process what the crawler brought since the last tick."""
    report = process_pending(app)
    if report.items:
        log.info("process: %s", report.summary())
    return report
