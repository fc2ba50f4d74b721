"""Stories: items about the same event across outlets, with continuity from week to week."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class Story(Base):
    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)  # neutral title, chosen or written by a facilitator
    title_locked: Mapped[bool] = mapped_column(Boolean, default=False)  # a person wrote the title
    # The story this one continues (last week's cluster on the same subject).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    first_published_at: Mapped[datetime | None]
    last_published_at: Mapped[datetime | None]
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    outlet_count: Mapped[int] = mapped_column(Integer, default=0)
    # Terms and entities that describe it, for continuity and display.
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    origin: Mapped[str] = mapped_column(String(20), default="cluster")  # cluster | merge | split
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | closed (out of the window)
    # A facilitator's questions for the décryptage session on this story.
    questions: Mapped[str | None] = mapped_column(Text)

    items: Mapped[list["Item"]] = relationship(back_populates="story")  # noqa: F821
    parent: Mapped["Story | None"] = relationship(remote_side=[id])
