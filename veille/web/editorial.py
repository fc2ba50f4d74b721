"""Facilitators' editorial actions on the archive, each logged in the audit log (who, when, what, why).

Functions take the session first; the caller owns the transaction (style habit 9).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer, selectinload

from models import AuditEntry, Digest, DigestEntry, Item, ItemState, Label, Source, Story, ThemeScore, utcnow

from ..settings import THEMES

# Items scored at least this high for a group's theme are shown in its inbox even when the
# model did not assign the theme: the facilitator decides the borderline cases.
CANDIDATE_FLOOR = 0.2
# Lists of items (inbox, review queue, API) show titles and metadata, never the extracted text
# or lemmas: they are not loaded (raiseload: a template that starts using them fails in tests).
WITHOUT_TEXTS = (defer(Item.text, raiseload=True), defer(Item.lemmas, raiseload=True))


class EditorialError(ValueError):
    """An action that cannot be done as asked; the message (French) says why."""


@dataclass(frozen=True)
class Actor:
    user_id: int
    name: str


def log_action(session: Session, actor: Actor, action: str, target_type: str, target_id: Any,
               details: dict[str, Any] | None = None, reason: str | None = None) -> AuditEntry:
    entry = AuditEntry(user_id=actor.user_id, actor=actor.name, action=action, target_type=target_type,
                       target_id=str(target_id), details=details or {}, reason=(reason or "").strip() or None)
    session.add(entry)
    return entry


def digest_for(session: Session, group: str, week: str) -> Digest:
    """The draft (or published) review of ``group`` for ``week``, created when missing."""
    digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == week))
    if digest is not None:
        return digest
    try:
        with session.begin_nested():
            digest = Digest(group=group, week=week, status="draft")
            session.add(digest)
    except IntegrityError:  # the weekly build created it meanwhile
        digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == week))
    assert digest is not None
    return digest


def parse_target(target: str) -> tuple[str, int]:
    """``story:12`` or ``item:34``."""
    kind, _, number = target.partition(":")
    if kind not in ("story", "item") or not number.isdigit():
        raise EditorialError("Élément inconnu.")
    return kind, int(number)


def entry_for(session: Session, digest: Digest, target: str) -> DigestEntry:
    kind, number = parse_target(target)
    column = DigestEntry.story_id if kind == "story" else DigestEntry.item_id
    entry = session.scalar(select(DigestEntry).where(DigestEntry.digest_id == digest.id, column == number))
    if entry is None:
        exists = session.get(Story if kind == "story" else Item, number)
        if exists is None:
            raise EditorialError("Cet élément n'existe pas.")
        entry = DigestEntry(digest_id=digest.id, **{f"{kind}_id": number})
        session.add(entry)
        session.flush()
    return entry


# -- the inbox --------------------------------------------------------------------------------

@dataclass
class Candidate:
    item: Item
    scores: dict[str, ThemeScore]
    label: Label | None

    @property
    def themes(self) -> list[str]:
        """The item's themes: the latest label when a person decided, else the model's."""
        if self.label is not None:
            return list(self.label.themes)
        return sorted(theme for theme, score in self.scores.items() if score.assigned)


@dataclass
class InboxStory:
    key: str  # story:12 | item:34
    story: Story | None
    candidates: list[Candidate]
    entry: DigestEntry | None = None
    outlets: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.story is not None and self.story.title:
            return self.story.title
        return self.candidates[0].item.title or "(sans titre)"

    @property
    def pinned(self) -> bool:
        return bool(self.entry and self.entry.pinned)

    @property
    def excluded(self) -> bool:
        return bool(self.entry and self.entry.excluded)

    def best(self, theme: str) -> float:
        return max((c.scores[theme].score for c in self.candidates if theme in c.scores), default=0.0)


def item_time() -> Any:
    return func.coalesce(Item.published_at, Item.first_seen_at)


def in_period(start: datetime, end: datetime) -> Any:
    """Items published in [start, end) (first seen, for the few without a date).

    Written as two ranges rather than on ``coalesce(...)`` so the published_at index serves it."""
    return or_(and_(Item.published_at >= start, Item.published_at < end),
               and_(Item.published_at.is_(None), Item.first_seen_at >= start, Item.first_seen_at < end))


def inbox(session: Session, group: str, start: datetime, end: datetime, digest: Digest | None) -> list[InboxStory]:
    """Every candidate item of the week for ``group``, grouped by story, in the review's order.

    A fixed number of queries whatever the number of items (no N+1): ids, items with their
    scores and sources, latest labels, stories, entries.
    """
    in_week = in_period(start, end) & (Item.state != ItemState.dropped.value)
    # The week's items first (published_at index), then their scores (item_id, theme unique index).
    week_ids = select(Item.id).where(in_week)
    scored = select(ThemeScore.item_id).where(
        ThemeScore.item_id.in_(week_ids), ThemeScore.theme == group,
        (ThemeScore.assigned.is_(True)) | (ThemeScore.score >= CANDIDATE_FLOOR))
    labelled = select(Label.item_id).where(Label.item_id.in_(week_ids))
    # Scored candidates stay visible even when a person removed the theme (to see and undo it);
    # labelled items join when a person gave them the theme.
    scored_ids = set(session.scalars(scored))
    labels = latest_labels(session, scored_ids | set(session.scalars(labelled)))
    ids = scored_ids | {i for i, label in labels.items() if group in label.themes}
    if not ids:
        return []
    items = session.scalars(select(Item).where(Item.id.in_(ids))
                            .options(selectinload(Item.theme_scores), selectinload(Item.source),
                                     selectinload(Item.story), *WITHOUT_TEXTS)).all()
    stories: dict[str, InboxStory] = {}
    for item in sorted(items, key=lambda i: (i.published_at or i.first_seen_at)):
        key = f"story:{item.story_id}" if item.story_id else f"item:{item.id}"
        entry = stories.setdefault(key, InboxStory(key=key, story=item.story, candidates=[]))
        entry.candidates.append(Candidate(item=item, scores={s.theme: s for s in item.theme_scores},
                                          label=labels.get(item.id)))
    for story in stories.values():
        story.outlets = sorted({c.item.source.name for c in story.candidates}, key=str.casefold)
    if digest is not None:
        for entry in session.scalars(select(DigestEntry).where(DigestEntry.digest_id == digest.id)):
            key = f"story:{entry.story_id}" if entry.story_id else f"item:{entry.item_id}"
            if key in stories:
                stories[key].entry = entry
    return order(list(stories.values()), group)


def order(stories: list[InboxStory], group: str) -> list[InboxStory]:
    """Pinned first, then a facilitator's positions, then outlets and score (as the review ranks)."""
    def key(story: InboxStory) -> tuple[Any, ...]:
        position = story.entry.position if story.entry and story.entry.position is not None else 10**6
        return (story.excluded, not story.pinned, position, -len(story.outlets), -len(story.candidates),
                -story.best(group), story.key)

    return sorted(stories, key=key)


def latest_labels(session: Session, item_ids: set[int] | list[int]) -> dict[int, Label]:
    if not item_ids:
        return {}
    latest: dict[int, Label] = {}
    for label in session.scalars(select(Label).where(Label.item_id.in_(list(item_ids)))
                                 .order_by(Label.item_id, Label.created_at, Label.id)):
        latest[label.item_id] = label
    return latest


# -- actions ------------------------------------------------------------------------------------

def set_label(session: Session, actor: Actor, item_id: int, themes: list[str], note: str | None = None,
              reason: str | None = None, origin: str = "web") -> Label:
    """A person's decision on an item's themes: it overrides the model and becomes training data."""
    unknown = sorted(set(themes) - set(THEMES))
    if unknown:
        raise EditorialError(f"Thème inconnu : {unknown[0]}.")
    item = session.get(Item, item_id)
    if item is None:
        raise EditorialError("Cet article n'existe pas.")
    before = latest_labels(session, [item_id]).get(item_id)
    model = sorted(s.theme for s in session.scalars(select(ThemeScore).where(
        ThemeScore.item_id == item_id, ThemeScore.assigned.is_(True))))
    label = Label(item_id=item_id, user_id=actor.user_id, author=actor.name, themes=sorted(set(themes)),
                  note=(note or "").strip() or None, origin=origin)
    session.add(label)
    session.flush()
    reindex(session, [item_id])
    log_action(session, actor, "label", "item", item_id,
               {"themes": label.themes, "model": model, "before": list(before.themes) if before else None,
                "title": item.title}, reason)
    return label


def toggle(session: Session, actor: Actor, group: str, week: str, target: str, flag: str, value: bool,
           reason: str | None = None) -> DigestEntry:
    if flag not in ("pinned", "excluded"):
        raise EditorialError("Action inconnue.")
    digest = digest_for(session, group, week)
    entry = entry_for(session, digest, target)
    setattr(entry, flag, value)
    if flag == "pinned" and value:
        entry.excluded = False
    if flag == "excluded" and value:
        entry.pinned = False
    digest.updated_at = utcnow()
    action = {("pinned", True): "pin", ("pinned", False): "unpin",
              ("excluded", True): "exclude", ("excluded", False): "include"}[(flag, value)]
    log_action(session, actor, action, target.split(":")[0], target.split(":")[1],
               {"group": group, "week": week}, reason)
    return entry


def move(session: Session, actor: Actor, group: str, week: str, start: datetime, end: datetime,
         target: str, direction: str, reason: str | None = None) -> None:
    """Move a story up or down the review: every story then gets an explicit position."""
    if direction not in ("up", "down"):
        raise EditorialError("Direction inconnue.")
    digest = digest_for(session, group, week)
    current = [s for s in inbox(session, group, start, end, digest) if not s.excluded]
    keys = [s.key for s in current]
    if target not in keys:
        raise EditorialError("Ce sujet n'est pas dans la revue de la semaine.")
    index = keys.index(target)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(keys):
        return
    keys[index], keys[other] = keys[other], keys[index]
    for position, key in enumerate(keys):
        entry_for(session, digest, key).position = position
    digest.updated_at = utcnow()
    log_action(session, actor, "move", target.split(":")[0], target.split(":")[1],
               {"group": group, "week": week, "direction": direction, "position": keys.index(target)}, reason)


def set_note(session: Session, actor: Actor, group: str, week: str, note: str, reason: str | None = None) -> None:
    digest = digest_for(session, group, week)
    if digest.status == "published":
        raise EditorialError("Cette revue est déjà publiée : son mot de l'équipe ne peut plus changer.")
    before = digest.editor_note
    digest.editor_note = note.strip() or None
    digest.updated_at = utcnow()
    log_action(session, actor, "editor_note", "digest", digest.id,
               {"group": group, "week": week, "before": before, "after": digest.editor_note}, reason)


def refresh_story(session: Session, story: Story) -> None:
    """Recompute a story's counts and dates from its items."""
    row = session.execute(select(func.count(Item.id), func.count(func.distinct(Item.source_id)),
                                 func.min(item_time()), func.max(item_time()))
                          .where(Item.story_id == story.id)).one()
    story.item_count, story.outlet_count, story.first_published_at, story.last_published_at = row


def merge_stories(session: Session, actor: Actor, into_id: int, other_id: int, reason: str | None = None) -> Story:
    """Move every item of ``other_id`` into ``into_id``; the other story is then removed."""
    if into_id == other_id:
        raise EditorialError("Un sujet ne peut pas être fusionné avec lui-même.")
    into, other = session.get(Story, into_id), session.get(Story, other_id)
    if into is None or other is None:
        raise EditorialError("Ce sujet n'existe pas.")
    moved = list(session.scalars(select(Item.id).where(Item.story_id == other_id)))
    session.execute(update(Item).where(Item.story_id == other_id).values(story_id=into_id))
    session.execute(update(DigestEntry).where(DigestEntry.story_id == other_id).values(story_id=into_id))
    session.execute(update(Story).where(Story.parent_id == other_id).values(parent_id=into_id))
    into.origin = "merge"
    log_action(session, actor, "merge_story", "story", into_id,
               {"merged": other_id, "merged_title": other.title, "items": moved}, reason)
    session.delete(other)
    session.flush()
    refresh_story(session, into)
    reindex(session, moved)
    return into


def split_story(session: Session, actor: Actor, story_id: int, item_ids: list[int], title: str | None = None,
                reason: str | None = None) -> Story:
    """Take ``item_ids`` out of a story into a new one."""
    story = session.get(Story, story_id)
    if story is None:
        raise EditorialError("Ce sujet n'existe pas.")
    members = set(session.scalars(select(Item.id).where(Item.story_id == story_id)))
    chosen = sorted(set(item_ids))
    if not chosen or not set(chosen) <= members:
        raise EditorialError("Cochez des articles de ce sujet.")
    if len(chosen) == len(members):
        raise EditorialError("Laissez au moins un article dans le sujet d'origine.")
    new = Story(title=(title or "").strip() or None, title_locked=bool((title or "").strip()), origin="split",
                keywords=[])
    session.add(new)
    session.flush()
    session.execute(update(Item).where(Item.id.in_(chosen)).values(story_id=new.id))
    log_action(session, actor, "split_story", "story", story_id, {"new_story": new.id, "items": chosen}, reason)
    refresh_story(session, story)
    refresh_story(session, new)
    reindex(session, chosen)
    return new


def set_story_text(session: Session, actor: Actor, story_id: int, field_name: str, value: str,
                   reason: str | None = None) -> Story:
    if field_name not in ("title", "questions"):
        raise EditorialError("Champ inconnu.")
    story = session.get(Story, story_id)
    if story is None:
        raise EditorialError("Ce sujet n'existe pas.")
    before = getattr(story, field_name)
    setattr(story, field_name, value.strip() or None)
    if field_name == "title":
        story.title_locked = bool(value.strip())
    log_action(session, actor, f"story_{field_name}", "story", story_id,
               {"before": before, "after": value.strip() or None}, reason)
    return story


def reindex(session: Session, item_ids: list[int]) -> None:
    """Keep the search index in step: themes and stories are search filters."""
    from models.search import index_items

    if item_ids:
        session.flush()
        index_items(session, item_ids)


def sources_by_id(session: Session, ids: set[int]) -> dict[int, Source]:
    return {s.id: s for s in session.scalars(select(Source).where(Source.id.in_(ids)))} if ids else {}
