"""Weekly press reviews, their curated entries and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Digest(Base):
    """One group's review of one ISO week (``2026-W47``): a draft until published."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("group", "week"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group: Mapped[str] = mapped_column(String(30))
    week: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft | published
    editor_note: Mapped[str | None] = mapped_column(Text)
    built_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The context the formats were rendered from, frozen at publication.
    context: Mapped[dict[str, Any] | None]
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    entries: Mapped[list["DigestEntry"]] = relationship(back_populates="digest", cascade="all, delete-orphan")
    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="digest", cascade="all, delete-orphan")


class DigestEntry(Base):
    """A story or item in a review, with a facilitator's decisions and the ranking parts."""

    __tablename__ = "digest_entries"
    __table_args__ = (Index("ix_digest_entries_digest_id", "digest_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    section: Mapped[str | None] = mapped_column(String(40))  # une | sub-topic | bref
    position: Mapped[int | None] = mapped_column(Integer)  # a facilitator's order; None = by score
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    excluded: Mapped[bool] = mapped_column(Boolean, default=False)
    score: Mapped[float | None] = mapped_column(Float)
    score_parts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    note: Mapped[str | None] = mapped_column(Text)

    digest: Mapped[Digest] = relationship(back_populates="entries")


class Delivery(Base):
    """One e-mail of a review to one recipient, claimed before sending so it goes once."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("digest_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest_id: Mapped[int] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | sending | sent | failed
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(300))
    error: Mapped[str | None] = mapped_column(Text)

    digest: Mapped[Digest] = relationship(back_populates="deliveries")
