"""The review queue: items whose label would teach the theme model most.

The ranking is the themes stage's (`pipelines.themes.review_queue`, uncertainty sampling);
this module only loads what the page shows about each item, in a fixed number of queries.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Item
from pipelines.themes import review_queue

from .editorial import Candidate, latest_labels


def queue_candidates(session: Session, *, limit: int, window_days: int) -> list[Candidate]:
    ranked = review_queue(session, limit=limit, window=timedelta(days=window_days))
    ids = [entry.item_id for entry in ranked]
    if not ids:
        return []
    items = {i.id: i for i in session.scalars(select(Item).where(Item.id.in_(ids))
                                              .options(selectinload(Item.theme_scores), selectinload(Item.source)))}
    labels = latest_labels(session, set(items))
    return [Candidate(item=items[i], scores={s.theme: s for s in items[i].theme_scores}, label=labels.get(i))
            for i in ids if i in items]
