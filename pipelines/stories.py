"""Stories: items about the same event across outlets, grouped within a sliding window.

Each item is a TF-IDF vector of its title (counted twice), its lead and its entities
(people, organisations, places as single tokens). Items whose cosine distance is under
``threshold`` are grouped by average-linkage agglomerative clustering. To stay near-linear,
clustering runs only inside the connected components of the graph of pairs that could
ever merge (cosine similarity above 1 - threshold, from a sparse product): with average
linkage two groups with no such pair between them never merge, so the result is the same.

A new story continues last week's when their centroids' cosine reaches ``continuity``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

import numpy as np
from sqlalchemy import or_, select

from .stages import Drop, SessionStage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from models import Item, Story

__all__ = ["ClusterStage", "StoryOptions", "StoryRecord", "cluster", "cluster_stream", "continuity", "vectorise"]

# Components larger than this are split by plain threshold linking instead of agglomerative
# clustering (quadratic memory); never reached on the demo corpus or the 100k bench.
MAX_COMPONENT = 3000


@dataclass(frozen=True)
class StoryOptions:
    threshold: float = 0.8  # cosine distance (1 - similarity) under which items join
    window_days: int = 7
    continuity: float = 0.4
    min_size: int = 2  # a story is at least two items; a lone item has none


@dataclass
class StoryRecord:
    id: int
    published_at: datetime
    title: str
    lead: str = ""
    entities: Sequence[str] = field(default_factory=tuple)  # folded names
    story: int | None = None  # the story it already belongs to


@lru_cache(maxsize=1)
def _french_stop_words() -> tuple[str, ...]:
    """spaCy's French stop words, split and folded as the vectoriser's tokens are."""
    from spacy.lang.fr.stop_words import STOP_WORDS

    from .gazetteer import fold

    words = {part for word in STOP_WORDS for part in fold(word).split()}
    return tuple(sorted(words | {"paris", "parisien", "parisiens", "ville"}))


def document_text(record: StoryRecord) -> str:
    entities = " ".join("ent_" + name.replace(" ", "_") for name in record.entities)
    return f"{record.title} {record.title} {record.lead} {entities}"


HASH_FEATURES = 2**20


@lru_cache(maxsize=1)
def _hasher():
    from sklearn.feature_extraction.text import HashingVectorizer

    return HashingVectorizer(n_features=HASH_FEATURES, strip_accents="unicode", lowercase=True,
                             stop_words=list(_french_stop_words()), alternate_sign=False, norm=None,
                             token_pattern=r"(?u)\b[^\W\d_]\w+\b", dtype=np.float32)


@lru_cache(maxsize=1)
def _background():
    """Term counts of a fixed French news background (the project's theme training texts).

    Document frequencies from a window of a few items are meaningless (a name every item
    shares would weigh nothing); adding this background keeps the weights stable from the
    first day of an archive. 1,300 texts written for the project, counted once per process.
    """
    import json
    from importlib import resources

    texts = []
    folder = resources.files("pipelines").joinpath("data/themes")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".jsonl"):
            for line in entry.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    texts.append(f"{record.get('title') or ''} {record.get('text') or ''}")
    return _hasher().transform(texts)


def vectorise(records: Sequence[StoryRecord]):
    """L2-normalised TF-IDF rows of the records (IDF over the records plus the background)."""
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfTransformer

    counts = _hasher().transform([document_text(r) for r in records])
    transformer = TfidfTransformer(sublinear_tf=True).fit(vstack([_background(), counts]))
    return transformer, transformer.transform(counts).astype(np.float32)


def cluster(matrix, threshold: float) -> np.ndarray:
    """A cluster label per row of an L2-normalised matrix."""
    from scipy.sparse.csgraph import connected_components

    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0, dtype=int)
    similarity = (matrix @ matrix.T).tocsr()
    similarity.data[similarity.data < 1 - threshold] = 0
    similarity.eliminate_zeros()
    count, components = connected_components(similarity, directed=False)
    labels = np.full(n, -1, dtype=int)
    next_label = 0
    for component in range(count):
        members = np.flatnonzero(components == component)
        if len(members) == 1 or len(members) > MAX_COMPONENT:
            labels[members] = next_label
            next_label += 1
            continue
        from sklearn.cluster import AgglomerativeClustering

        dense = matrix[members] @ matrix[members].T
        distance = np.clip(1 - dense.toarray(), 0, 2)
        np.fill_diagonal(distance, 0)
        found = AgglomerativeClustering(n_clusters=None, metric="precomputed", linkage="average",
                                        distance_threshold=threshold).fit_predict(distance)
        labels[members] = found + next_label
        next_label += int(found.max()) + 1
    return labels


def cluster_stream(records: Iterable[StoryRecord], options: StoryOptions = StoryOptions(),
                   step_days: int = 1) -> dict[int, int]:
    """Stories of a stream of records, as the runner builds them batch after batch.

    Records are taken in publication order by steps of ``step_days``; each step clusters
    its new records with the window before them. Old records keep their story; a new
    record joins the story of the old ones in its cluster (the most common), or opens a
    new story with the other new or story-less records of its cluster. {record id: story}.
    """
    ordered = sorted(records, key=lambda r: (r.published_at, r.id))
    stories: dict[int, int] = {r.id: r.story for r in ordered if r.story is not None}
    next_story = max(stories.values(), default=0) + 1
    window = timedelta(days=options.window_days)
    step = timedelta(days=step_days)
    start = 0
    i = 0
    while i < len(ordered):
        end_time = ordered[i].published_at + step
        j = i
        while j < len(ordered) and ordered[j].published_at < end_time:
            j += 1
        while ordered[start].published_at < ordered[i].published_at - window:
            start += 1
        window_records = ordered[start:j]
        new_ids = {r.id for r in ordered[i:j]}
        next_story = assign(window_records, new_ids, stories, options, next_story)
        i = j
    return stories


def assign(window: Sequence[StoryRecord], new_ids: set[int], stories: dict[int, int],
           options: StoryOptions, next_story: int) -> int:
    """Cluster ``window`` and give its new records a story (in ``stories``); the next free id."""
    if not window:
        return next_story
    _vec, matrix = vectorise(window)
    # Only the new records and the old ones they could join matter: the old records' own
    # grouping is settled. This keeps each step O(new × window) instead of O(window²).
    new_rows = [i for i, r in enumerate(window) if r.id in new_ids]
    linked = (matrix[new_rows] @ matrix.T).tocsr()
    linked.data[linked.data < 1 - options.threshold] = 0
    linked.eliminate_zeros()
    involved_rows = sorted(set(new_rows) | set(np.unique(linked.indices).tolist()))
    involved = [window[i] for i in involved_rows]
    labels = cluster(matrix[involved_rows], options.threshold)
    members: dict[int, list[StoryRecord]] = {}
    for record, label in zip(involved, labels):
        members.setdefault(int(label), []).append(record)
    for group in members.values():
        if not any(r.id in new_ids for r in group):
            continue
        existing = [stories[r.id] for r in group if r.id in stories]
        if existing:
            story = max(set(existing), key=lambda s: (existing.count(s), -s))
        elif len(group) >= options.min_size:
            story, next_story = next_story, next_story + 1
        else:
            continue
        for record in group:
            if record.id in new_ids or record.id not in stories:
                stories[record.id] = story
    return next_story


def continuity(new: Sequence[StoryRecord], previous: dict[int, Sequence[StoryRecord]],
               threshold: float) -> int | None:
    """The previous story (by id) whose centroid is closest to ``new``'s, if close enough."""
    return continuity_many({0: new}, previous, threshold).get(0)


def continuity_many(groups: dict[int, Sequence[StoryRecord]], previous: dict[int, Sequence[StoryRecord]],
                    threshold: float) -> dict[int, int]:
    """For each new group, the previous story it continues (centroid cosine ≥ threshold); one vectorisation."""
    groups = {key: records for key, records in groups.items() if records}
    if not groups or not previous:
        return {}
    keys = list(groups) + list(previous)
    sizes = [len(groups[k]) for k in groups] + [len(previous[k]) for k in previous]
    everything = [r for k in groups for r in groups[k]] + [r for k in previous for r in previous[k]]
    _vec, matrix = vectorise(everything)
    centroids = []
    offset = 0
    for size in sizes:
        centre = np.asarray(matrix[offset:offset + size].mean(axis=0)).ravel()
        norm = float(np.linalg.norm(centre))
        centroids.append(centre / norm if norm else centre)
        offset += size
    new_part = np.vstack(centroids[:len(groups)])
    old_part = np.vstack(centroids[len(groups):])
    similarity = new_part @ old_part.T
    found = {}
    for i, key in enumerate(list(groups)):
        j = int(np.argmax(similarity[i]))
        if similarity[i, j] >= threshold:
            found[key] = keys[len(groups) + j]
    return found


TEMPORARY = 10**15  # story numbers above this are new stories not yet stored
ENTITIES_PER_ITEM = 12


class ClusterStage(SessionStage):
    """Gives the batch's items a story, with the window of the archive before and around them."""

    name = "cluster"

    def __init__(self, options: StoryOptions = StoryOptions()) -> None:
        self.options = options

    def process(self, session: "Session", items: Sequence["Item"]) -> Mapping[int, Drop]:
        from models import Item, Story

        dated = [item for item in items if item.published_at is not None]
        if not dated:
            return {}
        window = timedelta(days=self.options.window_days)
        low = min(item.published_at for item in dated) - window
        high = max(item.published_at for item in dated) + window
        new_ids = {item.id for item in dated}
        rows = list(session.scalars(
            select(Item).where(Item.published_at >= low, Item.published_at <= high,
                               or_(Item.id.in_(new_ids), Item.state.in_(["clustered", "done"])))))
        records = _records(session, rows)
        stories = {r.id: r.story for r in records if r.story is not None}
        assign(records, new_ids, stories, self.options, TEMPORARY)
        created: dict[int, Story] = {}
        by_id = {row.id: row for row in rows}
        touched: set[int] = set()
        for item_id, story_id in stories.items():
            item = by_id[item_id]
            if story_id >= TEMPORARY:
                if story_id not in created:
                    created[story_id] = Story(origin="cluster")
                    session.add(created[story_id])
                    session.flush()
                story_id = created[story_id].id
            if item.story_id != story_id:
                item.story_id = story_id
            touched.add(story_id)
        session.flush()
        if created:
            members = {story.id: [r for r in records if by_id[r.id].story_id == story.id]
                       for story in created.values()}
            self._continuity(session, list(created.values()), members, low)
        for story_id in touched:
            refresh_story(session, story_id)
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
        rows = list(session.scalars(select(Item).where(Item.story_id.in_(earlier))
                                    .order_by(Item.story_id, Item.published_at)))
        previous: dict[int, list[StoryRecord]] = {}
        for record, row in zip(_records(session, rows), rows):
            if len(previous.setdefault(row.story_id, [])) < 20:
                previous[row.story_id].append(record)
        links = continuity_many({story.id: members.get(story.id, []) for story in new}, previous,
                                self.options.continuity)
        for story in new:
            if story.id in links:
                story.parent_id = links[story.id]


def _records(session: "Session", rows: Sequence["Item"]) -> list[StoryRecord]:
    from models import Entity

    ids = [row.id for row in rows]
    names: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        for item_id, norm in session.execute(
                select(Entity.item_id, Entity.norm).where(Entity.item_id.in_(ids[start:start + 500]),
                                                          Entity.label.in_(["PER", "ORG", "LOC"]))
                .order_by(Entity.item_id, Entity.count.desc())):
            found = names.setdefault(item_id, [])
            if len(found) < ENTITIES_PER_ITEM:
                found.append(norm)
    records = []
    for row in rows:
        lead = lead_of(row.summary, row.description, row.text, row.title)
        records.append(StoryRecord(row.id, row.published_at, row.title or "", lead, names.get(row.id, ()),
                                   row.story_id))
    return records


def lead_of(summary: str | None, description: str | None, text: str | None, title: str | None) -> str:
    """The item's lead: the feed summary, else the page description, else the first real paragraph."""
    for candidate in (summary, description):
        if candidate and len(candidate.strip()) >= 40:
            return candidate.strip()[:600]
    for paragraph in (text or "").split("\n"):
        paragraph = paragraph.strip()
        if len(paragraph) >= 80 and paragraph != (title or "").strip():
            return paragraph[:600]
    return (text or summary or "").strip()[:600]


def refresh_story(session: "Session", story_id: int) -> None:
    """Counts, dates, title and keywords of a story from its items."""
    from models import Entity, Item, Story

    story = session.get(Story, story_id)
    if story is None:
        return
    members = list(session.scalars(select(Item).where(Item.story_id == story_id).order_by(Item.published_at,
                                                                                           Item.id)))
    if not members:
        return
    story.item_count = len(members)
    story.outlet_count = len({m.source_id for m in members})
    dates = [m.published_at for m in members if m.published_at is not None]
    story.first_published_at = min(dates) if dates else None
    story.last_published_at = max(dates) if dates else None
    if not story.title_locked:
        originals = [m for m in members if m.duplicate_of_id is None] or members
        story.title = originals[0].title
    counts: dict[str, int] = {}
    for norm, count in session.execute(select(Entity.text, Entity.count).where(
            Entity.item_id.in_([m.id for m in members]), Entity.label.in_(["PER", "ORG", "LOC"]))):
        counts[norm] = counts.get(norm, 0) + count
    story.keywords = [name for name, _ in sorted(counts.items(), key=lambda p: (-p[1], p[0]))[:8]]
