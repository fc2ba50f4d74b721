"""Items (articles), their links to feeds, fetched pages, entities and places."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import (Boolean, Float, ForeignKey, Index, Integer, LargeBinary, SmallInteger, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow


class ItemState(str, Enum):
    """Where an item is in the one data flow; a run resumes from it after a crash.

    ``discovered`` (seen in a feed, stored before any article fetch) → ``fetched`` (article
    page stored, or given up on with the feed summary kept) → one state per processing stage
    (``extracted``, ``deduped``, ``enriched``, ``classified``, ``clustered``) → ``done``.
    ``dropped`` items keep their row and the reason in ``drop_reason``.
    """

    discovered = "discovered"
    fetched = "fetched"
    extracted = "extracted"
    deduped = "deduped"
    enriched = "enriched"
    classified = "classified"
    clustered = "clustered"
    done = "done"
    dropped = "dropped"


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        Index("ix_items_state", "state"),
        Index("ix_items_published_at", "published_at"),
        Index("ix_items_source_published", "source_id", "published_at"),
        Index("ix_items_story_id", "story_id"),
        Index("ix_items_content_hash", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    canonical_url: Mapped[str] = mapped_column(Text, unique=True)
    url: Mapped[str] = mapped_column(Text)  # as first listed by a feed
    final_url: Mapped[str | None] = mapped_column(Text)  # after redirects
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id"))  # the source that found it first

    title: Mapped[str | None] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)  # from the feed or listing page
    text: Mapped[str | None] = mapped_column(Text)  # extracted main text
    description: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(10))
    author: Mapped[str | None] = mapped_column(Text)
    site_name: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    lemmas: Mapped[str | None] = mapped_column(Text)  # space-separated lemmas for search and features

    published_at: Mapped[datetime | None]
    date_source: Mapped[str | None] = mapped_column(String(20))  # feed | page | htmldate | first_seen
    date_suspect: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    state: Mapped[str] = mapped_column(String(20), default=ItemState.discovered.value)
    drop_reason: Mapped[str | None] = mapped_column(String(100))
    flags: Mapped[list[Any]] = mapped_column(default=list)  # e.g. extraction_short, paywall, date_suspect
    content_hash: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    # Article fetch with retries and backoff.
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_fetch_at: Mapped[datetime | None]
    fetch_error: Mapped[str | None] = mapped_column(Text)
    # Claim, so two workers never process one item at once.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_until: Mapped[datetime | None]

    # Copies (exact or near duplicates, wire copies): never deleted, they count as coverage.
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="SET NULL"))
    duplicate_kind: Mapped[str | None] = mapped_column(String(20))  # exact | near | wire
    is_wire: Mapped[bool] = mapped_column(Boolean, default=False)
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))

    source: Mapped["Source"] = relationship(foreign_keys=[source_id])  # noqa: F821
    links: Mapped[list["ItemSource"]] = relationship(back_populates="item", cascade="all, delete-orphan")
    entities: Mapped[list["Entity"]] = relationship(back_populates="item", cascade="all, delete-orphan")
    places: Mapped[list["ItemPlace"]] = relationship(back_populates="item", cascade="all, delete-orphan")
    theme_scores: Mapped[list["ThemeScore"]] = relationship(  # noqa: F821
        back_populates="item", cascade="all, delete-orphan")
    labels: Mapped[list["Label"]] = relationship(back_populates="item", cascade="all, delete-orphan")  # noqa: F821
    story: Mapped["Story | None"] = relationship(back_populates="items")  # noqa: F821

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.state} {self.canonical_url!r}>"


class ItemSource(Base):
    """One listing of an item by a source: the feed identity (per-feed key, GUID, link)."""

    __tablename__ = "item_sources"
    __table_args__ = (UniqueConstraint("source_id", "key"), Index("ix_item_sources_item_id", "item_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))  # sha256 of the GUID or of the normalised link
    guid: Mapped[str | None] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    entry_hash: Mapped[str | None] = mapped_column(String(64))  # title+summary+link as listed, to see edits
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    item: Mapped[Item] = relationship(back_populates="links")
    source: Mapped["Source"] = relationship(back_populates="item_links")  # noqa: F821


class ItemPage(Base):
    """The fetched article page, zlib-compressed; kept so extraction can be re-run."""

    __tablename__ = "item_pages"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[int | None] = mapped_column(SmallInteger)
    content_type: Mapped[str | None] = mapped_column(String(200))
    encoding: Mapped[str | None] = mapped_column(String(50))
    body: Mapped[bytes | None] = mapped_column(LargeBinary)  # zlib-compressed raw bytes
    size: Mapped[int | None] = mapped_column(Integer)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)


class Entity(Base):
    """A person, organisation or place named in an item (spaCy), with its mention count."""

    __tablename__ = "entities"
    __table_args__ = (Index("ix_entities_item_id", "item_id"), Index("ix_entities_label_norm", "label", "norm"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(10))  # PER | ORG | LOC | MISC
    text: Mapped[str] = mapped_column(Text)
    norm: Mapped[str] = mapped_column(String(300))  # lower case, no accents: for facets and filters
    count: Mapped[int] = mapped_column(Integer, default=1)

    item: Mapped[Item] = relationship(back_populates="entities")


class ItemPlace(Base):
    """An arrondissement (1–20) an item is about, with the evidence that says so."""

    __tablename__ = "item_places"
    __table_args__ = (UniqueConstraint("item_id", "arrondissement"),
                      Index("ix_item_places_arrondissement", "arrondissement"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    arrondissement: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float, default=1.0)
    evidence: Mapped[list[Any]] = mapped_column(default=list)  # [{"text", "kind", "start"}]

    item: Mapped[Item] = relationship(back_populates="places")
