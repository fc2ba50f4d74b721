"""When to poll a source next: adaptive interval, server hints, backoff, Retry-After.

Pure functions of their inputs (the clock and the random source are arguments), so the
rules of the crawler reference (requirements 3 and 4) are tested without waiting.
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Iterable, Mapping

__all__ = ["adaptive_interval", "server_hint", "jittered", "backoff_delay", "WEEK"]

WEEK = 7 * 86400


def adaptive_interval(published: Iterable[datetime | None], now: datetime, *, minimum: int, maximum: int) -> int:
    """Seconds between polls from the publishing rate seen over the past week.

    A week divided by the number of entries published in it (Miniflux's entry_frequency),
    clamped to [minimum, maximum]; a feed with nothing new in a week gets the maximum.
    """
    since = now - timedelta(seconds=WEEK)
    count = sum(1 for value in published if value is not None and since <= value <= now + timedelta(minutes=15))
    if count == 0:
        return maximum
    return max(minimum, min(maximum, WEEK // count))


def server_hint(headers: Mapping[str, str] | None, ttl_seconds: int | None, now: datetime, *, cap: int) -> int | None:
    """The longest wait the server asks for (``<ttl>``, Cache-Control max-age, Expires), capped."""
    hints: list[int] = []
    if ttl_seconds:
        hints.append(ttl_seconds)
    if headers:
        control = headers.get("cache-control") or ""
        match = re.search(r"(?:^|[,\s])max-age\s*=\s*(\d+)", control)
        if match:
            hints.append(int(match.group(1)))
        expires = headers.get("expires")
        if expires:
            try:
                when = parsedate_to_datetime(expires)
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                hints.append(int((when - now).total_seconds()))
            except (TypeError, ValueError, IndexError):
                pass
    hints = [h for h in hints if h > 0]
    return min(max(hints), cap) if hints else None


def jittered(seconds: float, fraction: float, rng: random.Random | None = None) -> float:
    """``seconds`` spread by ±``fraction``, so sources sharing a schedule do not burst together."""
    if fraction <= 0:
        return seconds
    return seconds * (1 + (rng or random).uniform(-fraction, fraction))


def backoff_delay(failures: int, *, base: int, maximum: int) -> int:
    """min(base·2ⁿ⁻¹, maximum) after ``failures`` consecutive failures (n ≥ 1)."""
    if failures <= 0:
        return base
    return min(maximum, base * (2 ** min(failures - 1, 30)))
