"""The crawler's typed options, built once by the shell from the `watch` settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from .http import HttpOptions

__all__ = ["CrawlOptions", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class CrawlOptions:
    http: HttpOptions = field(default_factory=HttpOptions)
    max_feed_bytes: int = 15 * 1024 * 1024
    max_article_bytes: int = 5 * 1024 * 1024
    concurrency: int = 8
    min_interval: int = 300
    max_interval: int = 3600
    max_server_hint: int = 7200
    jitter: float = 0.1
    unconditional_every: int = 43200
    backoff_base: int = 300
    backoff_max: int = 86400
    retry_after_default: int = 3600
    disable_after_days: int = 30
    batch_size: int = 100
    robots_ttl: int = 86400
    article_retries: int = 5
    # Retry delay of a failed article fetch: base · 2ⁿ, capped (seconds).
    article_backoff_base: int = 120
    article_backoff_max: int = 6 * 3600
    # A claim on a source outlives any single poll (total timeouts, robots, articles).
    claim_seconds: int = 900
    worker_id: str = "worker"
    # The clock, injectable so tests can move time (aware UTC).
    clock: Callable[[], datetime] = utc_now
    # Resolves a secret reference from a source's options ({"$env": "NAME"}) to its value.
    resolve_secret: Callable[[Mapping[str, Any]], str | None] = lambda ref: None
