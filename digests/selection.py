"""Which items go into a group's review of a week, and how they group into stories.

An item belongs to a group when a facilitator's latest label says so, or, without a label,
when the model assigned the group's theme (its score is above the theme's threshold). A
facilitator's exclusion (a `DigestEntry` with ``excluded``) removes an item or a whole story.
Copies of a selected item (exact, near or wire duplicates) come along: they are coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from models import Digest, DigestEntry, Item, ItemPlace, ItemState, Label, Story, ThemeScore

def item_time() -> ColumnElement[datetime]:
    """When an item happened for the reviews: its publication time, else when we first saw it."""
    return func.coalesce(Item.published_at, Item.first_seen_at)

@dataclass
class Selected:
    item: Item
    score: float | None  # the model's theme score, if any
    assigned: bool = False  # the model put it in the theme (score above the threshold)
    reasons: list[dict] = field(default_factory=list)
    confirmed_by: str | None = None  # author of the label that put it here
    copy_of: int | None = None  # the selected item this one repeats

    @property
    def when(self) -> datetime:
        return self.item.published_at or self.item.first_seen_at

@dataclass
class Group:
    """Items of one story (or one item on its own) in a review."""

    key: str
    story: Story | None
    members: list[Selected]

def latest_labels(session: Session, item_ids: list[int]) -> dict[int, Label]:
    """The latest label of each item (by time, then id), which overrides the model."""
    latest: dict[int, Label] = {}
    for chunk in _chunks(item_ids):
        for label in session.scalars(select(Label).where(Label.item_id.in_(chunk))
                                     .order_by(Label.created_at, Label.id)):
            latest[label.item_id] = label
    return latest

def tagged_item_ids(session: Session, theme: str, start: datetime, end: datetime) -> dict[int, datetime]:
    """Ids (and times) of the items of [start, end) in a theme, labels overriding the model; cheap."""
    when = item_time()
    in_range = and_(when >= start, when < end, Item.state != ItemState.dropped.value)
    assigned = dict(session.execute(
        select(Item.id, when).join(ThemeScore, and_(ThemeScore.item_id == Item.id, ThemeScore.theme == theme))
        .where(in_range, ThemeScore.assigned.is_(True))).all())
    labelled = dict(session.execute(select(Item.id, when).join(Label, Label.item_id == Item.id)
                                    .where(in_range).distinct()).all())
    for item_id, label in latest_labels(session, list(labelled)).items():
        if theme in (label.themes or []):
            assigned[item_id] = labelled[item_id]
        else:
            assigned.pop(item_id, None)
    return assigned

def exclusions(session: Session, group: str, week: str) -> tuple[set[int], set[int]]:
    """(item ids, story ids) a facilitator excluded from this review."""
    rows = session.execute(select(DigestEntry.item_id, DigestEntry.story_id).join(Digest)
                           .where(Digest.group == group, Digest.week == week,
                                  DigestEntry.excluded.is_(True))).all()
    return ({i for i, _ in rows if i is not None}, {s for _, s in rows if s is not None})

def select_items(session: Session, theme: str, start: datetime, end: datetime,
                 *, group: str | None = None, week: str | None = None) -> list[Selected]:
    """The items of the review, with their theme score and reasons, minus exclusions."""
    ids = tagged_item_ids(session, theme, start, end)
    excluded_items, excluded_stories = exclusions(session, group or theme, week) if week else (set(), set())
    labels = latest_labels(session, list(ids))
    selected: dict[int, Selected] = {}
    for chunk in _chunks(sorted(ids)):
        rows = session.execute(
            select(Item, ThemeScore)
            .outerjoin(ThemeScore, and_(ThemeScore.item_id == Item.id, ThemeScore.theme == theme))
            .where(Item.id.in_(chunk))
            .options(joinedload(Item.source), selectinload(Item.places))).unique().all()
        for item, score in rows:
            label = labels.get(item.id)
            selected[item.id] = Selected(
                item=item, score=score.score if score else None,
                assigned=bool(score and score.assigned), reasons=list(score.reasons or []) if score else [],
                confirmed_by=label.author if label is not None else None)
    # Copies of selected items published the same week come along, unless labelled out.
    when = item_time()
    if selected:
        for chunk in _chunks(sorted(selected)):
            copies = session.scalars(
                select(Item).where(Item.duplicate_of_id.in_(chunk), when >= start, when < end,
                                   Item.state != ItemState.dropped.value)
                .options(joinedload(Item.source), selectinload(Item.places))).unique().all()
            copy_labels = latest_labels(session, [c.id for c in copies])
            for copy in copies:
                if copy.id in selected:
                    continue
                label = copy_labels.get(copy.id)
                if label is not None and theme not in (label.themes or []):
                    continue
                selected[copy.id] = Selected(item=copy, score=None, copy_of=copy.duplicate_of_id)
    for entry in selected.values():
        if entry.item.duplicate_of_id in selected and entry.copy_of is None:
            entry.copy_of = entry.item.duplicate_of_id
    out = {i for i, s in selected.items() if i in excluded_items or s.item.story_id in excluded_stories}
    return [s for i, s in selected.items() if i not in out and s.copy_of not in out]

def group_by_story(session: Session, selected: list[Selected]) -> list[Group]:
    """Items grouped by story; an item without a story is a group of its own; copies follow
    their original."""
    by_id = {s.item.id: s for s in selected}
    keys: dict[int, str] = {}

    def key_of(entry: Selected) -> str:
        if entry.item.id in keys:
            return keys[entry.item.id]
        original = by_id.get(entry.copy_of) if entry.copy_of else None
        if original is not None and original is not entry:
            key = key_of(original)
        elif entry.item.story_id is not None:
            key = f"s{entry.item.story_id}"
        else:
            key = f"i{entry.item.id}"
        keys[entry.item.id] = key
        return key

    groups: dict[str, list[Selected]] = {}
    for entry in sorted(selected, key=lambda s: (s.when, s.item.id)):
        groups.setdefault(key_of(entry), []).append(entry)
    story_ids = [int(k[1:]) for k in groups if k.startswith("s")]
    stories = {s.id: s for chunk in _chunks(story_ids)
               for s in session.scalars(select(Story).where(Story.id.in_(chunk)))}
    return [Group(key, stories.get(int(key[1:])) if key.startswith("s") else None, members)
            for key, members in groups.items()]

def arrondissement_counts(session: Session, item_ids: list[int]) -> dict[int, int]:
    """Items per arrondissement (an item tied to two arrondissements counts in both)."""
    counts: dict[int, int] = {}
    for chunk in _chunks(item_ids):
        for arr, count in session.execute(
                select(ItemPlace.arrondissement, func.count(func.distinct(ItemPlace.item_id)))
                .where(ItemPlace.item_id.in_(chunk)).group_by(ItemPlace.arrondissement)):
            counts[int(arr)] = counts.get(int(arr), 0) + int(count)
    return counts

def _chunks(values: list[int], size: int = 900) -> list[list[int]]:
    """IN lists stay under SQLite's bound-parameter limits."""
    return [values[i:i + size] for i in range(0, len(values), size)] if values else []

__all__ = ["Group", "Selected", "arrondissement_counts", "exclusions", "group_by_story", "item_time",
           "latest_labels", "select_items", "tagged_item_ids"]
