"""Sources (feeds and listing pages), their fetch state and health; hosts; tombstones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Source(Base):
    """A feed or listing page, with everything the crawler remembers about it.

    Errors are data (style habit 6): the last outcome kind and message, counts by kind and
    the time of the first failure in the current streak are kept here and shown to operators.
    """

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10), default="feed")  # feed | page
    language: Mapped[str] = mapped_column(String(10), default="fr")
    outlet_type: Mapped[str] = mapped_column(String(20))  # national | regional | local | institutional | independent
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Listing rules, block rules, per-source UA and the like (SourceConfig minus the columns above).
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(String(20), default="config")  # config | import | demo
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # Conditional GET and change detection: each validator is stored on its own.
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    # Item identity: "guid" until GUIDs turn out empty or repeated, then "link".
    key_mode: Mapped[str] = mapped_column(String(10), default="guid")
    # A permanent redirect is adopted after a few consistent observations.
    redirect_url: Mapped[str | None] = mapped_column(Text)
    redirect_seen: Mapped[int] = mapped_column(Integer, default=0)

    # Schedule.
    interval_seconds: Mapped[int | None] = mapped_column(Integer)
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    last_checked_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]
    last_unconditional_at: Mapped[datetime | None]
    last_new_item_at: Mapped[datetime | None]
    # Worker claim, so two workers never poll one source at once.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]

    # Health.
    last_outcome: Mapped[str | None] = mapped_column(String(30))  # ok | not_modified | timeout | http_5xx | ...
    last_error: Mapped[str | None] = mapped_column(Text)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[datetime | None]
    error_counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    items_found: Mapped[int] = mapped_column(Integer, default=0)
    disabled_at: Mapped[datetime | None]
    disabled_reason: Mapped[str | None] = mapped_column(Text)

    item_links: Mapped[list["ItemSource"]] = relationship(back_populates="source")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Source {self.id} {self.name!r}>"


class Host(Base):
    """Per-host politeness shared by every worker: next allowed request, Retry-After, robots.txt."""

    __tablename__ = "hosts"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    next_request_at: Mapped[datetime | None]
    retry_after_until: Mapped[datetime | None]
    robots_txt: Mapped[str | None] = mapped_column(Text)
    robots_status: Mapped[int | None] = mapped_column(Integer)
    robots_fetched_at: Mapped[datetime | None]


class Tombstone(Base):
    """An item that was purged or deleted must never come back from a later fetch."""

    __tablename__ = "tombstones"
    __table_args__ = (UniqueConstraint("source_id", "key"),
                      Index("ix_tombstones_canonical_url", "canonical_url"))

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key: Mapped[str | None] = mapped_column(String(64))
    canonical_url: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
