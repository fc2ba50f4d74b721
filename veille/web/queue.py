"""The review queue: items whose label would teach the theme model most.

The ranking is the themes stage's (`pipelines.themes.review_queue`, uncertainty sampling);
this module only loads what the page shows about each item, in a fixed number of queries.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Item
from pipelines.themes import review_queue

from .editorial import WITHOUT_TEXTS, Candidate, latest_labels


class QueueCache:
    """The ranked ids, kept ``ttl`` seconds per process: ranking scans every score of the window
    (about 30 ms at 10k items), while the page is opened after each correction. A label saved
    through this process clears it at once; other processes see it within ``ttl``."""

    def __init__(self, ttl: float = 60.0) -> None:
        self.ttl = ttl
        self._ids: list[int] | None = None
        self._at = 0.0
        self._lock = threading.Lock()

    def ids(self, session: Session, limit: int, window_days: int) -> list[int]:
        with self._lock:
            if self._ids is not None and time.monotonic() - self._at < self.ttl:
                return self._ids
        ranked = review_queue(session, limit=limit, window=timedelta(days=window_days))
        with self._lock:
            self._ids, self._at = [entry.item_id for entry in ranked], time.monotonic()
            return self._ids

    def clear(self) -> None:
        with self._lock:
            self._ids = None


def queue_candidates(session: Session, cache: QueueCache, *, limit: int, window_days: int) -> list[Candidate]:
    ids = cache.ids(session, limit, window_days)
    if not ids:
        return []
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids))
                                              .options(selectinload(Item.theme_scores), selectinload(Item.source),
                                                       *WITHOUT_TEXTS))}
    labels = latest_labels(session, set(items))
    return [Candidate(item=items[i], scores={s.theme: s for s in items[i].theme_scores}, label=labels.get(i))
            for i in ids if i in items]
