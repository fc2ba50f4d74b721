"""French text analysis for search: tokens, accent folding, Snowball stems, highlighted snippets.

One analyser serves the SQLite index (FTS5 is fed the stems), the query compiler and the
snippets, so a word is matched and highlighted the same way wherever it is seen. The order
is the one PostgreSQL's ``french_unaccent`` configuration uses (accents folded, then the
French Snowball stemmer), so both databases conflate the same inflections: école/écoles/ecole
→ ``ecol``, végétalisé/végétalisation → ``vegetalis``.
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from typing import Iterator

import Stemmer

# A token is a run of letters and digits; apostrophes, hyphens and underscores separate.
# Underscores never occur in tokens, so index tags (which start with "_") cannot be typed.
TOKEN = re.compile(r"[^\W_]+")

# Function words dropped from queries outside phrases (they are kept in the index so that
# phrases match exactly). Matching every item with "le" helps nobody and costs the most.
STOPWORDS = frozenset("""
a au aux avec ce ces cet cette d dans de des du elle elles en et eux il ils j je l la le les leur
leurs lui m ma mais me mes moi mon n ne nos notre nous on ou par pas pour qu que qui s sa se ses
son sur t ta te tes toi ton tu un une vos votre vous y est sont ete
""".split())

_stemmer = Stemmer.Stemmer("french")


def _fold_char(char: str) -> str:
    char = {"œ": "oe", "æ": "ae", "ß": "ss"}.get(char, char)
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


# Accent folding as one str.translate (C speed on a whole text): every lower-case character of
# the Latin, Greek and Cyrillic blocks mapped to itself without accents or ligatures.
_FOLD = {code: _fold_char(chr(code)) for code in range(0x80, 0x3000) if _fold_char(chr(code)) != chr(code)}


def fold(text: str) -> str:
    """Lower case without accents or ligatures (é→e, œ→oe)."""
    return text.lower().translate(_FOLD)


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    """The search key of one raw token: folded, then Snowball-stemmed (cached: words repeat)."""
    return _stemmer.stemWord(fold(word))


def words(text: str) -> list[str]:
    """The raw tokens of a text, in order."""
    return TOKEN.findall(text)


def stems(text: str | None) -> str:
    """The space-separated stems of a text, as fed to the SQLite FTS5 index."""
    if not text:
        return ""
    # Fold the whole text, then stem the token list in C: 3× faster than word by word.
    return " ".join(_stemmer.stemWords(TOKEN.findall(fold(text))))


def is_stopword(word: str) -> bool:
    return fold(word) in STOPWORDS


def bigrams(text: str | None) -> set[str]:
    """Pairs of consecutive stems, common words skipped, as index tokens (``_b_conseil_paris``).

    PostgreSQL checks a phrase by reading each candidate row's positions; with these pairs
    in the tsvector, the GIN index narrows a phrase to the rows that hold all its pairs, so
    "conseil de Paris" rechecks its few hundred true matches instead of the tens of
    thousands of rows that merely contain "conseil" and "paris"."""
    if not text:
        return set()
    tokens = [t for t in TOKEN.findall(fold(text)) if t not in STOPWORDS]
    keys = _stemmer.stemWords(tokens)
    return {f"_b_{a}_{b}" for a, b in zip(keys, keys[1:])}


def snippet(text: str | None, keys: set[str], prefixes: tuple[str, ...] = (), *, size: int = 240) -> str:
    """An HTML-escaped extract of ``text`` around its best window of matching words, each
    match wrapped in ``<mark>``. ``keys`` are stems; ``prefixes`` stem prefixes."""
    if not text:
        return ""
    text = " ".join(text.split())
    spans = [(m.start(), m.end()) for m in _matches(text, keys, prefixes)]
    if not spans:
        cut = text[:size]
        return html.escape(cut) + ("…" if len(text) > size else "")
    # The window of `size` characters holding the most matches, started a little before the first.
    best_start, best_count = spans[0][0], 0
    j = 0
    for i, (start, _) in enumerate(spans):
        while j < len(spans) and spans[j][1] <= start + size:
            j += 1
        if j - i > best_count:
            best_start, best_count = start, j - i
    start = max(0, best_start - size // 4)
    if start > 0:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < best_start else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > best_start else end
    out: list[str] = ["…" if start > 0 else ""]
    pos = start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(text[pos:s]))
        out.append(f"<mark>{html.escape(text[s:e])}</mark>")
        pos = e
    out.append(html.escape(text[pos:end]))
    out.append("…" if end < len(text) else "")
    return "".join(out)


def highlight(text: str | None, keys: set[str], prefixes: tuple[str, ...] = ()) -> str:
    """The whole of a short text (a title), escaped, with its matching words marked."""
    if not text:
        return ""
    out: list[str] = []
    pos = 0
    for m in _matches(text, keys, prefixes):
        out.append(html.escape(text[pos:m.start()]))
        out.append(f"<mark>{html.escape(m.group())}</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _matches(text: str, keys: set[str], prefixes: tuple[str, ...]) -> Iterator[re.Match[str]]:
    for m in TOKEN.finditer(text):
        key = stem(m.group())
        if key in keys or (prefixes and key.startswith(prefixes)):
            yield m
