"""Reading reviews through the digests package's public API, with a small render cache.

A published review does not change until it is published again, so its rendered HTML is
cached per instance, keyed by the digest's ``updated_at``; drafts are rendered afresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer

import digests as digests_api
from models import Digest

from ..core import Veille


class RenderCache:
    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                return self._data[key]
        return None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)


def options(app: Veille) -> Any:
    from ..jobs.digest import review_options

    return review_options(app)


def assemble(session: Session, app: Veille, group: str, week: str) -> Any:
    """A published review's frozen context, else the draft as it would be now."""
    return digests_api.load_review(session, group, week, options(app))


def render(review: Any, fmt: str, **kwargs: Any) -> Any:
    return digests_api.render_review(review, fmt, **kwargs)


# A published review's frozen context is a large JSON document: pages that list or look up
# reviews never read it (its decoding was 7 % of the server's CPU under load), so it stays out.
WITHOUT_CONTEXT = defer(Digest.context, raiseload=True)


def digest_row(session: Session, group: str, week: str) -> Digest | None:
    return session.scalar(select(Digest).where(Digest.group == group, Digest.week == week).options(WITHOUT_CONTEXT))


def latest_published(session: Session) -> dict[str, Digest]:
    """The latest published review of each group (one query)."""
    latest = (select(Digest.group, func.max(Digest.week).label("week"))
              .where(Digest.status == "published").group_by(Digest.group).subquery())
    rows = session.scalars(select(Digest).join(latest, (Digest.group == latest.c.group)
                                               & (Digest.week == latest.c.week)).options(WITHOUT_CONTEXT)).all()
    return {row.group: row for row in rows}
