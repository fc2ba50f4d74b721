"""Stories: items about the same event across outlets, grouped within a sliding window.

Each item is a TF-IDF vector of its title (counted twice), its lead and its entities
(people, organisations, places as single tokens). Items whose cosine distance is under
``threshold`` are grouped by average-linkage agglomerative clustering. To stay near-linear,
clustering runs only inside the connected components of the graph of pairs that could
ever merge (cosine similarity above 1 - threshold, from a sparse product): with average
linkage two groups with no such pair between them never merge, so the result is the same.

A new story continues last week's when their centroids' cosine reaches ``continuity``.
The stage that does this on the archive, batch after batch, is `pipelines.cluster`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Sequence

import numpy as np

__all__ = ["StoryOptions", "StoryRecord", "assign", "cluster", "cluster_stream", "continuity", "continuity_many",
           "lead_of", "term_counts", "vectorise"]

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
    from .gazetteer import fold

    words = {part for word in _spacy_french_stop_words() for part in fold(word).split()}
    return tuple(sorted(words | {"paris", "parisien", "parisiens", "ville"}))


def _spacy_french_stop_words() -> set[str]:
    """``spacy.lang.fr.stop_words.STOP_WORDS``, read without importing ``spacy.lang.fr``.

    Importing the package compiles its tokenizer exceptions: 3.2 s of the main process's time
    in every `veille process` run, for a list of words (profile of bench/bench_growth.py).
    """
    import importlib.util
    from pathlib import Path

    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        from spacy.lang.fr.stop_words import STOP_WORDS

        return set(STOP_WORDS)
    path = Path(next(iter(spec.submodule_search_locations))) / "lang" / "fr" / "stop_words.py"
    module_spec = importlib.util.spec_from_file_location("_veille_spacy_fr_stop_words", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return set(module.STOP_WORDS)



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


def term_counts(texts: Sequence[str]):
    """Hashed term counts of texts (CSR, float32), as `vectorise` weighs them."""
    return _hasher().transform(texts)


# Hashed term counts of records, one CSR row each: `term_counts` of their texts, or a cache of them.
Counter = Callable[[Sequence[StoryRecord]], Any]


def vectorise(records: Sequence[StoryRecord], counter: Counter | None = None):
    """L2-normalised TF-IDF rows of the records (IDF over the records plus the background)."""
    from scipy.sparse import vstack
    from sklearn.feature_extraction.text import TfidfTransformer

    counts = counter(records) if counter is not None else term_counts([document_text(r) for r in records])
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
           options: StoryOptions, next_story: int, counter: Counter | None = None) -> int:
    """Cluster ``window`` and give its new records a story (in ``stories``); the next free id."""
    if not window:
        return next_story
    _vec, matrix = vectorise(window, counter)
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
                    threshold: float, counter: Counter | None = None) -> dict[int, int]:
    """For each new group, the previous story it continues (centroid cosine ≥ threshold); one vectorisation."""
    groups = {key: records for key, records in groups.items() if records}
    if not groups or not previous:
        return {}
    keys = list(groups) + list(previous)
    sizes = [len(groups[k]) for k in groups] + [len(previous[k]) for k in previous]
    everything = [r for k in groups for r in groups[k]] + [r for k in previous for r in previous[k]]
    _vec, matrix = vectorise(everything, counter)
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


LEAD_MIN = 40  # a summary or description shorter than this is no lead


def lead_of(summary: str | None, description: str | None, text: str | None, title: str | None) -> str:
    """The item's lead: the feed summary, else the page description, else the first real paragraph."""
    for candidate in (summary, description):
        if candidate and len(candidate.strip()) >= LEAD_MIN:
            return candidate.strip()[:600]
    for paragraph in (text or "").split("\n"):
        paragraph = paragraph.strip()
        if len(paragraph) >= 80 and paragraph != (title or "").strip():
            return paragraph[:600]
    return (text or summary or "").strip()[:600]
