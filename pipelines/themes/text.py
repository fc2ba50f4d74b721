"""Text normalisation shared by the features, the lexicons and the reasons.

The model reads French news with one deterministic normaliser, the same at training and at
classification time: lower case, elisions removed (``l'école`` → ``école``), tokens reduced
to their Snowball stem (PyStemmer) (``crèches``, ``crèche`` → ``crech``) and accents folded. Stems stand
in for lemmas: with spaCy's fr_core_news_sm lemmas instead, and everything else equal, the
model scored lower (cross-validated macro-F1 0.916 vs 0.922, paris-dev 0.891 vs 0.906;
docs/themes.md), and spaCy is far slower than the whole classifier, so the classifier is
never the bottleneck of the pipeline and ``veille classify`` needs no language model.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# Long texts are cut: the lead carries the subject, and the cut bounds the cost of one item.
MAX_CHARS = 8_000

_TOKEN = re.compile(r"[^\W\d_](?:[^\W\d_]|[-’'](?=[^\W\d_]))*", re.UNICODE)
_ELISION = re.compile(r"^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]", re.IGNORECASE)
_stemmer = Stemmer.Stemmer("french")

# Common French function words: used to tell French text from other languages.
FRENCH_FUNCTION_WORDS = frozenset(
    "le la les un une des du de et en au aux dans pour par sur avec est sont qui que ne pas plus "
    "ce cette ces son sa ses leur leurs il elle ils elles nous vous on été être a ont".split())
# Words that never make a readable reason, in French and English (the model still uses them).
FUNCTION_WORDS = FRENCH_FUNCTION_WORDS | frozenset(
    "à y où se lui je tu me te mais ou donc or ni car si très tout tous toute toutes comme depuis "
    "après avant entre sous chez contre lors selon vers cet aussi même déjà encore fait faire "
    "the of and to in for on with at by from is are was were be been it its this that as an or".split())


def fold(text: str) -> str:
    """Lower case without accents (``Crèche`` → ``creche``); œ and æ spelled out."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The folded Snowball stem of one lower-case word."""
    return fold(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Lower-case word tokens, elisions removed, hyphenated compounds kept whole."""
    found: list[str] = []
    for match in _TOKEN.finditer(text.lower().replace("’", "'").replace("œ", "oe").replace("æ", "ae")):
        token = _ELISION.sub("", match.group())
        if token:
            found.append(token)
    return found


@dataclass(frozen=True)
class Normalised:
    """One item's text as the model reads it."""

    stems: tuple[str, ...]
    surfaces: tuple[str, ...]  # the word each stem came from, for readable reasons
    folded: str  # accent-folded lower-case text, for character n-grams
    french_ratio: float  # share of tokens that are French function words
    latin_ratio: float  # share of letters in the Latin script


def item_text(title: str | None, text: str | None) -> str:
    """Title and text as one string; the title is repeated because it names the subject."""
    title = (title or "").strip()
    body = (text or "").strip()[:MAX_CHARS]
    return f"{title}. {title}. {body}" if title else body


def normalise(title: str | None, text: str | None) -> Normalised:
    raw = item_text(title, text)
    tokens = words(raw)
    stems = tuple(stem(token) for token in tokens)
    french = sum(1 for token in tokens if token in FRENCH_FUNCTION_WORDS)
    folded = fold(raw)
    letters = [ch for ch in folded if ch.isalpha()]
    latin = sum(1 for ch in letters if "a" <= ch <= "z")
    return Normalised(stems=stems, surfaces=tuple(tokens), folded=folded,
                      french_ratio=french / len(tokens) if tokens else 0.0,
                      latin_ratio=latin / len(letters) if letters else 0.0)


@lru_cache(maxsize=1)
def function_stems() -> frozenset[str]:
    return frozenset(stem(word) for word in FUNCTION_WORDS)


def readable(stems: list[str] | tuple[str, ...]) -> bool:
    """Whether an n-gram of stems can stand as a reason: content words only."""
    stop = function_stems()
    return all(len(s) > 2 and s not in stop for s in stems)


def stem_phrase(phrase: str) -> tuple[str, ...]:
    """A lexicon entry as the sequence of stems it must match."""
    return tuple(stem(token) for token in words(phrase))
