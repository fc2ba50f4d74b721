"""API rate limits: counted in the process, written to the database in batches, shared by processes."""

from __future__ import annotations

from sqlalchemy import func, select

from models import ApiToken, Database, RateCounter, User
from veille.web.ratelimit import RateLimiter

NOW = 1_800_000_000.0  # a fixed time, in the middle of a one-minute window


def stored(database: Database) -> dict[str, int]:
    with database.reader() as session:
        return dict(session.execute(select(RateCounter.key, RateCounter.count)).all())


def test_requests_are_counted_without_writing_until_the_flush(database: Database) -> None:
    limiter = RateLimiter(database, flush_seconds=3600)
    assert [limiter.hit("api:user:1", now=NOW) for _ in range(3)] == [1, 2, 3]
    assert stored(database) == {}
    limiter.flush()
    assert stored(database) == {"api:user:1": 3}
    assert limiter.hit("api:user:1", now=NOW) == 4


def test_two_processes_share_a_key_once_each_has_flushed(database: Database) -> None:
    one, two = RateLimiter(database, flush_seconds=3600), RateLimiter(database, flush_seconds=3600)
    for _ in range(3):
        one.hit("api:token:7", now=NOW)
    one.flush()
    assert two.hit("api:token:7", now=NOW) == 1  # not flushed yet: it does not know the others' requests
    two.flush()
    assert two.hit("api:token:7", now=NOW) == 5
    assert stored(database) == {"api:token:7": 4}


def test_a_new_window_starts_from_zero(database: Database) -> None:
    limiter = RateLimiter(database, flush_seconds=3600)
    limiter.hit("api:user:1", now=NOW)
    limiter.flush()
    assert limiter.hit("api:user:1", now=NOW + 60) == 1


def test_the_flush_writes_when_a_token_was_last_used(database: Database) -> None:
    with database.transaction() as session:
        user = User(name="ana", role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        session.add(ApiToken(user_id=user.id, token_hash="h", label="t"))
    with database.reader() as session:
        token_id = session.scalar(select(ApiToken.id))
    limiter = RateLimiter(database, flush_seconds=3600)
    limiter.hit(f"api:token:{token_id}", token_id)
    limiter.flush()
    with database.reader() as session:
        assert session.scalar(select(func.count()).where(ApiToken.last_used_at.is_not(None))) == 1


def test_the_background_thread_writes_within_its_interval_and_stops(database: Database) -> None:
    import time

    limiter = RateLimiter(database, flush_seconds=0.05)
    limiter.hit("api:user:2")
    deadline = time.monotonic() + 5
    while stored(database) != {"api:user:2": 1} and time.monotonic() < deadline:
        time.sleep(0.02)
    assert stored(database) == {"api:user:2": 1}
    while limiter._thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert limiter._thread is None
