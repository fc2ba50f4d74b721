"""Secrets, signed cookies, CSRF tokens, rate-limit counters and safe redirects.

Sessions are server-side rows (`models.WebSession`): the cookie carries a random token,
signed with the app's key; the row stores only the token's SHA-256. Logging in always
creates a new row and a new token (no session fixation); logging out deletes the row.
Counters (`models.RateCounter`) live in the database too, so several web processes share
the limits.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from pathlib import Path
from urllib.parse import urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import RateCounter

from ..settings import SecretRef

log = logging.getLogger(__name__)

SECRET_FILE = "web-secret.key"


def load_secret_key(ref: SecretRef | None, data_dir: Path) -> str:
    """The key from the environment reference, else from the data directory (created once)."""
    if ref is not None:
        return ref.require("web.secret_key")
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together agree on one key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    log.info("generated the web secret key in %s", path)
    return key


def new_token() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time comparison of two tokens; None never matches."""
    return bool(a) and bool(b) and hmac.compare_digest(str(a), str(b))


class CookieSigner:
    """Signs cookie values so a client can neither forge nor alter them."""

    def __init__(self, key: str, salt: str) -> None:
        self._serializer = URLSafeSerializer(key, salt=salt)

    def sign(self, value: str) -> str:
        return self._serializer.dumps(value)

    def unsign(self, signed: str | None) -> str | None:
        if not signed:
            return None
        try:
            value = self._serializer.loads(signed)
        except BadSignature:
            return None
        return value if isinstance(value, str) else None


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything that could leave the site becomes ``default``."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if (parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return default
    return target


def window_start(now: float, seconds: int) -> int:
    return int(now // seconds) * seconds


def hit(session: Session, key: str, seconds: int, now: float | None = None) -> int:
    """Count one event for ``key`` in the current window; the count so far, this one included."""
    start = window_start(time.time() if now is None else now, seconds)
    add(session, key, start, 1)
    return session.scalar(select(RateCounter.count).where(RateCounter.key == key,
                                                          RateCounter.window == start)) or 0


def add(session: Session, key: str, start: int, count: int) -> None:
    """Add ``count`` events to ``key``'s window that starts at ``start``."""
    bump = (update(RateCounter).where(RateCounter.key == key, RateCounter.window == start)
            .values(count=RateCounter.count + count))
    if session.execute(bump).rowcount == 0:
        try:
            with session.begin_nested():
                session.add(RateCounter(key=key, window=start, count=count))
        except IntegrityError:  # another process inserted it first
            session.execute(bump)


def current(session: Session, key: str, seconds: int, now: float | None = None) -> int:
    start = window_start(time.time() if now is None else now, seconds)
    return session.scalar(select(RateCounter.count).where(RateCounter.key == key,
                                                          RateCounter.window == start)) or 0


def forget(session: Session, key: str) -> None:
    session.execute(delete(RateCounter).where(RateCounter.key == key))


def prune(session: Session, older_than_seconds: int = 86400, now: float | None = None) -> None:
    limit = int((time.time() if now is None else now) - older_than_seconds)
    session.execute(delete(RateCounter).where(RateCounter.window < limit))
