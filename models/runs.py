"""Runs of background work, with counters per stage and per reason."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow


class Run(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_kind_started", "kind", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # crawl | process | digest | send | train | demo
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | ok | failed | interrupted
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # {"extract": {"in": 10, "out": 9, "drop:too_short": 1}, ...}
    counters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # [{"kind": "timeout", "target": "source:3", "message": "..."}], capped in length
    errors: Mapped[list[Any]] = mapped_column(default=list)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)
    worker: Mapped[str | None] = mapped_column(String(100))  # host:pid
    message: Mapped[str | None] = mapped_column(Text)
    items: Mapped[int] = mapped_column(Integer, default=0)
