"""API rate limits counted in the process and written to the database about once a second.

Counting each API request with a write (`security.hit`) cost a write transaction per read
request: on SQLite it queued behind the crawler's writes for the write lock (a 5 s wait was
measured with a crawl running, docs/operations.md). Here a request only adds to an in-memory
count; a background thread adds the counts to `rate_counters` and reads back each key's total
(every process's requests) and writes the tokens' ``last_used_at``.

With one process the limit is exact. With several (``web.workers``), a process sees the
others' requests of the current minute up to one flush late (``FLUSH_SECONDS``): a caller
can exceed the limit by what the other processes served it in that second. Counts never go
lower than the truth: a flush commits before the counts it wrote leave the pending set.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from models import ApiToken, Database, RateCounter, utcnow

from . import security

log = logging.getLogger(__name__)

FLUSH_SECONDS = 1.0
WINDOW_SECONDS = 60
GIVE_UP_SECONDS = 60.0  # a database that refuses writes this long: the counts are dropped


class RateLimiter:
    """Requests per key and fixed window, shared with the other processes through the database."""

    def __init__(self, db: Database, window: int = WINDOW_SECONDS, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.db = db
        self.window = window
        self.flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._flushing = threading.Lock()  # one flush at a time (the thread, or close())
        self._pending: Counter[tuple[str, int]] = Counter()  # not yet in the database
        self._known: dict[tuple[str, int], int] = {}  # the database's total at the last flush
        self._used: dict[int, datetime] = {}  # token id → last request
        self._thread: threading.Thread | None = None
        self._failing_since: float | None = None
        self._pruned_window = 0

    def hit(self, key: str, token_id: int | None = None, now: float | None = None) -> int:
        """Count one request for ``key``; the count of its window so far, this one included."""
        start = security.window_start(time.time() if now is None else now, self.window)
        with self._lock:
            self._pending[(key, start)] += 1
            if token_id is not None:
                self._used[token_id] = utcnow()
            count = self._known.get((key, start), 0) + self._pending[(key, start)]
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="rate-limit-flush", daemon=True)
                self._thread.start()
        return count

    def _run(self) -> None:
        while True:
            time.sleep(self.flush_seconds)
            self.flush()
            with self._lock:
                if not self._pending and not self._used:
                    self._thread = None
                    return

    def flush(self) -> None:
        """Write the pending counts and token uses; read back the totals of those keys."""
        with self._flushing:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            taken = Counter(self._pending)
            used = dict(self._used)
        if not taken and not used:
            return
        try:
            totals = self._write(taken, used)
        except SQLAlchemyError as exc:
            now = time.monotonic()
            self._failing_since = self._failing_since or now
            if now - self._failing_since < GIVE_UP_SECONDS:
                log.warning("rate limit counts not written yet (%s); retrying", exc.__class__.__name__)
                return
            log.error("rate limit counts dropped after %.0f s of database errors: %s", now - self._failing_since, exc)
            totals = {}
        self._failing_since = None
        with self._lock:
            self._pending.subtract(taken)
            self._pending = +self._pending  # drop the keys at zero
            for token_id, at in used.items():
                if self._used.get(token_id) == at:
                    del self._used[token_id]
            oldest = security.window_start(time.time(), self.window)
            self._known = {k: n for k, n in {**self._known, **totals}.items() if k[1] >= oldest}

    def _write(self, taken: Counter[tuple[str, int]], used: dict[int, datetime]) -> dict[tuple[str, int], int]:
        totals: dict[tuple[str, int], int] = {}
        with self.db.transaction() as session:
            for (key, start), count in sorted(taken.items()):
                security.add(session, key, start, count)
            for key, start in taken:
                totals[(key, start)] = session.scalar(
                    select(RateCounter.count).where(RateCounter.key == key, RateCounter.window == start)) or 0
            for token_id, at in used.items():
                session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=at))
            current = security.window_start(time.time(), self.window)
            if current != self._pruned_window:  # once a minute: drop the counters of past days
                security.prune(session)
                self._pruned_window = current
        return totals

    def close(self) -> None:
        """Write what is pending (at shutdown)."""
        self.flush()
