"""robots.txt for article and listing pages (not for subscribed feeds), cached per host.

The cache lives in the `hosts` table (shared by every worker) for `robots_ttl` seconds,
and in memory for the length of a crawl. Per RFC 9309: a 4xx robots.txt allows
everything; a 5xx or an unreachable one disallows everything until the next try.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Callable
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from models import Database, Host

from .http import FetchError, Fetcher, host_of

log = logging.getLogger(__name__)

__all__ = ["RobotsCache"]

MAX_ROBOTS_BYTES = 512 * 1024
# When robots.txt could not be read, try again sooner than the normal cache time.
UNREACHABLE_TTL = timedelta(hours=1)


class RobotsCache:
    def __init__(self, db: Database, fetcher: Fetcher, *, ttl: int, user_agent: str,
                 clock: Callable[..., object]) -> None:
        self.db, self.fetcher, self.ttl = db, fetcher, timedelta(seconds=ttl)
        self.user_agent = user_agent.split("/")[0].split()[0] or "*"
        self.clock = clock
        self._parsers: dict[str, RobotFileParser] = {}
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}

    def allowed(self, url: str) -> bool:
        host = host_of(url)
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:  # one load per host, even with several threads asking
            parser = self._parsers.get(host)
            if parser is None:
                parser = self._parsers[host] = self._load(url, host)
        return parser.can_fetch(self.user_agent, url)

    def _load(self, url: str, host: str) -> RobotFileParser:
        now = self.clock()
        with self.db.reader() as session:
            row = session.get(Host, host)
            if row is not None and row.robots_fetched_at is not None:
                fresh = self.ttl if (row.robots_status or 0) < 500 else UNREACHABLE_TTL
                if row.robots_fetched_at + fresh > now:
                    return _parser(row.robots_status or 0, row.robots_txt or "")
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        status, text = 0, ""
        try:
            response = self.fetcher.get(robots_url, max_bytes=MAX_ROBOTS_BYTES)
            status, text = 200, response.content.decode("utf-8", "replace")
        except FetchError as exc:
            status = exc.status or 599
            log.info("robots.txt of %s: %s (%s)", host, exc.outcome, exc)
        with self.db.transaction() as session:
            row = session.get(Host, host) or Host(name=host)
            row.robots_txt, row.robots_status, row.robots_fetched_at = text[:MAX_ROBOTS_BYTES], status, now
            session.merge(row)
        return _parser(status, text)


def _parser(status: int, text: str) -> RobotFileParser:
    parser = RobotFileParser()
    if status == 200:
        parser.parse(text.splitlines())
    elif 400 <= status < 500:
        parser.allow_all = True
    else:
        parser.disallow_all = True
    return parser
