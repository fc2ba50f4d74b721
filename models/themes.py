"""Theme scores from the model, trained model versions, and facilitators' labels."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class ThemeScore(Base):
    """The model's score for one theme of one item, with the version that produced it."""

    __tablename__ = "theme_scores"
    __table_args__ = (UniqueConstraint("item_id", "theme"), Index("ix_theme_scores_theme_assigned", "theme", "assigned"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    theme: Mapped[str] = mapped_column(String(30))
    score: Mapped[float] = mapped_column(Float)
    assigned: Mapped[bool] = mapped_column(Boolean)  # score above the theme's threshold
    model_version: Mapped[str] = mapped_column(String(64))
    reasons: Mapped[list[Any]] = mapped_column(default=list)  # [{"term", "weight", "kind"}]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped["Item"] = relationship(back_populates="theme_scores")  # noqa: F821


class ThemeModel(Base):
    """A trained theme model; the artefact lives in the data directory under `path`."""

    __tablename__ = "theme_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    data_hash: Mapped[str] = mapped_column(String(64))
    n_examples: Mapped[int] = mapped_column(Integer, default=0)
    n_labels: Mapped[int] = mapped_column(Integer, default=0)  # facilitators' labels in the data
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    path: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str | None] = mapped_column(Text)


class Label(Base):
    """A person's decision on an item's themes. The latest label overrides the model."""

    __tablename__ = "labels"
    __table_args__ = (Index("ix_labels_item_created", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author: Mapped[str] = mapped_column(String(200))  # kept even if the account goes
    themes: Mapped[list[Any]] = mapped_column(default=list)  # sorted theme keys; [] means none
    note: Mapped[str | None] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(20), default="web")  # web | api | cli | import
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped["Item"] = relationship(back_populates="labels")  # noqa: F821
