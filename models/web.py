"""What the web app keeps between requests: login sessions and rate-limit counters.

Both live in the database so the web app stays stateless and can run in several processes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class WebSession(Base):
    """A login. The cookie carries a random token; only its SHA-256 is stored here."""

    __tablename__ = "web_sessions"
    __table_args__ = (Index("ix_web_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie token
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class RateCounter(Base):
    """Requests (or failed logins) counted per key and fixed time window."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)  # e.g. api:12, login:alice
    window: Mapped[int] = mapped_column(Integer, primary_key=True)  # start of the window, epoch seconds
    count: Mapped[int] = mapped_column(Integer, default=0)
