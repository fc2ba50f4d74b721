"""The décryptage dossier of a story: its coverage side by side and what differs between articles."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Item, Story

from .editorial import item_time

# Short French function words that say nothing about an article's angle.
STOPWORDS = frozenset("""au aux avec ce ces cette dans de des du elle en et est il ils la le les leur leurs lui
mais ne nos notre ou par pas plus pour qu que qui sa se ses son sont sur ta te tes ton un une vos votre été être
a à d l n s y c j m t on nous vous je tu comme après avant entre sans sous chez dont où ainsi aussi fait faire
très tout tous toute toutes deux trois selon veut va vont peut doit""".split())
LEAD_CHARS = 420


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text.lower()) if unicodedata.category(c) != "Mn")


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-zà-öø-ÿœæ]{3,}", fold(text)) if w not in STOPWORDS}


def lead_of(item: Item) -> str:
    """The article's lead: its description, else the feed summary, else the start of its text."""
    for text in (item.description, item.summary, item.text):
        if text and text.strip():
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text)).strip()
            if len(text) > LEAD_CHARS:
                cut = text[:LEAD_CHARS].rsplit(" ", 1)[0]
                return cut + " …"
            return text
    return ""


@dataclass
class Coverage:
    item: Item
    lead: str
    people: list[tuple[str, int]]
    organisations: list[tuple[str, int]]
    only_here: list[str] = field(default_factory=list)  # people and organisations no other article names
    own_words: list[str] = field(default_factory=list)  # words of title and lead no other article uses
    first: bool = False


@dataclass
class Dossier:
    story: Story
    coverage: list[Coverage]
    shared_names: list[str]  # named by every article
    outlet_types: list[str]


def _names(item: Item, label: str) -> list[tuple[str, int]]:
    seen: dict[str, list] = {}
    for entity in item.entities:
        if entity.label == label:
            current = seen.setdefault(entity.norm, [entity.text, 0])
            current[1] += entity.count
    return sorted(((text, count) for text, count in seen.values()), key=lambda tc: (-tc[1], tc[0]))


def build_dossier(session: Session, story_id: int) -> Dossier | None:
    story = session.get(Story, story_id)
    if story is None:
        return None
    items = session.scalars(select(Item).where(Item.story_id == story_id).order_by(item_time(), Item.id)
                            .options(selectinload(Item.source), selectinload(Item.entities))).all()
    coverage = [Coverage(item=i, lead=lead_of(i), people=_names(i, "PER"), organisations=_names(i, "ORG"))
                for i in items]
    names = [{fold(t) for t, _ in c.people + c.organisations} for c in coverage]
    vocab = [words(f"{c.item.title or ''} {c.lead}") for c in coverage]
    for index, entry in enumerate(coverage):
        others_names = set().union(*(n for j, n in enumerate(names) if j != index)) if len(coverage) > 1 else set()
        others_words = set().union(*(v for j, v in enumerate(vocab) if j != index)) if len(coverage) > 1 else set()
        if len(coverage) > 1:
            entry.only_here = [t for t, _ in entry.people + entry.organisations if fold(t) not in others_names]
            entry.own_words = sorted(vocab[index] - others_words)[:12]
    if coverage:
        coverage[0].first = True
    shared = set.intersection(*names) if len(names) > 1 else set()
    shared_names = sorted({t for c in coverage for t, _ in c.people + c.organisations if fold(t) in shared},
                          key=str.casefold)
    types = sorted({c.item.source.outlet_type for c in coverage})
    return Dossier(story=story, coverage=coverage, shared_names=shared_names, outlet_types=types)
