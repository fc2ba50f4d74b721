"""The document that flows through the stages: what an item brings in, what stages add.

A `Document` is a plain, picklable value, so the CPU stages (extract, enrich) can run in
worker processes; the runner copies it from an item before the stages and back onto the
item after them. Stages never touch the database through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Place:
    """An arrondissement (1–20) the document is about, with the evidence that says so."""

    arrondissement: int
    score: float
    evidence: list[dict[str, Any]] = field(default_factory=list)  # [{"text", "kind", "start"}]


@dataclass
class EntityMention:
    """A person (PER), organisation (ORG), place (LOC) or other name (MISC), counted."""

    label: str
    text: str
    norm: str
    count: int = 1


@dataclass
class Document:
    # -- what the item brings in --
    url: str
    item_id: int | None = None
    final_url: str | None = None
    html: bytes | None = None  # the raw page bytes, as fetched (the extractor detects the encoding)
    content_type: str | None = None
    feed_title: str | None = None
    feed_summary: str | None = None
    feed_published: datetime | None = None
    first_seen: datetime | None = None
    source_language: str | None = None  # what the source declares
    source_id: int | None = None

    # -- what extract adds --
    title: str | None = None
    text: str | None = None
    author: str | None = None
    description: str | None = None
    site_name: str | None = None
    image_url: str | None = None
    language: str | None = None
    published_at: datetime | None = None
    date_source: str | None = None  # feed | page | htmldate | first_seen
    date_suspect: bool = False
    content_hash: str | None = None
    flags: list[str] = field(default_factory=list)

    # -- what enrich adds --
    entities: list[EntityMention] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    lemmas: str | None = None
    is_wire: bool = False
    wire_agency: str | None = None

    def flag(self, name: str) -> None:
        if name not in self.flags:
            self.flags.append(name)

    @property
    def lead(self) -> str:
        """The first paragraph of the text (or the summary), for stories and display."""
        body = self.text or self.feed_summary or ""
        return body.strip().split("\n", 1)[0][:600]
