"""Theme lexicons: weighted lemmas and phrases from the codebook, matched on stems.

`Lexicon.match` finds every entry in an item (phrases as consecutive stems) and returns, per
group, the score (sum of weights, each entry counted at most `MAX_REPEAT` times) and the
entries found, in the words of the lexicon so a person can read them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterable, Mapping

import yaml

from .text import stem_phrase

THEMES: tuple[str, ...] = ("social_education", "environment", "public_space")
OFF_THEME = "off_theme"
GROUPS: tuple[str, ...] = (*THEMES, OFF_THEME)
# One word repeated ten times says little more than the same word said three times.
MAX_REPEAT = 3


class LexiconError(ValueError):
    """The lexicon file is not usable; the message names the entry."""


@dataclass(frozen=True)
class Entry:
    group: str
    text: str  # as written in the lexicon
    weight: float
    stems: tuple[str, ...]


@dataclass
class GroupMatch:
    score: float = 0.0
    entries: dict[str, float] = field(default_factory=dict)  # entry text -> weight × occurrences


class Lexicon:
    def __init__(self, entries: Iterable[Entry], source_hash: str = "") -> None:
        # Two entries of one group with the same stems ("piétonnisation", "piétonniser") are
        # one entry: the first keeps the higher weight, so nothing is counted twice.
        kept: dict[tuple[str, tuple[str, ...]], Entry] = {}
        for entry in entries:
            key = (entry.group, entry.stems)
            if key not in kept or entry.weight > kept[key].weight:
                kept[key] = entry
        self.entries = list(kept.values())
        self.source_hash = source_hash
        self._index: dict[tuple[str, ...], list[Entry]] = {}
        for entry in self.entries:
            self._index.setdefault(entry.stems, []).append(entry)
        self.max_len = max((len(stems) for stems in self._index), default=1)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, float]], source_hash: str = "") -> "Lexicon":
        entries: list[Entry] = []
        unknown = sorted(set(data) - set(GROUPS))
        if unknown:
            raise LexiconError(f"unknown lexicon group {unknown[0]!r}; groups are {', '.join(GROUPS)}")
        for group, terms in data.items():
            for text, weight in (terms or {}).items():
                stems = stem_phrase(str(text))
                if not stems:
                    raise LexiconError(f"{group}: entry {text!r} has no word to match")
                if not isinstance(weight, (int, float)) or not 0 < weight <= 5:
                    raise LexiconError(f"{group}: entry {text!r} needs a weight between 0 and 5, got {weight!r}")
                entries.append(Entry(group, str(text), float(weight), stems))
        return cls(entries, source_hash)

    @classmethod
    def default(cls) -> "Lexicon":
        raw = resources.files(__package__).joinpath("lexicons.yaml").read_bytes()
        return cls.from_mapping(yaml.safe_load(raw), hashlib.sha256(raw).hexdigest())

    def match(self, stems: tuple[str, ...] | list[str]) -> dict[str, GroupMatch]:
        counts: dict[Entry, int] = {}
        for start in range(len(stems)):
            for length in range(1, self.max_len + 1):
                if start + length > len(stems):
                    break
                for entry in self._index.get(tuple(stems[start:start + length]), ()):
                    counts[entry] = counts.get(entry, 0) + 1
        result = {group: GroupMatch() for group in GROUPS}
        for entry, count in counts.items():
            found = result[entry.group]
            contribution = entry.weight * min(count, MAX_REPEAT)
            found.score += contribution
            found.entries[entry.text] = contribution
        return result
