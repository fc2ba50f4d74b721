"""The one context object of a review: every format is rendered from it (style habit 14).

Plain pydantic models of strings and numbers, so a published review can be frozen as JSON
in ``digests.context`` and rendered again, identically, months later.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class SourceRef(BaseModel):
    """One article of a story: outlet, date, author, link; wire copies marked."""

    item_id: int
    title: str
    url: str
    outlet: str
    outlet_type: str
    published: str  # "23 novembre 2026"
    published_iso: str | None = None
    author: str | None = None
    wire: bool = False  # a wire copy (dépêche) or a republication of another item
    copy_of: str | None = None  # the outlet it repeats, when known


class Quote(BaseModel):
    """One sentence drawn from an article, always shown with its outlet and link."""

    text: str
    outlet: str
    url: str
    item_id: int


class StoryView(BaseModel):
    key: str  # "s12" (a story) or "i34" (an item on its own)
    story_id: int | None = None
    title: str
    summary: list[Quote] = Field(default_factory=list)
    arrondissements: list[int] = Field(default_factory=list)
    sources: list[SourceRef] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    subtopic: str = "autres"
    subtopic_label: str = "Autres sujets"
    score: float = 0.0
    score_parts: dict[str, float] = Field(default_factory=dict)
    pinned: bool = False
    note: str | None = None  # a facilitator's note on this story
    item_count: int = 0
    outlet_count: int = 0
    outlet_types: list[str] = Field(default_factory=list)


class Section(BaseModel):
    key: str
    title: str
    stories: list[StoryView]


class BriefLine(BaseModel):
    title: str
    url: str
    outlet: str
    published: str
    wire: bool = False
    arrondissements: list[int] = Field(default_factory=list)


class Angle(BaseModel):
    outlet: str
    outlet_type: str
    title: str
    url: str


class Decryptage(BaseModel):
    """A story told by several outlets, proposed for a décryptage session."""

    key: str
    title: str
    angles: list[Angle]
    why: str


class BlindSpot(BaseModel):
    kind: str  # arrondissement | subtopic
    key: str
    label: str
    this_week: int
    usual: float | None  # mean per week over the previous weeks; None without history


class WeekCount(BaseModel):
    week: str
    label: str  # "16 nov."
    count: int
    current: bool = False


class Counts(BaseModel):
    items: int = 0
    stories: int = 0
    outlets: int = 0


class Review(BaseModel):
    group: str
    group_title: str
    week: str
    week_label: str  # "semaine du 23 au 29 novembre 2026"
    period_start: str  # ISO dates (Paris) of the Monday and the Sunday
    period_end: str
    status: str = "draft"
    editor_note: str | None = None
    generated_at: str  # ISO UTC
    generated_label: str
    counts: Counts = Field(default_factory=Counts)
    top: list[StoryView] = Field(default_factory=list)
    sections: list[Section] = Field(default_factory=list)
    brief: list[BriefLine] = Field(default_factory=list)
    brief_more: int = 0
    map_counts: dict[int, int] = Field(default_factory=dict)
    history: list[WeekCount] = Field(default_factory=list)
    history_weeks_with_data: int = 0
    decryptage: list[Decryptage] = Field(default_factory=list)
    blind_arrondissements: list[BlindSpot] = Field(default_factory=list)
    blind_subtopics: list[BlindSpot] = Field(default_factory=list)
    outlets: list[str] = Field(default_factory=list)
    url: str
    feed_url: str

    @property
    def empty(self) -> bool:
        return self.counts.items == 0

    @property
    def subject(self) -> str:
        return f"Revue de presse {self.group_title} – {self.week_label}"

    def stories(self) -> list[StoryView]:
        return self.top + [story for section in self.sections for story in section.stories]
