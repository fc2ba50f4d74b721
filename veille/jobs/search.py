"""Search jobs: one page of results, streamed exports (CSV, JSON) and the index rebuild.

The CLI and the web app both go through these, so `veille search` and the analysts' page
answer the same query the same way. Exports are generators of text chunks, so the web app
can stream them (``StreamingResponse``) and the CLI can write them as they come.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable, Iterator

from models.search import SearchHit, SearchPage, SearchRequest, iter_hits, rebuild_index, search

from ..core import Veille

log = logging.getLogger(__name__)

EXPORT_FIELDS = ("item_id", "published_at", "source", "outlet_type", "title", "url", "themes", "story_id",
                 "score", "snippet_html")


def run_search(app: Veille, request: SearchRequest) -> SearchPage:
    """One page of results with facets; raises `models.search.QueryError` for a bad query."""
    with app.db.reader() as session:
        return search(session, request)


def hit_record(hit: SearchHit) -> dict[str, object]:
    return {
        "item_id": hit.item_id,
        "published_at": hit.published_at.isoformat() if hit.published_at else None,
        "source": hit.source, "outlet_type": hit.outlet_type, "title": hit.title, "url": hit.url,
        "themes": hit.themes, "story_id": hit.story_id, "score": hit.score, "snippet_html": hit.snippet_html,
    }


def export_hits(app: Veille, request: SearchRequest, limit: int | None = None) -> Iterator[SearchHit]:
    """Every match of the request (newest first), read in batches from one reader session.
    The query is checked here, before anything is streamed: a `QueryError` comes at once."""
    session = app.db.reader()
    try:
        hits = iter_hits(session, request)
        first = next(hits, None)
    except BaseException:
        session.close()
        raise

    def stream() -> Iterator[SearchHit]:
        try:
            if first is None:
                return
            yield first
            for count, hit in enumerate(hits, start=2):
                if limit is not None and count > limit:
                    return
                yield hit
        finally:
            session.close()

    return stream()


def csv_chunks(hits: Iterator[SearchHit]) -> Iterator[str]:
    """CSV text, header first, one chunk per few hundred rows (themes joined with "|")."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_FIELDS)
    for n, hit in enumerate(hits, start=1):
        record = hit_record(hit)
        record["themes"] = "|".join(hit.themes)
        writer.writerow([record[name] if record[name] is not None else "" for name in EXPORT_FIELDS])
        if n % 200 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(hits: Iterator[SearchHit]) -> Iterator[str]:
    """A JSON array, streamed element by element."""
    yield "["
    for n, hit in enumerate(hits):
        yield ("," if n else "") + "\n" + json.dumps(hit_record(hit), ensure_ascii=False)
    yield "\n]\n"


@dataclass
class ReindexReport:
    items: int
    seconds: float

    def summary(self) -> str:
        return f"search index rebuilt: {self.items} items in {self.seconds:.1f} s"


def reindex(app: Veille, *, progress: Callable[[int, int], None] | None = None) -> ReindexReport:
    """Rebuild the whole search index in one transaction (readers keep the old one meanwhile)."""
    started = time.monotonic()
    with app.db.transaction() as session:
        items = rebuild_index(session, progress=progress)
    report = ReindexReport(items, time.monotonic() - started)
    log.info("%s", report.summary())
    return report
