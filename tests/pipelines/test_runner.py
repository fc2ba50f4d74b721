"""The runner: stages in order, counters on the run row, drops with reasons, resume after a crash."""

from __future__ import annotations

import os
from typing import Sequence

import pytest
from sqlalchemy import func, select

from models import Item, Run
from pipelines import (DedupeStage, DocumentStage, Drop, ExtractStage, Runner, RunnerOptions, SessionStage)
from pipelines.document import Document

from .conftest import add_items


class Crash(DocumentStage):
    """Dies (like a kill) on the n-th document it sees."""

    name = "enrich"

    def __init__(self, after: int) -> None:
        self.after = after
        self.seen = 0

    def process(self, doc: Document) -> Document:
        self.seen += 1
        if self.seen > self.after:
            raise KeyboardInterrupt
        return doc


class Picky(DocumentStage):
    name = "enrich"

    def process(self, doc: Document) -> Document:
        if "Seine" in (doc.title or ""):
            raise Drop("no_seine", "the test drops it")
        if "Tolbiac" in (doc.title or ""):
            raise ValueError("a bug in a stage")
        return doc


class Tagger(DocumentStage):
    """Runs ahead of dedupe in the workers: writes where it ran into the lemmas, drops the Seine."""

    name = "enrich"
    ahead = True
    writes = ("lemmas",)

    def process(self, doc: Document) -> Document:
        if "Seine" in (doc.title or ""):
            raise Drop("no_seine", "the test drops it")
        doc.lemmas = f"pid {os.getpid()}"
        return doc


class AheadPicky(Picky):
    ahead = True


class Unavailable(SessionStage):
    name = "classify"

    def available(self) -> tuple[bool, str]:
        return False, "no model"


def states(db) -> dict[str, int]:
    with db.reader() as session:
        return dict(session.execute(select(Item.state, func.count()).group_by(Item.state)).all())


def test_items_go_through_every_stage_and_the_run_keeps_the_counters(database, demo_articles) -> None:
    add_items(database, demo_articles[:20])
    report = Runner(database, [ExtractStage(), DedupeStage(), Unavailable()], RunnerOptions(batch_size=8)).run()
    assert report.items == 20 and report.status == "ok"
    assert states(database) == {"done": 20}
    assert report.skipped == {"classify": "no model"}
    with database.reader() as session:
        run = session.scalars(select(Run)).one()
        assert run.status == "ok" and run.items == 20
        assert run.counters["extract"] == {"in": 20, "out": 20}
        item = session.scalars(select(Item).order_by(Item.id)).first()
        assert item.text and "Tous droits réservés" not in item.text and item.language == "fr"
    assert "20 items processed" in report.summary() and "classify: skipped (no model)" in report.details()


def test_a_dropped_item_keeps_its_row_and_reason_and_a_failing_item_does_not_sink_the_batch(
        database, demo_articles) -> None:
    chosen = [a for a in demo_articles if "Seine" in a["title"]][:1] + \
             [a for a in demo_articles if "Tolbiac" in a["title"]][:1] + demo_articles[:3]
    add_items(database, chosen)
    report = Runner(database, [ExtractStage(), Picky()], RunnerOptions(batch_size=10)).run()
    assert report.counters["enrich"]["drop:no_seine"] == 1
    assert report.counters["enrich"]["drop:error:enrich"] >= 1
    assert report.errors and "a bug in a stage" in report.errors[0]["message"]
    with database.reader() as session:
        dropped = dict(session.execute(select(Item.title, Item.drop_reason).where(Item.state == "dropped")).all())
    assert "no_seine" in dropped.values() and "error:enrich" in dropped.values()
    assert states(database)["done"] == 3


def test_with_worker_processes_the_stages_ahead_of_dedupe_give_the_same_items_and_counters(
        database, demo_articles) -> None:
    seine = [a for a in demo_articles if "Seine" in a["title"]][:2]
    chosen = seine + [a for a in demo_articles if a not in seine][:10]
    add_items(database, chosen)
    report = Runner(database, [ExtractStage(), DedupeStage(), Tagger()],
                    RunnerOptions(batch_size=6, workers=2, min_parallel=2)).run()
    assert report.items == 12 and report.status == "ok"
    dropped = report.counters["enrich"]["drop:no_seine"]
    assert dropped >= 2 and report.counters["enrich"]["out"] == 12 - dropped
    assert report.counters["extract"] == {"in": 12, "out": 12}
    assert report.counters["dedupe"]["in"] == 12
    with database.reader() as session:
        rows = session.execute(select(Item.state, Item.drop_reason, Item.lemmas, Item.text)).all()
    assert sorted(state for state, *_ in rows) == ["done"] * (12 - dropped) + ["dropped"] * dropped
    assert {reason for state, reason, _, _ in rows if state == "dropped"} == {"no_seine"}
    done = [(lemmas, text) for state, _, lemmas, text in rows if state == "done"]
    assert all(text and lemmas.startswith("pid ") and lemmas != f"pid {os.getpid()}" for lemmas, text in done)


def test_a_stage_failing_in_the_workers_ahead_of_dedupe_is_run_again_item_by_item(database, demo_articles) -> None:
    chosen = [a for a in demo_articles if "Tolbiac" in a["title"]][:1]
    chosen += [a for a in demo_articles if a not in chosen][:5]
    add_items(database, chosen)
    report = Runner(database, [ExtractStage(), DedupeStage(), AheadPicky()],
                    RunnerOptions(batch_size=6, workers=2, min_parallel=2)).run()
    assert report.counters["extract"] == {"in": 6, "out": 6}
    assert report.counters["enrich"]["drop:error:enrich"] == 1
    assert states(database) == {"done": 5, "dropped": 1}


def test_a_run_killed_midway_resumes_from_each_items_state_without_losing_or_redoing(
        database, demo_articles) -> None:
    add_items(database, demo_articles[:12])
    crashing = Runner(database, [ExtractStage(), Crash(after=4)], RunnerOptions(batch_size=4))
    with pytest.raises(KeyboardInterrupt):
        crashing.run()
    with database.reader() as session:
        assert session.scalars(select(Run)).one().status == "interrupted"
    # The first batch is done; the second had finished extract in memory only: nothing was stored.
    assert states(database) == {"done": 4, "fetched": 8}
    # The claims of the interrupted batch lapse; a new runner (after a restart) takes the rest.
    from models import Item as ItemRow
    with database.transaction() as session:
        for item in session.scalars(select(ItemRow).where(ItemRow.claimed_by.is_not(None))):
            item.claimed_by = "somewhere-else:1"
            item.claimed_until = item.published_at  # long past
    extract = ExtractStage()
    seen: list[int] = []
    original = extract.process_many

    def counting(docs: Sequence[Document]):
        seen.extend(doc.item_id for doc in docs)
        return original(docs)

    extract.process_many = counting  # type: ignore[method-assign]
    report = Runner(database, [extract, Crash(after=100)], RunnerOptions(batch_size=4)).run()
    assert report.items == 8 and len(seen) == 8
    assert states(database) == {"done": 12}


def test_an_item_resumes_after_its_last_completed_stage(database, demo_articles) -> None:
    add_items(database, demo_articles[:3])
    Runner(database, [ExtractStage()], RunnerOptions()).run()
    assert states(database) == {"done": 3}
    with database.transaction() as session:
        for item in session.scalars(select(Item)):
            item.state = "extracted"
    report = Runner(database, [ExtractStage(), DedupeStage()], RunnerOptions()).run()
    assert "extract" not in report.counters and report.counters["dedupe"]["in"] == 3
    assert states(database) == {"done": 3}


def test_an_item_left_in_the_last_stages_state_by_a_kill_is_finished_by_the_next_run(database, demo_articles) -> None:
    add_items(database, demo_articles[:3])
    Runner(database, [ExtractStage(), DedupeStage()], RunnerOptions()).run()
    with database.transaction() as session:
        for item in session.scalars(select(Item)):
            item.state = "deduped"  # committed by dedupe's transaction; the final store never ran
    report = Runner(database, [ExtractStage(), DedupeStage()], RunnerOptions()).run()
    assert report.items == 3 and "dedupe" not in report.counters
    assert states(database) == {"done": 3}


def test_claims_of_a_dead_process_on_this_host_are_released(database, demo_articles) -> None:
    add_items(database, demo_articles[:2])
    runner = Runner(database, [ExtractStage()], RunnerOptions(worker_id="thishost:1"))
    with database.transaction() as session:
        for item in session.scalars(select(Item)):
            item.claimed_by = "thishost:999999999"
            item.claimed_until = item.published_at.replace(year=2100)
    assert runner.release_stale_claims() == 2
