"""The source list in the database: declared sources are upserted by name, never deleted."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Source, utcnow

log = logging.getLogger(__name__)

# Columns of `sources` a declaration sets; every other declared field goes to `options`.
COLUMNS = ("url", "kind", "language", "outlet_type", "enabled")


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def upsert_sources(session: Session, declared: list[dict[str, Any]], *, origin: str = "config") -> SyncReport:
    """Insert or update sources from plain declarations (``name``, ``url``, ``kind``, ...).

    A source missing from the declarations is left as it is: its items and history stay.
    Fetch state is kept across updates, except that a changed URL resets the validators.
    """
    report = SyncReport()
    existing = {source.name: source for source in session.scalars(select(Source))}
    for spec in declared:
        spec = dict(spec)
        name = spec.pop("name")
        columns = {key: spec.pop(key) for key in COLUMNS if key in spec}
        options = {key: value for key, value in spec.items() if value not in (None, [], {})}
        source = existing.get(name)
        if source is None:
            source = Source(name=name, origin=origin, options=options, **columns)
            session.add(source)
            existing[name] = source
            report.added.append(name)
            continue
        changed = False
        if columns.get("url") and columns["url"] != source.url:
            source.etag = source.last_modified = source.body_hash = None
            source.next_check_at = utcnow()
        for key, value in columns.items():
            if getattr(source, key) != value:
                setattr(source, key, value)
                changed = True
        if source.options != options:
            source.options = options
            changed = True
        (report.updated if changed else report.unchanged).append(name)
    session.flush()
    return report
