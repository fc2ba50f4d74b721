"""The runner: items through the stages, in batches, with counters, resumable after a crash.

One batch at a time:

1. claim up to ``batch_size`` waiting items (state ``fetched`` or a stage state short of
   the last stage) in a short transaction, so two runners never take the same item
   (PostgreSQL: ``FOR UPDATE SKIP LOCKED``); a claim lapses after ``claim_seconds``, and the
   claims of a dead process on this host are released at start;
2. run the stages in their configured order. Document stages (pure) run in worker
   processes when ``workers > 1``; session stages run here, each in one transaction that
   also stores what the document stages found so far and the items' states;
3. store the rest, release the claims, add the batch's counters to the run row.

An item resumes from its state: one in ``enriched`` state only goes through the stages
after enrich. A stage that raises for one item drops that item with ``error:<stage>``
(the row stays); nothing else in the batch is lost.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable, Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from models import Database, Entity, Item, ItemPage, ItemPlace, ItemState, Run, utcnow

from .document import Document
from .stages import DocumentStage, Drop, SessionStage, Stage
from .workers import Ahead, apply_early, run_chain, run_stage, without

log = logging.getLogger(__name__)

__all__ = ["RunReport", "Runner", "RunnerOptions", "STAGE_STATES"]

# The state an item reaches after each stage, in the data flow's order.
STAGE_STATES: dict[str, str] = {
    "extract": ItemState.extracted.value, "dedupe": ItemState.deduped.value, "enrich": ItemState.enriched.value,
    "classify": ItemState.classified.value, "cluster": ItemState.clustered.value,
}
RANK: dict[str, int] = {ItemState.fetched.value: 0, **{state: i + 1 for i, state in enumerate(STAGE_STATES.values())},
                        ItemState.done.value: len(STAGE_STATES) + 1}
MAX_ERRORS = 50


@dataclass
class RunnerOptions:
    batch_size: int = 64
    workers: int = 1  # processes for document stages; 1 runs them here
    claim_seconds: int = 900
    worker_id: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    # Batches smaller than this run their document stages here: starting workers costs more.
    min_parallel: int = 16
    # Called in each batch's transaction with the ids of the items that reached `done` or
    # were dropped (the shell keeps the search index in step with it).
    after_store: Callable[[Session, list[int]], Any] | None = None


@dataclass
class RunReport:
    run_id: int | None = None
    status: str = "ok"
    items: int = 0
    seconds: float = 0.0
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage (and store), this process
    errors: list[dict[str, Any]] = field(default_factory=list)
    message: str | None = None

    def count(self, stage: str, key: str, n: int = 1) -> None:
        bucket = self.counters.setdefault(stage, {})
        bucket[key] = bucket.get(key, 0) + n

    def summary(self) -> str:
        if not self.items:
            return "Nothing to process."
        dropped = self.states.get(ItemState.dropped.value, 0)
        rate = self.items / self.seconds if self.seconds else 0.0
        return (f"{self.items} items processed in {self.seconds:.1f} s ({rate:.1f}/s): "
                f"{self.states.get(ItemState.done.value, 0)} done, {dropped} dropped"
                + (f"; skipped stages: {', '.join(self.skipped)}" if self.skipped else ""))

    def details(self) -> str:
        lines = []
        for stage, counts in self.counters.items():
            shown = ", ".join(f"{key} {value}" for key, value in sorted(counts.items(), key=_counter_order))
            lines.append(f"  {stage}: {shown}")
        for stage, reason in self.skipped.items():
            lines.append(f"  {stage}: skipped ({reason})")
        return "\n".join(lines)

    def as_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "status": self.status, "items": self.items, "seconds": round(self.seconds, 2),
                "counters": self.counters, "states": self.states, "skipped": self.skipped,
                "seconds_per_stage": {k: round(v, 2) for k, v in self.timings.items()},
                "errors": self.errors, "message": self.message}


def _counter_order(pair: tuple[str, int]) -> tuple[int, str]:
    key = pair[0]
    return ({"in": 0, "out": 1}.get(key, 2), key)


class Runner:
    def __init__(self, db: Database, stages: Sequence[Stage], options: RunnerOptions | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.db = db
        self.options = options or RunnerOptions()
        self.progress = progress
        self.stages: list[Stage] = []
        self.skipped: dict[str, str] = {}
        for stage in stages:
            ok, reason = stage.available()
            if ok:
                self.stages.append(stage)
            else:
                self.skipped[stage.name] = reason
        self._pool: ProcessPoolExecutor | None = None

    # -- the run --

    def run(self, limit: int | None = None) -> RunReport:
        report = RunReport(skipped=dict(self.skipped))
        log.info("stages: %s%s", ", ".join(s.name for s in self.stages) or "(none)",
                 "".join(f"; {name} skipped: {why}" for name, why in self.skipped.items()))
        started = time.monotonic()
        with self.db.transaction() as session:
            run = Run(kind="process", worker=self.options.worker_id,
                      params={"stages": [s.name for s in self.stages], "skipped": self.skipped, "limit": limit})
            session.add(run)
            session.flush()
            report.run_id = run.id
        self.release_stale_claims()
        total = self.pending(limit)
        try:
            claimed_total = 0

            def claim_next() -> tuple[list[Document], Any]:
                nonlocal claimed_total
                if limit is not None and claimed_total >= limit:
                    return [], None
                size = self.options.batch_size if limit is None else min(self.options.batch_size,
                                                                         limit - claimed_total)
                docs = self._claim(size)
                claimed_total += len(docs)
                return docs, self._start_leading(docs)

            claimed, leading = claim_next()
            while claimed:
                # The next batch's first document stage runs in the workers while this
                # process stores, dedupes and clusters this one: the cores stay busy.
                following = claim_next() if self._pool is not None else ([], None)
                self._batch(claimed, report, leading)
                report.items += len(claimed)
                self._save_run(report, started)
                if self.progress:
                    self.progress(report.items, max(total, report.items))
                claimed, leading = following if following[0] else claim_next()
        except BaseException as exc:
            report.status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "failed"
            report.message = f"{exc.__class__.__name__}: {exc}"
            try:
                self._save_run(report, started, final=True)
            except (OperationalError, InterfaceError) as again:  # the database is still away
                log.warning("the run's record was not saved (%s); it stays as last saved",
                            again.__class__.__name__)
            raise
        finally:
            self.close()
        report.status = "ok"
        self._save_run(report, started, final=True)
        return report

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def pending(self, limit: int | None = None) -> int:
        with self.db.reader() as session:
            count = len(session.scalars(self._waiting_query(limit or 10**9).with_only_columns(Item.id)).all())
        return count if limit is None else min(count, limit)

    def release_stale_claims(self) -> int:
        """Free the claims that lapsed and those of dead processes of this host (a crash)."""
        host = self.options.worker_id.rsplit(":", 1)[0]
        now = utcnow()
        with self.db.transaction() as session:
            claimed = session.execute(select(Item.id, Item.claimed_by, Item.claimed_until)
                                      .where(Item.claimed_by.is_not(None))).all()
            stale = [item_id for item_id, owner, until in claimed
                     if (until is not None and until < now) or _dead_local_process(owner, host)]
            for start in range(0, len(stale), 500):
                session.execute(update(Item).where(Item.id.in_(stale[start:start + 500]))
                                .values(claimed_by=None, claimed_until=None))
        if stale:
            log.info("released %d stale claims", len(stale))
        return len(stale)

    # -- claiming --

    def _last_rank(self) -> int:
        return max((RANK[STAGE_STATES[s.name]] for s in self.stages if s.name in STAGE_STATES), default=0)

    def _waiting_query(self, size: int):
        # The last stage's own state too: a process killed after that stage's transaction and
        # before the batch's final store left its items there (claimed, not done, not indexed).
        waiting = [state for state, rank in RANK.items()
                   if (rank <= self._last_rank() and state != ItemState.done.value) or state == "fetched"]
        now = utcnow()
        return (select(Item).where(Item.state.in_(waiting),
                                   or_(Item.claimed_until.is_(None), Item.claimed_until < now))
                # Publication order, not arrival order: the stories a batch forms then do not
                # depend on which feed answered first during the crawl.
                .order_by(func.coalesce(Item.published_at, Item.first_seen_at), Item.canonical_url)
                .limit(size))

    def _claim(self, size: int) -> list[Document]:
        until = utcnow() + timedelta(seconds=self.options.claim_seconds)
        with self.db.transaction() as session:
            query = self._waiting_query(size)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            items = list(session.scalars(query))
            pages = {page.item_id: page for page in session.scalars(
                select(ItemPage).where(ItemPage.item_id.in_([i.id for i in items])))} if items else {}
            documents = []
            for item in items:
                item.claimed_by = self.options.worker_id
                item.claimed_until = until
                documents.append(_document(item, pages.get(item.id)))
        return documents

    # -- one batch --

    def _chain(self) -> list[DocumentStage]:
        """The document stages the workers run on a new batch in one go: the first stage (if it is a
        document stage) and the later ones that may run ahead of the session stages before them."""
        chain: list[DocumentStage] = []
        for stage in self.stages:
            if isinstance(stage, DocumentStage):
                if chain and not stage.ahead:
                    break
                chain.append(stage)
            elif not chain:
                break
        return chain

    def _start_leading(self, docs: list[Document]) -> Any:
        """Submit a batch's document stages (`_chain`) to the workers; (chain, todo, futures) or None.

        The workers then extract and analyse this batch while this process dedupes, clusters and
        stores the one before: both cores stay busy, and each page crosses to a worker once.
        """
        chain = self._chain()
        if not chain or not docs or self.options.workers <= 1 or len(docs) < self.options.min_parallel:
            return None
        todo = [doc for doc in docs if RANK.get(doc.state, 0) < _rank_of(chain[0])]  # type: ignore[attr-defined]
        if len(todo) < self.options.min_parallel:
            return None
        return chain, todo, self._submit(run_chain, chain, todo)

    def _submit(self, function: Callable[..., Any], stages: Any, docs: list[Document]) -> list[Any]:
        if self._pool is None:
            import multiprocessing

            self._pool = ProcessPoolExecutor(self.options.workers, mp_context=multiprocessing.get_context("spawn"))
        chunk = -(-len(docs) // self.options.workers)
        return [self._pool.submit(function, stages, docs[i:i + chunk]) for i in range(0, len(docs), chunk)]

    def _collect(self, leading: Any) -> dict[str, dict[int, Any]]:
        """The workers' results of a batch's chain, by stage and item: a Document (the first stage's
        output, later stages' fields unset), `Ahead` (fields a later stage set) or a Drop.

        Empty when the chain failed: the stages then run at their turn, item by item if need be.
        """
        chain, todo, futures = leading
        try:
            outcomes: list[tuple[Document, int, Drop | None]] = []
            for future in futures:
                outcomes.extend(future.result())
        except Exception as exc:
            log.warning("stages %s failed on a batch in the workers (%s: %s); running them one by one",
                        "+".join(s.name for s in chain), exc.__class__.__name__, exc)
            return {}
        early: dict[str, dict[int, Any]] = {stage.name: {} for stage in chain}
        later_fields = [f for stage in chain[1:] for f in stage.writes]
        for source, (doc, dropped_at, drop) in zip(todo, outcomes):
            for n, stage in enumerate(chain):
                if n > dropped_at:
                    break
                if n == dropped_at:
                    early[stage.name][source.item_id] = drop  # type: ignore[index]
                elif n == 0:
                    early[stage.name][source.item_id] = without(doc, later_fields)  # type: ignore[index]
                else:
                    early[stage.name][source.item_id] = Ahead(doc, stage.writes)  # type: ignore[index]
        return early

    def _batch(self, docs: list[Document], report: RunReport, leading: Any = None) -> None:
        rank = {doc.item_id: RANK.get(doc.state, 0) for doc in docs}  # type: ignore[attr-defined]
        drops: dict[int, Drop] = {}
        done_rank: dict[int, int] = dict(rank)
        alive = {doc.item_id: doc for doc in docs}
        dirty_enrich: set[int] = set()
        early: dict[str, dict[int, Any]] | None = None
        for stage in self.stages:
            stage_rank = _rank_of(stage)
            todo = [doc for doc in alive.values() if done_rank[doc.item_id] < stage_rank]
            if not todo:
                continue
            report.count(stage.name, "in", len(todo))
            began = time.monotonic()
            if early is None and leading is not None and stage in leading[0]:
                early = self._collect(leading)  # waits for the workers: counted in this stage's time
            self._run_stage_timed(stage, todo, alive, drops, done_rank, stage_rank, dirty_enrich, report,
                                  (early or {}).get(stage.name))
            report.timings[stage.name] = report.timings.get(stage.name, 0.0) + time.monotonic() - began
        began = time.monotonic()
        self._store(list(alive.values()), drops, done_rank, dirty_enrich, final=True)
        report.timings["store"] = report.timings.get("store", 0.0) + time.monotonic() - began
        for doc in docs:
            state = (ItemState.dropped.value if doc.item_id in drops
                     else ItemState.done.value if done_rank[doc.item_id] >= self._last_rank() else
                     _state_of(done_rank[doc.item_id]))
            report.states[state] = report.states.get(state, 0) + 1

    def _run_stage_timed(self, stage: Stage, todo: list[Document], alive: dict[int | None, Document],
                         drops: dict[int, Drop], done_rank: dict[int | None, int], stage_rank: int,
                         dirty_enrich: set[int], report: RunReport, early: dict[int, Any] | None = None) -> None:
        if isinstance(stage, DocumentStage):
            results = self._run_document_stage(stage, todo, report, early)
            for doc, result in zip(todo, results):
                if isinstance(result, Drop):
                    drops[doc.item_id] = result  # type: ignore[index]
                    del alive[doc.item_id]
                    report.count(stage.name, f"drop:{result.reason}")
                else:
                    for flag in set(result.flags) - set(doc.flags_before):  # type: ignore[attr-defined]
                        report.count(stage.name, f"flag:{flag.split(':')[0]}")
                    result.flags_before = list(result.flags)  # type: ignore[attr-defined]
                    alive[doc.item_id] = result
                    done_rank[doc.item_id] = stage_rank
                    if stage.name == "enrich":
                        dirty_enrich.add(doc.item_id)  # type: ignore[arg-type]
                    report.count(stage.name, "out")
        else:
            self._run_session_stage(stage, todo, alive, drops, done_rank, stage_rank, dirty_enrich, report)

    def _run_document_stage(self, stage: DocumentStage, docs: list[Document], report: RunReport,
                            early: dict[int, Any] | None = None) -> list[Document | Drop]:
        if early:
            rest = [doc for doc in docs if doc.item_id not in early]
            computed = dict(zip([doc.item_id for doc in rest], self._run_document_stage(stage, rest, report))
                            if rest else ())
            return [apply_early(doc, early[doc.item_id]) if doc.item_id in early  # type: ignore[index]
                    else computed[doc.item_id] for doc in docs]
        futures = None
        try:
            if self.options.workers > 1 and len(docs) >= self.options.min_parallel:
                futures = self._submit(run_stage, stage, docs)
            if futures is not None:
                results: list[Document | Drop] = []
                for future in futures:
                    results.extend(future.result())
                return results
            return stage.process_many(docs)
        except Exception as exc:  # one bad document must not sink the batch: isolate it
            log.warning("stage %s failed on a batch (%s: %s); retrying item by item",
                        stage.name, exc.__class__.__name__, exc)
            results = []
            for doc in docs:
                try:
                    results.append(stage.process(doc))
                except Drop as drop:
                    results.append(drop)
                except Exception as item_exc:
                    log.exception("stage %s failed on item %s", stage.name, doc.item_id)
                    _error(report, stage.name, doc.item_id, item_exc)
                    results.append(Drop(f"error:{stage.name}", f"{item_exc.__class__.__name__}: {item_exc}"))
            return results

    def _run_session_stage(self, stage: SessionStage, todo: list[Document], alive: dict[int | None, Document],
                           drops: dict[int, Drop], done_rank: dict[int | None, int], stage_rank: int,
                           dirty_enrich: set[int], report: RunReport) -> None:
        ids = [doc.item_id for doc in todo]
        try:
            with self.db.transaction() as session:
                items = self._store_in(session, list(alive.values()), drops, done_rank, dirty_enrich)
                dropped = stage.process(session, [items[i] for i in ids])  # type: ignore[index]
                for item_id in ids:
                    item = items[item_id]  # type: ignore[index]
                    if item_id in dropped:
                        item.state, item.drop_reason = ItemState.dropped.value, dropped[item_id].reason[:100]
                    else:
                        item.state = STAGE_STATES[stage.name]
                        doc = alive[item_id]
                        for flag in set(item.flags or []) - set(doc.flags):
                            report.count(stage.name, f"flag:{flag.split(':')[0]}")
                        _back_to_document(item, doc)
                        doc.flags_before = list(doc.flags)  # type: ignore[attr-defined]
        except (OperationalError, InterfaceError):
            # The database went away (restart, cut connection, full disk): nothing is wrong
            # with these items. The run stops; the next one takes them where they are.
            raise
        except Exception as exc:
            log.exception("stage %s failed on a batch of %d items", stage.name, len(ids))
            _error(report, stage.name, None, exc)
            dropped = {item_id: Drop(f"error:{stage.name}", f"{exc.__class__.__name__}: {exc}") for item_id in ids}
        for item_id in ids:
            if item_id in dropped:
                drops[item_id] = dropped[item_id]  # type: ignore[index]
                alive.pop(item_id, None)
                report.count(stage.name, f"drop:{dropped[item_id].reason}")
            else:
                done_rank[item_id] = stage_rank
                report.count(stage.name, "out")

    # -- storing --

    def _store(self, docs: list[Document], drops: dict[int, Drop], done_rank: dict[int | None, int],
               dirty_enrich: set[int], final: bool) -> None:
        with self.db.transaction() as session:
            items = self._store_in(session, docs, drops, done_rank, dirty_enrich)
            if final:
                for item in items.values():
                    item.claimed_by = None
                    item.claimed_until = None

    def _store_in(self, session: Session, docs: list[Document], drops: dict[int, Drop],
                  done_rank: dict[int | None, int], dirty_enrich: set[int]) -> dict[int, Item]:
        ids = [doc.item_id for doc in docs] + list(drops)
        items = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(ids)))} if ids else {}
        last = self._last_rank()
        enriched: list[Document] = []
        for doc in docs:
            item = items.get(doc.item_id)  # type: ignore[arg-type]
            if item is None:
                continue  # deleted meanwhile (a tombstone): nothing to store
            _to_item(doc, item)
            if doc.item_id in dirty_enrich:
                enriched.append(doc)
            rank = done_rank[doc.item_id]
            item.state = ItemState.done.value if rank >= last else _state_of(rank)
        for item_id, drop in drops.items():
            item = items.get(item_id)
            if item is not None:
                item.state = ItemState.dropped.value
                item.drop_reason = drop.reason[:100]
                item.claimed_by = None
                item.claimed_until = None
        session.flush()
        _store_enrichment(session, enriched)
        dirty_enrich.clear()
        if self.options.after_store is not None:
            finished = [item.id for item in items.values()
                        if item.state in (ItemState.done.value, ItemState.dropped.value)]
            if finished:
                self.options.after_store(session, finished)
        return items

    def _save_run(self, report: RunReport, started: float, final: bool = False) -> None:
        report.seconds = time.monotonic() - started
        with self.db.transaction() as session:
            run = session.get(Run, report.run_id)
            if run is None:
                return
            run.counters = {stage: dict(counts) for stage, counts in report.counters.items()}
            run.items = report.items
            run.errors = report.errors[:MAX_ERRORS]
            run.message = report.message
            if final:
                run.status = report.status
                run.finished_at = utcnow()


def _rank_of(stage: Stage) -> int:
    return RANK[STAGE_STATES[stage.name]] if stage.name in STAGE_STATES else 0


def _error(report: RunReport, stage: str, item_id: int | None, exc: BaseException) -> None:
    if len(report.errors) < MAX_ERRORS:
        report.errors.append({"kind": stage, "target": f"item:{item_id}" if item_id else "batch",
                              "message": f"{exc.__class__.__name__}: {exc}"[:500]})


def _state_of(rank: int) -> str:
    for state, value in RANK.items():
        if value == rank:
            return state
    return ItemState.fetched.value


def _dead_local_process(owner: str | None, host: str) -> bool:
    if not owner or ":" not in owner:
        return False
    owner_host, _, pid = owner.rpartition(":")
    if owner_host != host or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _document(item: Item, page: ItemPage | None) -> Document:
    html = None
    if page is not None and page.body is not None:
        try:
            html = zlib.decompress(page.body)
        except zlib.error:
            html = b""
    feed_date = item.published_at if item.date_source in (None, "feed") and not item.date_suspect else None
    doc = Document(url=item.url, item_id=item.id, final_url=item.final_url, html=html,
                   content_type=page.content_type if page else None, feed_title=item.title,
                   feed_summary=item.summary, feed_published=feed_date, first_seen=item.first_seen_at,
                   source_language=item.language, source_id=item.source_id)
    if RANK.get(item.state, 0) >= 1:  # resuming after extract: what it found is on the item
        doc.title, doc.text, doc.author, doc.description = item.title, item.text, item.author, item.description
        doc.site_name, doc.image_url, doc.language = item.site_name, item.image_url, item.language
        doc.published_at, doc.date_source, doc.date_suspect = item.published_at, item.date_source, item.date_suspect
        doc.content_hash, doc.lemmas, doc.is_wire = item.content_hash, item.lemmas, item.is_wire
        doc.flags = list(item.flags or [])
    doc.state = item.state  # type: ignore[attr-defined]
    doc.flags_before = list(doc.flags)  # type: ignore[attr-defined]
    return doc


def _to_item(doc: Document, item: Item) -> None:
    item.title = doc.title or item.title
    item.text = doc.text
    item.author = doc.author or item.author
    item.description = doc.description
    item.site_name = doc.site_name
    item.image_url = doc.image_url
    item.language = doc.language or item.language
    item.lemmas = doc.lemmas
    if doc.published_at is not None:
        item.published_at = doc.published_at
        item.date_source = doc.date_source
        item.date_suspect = doc.date_suspect
    item.content_hash = doc.content_hash
    item.flags = sorted(set(item.flags or []) | set(doc.flags))


def _back_to_document(item: Item, doc: Document) -> None:
    """What a session stage decided that later stages and the final store must keep."""
    doc.is_wire = item.is_wire
    doc.flags = sorted(set(doc.flags) | set(item.flags or []))


def _store_enrichment(session: Session, docs: list[Document]) -> None:
    """The entities and places of enriched documents, replacing the items' earlier ones.

    One DELETE and one multi-row INSERT per table for the batch: an ORM object per entity
    (about 30 an article) was a third of the main process's time (bench/bench_process.py).
    """
    if not docs:
        return
    ids = [doc.item_id for doc in docs]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        session.execute(Entity.__table__.delete().where(Entity.item_id.in_(chunk)))
        session.execute(ItemPlace.__table__.delete().where(ItemPlace.item_id.in_(chunk)))
    entities = [{"item_id": doc.item_id, "label": e.label, "text": e.text, "norm": e.norm, "count": e.count}
                for doc in docs for e in doc.entities]
    places = [{"item_id": doc.item_id, "arrondissement": p.arrondissement, "score": p.score, "evidence": p.evidence}
              for doc in docs for p in doc.places]
    if entities:
        session.execute(Entity.__table__.insert(), entities)
    if places:
        session.execute(ItemPlace.__table__.insert(), places)
