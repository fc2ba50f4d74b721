"""Ranking stories: explainable scores whose parts are kept and shown to facilitators.

score = outlets·log2(1 + distinct outlets) + diversity·(distinct outlet types / 5)
      + paris·(share of items tied to an arrondissement) + recency·(place of the latest item in the week)
      + relevance·(best theme score; 1 when a facilitator confirmed the tag) + pinned·(1 if pinned)

Order: pinned stories first, then a facilitator's explicit positions, then the score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from .options import RankingWeights
from .selection import Group

OUTLET_TYPES = 5  # national, regional, local, institutional, independent


@dataclass
class Curation:
    """A facilitator's decisions on one story or item (from `DigestEntry`)."""

    pinned: bool = False
    position: int | None = None
    note: str | None = None


@dataclass
class Ranked:
    group: Group
    score: float
    parts: dict[str, float]
    curation: Curation = field(default_factory=Curation)

    @property
    def key(self) -> str:
        return self.group.key


def outlets_of(group: Group) -> list[str]:
    seen: dict[str, None] = {}
    for member in group.members:
        seen.setdefault(member.item.source.name, None)
    return list(seen)


def score_parts(group: Group, start: datetime, end: datetime, weights: RankingWeights,
                pinned: bool = False) -> dict[str, float]:
    members = group.members
    outlets = {m.item.source_id for m in members}
    types = {m.item.source.outlet_type for m in members}
    located = sum(1 for m in members if m.item.places) / len(members)
    latest = max(m.when for m in members)
    span = (end - start).total_seconds()
    recency = min(1.0, max(0.0, (latest - start).total_seconds() / span)) if span else 0.0
    relevance = max((1.0 if m.confirmed_by else (m.score or 0.0)) for m in members)
    return {
        "outlets": round(weights.outlets * math.log2(1 + len(outlets)), 4),
        "diversity": round(weights.diversity * len(types) / OUTLET_TYPES, 4),
        "paris": round(weights.paris * located, 4),
        "recency": round(weights.recency * recency, 4),
        "relevance": round(weights.relevance * relevance, 4),
        "pinned": weights.pinned if pinned else 0.0,
    }


def rank(groups: list[Group], start: datetime, end: datetime, weights: RankingWeights,
         curation: dict[str, Curation] | None = None) -> list[Ranked]:
    """Stories in review order, each with its score and the parts of it."""
    curation = curation or {}
    ranked = []
    for group in groups:
        decision = curation.get(group.key, Curation())
        parts = score_parts(group, start, end, weights, decision.pinned)
        ranked.append(Ranked(group, round(sum(parts.values()), 4), parts, decision))
    ranked.sort(key=lambda r: (not r.curation.pinned,
                               r.curation.position if r.curation.position is not None else math.inf,
                               -r.score, -max(m.when for m in r.group.members).timestamp(), r.key))
    return ranked
