"""The theme model's side of the archive: model rows, scores, facilitators' labels, review queue.

Functions take the session first; the caller owns the transaction (they flush at most).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from models import Item, ItemState, Label, ThemeModel, ThemeScore

from .classifier import Prediction, ThemeClassifier
from .data import Example
from .lexicon import THEMES


def record_model(session: Session, classifier: ThemeClassifier, path: str, *, n_examples: int, n_labels: int,
                 active: bool, notes: str | None = None) -> ThemeModel:
    """The trained model's row (version, data hash, metrics, thresholds); one row is active."""
    if active:
        session.execute(update(ThemeModel).values(active=False))
    row = session.scalars(select(ThemeModel).where(ThemeModel.version == classifier.version)).first()
    if row is None:
        row = ThemeModel(version=classifier.version)
        session.add(row)
    row.data_hash = classifier.data_hash
    row.n_examples = n_examples
    row.n_labels = n_labels
    row.metrics = classifier.metrics
    row.thresholds = dict(classifier.thresholds)
    row.path = path
    row.active = active
    row.notes = notes
    session.flush()
    return row


def activate_model(session: Session, version: str) -> None:
    session.execute(update(ThemeModel).values(active=ThemeModel.version == version))


def active_model(session: Session) -> ThemeModel | None:
    return session.scalars(select(ThemeModel).where(ThemeModel.active.is_(True))
                           .order_by(ThemeModel.created_at.desc())).first()


def store_scores(session: Session, item_ids: Sequence[int], predictions: Sequence[Prediction],
                 version: str) -> int:
    """Replace the items' theme scores with these predictions; the number of rows written."""
    if not item_ids:
        return 0
    session.execute(delete(ThemeScore).where(ThemeScore.item_id.in_(list(item_ids))))
    rows = [ThemeScore(item_id=item_id, theme=theme, score=prediction.scores[theme],
                       assigned=theme in prediction.themes, model_version=version,
                       reasons=prediction.reasons.get(theme, []))
            for item_id, prediction in zip(item_ids, predictions) for theme in THEMES]
    session.add_all(rows)
    session.flush()
    return len(rows)


# -- labels --

class LabelError(ValueError):
    """A label that cannot be stored; the message says why."""


def add_label(session: Session, item_id: int, themes: Iterable[str], *, author: str, user_id: int | None = None,
              origin: str = "web", note: str | None = None) -> Label:
    """Store a person's decision on an item's themes; it overrides the model from now on."""
    chosen = sorted(set(themes))
    unknown = [theme for theme in chosen if theme not in THEMES]
    if unknown:
        raise LabelError(f"unknown theme {unknown[0]!r} (themes: {', '.join(THEMES)})")
    if session.get(Item, item_id) is None:
        raise LabelError(f"no item {item_id}")
    if not author.strip():
        raise LabelError("a label needs its author")
    label = Label(item_id=item_id, themes=chosen, author=author.strip(), user_id=user_id, origin=origin, note=note)
    session.add(label)
    session.flush()
    return label


def latest_labels(session: Session, item_ids: Sequence[int] | None = None) -> dict[int, Label]:
    """The latest label of each labelled item (of `item_ids`, or of every item)."""
    query = select(Label).order_by(Label.item_id, Label.created_at.desc(), Label.id.desc())
    if item_ids is not None:
        query = query.where(Label.item_id.in_(list(item_ids)))
    latest: dict[int, Label] = {}
    for label in session.scalars(query):
        latest.setdefault(label.item_id, label)
    return latest


def effective_themes(session: Session, item_ids: Sequence[int]) -> dict[int, list[str]]:
    """Each item's themes: its latest label if a person labelled it, else the model's tags."""
    result: dict[int, list[str]] = {item_id: [] for item_id in item_ids}
    for item_id, theme in session.execute(select(ThemeScore.item_id, ThemeScore.theme)
                                          .where(ThemeScore.item_id.in_(list(item_ids)),
                                                 ThemeScore.assigned.is_(True))):
        result[item_id].append(theme)
    for item_id, label in latest_labels(session, item_ids).items():
        result[item_id] = list(label.themes)
    return {item_id: sorted(themes) for item_id, themes in result.items()}


def labelled_examples(session: Session) -> list[Example]:
    """Facilitators' labels as training examples (latest label per item)."""
    latest = latest_labels(session)
    if not latest:
        return []
    items = {item.id: item for item in session.scalars(select(Item).where(Item.id.in_(list(latest))))}
    examples = []
    for item_id, label in sorted(latest.items()):
        item = items.get(item_id)
        if item is None or not ((item.title or "").strip() or (item.text or item.summary or "").strip()):
            continue
        examples.append(Example(item.title or "", item.text or item.summary or "", tuple(sorted(label.themes)),
                                origin=f"label:{label.id}"))
    return examples


def labels_since(session: Session, since: datetime | None) -> int:
    query = select(func.count(Label.id))
    if since is not None:
        query = query.where(Label.created_at > since)
    return int(session.scalar(query) or 0)


# -- review queue --

@dataclass
class ReviewCandidate:
    """An unlabelled item whose label would teach the model most."""

    item_id: int
    title: str | None
    uncertainty: float  # 1 = a score exactly at its threshold, 0 = every score far from it
    theme: str  # the theme the model is least sure about
    scores: dict[str, float] = field(default_factory=dict)
    themes: list[str] = field(default_factory=list)  # the model's tags
    model_version: str = ""


def uncertainty(score: float, threshold: float) -> float:
    """1 at the threshold, falling linearly to 0 at 0 or 1."""
    span = threshold if score < threshold else 1.0 - threshold
    return max(0.0, 1.0 - abs(score - threshold) / span) if span > 0 else 0.0


def review_queue(session: Session, limit: int = 20, window: timedelta | int | float | None = timedelta(days=14),
                 now: datetime | None = None) -> list[ReviewCandidate]:
    """Unlabelled items of the window ordered by uncertainty (uncertainty sampling), newest first on ties.

    `window` is a `timedelta` or a number of days (items first seen since then); None means all.
    """
    now = now or datetime.now(timezone.utc)
    if isinstance(window, (int, float)):
        window = timedelta(days=window)
    thresholds = {row.version: row.thresholds for row in session.scalars(select(ThemeModel))}
    labelled = select(Label.item_id)
    query = (select(Item.id, Item.title, Item.first_seen_at, ThemeScore.theme, ThemeScore.score,
                    ThemeScore.assigned, ThemeScore.model_version)
             .join(ThemeScore, ThemeScore.item_id == Item.id)
             .where(Item.id.not_in(labelled), Item.state != ItemState.dropped.value,
                    Item.duplicate_of_id.is_(None)))
    if window is not None:
        query = query.where(Item.first_seen_at >= now - window)
    candidates: dict[int, ReviewCandidate] = {}
    seen_at: dict[int, datetime] = {}
    for item_id, title, first_seen, theme, score, assigned, version in session.execute(query):
        candidate = candidates.setdefault(item_id, ReviewCandidate(item_id, title, -1.0, theme,
                                                                   model_version=version))
        seen_at[item_id] = first_seen
        candidate.scores[theme] = score
        if assigned:
            candidate.themes.append(theme)
        value = uncertainty(score, float((thresholds.get(version) or {}).get(theme, 0.5)))
        if value > candidate.uncertainty:
            candidate.uncertainty, candidate.theme = round(value, 4), theme
    ranked = sorted(candidates.values(), key=lambda c: (-c.uncertainty, -seen_at[c.item_id].timestamp(), c.item_id))
    for candidate in ranked:
        candidate.themes.sort()
    return ranked[:limit]
