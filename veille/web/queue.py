"""The review queue: items whose label would teach the theme model most.

The ranking is the themes stage's (`pipelines.review_queue`, uncertainty sampling). Until
that function exists the queue falls back to the same idea on the stored scores: unlabelled
items whose theme scores sit closest to the 0.5 decision boundary.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Item, ItemState, Label, ThemeScore, utcnow

from .editorial import Candidate, latest_labels


def _item_id(entry: Any) -> int | None:
    if isinstance(entry, int):
        return entry
    if isinstance(entry, tuple) and entry and isinstance(entry[0], int):
        return entry[0]
    for name in ("item_id", "id"):
        value = getattr(entry, name, None)
        if isinstance(value, int):
            return value
    item = getattr(entry, "item", None)
    return getattr(item, "id", None)


def fallback_queue(session: Session, limit: int, window_days: int) -> list[int]:
    since = utcnow() - timedelta(days=window_days)
    labelled = select(Label.item_id)
    margin = func.min(func.abs(ThemeScore.score - 0.5))
    rows = session.execute(
        select(ThemeScore.item_id, margin.label("margin")).join(Item, Item.id == ThemeScore.item_id)
        .where(Item.first_seen_at >= since, Item.state != ItemState.dropped.value,
               ThemeScore.item_id.not_in(labelled))
        .group_by(ThemeScore.item_id).order_by(margin, ThemeScore.item_id).limit(limit)).all()
    return [row[0] for row in rows]


def queue_candidates(session: Session, queue_fn: Callable[..., Any] | None, *, limit: int,
                     window_days: int) -> tuple[list[Candidate], bool]:
    """The queue's items with their scores and labels; whether the model's own queue was used."""
    if queue_fn is not None:
        ids = [i for i in (_item_id(e) for e in queue_fn(session, limit=limit, window=window_days)) if i]
    else:
        ids = fallback_queue(session, limit, window_days)
    if not ids:
        return [], queue_fn is not None
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids))
                                              .options(selectinload(Item.theme_scores), selectinload(Item.source)))}
    labels = latest_labels(session, set(items))
    return ([Candidate(item=items[i], scores={s.theme: s for s in items[i].theme_scores}, label=labels.get(i))
             for i in ids if i in items], queue_fn is not None)
