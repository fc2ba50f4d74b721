"""select → group by story → rank → summarise → one `Review` context."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Digest

from .context import (Angle, BriefLine, Counts, Decryptage, Review, Section, SourceRef, StoryView)
from .french import decimal, french_date, french_datetime, french_week_label, join_words, outlet_type
from .history import blind_spots, chart_counts, coverage
from .options import ReviewOptions
from .ranking import Curation, Ranked, outlets_of, rank
from .selection import Group, Selected, group_by_story, select_items
from .subtopics import classify, fold, subtopics_of
from .summaries import summarise
from .weeks import Week, parse_week

MAX_DECRYPTAGE = 3
_OUTLET_SUFFIX = re.compile(r"\s+[-–|]\s+[^-–|]{2,60}$")


def neutral_title(group: Group) -> str:
    """The story's title (chosen or written by a facilitator), else its first article's, without
    the outlet's name some sites append."""
    if group.story is not None and group.story.title:
        return group.story.title.strip()
    first = next((m for m in group.members if m.copy_of is None), group.members[0])
    title = (first.item.title or "").strip()
    name = first.item.source.name
    if title.endswith(name):
        title = _OUTLET_SUFFIX.sub("", title)
    return title or "(article sans titre)"


def reasons(members: list[Selected]) -> list[str]:
    """Why the story is in this group, from the labels and the model's reasons."""
    found: list[str] = []
    authors = sorted({m.confirmed_by for m in members if m.confirmed_by})
    if authors:
        found.append(f"Thème confirmé par {join_words(authors)}")
    weights: Counter[str] = Counter()
    for member in members:
        for reason in member.reasons:
            term = str(reason.get("term", "")).strip()
            if term:
                weights[term] += float(reason.get("weight", 1.0))
    if weights:
        found.append("Mots qui ont compté : " + ", ".join(term for term, _ in weights.most_common(4)))
    assigned = [m.score for m in members if m.score is not None and m.assigned]
    if assigned:
        found.append(f"Score du modèle : {decimal(max(assigned), 2)} (au-dessus du seuil du thème)")
    elif not authors:
        found.append("Reprise d'un article retenu pour ce groupe")
    return found


def source_ref(member: Selected, by_id: dict[int, Selected], zone: str) -> SourceRef:
    item = member.item
    original = by_id.get(member.copy_of) if member.copy_of else None
    local = member.when.astimezone(ZoneInfo(zone))
    return SourceRef(item_id=item.id, title=(item.title or "(sans titre)").strip(), url=item.canonical_url,
                     outlet=item.source.name, outlet_type=item.source.outlet_type,
                     published=french_date(local.date()), published_iso=local.isoformat(),
                     author=(item.author or None), wire=bool(item.is_wire or member.copy_of or
                                                             item.duplicate_kind == "wire"),
                     copy_of=original.item.source.name if original is not None else None)


def story_view(ranked: Ranked, theme: str, zone: str, summary: bool = True) -> StoryView:
    group = ranked.group
    members = group.members
    by_id = {m.item.id: m for m in members}
    title = neutral_title(group)
    body = " ".join((m.item.summary or "") + " " + (m.item.text or "")[:1500] for m in members if m.copy_of is None)
    topic, topic_label = classify(theme, title + " " + " ".join(m.item.title or "" for m in members), body)
    return StoryView(
        key=group.key, story_id=group.story.id if group.story is not None else None, title=title,
        summary=summarise(members) if summary else [],
        arrondissements=sorted({p.arrondissement for m in members for p in m.item.places}),
        sources=[source_ref(m, by_id, zone) for m in members],
        reasons=reasons(members), subtopic=topic, subtopic_label=topic_label, score=ranked.score,
        score_parts=ranked.parts, pinned=ranked.curation.pinned, note=ranked.curation.note,
        item_count=len(members), outlet_count=len(outlets_of(group)),
        outlet_types=sorted({m.item.source.outlet_type for m in members}))


def decryptage_candidates(ranked: list[Ranked], limit: int = MAX_DECRYPTAGE) -> list[Decryptage]:
    """Stories told by several outlets in their own words (copies do not count as an angle)."""
    found = []
    for entry in ranked:
        angles: dict[str, Angle] = {}
        for member in entry.group.members:
            item = member.item
            if member.copy_of or item.is_wire or item.source.name in angles:
                continue
            angles[item.source.name] = Angle(outlet=item.source.name, outlet_type=item.source.outlet_type,
                                             title=(item.title or "").strip(), url=item.canonical_url)
        types = {a.outlet_type for a in angles.values()}
        if len(angles) >= 3 or (len(angles) >= 2 and len(types) >= 2):
            kinds = join_words(sorted(outlet_type(t) for t in types))
            why = (f"{len(angles)} médias l'ont traité avec leurs propres mots ({kinds}) : "
                   "comparez leurs titres, leurs sources et ce que chacun met en avant.")
            found.append(Decryptage(key=entry.key, title=neutral_title(entry.group),
                                    angles=list(angles.values()), why=why))
        if len(found) == limit:
            break
    return found


def curation_of(digest: Digest | None, groups: list[Group]) -> dict[str, Curation]:
    """A facilitator's pins, positions and notes, by group key (an item's entry applies to its story)."""
    if digest is None:
        return {}
    key_of_item = {m.item.id: g.key for g in groups for m in g.members}
    decisions: dict[str, Curation] = {}
    for entry in digest.entries:
        if entry.excluded:
            continue
        key = (f"s{entry.story_id}" if entry.story_id is not None
               else key_of_item.get(entry.item_id) if entry.item_id is not None else None)
        if key is None:
            continue
        current = decisions.setdefault(key, Curation())
        current.pinned = current.pinned or entry.pinned
        if entry.position is not None:
            current.position = entry.position if current.position is None else min(current.position, entry.position)
        if entry.note:
            current.note = entry.note
    return decisions


def assemble_review(session: Session, group: str, week: Week | str, options: ReviewOptions,
                    *, now: datetime | None = None) -> Review:
    """The review of ``group`` for ``week``: everything every format needs, and nothing else."""
    week = parse_week(week) if isinstance(week, str) else week
    settings = options.group(group)
    zone = options.timezone
    start, end = week.bounds(zone)
    now = now or datetime.now(timezone.utc)
    digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == str(week)))

    selected = select_items(session, group, start, end, group=group, week=str(week))
    groups = group_by_story(session, selected)
    ranked = rank(groups, start, end, options.weights, curation_of(digest, groups))
    shown, rest = ranked[:options.max_stories], ranked[options.max_stories:]
    views = [story_view(r, group, zone) for r in shown]
    top, others = views[:options.top_stories], views[options.top_stories:]
    sections = []
    for key, label in subtopics_of(group):
        stories = [v for v in others if v.subtopic == key]
        if stories:
            sections.append(Section(key=key, title=label, stories=stories))

    brief: list[BriefLine] = []
    for entry in rest:
        for member in entry.group.members:
            item = member.item
            brief.append(BriefLine(
                title=(item.title or "(sans titre)").strip(), url=item.canonical_url, outlet=item.source.name,
                published=french_date(member.when.astimezone(ZoneInfo(zone)).date(), year=False),
                wire=bool(member.copy_of or item.is_wire),
                arrondissements=sorted({p.arrondissement for p in item.places})))
    brief_more = max(0, len(brief) - options.max_brief)

    map_counts: dict[int, int] = {}
    for member in selected:
        for arr in {p.arrondissement for p in member.item.places}:
            map_counts[arr] = map_counts.get(arr, 0) + 1

    cov = coverage(session, group, week, options.history_weeks, zone)
    outlets = sorted({m.item.source.name for m in selected}, key=fold)
    # The current week as the review shows it (after exclusions and with copies).
    cov.totals[week] = len(selected)
    cov.arrondissements[week] = dict(map_counts)
    cov.subtopics[week] = dict(Counter(
        cov.item_subtopic.get(m.item.id) or classify(group, m.item.title or "", m.item.summary or "")[0]
        for m in selected))
    blind_arrs, blind_topics, history_weeks = blind_spots(cov, group)
    return Review(
        group=group, group_title=settings.title, week=str(week), week_label=french_week_label(week),
        period_start=week.monday.isoformat(), period_end=week.sunday.isoformat(),
        status=digest.status if digest is not None else "draft",
        editor_note=(digest.editor_note or None) if digest is not None else None,
        generated_at=now.astimezone(timezone.utc).isoformat(timespec="seconds"),
        generated_label=french_datetime(now, zone),
        counts=Counts(items=len(selected), stories=len(groups), outlets=len(outlets)),
        top=top, sections=sections, brief=brief[:options.max_brief], brief_more=brief_more,
        map_counts=dict(sorted(map_counts.items())), history=chart_counts(cov),
        history_weeks_with_data=history_weeks, decryptage=decryptage_candidates(ranked),
        blind_arrondissements=blind_arrs, blind_subtopics=blind_topics, outlets=outlets,
        url=options.review_url(group, str(week)), feed_url=options.feed_url(group))


def load_review(session: Session, group: str, week: Week | str, options: ReviewOptions,
                *, now: datetime | None = None) -> Review:
    """The review to show: a published one as it was frozen at publication, else a draft
    assembled now from the archive."""
    week = parse_week(week) if isinstance(week, str) else week
    digest = session.scalar(select(Digest).where(Digest.group == group, Digest.week == str(week)))
    if digest is not None and digest.status == "published" and digest.context:
        return Review.model_validate(digest.context)
    return assemble_review(session, group, week, options, now=now)
