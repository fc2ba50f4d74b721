"""The typed options of the reviews, built once by the shell from its settings (style habit 2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .weeks import PARIS


@dataclass(frozen=True)
class GroupOptions:
    key: str  # the theme key, e.g. "environment"
    title: str  # as members know it: "Environnement"
    recipients: tuple[str, ...] = ()
    auto_publish: bool = False


@dataclass(frozen=True)
class RankingWeights:
    """How much each part of a story's score weighs (the parts are kept with the score)."""

    outlets: float = 2.0  # per doubling of distinct outlets
    diversity: float = 1.0  # distinct outlet types / 5
    paris: float = 1.0  # share of the items tied to an arrondissement
    recency: float = 0.5  # 1 for the week's last day, 0 for its first
    relevance: float = 1.0  # the theme score (1 when a facilitator confirmed it)
    pinned: float = 100.0  # a facilitator's pin puts the story first


@dataclass(frozen=True)
class ReviewOptions:
    groups: dict[str, GroupOptions]
    base_url: str = "http://127.0.0.1:8000"
    timezone: str = PARIS
    top_stories: int = 3
    max_stories: int = 10
    max_brief: int = 40
    history_weeks: int = 8
    public: bool = True
    weights: RankingWeights = field(default_factory=RankingWeights)

    def group(self, key: str) -> GroupOptions:
        try:
            return self.groups[key]
        except KeyError:
            raise KeyError(f"unknown group {key!r}; groups: {', '.join(self.groups)}") from None

    def review_url(self, group: str, week: str) -> str:
        return f"{self.base_url.rstrip('/')}/reviews/{group}/{week}"

    def feed_url(self, group: str) -> str:
        return f"{self.base_url.rstrip('/')}/reviews/{group}.atom"
