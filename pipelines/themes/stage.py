"""The pipeline stage `classify`: theme scores, tags and reasons for each item.

It follows the stage contract of the pipelines runner for stages that need the archive:
``ClassifyStage(model).process(session, items)`` scores the `models.Item` rows, replaces
their `ThemeScore` rows (one per theme, with the model version and the reasons) and returns
the items it drops — none: an item no theme fits is kept, with low scores. The caller owns
the transaction; the stage flushes.
"""

from __future__ import annotations

import logging
from typing import Mapping, Sequence

from sqlalchemy.orm import Session

from models import Item

from ..stages import Drop, SessionStage
from .archive import store_scores
from .classifier import Prediction, ThemeClassifier

log = logging.getLogger(__name__)


class ClassifyStage(SessionStage):
    name = "classify"
    parallel = False  # it writes to the archive

    def __init__(self, model: ThemeClassifier | None, reason: str = "") -> None:
        self.model = model
        self.reason = reason or "no trained theme model: run `veille model train`"
        self.scored = 0

    def available(self) -> tuple[bool, str]:
        return (True, "") if self.model is not None else (False, self.reason)

    def classify(self, items: Sequence[Item]) -> list[Prediction]:
        """Predictions for the items, in order, without touching the archive."""
        if self.model is None:
            raise RuntimeError(self.reason)
        return self.model.predict([(item.title, item.text or item.summary or item.description) for item in items])

    def process(self, session: Session, items: Sequence[Item]) -> Mapping[int, Drop]:
        if not items:
            return {}
        predictions = self.classify(items)
        store_scores(session, [item.id for item in items], predictions, self.model.version)  # type: ignore[union-attr]
        self.scored += len(items)
        log.debug("classified %d items with model %s", len(items), self.model.version)  # type: ignore[union-attr]
        return {}
