"""The cluster stage: gives each batch's items a story, with the window of the archive around them.

The grouping itself is `pipelines.stories` (pure functions). Each batch is clustered with
the items of its window (± ``window_days``). Reading those items (title, lead, entities) and
hashing their words was most of the stage's time and grew with the window, not with the
batch (bench/bench_growth.py, 100k archive: 2,300 window items read and hashed again at each
of three batches). The cache (`RecordCache`, one per stage, so per run) keeps, per item, the record and its hashed
term counts, keyed by the item's ``updated_at``: an item changed since it was read (processed
again, edited, marked as a copy) is read again, so the records are always the archive's.

Only the columns a record needs are read; the full text only when neither the feed summary
nor the page description gives the lead.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy import select

from .stages import Drop, SessionStage
from .stories import (HASH_FEATURES, LEAD_MIN, StoryOptions, StoryRecord, assign, continuity_many, document_text,
                      lead_of, term_counts)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models import Item, Story

__all__ = ["ClusterStage", "RecordCache", "entity_names", "refresh_stories", "refresh_story"]

TEMPORARY = 10**15  # story numbers above this are new stories not yet stored
WINDOW_STATES = ("clustered", "done")  # archive items that already have their grouping
NAME_LABELS = frozenset({"PER", "ORG", "LOC"})  # the entities a story record and keywords use

ENTITIES_PER_ITEM = 12
CHUNK = 500  # ids per IN (...) list


@dataclass
class _Entry:
    stamp: datetime | None
    record: StoryRecord
    indices: np.ndarray  # hashed term ids of the record's text
    counts: np.ndarray  # their counts (float32)


class RecordCache:
    """Story records and hashed term counts of archive items, read once while they stay unchanged."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def records(self, session: "Session", keys: Sequence[tuple[int, datetime | None, int | None]]) -> list[StoryRecord]:
        """The records of ``keys`` (item id, updated_at, story id), in that order, with their current story."""
        missing = [item_id for item_id, stamp, _story in keys
                   if item_id not in self._entries or self._entries[item_id].stamp != stamp]
        if missing:
            self._load(session, missing, {item_id: stamp for item_id, stamp, _story in keys})
        return [replace(self._entries[item_id].record, story=story) for item_id, _stamp, story in keys]

    def counts(self, records: Sequence[StoryRecord]):
        """The hashed term counts of cached records, one CSR row each (what `vectorise` would hash)."""
        from scipy.sparse import csr_matrix

        entries = [self._entries[r.id] for r in records]
        lengths = np.fromiter((len(e.indices) for e in entries), dtype=np.int64, count=len(entries))
        indptr = np.zeros(len(entries) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        indices = np.concatenate([e.indices for e in entries]) if entries else np.zeros(0, dtype=np.int32)
        data = np.concatenate([e.counts for e in entries]) if entries else np.zeros(0, dtype=np.float32)
        return csr_matrix((data, indices, indptr), shape=(len(entries), HASH_FEATURES), dtype=np.float32)

    def forget_before(self, moment: datetime) -> None:
        """Drop the records published before ``moment`` (out of every window still to come)."""
        for item_id in [i for i, e in self._entries.items() if e.record.published_at < moment]:
            del self._entries[item_id]

    def _load(self, session: "Session", ids: list[int], stamps: dict[int, datetime | None]) -> None:
        from models import Item

        rows: dict[int, tuple] = {}
        for start in range(0, len(ids), CHUNK):
            for row in session.execute(select(Item.id, Item.published_at, Item.title, Item.summary,
                                              Item.description).where(Item.id.in_(ids[start:start + CHUNK]))):
                rows[row.id] = tuple(row)
        # The text only when the summary and the description are too short to be the lead.
        texts: dict[int, str | None] = {}
        need_text = [i for i, (_, _, _, summary, description) in rows.items()
                     if not any(c and len(c.strip()) >= LEAD_MIN for c in (summary, description))]
        for start in range(0, len(need_text), CHUNK):
            texts.update(session.execute(select(Item.id, Item.text)
                                         .where(Item.id.in_(need_text[start:start + CHUNK]))).tuples().all())
        names = entity_names(session, list(rows))
        records = [StoryRecord(item_id, published_at, title or "",
                               lead_of(summary, description, texts.get(item_id), title),
                               names.get(item_id, ()))
                   for item_id, (_, published_at, title, summary, description) in rows.items()]
        matrix = term_counts([document_text(r) for r in records])
        for n, record in enumerate(records):
            begin, end = matrix.indptr[n], matrix.indptr[n + 1]
            self._entries[record.id] = _Entry(stamps.get(record.id), record, matrix.indices[begin:end].copy(),
                                              matrix.data[begin:end].copy())


def entity_names(session: "Session", ids: Iterable[int]) -> dict[int, list[str]]:
    """The folded names (people, organisations, places) of each item, most mentioned first, at most 12."""
    from models import Entity

    ids = list(ids)
    names: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        # The label is checked here, not in SQL: with it in the condition, SQLite (no statistics)
        # walked the label index over every entity of the archive, 40 s a batch at 1M items.
        for item_id, label, norm in session.execute(
                select(Entity.item_id, Entity.label, Entity.norm).where(Entity.item_id.in_(ids[start:start + CHUNK]))
                .order_by(Entity.item_id, Entity.count.desc())):
            if label not in NAME_LABELS:
                continue
            found = names.setdefault(item_id, [])
            if len(found) < ENTITIES_PER_ITEM:
                found.append(norm)
    return names


class ClusterStage(SessionStage):
    """Gives the batch's items a story, with the window of the archive before and around them."""

    name = "cluster"

    def __init__(self, options: StoryOptions = StoryOptions()) -> None:
        self.options = options
        self.cache = RecordCache()

    def process(self, session: "Session", items: Sequence["Item"]) -> Mapping[int, Drop]:
        from models import Item, Story

        dated = [item for item in items if item.published_at is not None]
        if not dated:
            return {}
        window = timedelta(days=self.options.window_days)
        low = min(item.published_at for item in dated) - window
        high = max(item.published_at for item in dated) + window
        new_ids = {item.id for item in dated}
        # The date range alone, so the planner takes the published_at index: with the state in
        # the condition, SQLite walked the state index over every done item of the archive.
        window_rows = [row for row in session.execute(
            select(Item.id, Item.updated_at, Item.story_id, Item.state, Item.duplicate_of_id)
            .where(Item.published_at >= low, Item.published_at <= high).order_by(Item.id))
            if row.id in new_ids or row.state in WINDOW_STATES]
        self.cache.forget_before(low - window)
        records = self.cache.records(session, [(row.id, row.updated_at, row.story_id) for row in window_rows])
        before = {record.id: record.story for record in records}
        stories = {record.id: record.story for record in records if record.story is not None}
        assign(records, new_ids, stories, self.options, TEMPORARY, self.cache.counts)
        # Only the stories whose members changed are refreshed: those of the batch's items,
        # those an item joined or left, and those of the items dedupe just marked as copies
        # of the batch's (their titles come from the originals).
        touched = {row.story_id for row in window_rows
                   if row.duplicate_of_id in new_ids and row.story_id is not None}
        created: dict[int, Story] = {}
        final: dict[int, int] = {}
        by_id = {item.id: item for item in items}
        for item_id, story_id in stories.items():
            if story_id >= TEMPORARY:
                if story_id not in created:
                    created[story_id] = Story(origin="cluster")
                    session.add(created[story_id])
                    session.flush()
                story_id = created[story_id].id
            final[item_id] = story_id
            if before.get(item_id) != story_id:
                row = by_id.get(item_id) or session.get(Item, item_id)
                if row is not None:
                    row.story_id = story_id
                if before.get(item_id) is not None:
                    touched.add(before[item_id])  # type: ignore[arg-type]
                touched.add(story_id)
            elif item_id in new_ids:
                touched.add(story_id)
        session.flush()
        if created:
            members = {story.id: [r for r in records if final.get(r.id) == story.id] for story in created.values()}
            self._continuity(session, list(created.values()), members, low)
        refresh_stories(session, touched)
        return {}

    def _continuity(self, session: "Session", new: list["Story"], members: dict[int, list[StoryRecord]],
                    window_start: datetime) -> None:
        """Link each new story to the story of the previous window it continues, if any (one pass)."""
        from models import Item, Story

        earlier = list(session.scalars(select(Story.id).where(
            Story.last_published_at >= window_start - timedelta(days=self.options.window_days),
            Story.last_published_at < window_start)))
        if not earlier:
            return
        keys: list[tuple[int, datetime | None, int | None]] = []
        taken: dict[int, int] = {}
        for start in range(0, len(earlier), CHUNK):
            for item_id, stamp, story_id in session.execute(
                    select(Item.id, Item.updated_at, Item.story_id).where(Item.story_id.in_(earlier[start:start + CHUNK]))
                    .order_by(Item.story_id, Item.published_at)):
                if taken.get(story_id, 0) < 20:
                    taken[story_id] = taken.get(story_id, 0) + 1
                    keys.append((item_id, stamp, story_id))
        previous: dict[int, list[StoryRecord]] = {}
        for record in self.cache.records(session, keys):
            previous.setdefault(record.story, []).append(record)  # type: ignore[arg-type]
        links = continuity_many({story.id: members.get(story.id, []) for story in new}, previous,
                                self.options.continuity, self.cache.counts)
        for story in new:
            if story.id in links:
                story.parent_id = links[story.id]


def refresh_story(session: "Session", story_id: int) -> None:
    """Counts, dates, title and keywords of a story from its items."""
    refresh_stories(session, [story_id])


def refresh_stories(session: "Session", story_ids: Iterable[int]) -> None:
    """`refresh_story` for several stories, in three queries per 500 stories."""
    from models import Entity, Item, Story

    story_ids = sorted(set(story_ids))
    for start in range(0, len(story_ids), CHUNK):
        chunk = story_ids[start:start + CHUNK]
        stories = {story.id: story for story in session.scalars(select(Story).where(Story.id.in_(chunk)))}
        members: dict[int, list] = {}
        for row in session.execute(select(Item.story_id, Item.id, Item.source_id, Item.published_at, Item.title,
                                          Item.duplicate_of_id).where(Item.story_id.in_(list(stories)))
                                   .order_by(Item.story_id, Item.published_at, Item.id)):
            members.setdefault(row.story_id, []).append(row)
        story_of = {m.id: story_id for story_id, rows in members.items() for m in rows}
        counts: dict[int, dict[str, int]] = {}
        ids = list(story_of)
        for begin in range(0, len(ids), CHUNK):
            for item_id, label, text, count in session.execute(
                    select(Entity.item_id, Entity.label, Entity.text, Entity.count)
                    .where(Entity.item_id.in_(ids[begin:begin + CHUNK]))):
                if label not in NAME_LABELS:
                    continue  # filtered here for the same reason as in entity_names
                found = counts.setdefault(story_of[item_id], {})
                found[text] = found.get(text, 0) + count
        for story_id, story in stories.items():
            rows = members.get(story_id)
            if not rows:
                continue
            story.item_count = len(rows)
            story.outlet_count = len({m.source_id for m in rows})
            dates = [m.published_at for m in rows if m.published_at is not None]
            story.first_published_at = min(dates) if dates else None
            story.last_published_at = max(dates) if dates else None
            if not story.title_locked:
                originals = [m for m in rows if m.duplicate_of_id is None] or rows
                story.title = originals[0].title
            names = counts.get(story_id, {})
            story.keywords = [name for name, _ in sorted(names.items(), key=lambda p: (-p[1], p[0]))[:8]]
