"""The keyword baseline: a theme is tagged when its lexicon score reaches a threshold.

The thresholds are chosen on the training data (best F1 per theme). It is what the model
must beat, measured side by side in bench/bench_themes.py and tests/pipelines/themes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from .data import Example
from .lexicon import THEMES, Lexicon
from .metrics import best_threshold
from .text import normalise


@dataclass
class KeywordBaseline:
    lexicon: Lexicon
    thresholds: dict[str, float] = field(default_factory=dict)

    def scores(self, items: Sequence[tuple[str | None, str | None]]) -> list[dict[str, float]]:
        found = [self.lexicon.match(normalise(title, text).stems) for title, text in items]
        return [{theme: match[theme].score for theme in THEMES} for match in found]

    def fit(self, examples: Sequence[Example]) -> "KeywordBaseline":
        scores = self.scores([(e.title, e.text) for e in examples])
        for theme in THEMES:
            # Scores are sums of lexicon weights: thresholds from 0.5 to 30 by 0.5.
            threshold, _ = best_threshold([s[theme] for s in scores], [theme in (e.themes or ()) for e in examples],
                                          low=0.5, high=30.0, step=0.5)
            self.thresholds[theme] = threshold
        return self

    def predict(self, items: Sequence[tuple[str | None, str | None]]) -> list[list[str]]:
        return [[t for t in THEMES if s[t] >= self.thresholds[t]] for s in self.scores(items)]
