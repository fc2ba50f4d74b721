"""The group's coverage over the last weeks, and its blind spots ("Angles morts").

A blind spot is an arrondissement or a sub-topic of the group that got no item this week
while it usually gets some (at least `MIN_USUAL` a week on average over the previous weeks),
or markedly fewer than usual (under a third of a usual of at least two). Without history
(the first weeks of the archive), arrondissements with no item at all are listed, and said
to be so.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Item, ItemPlace

from .context import BlindSpot, WeekCount
from .french import arrondissement, short_date
from .subtopics import classify, subtopics_of
from .selection import _chunks, tagged_item_ids
from .weeks import Week

MIN_USUAL = 1.0
LOW_RATIO = 1 / 3
LOW_USUAL = 2.0


@dataclass
class Coverage:
    """Per week: item count, items per arrondissement, items per sub-topic."""

    weeks: list[Week]
    totals: dict[Week, int]
    arrondissements: dict[Week, dict[int, int]]
    subtopics: dict[Week, dict[str, int]]
    item_subtopic: dict[int, str]  # for reuse by the current week


def coverage(session: Session, theme: str, week: Week, count: int, zone: str) -> Coverage:
    """The ``count`` weeks ending with ``week``, from one pass over the archive."""
    weeks = week.previous(count - 1) + [week]
    start, _ = weeks[0].bounds(zone)
    _, end = week.bounds(zone)
    ids = tagged_item_ids(session, theme, start, end)
    bounds = [(w, *w.bounds(zone)) for w in weeks]

    def week_of(moment) -> Week:  # type: ignore[no-untyped-def]
        for w, lo, hi in bounds:
            if lo <= moment < hi:
                return w
        raise ValueError(moment)

    item_week = {item_id: week_of(moment) for item_id, moment in ids.items()}
    totals = {w: 0 for w in weeks}
    arrs: dict[Week, dict[int, int]] = {w: {} for w in weeks}
    topics: dict[Week, dict[str, int]] = {w: {} for w in weeks}
    item_topic: dict[int, str] = {}
    for w in item_week.values():
        totals[w] += 1
    for chunk in _chunks(sorted(item_week)):
        for item_id, arr in session.execute(select(ItemPlace.item_id, ItemPlace.arrondissement)
                                            .where(ItemPlace.item_id.in_(chunk))):
            bucket = arrs[item_week[item_id]]
            bucket[int(arr)] = bucket.get(int(arr), 0) + 1
        for item_id, title, summary in session.execute(select(Item.id, Item.title, Item.summary)
                                                       .where(Item.id.in_(chunk))):
            key, _ = classify(theme, title or "", summary or "")
            item_topic[item_id] = key
            bucket_t = topics[item_week[item_id]]
            bucket_t[key] = bucket_t.get(key, 0) + 1
    return Coverage(weeks, totals, arrs, topics, item_topic)


def chart_counts(cov: Coverage) -> list[WeekCount]:
    current = cov.weeks[-1]
    return [WeekCount(week=str(w), label=short_date(w.monday), count=cov.totals[w], current=w == current)
            for w in cov.weeks]


def _blind(kind: str, keys: list[tuple[str, str]], this_week: dict, previous: list[dict],
           has_history: bool) -> list[BlindSpot]:
    spots = []
    for key, label in keys:
        now = this_week.get(key if kind == "subtopic" else int(key), 0)
        if not has_history:
            if now == 0:
                spots.append(BlindSpot(kind=kind, key=key, label=label, this_week=0, usual=None))
            continue
        usual = sum(p.get(key if kind == "subtopic" else int(key), 0) for p in previous) / len(previous)
        if (now == 0 and usual >= MIN_USUAL) or (usual >= LOW_USUAL and now < usual * LOW_RATIO):
            spots.append(BlindSpot(kind=kind, key=key, label=label, this_week=now, usual=round(usual, 1)))
    spots.sort(key=lambda s: (-(s.usual or 0) + s.this_week, s.key if kind == "subtopic" else int(s.key)))
    return spots


def blind_spots(cov: Coverage, theme: str) -> tuple[list[BlindSpot], list[BlindSpot], int]:
    """(arrondissements, sub-topics, number of previous weeks with data)."""
    current = cov.weeks[-1]
    previous_weeks = [w for w in cov.weeks[:-1] if cov.totals[w] > 0]
    has_history = bool(previous_weeks)
    if not has_history and cov.totals[current] == 0:
        return [], [], 0  # nothing at all yet: the review already says the week is empty
    arr_keys = [(str(n), arrondissement(n)) for n in range(1, 21)]
    arrs = _blind("arrondissement", arr_keys, cov.arrondissements[current],
                  [cov.arrondissements[w] for w in previous_weeks], has_history)
    topic_keys = [(k, label) for k, label in subtopics_of(theme) if k != "autres"]
    # Without history, a sub-topic with no item is not news: only places are listed.
    topics = _blind("subtopic", topic_keys, cov.subtopics[current],
                    [cov.subtopics[w] for w in previous_weeks], has_history) if has_history else []
    return arrs, topics, len(previous_weeks)
