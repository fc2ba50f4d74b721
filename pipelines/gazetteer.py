"""The Paris gazetteer: which arrondissements a text is about, with the evidence.

Two kinds of evidence, from ``data/geo/gazetteer.csv.gz`` (built by `pipelines.geo_build`
from Ville de Paris and IDFM open data, ODbL) and from the written forms of arrondissements:

- explicit mentions (score 2): « 19e arrondissement », « XIe arrondissement », « Paris 13e »,
  « 75019 », « (10e) », « dans le 18e », « les 10e et 19e arrondissements », « Paris Centre »;
  ordinals that are not arrondissements (« le 1er novembre », « de la 6e à la 3e », « 3e étage »)
  are refused;
- names (score 1): streets with their arrondissements, the 80 quartiers, official
  arrondissement names, stations and landmarks. The longest name wins (« boulevard
  Saint-Michel » before « Saint-Michel », « Mont-Saint-Michel » is outside Paris). A
  « weak » name, also a common word, a person or an institution (« Gare », « Europe »,
  « Bercy », « Nation »), counts only after a cue (« quartier », « métro », « station »). A
  street followed by « à » and another town is elsewhere. A street on more than three
  arrondissements (the périphérique) is city-wide and places nothing; one on two or three
  counts only in those the text anchors by other evidence, when it does.

An arrondissement is attached when its summed score reaches ``min_score``.
"""

from __future__ import annotations

import csv
import gzip
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterator

from .document import Place

__all__ = ["Gazetteer", "Mention", "fold", "load_gazetteer"]

EXPLICIT = 2.0
NAME = 1.0
CUES = {"quartier", "quartiers", "metro", "station", "stations", "rer", "tram", "tramway", "arret",
        "carrefour", "secteur", "cote", "pres", "autour", "vers"}
ABBREVIATIONS = {"bd": "boulevard", "bld": "boulevard", "boul": "boulevard", "av": "avenue", "ave": "avenue",
                 "pl": "place", "st": "saint", "ste": "sainte", "fg": "faubourg", "fbg": "faubourg",
                 "r": "rue", "sq": "square", "pte": "porte"}
# Nouns that follow an ordinal which is not an arrondissement (« le 3e étage », « le 11e jour »).
NOT_ARRONDISSEMENT = {
    "siecle", "siecles", "etage", "etages", "edition", "editions", "rang", "position", "place", "fois",
    "anniversaire", "jour", "journee", "annee", "mois", "semaine", "heure", "minute", "classe", "tour",
    "circonscription", "division", "regiment", "chambre", "ligne", "km", "kilometre", "mandat", "vague",
    "saison", "round", "manche", "journees", "etape", "art", "article", "alinea", "chapitre", "volet",
    "legislature", "republique", "session", "plan", "epreuve", "acte", "numero", "sommet", "congres",
}
MONTHS = {"janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre",
          "novembre", "decembre"}
ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "V": 5, "VI": 6, "VII": 7, "VIII": 8, "IX": 9, "X": 10, "XI": 11,
         "XII": 12, "XIII": 13, "XIV": 14, "XV": 15, "XVI": 16, "XVII": 17, "XVIII": 18, "XIX": 19, "XX": 20}
ORD = r"(?:e|è|ème|eme|ᵉ|er|ER|E)"
RE_NUMBERED = re.compile(rf"\b(\d{{1,2}}){ORD}\s+arrondissement\b", re.IGNORECASE)
RE_LIST = re.compile(rf"\b((?:\d{{1,2}}{ORD}\s*(?:,|et|ou)\s*)+\d{{1,2}}{ORD})\s+arrondissements\b", re.IGNORECASE)
RE_ROMAN = re.compile(rf"\b([IVX]{{1,5}})(?:e|ème|er)\s+arrondissement\b")
RE_PARIS = re.compile(rf"\bParis[\s-]+(\d{{1,2}}){ORD}?\b(?![.,]\d)")
RE_POSTCODE = re.compile(r"\b75(0(?:0[1-9]|1\d|20)|116)\b")
RE_PAREN = re.compile(rf"\((\d{{1,2}}){ORD}\)")
RE_ORDINAL = re.compile(rf"\b(?:le|du|au|dans le|les|des|et|du|sur le)\s+(\d{{1,2}})(?:e|ème|eme|ᵉ)\b(?!-)",
                        re.IGNORECASE)
RE_NEXT_WORD = re.compile(r"\s*([^\W\d_]+)")
TOKEN = re.compile(r"[a-z0-9œæ]+")


def _word(token: str) -> str:
    token = token.replace("œ", "oe").replace("æ", "ae")
    return ABBREVIATIONS.get(token, token)


def _fold_char(ch: str) -> str:
    base = unicodedata.normalize("NFKD", ch)[:1].lower()[:1]
    return base if base.isalnum() else " "


def fold_aligned(text: str) -> str:
    """Lower case, accents removed, punctuation as spaces; same length as ``text``."""
    return "".join(_fold_char(ch) for ch in text)


def fold(text: str) -> str:
    """The matching key of a name: folded and with single spaces (« Faubourg-Saint-Antoine » → « faubourg saint antoine »)."""
    return " ".join(fold_aligned(text).replace("œ", "oe").replace("æ", "ae").split())


@dataclass(frozen=True)
class Entry:
    kind: str
    arrondissements: tuple[int, ...]
    weak: bool
    label: str


@dataclass(frozen=True)
class Mention:
    arrondissements: tuple[int, ...]
    score: float
    kind: str
    text: str
    start: int


class Gazetteer:
    def __init__(self, entries: dict[tuple[str, ...], Entry]) -> None:
        self.entries = entries
        self.max_tokens = max((len(key) for key in entries), default=1)

    def __len__(self) -> int:
        return len(self.entries)

    def mentions(self, text: str) -> Iterator[Mention]:
        """Every piece of evidence in ``text``, in order."""
        yield from _explicit(text)
        yield from self._names(text)

    def places(self, text: str, min_score: float = 1.0, max_evidence: int = 5) -> list[Place]:
        """The arrondissements ``text`` is about, best first."""
        scores: dict[int, float] = {}
        evidence: dict[int, list[dict[str, object]]] = {}
        mentions = list(self.mentions(text))
        # A street or station on several arrondissements counts only in those the text
        # places something in by other, unambiguous evidence, when there are such.
        anchored = {a for m in mentions if m.score >= EXPLICIT or len(m.arrondissements) == 1
                    for a in m.arrondissements}
        for mention in mentions:
            targets = mention.arrondissements
            if mention.score < EXPLICIT and len(targets) > 1 and anchored.intersection(targets):
                targets = tuple(sorted(anchored.intersection(targets)))
            for arrondissement in targets:
                scores[arrondissement] = scores.get(arrondissement, 0.0) + mention.score
                found = evidence.setdefault(arrondissement, [])
                if len(found) < max_evidence:
                    found.append({"text": mention.text, "kind": mention.kind, "start": mention.start})
        kept = [Place(a, round(s, 2), evidence[a]) for a, s in scores.items() if s >= min_score]
        return sorted(kept, key=lambda p: (-p.score, p.arrondissement))

    def _names(self, text: str) -> Iterator[Mention]:
        folded = fold_aligned(text)
        tokens = [(_word(m.group()), m.start(), m.end()) for m in TOKEN.finditer(folded)]
        words = [t[0] for t in tokens]
        i = 0
        while i < len(tokens):
            for length in range(min(self.max_tokens, len(tokens) - i), 0, -1):
                entry = self.entries.get(tuple(words[i:i + length]))
                if entry is None:
                    continue
                start, end = tokens[i][1], tokens[i + length - 1][2]
                mention = self._accept(entry, text, words, tokens, i, length)
                if mention:
                    yield Mention(entry.arrondissements, mention, entry.kind, text[start:end], start)
                i += length
                break
            else:
                i += 1

    @staticmethod
    def _accept(entry: Entry, text: str, words: list[str], tokens: list[tuple[str, int, int]],
                i: int, length: int) -> float | None:
        if not entry.arrondissements:
            return None  # outside Paris: consumed, so no shorter Paris name matches inside it
        if entry.kind != "street" and not any(text[tokens[k][1]].isupper() for k in range(i, i + length)):
            return None  # « la gare », « l'europe »: names of places are capitalised
        if entry.weak and not CUES.intersection(words[max(0, i - 3):i]):
            return None
        after = words[i + length:i + length + 2]
        if entry.kind == "street" and len(after) == 2 and after[0] == "a" and after[1] != "paris":
            next_start = tokens[i + length + 1][1]
            if text[next_start].isupper():
                return None  # « avenue de la République à Montreuil »
        if entry.kind == "street" and len(entry.arrondissements) > 3:
            return None  # the périphérique, the Seine's quays as a whole: a city-wide subject
        return NAME


def _explicit(text: str) -> Iterator[Mention]:
    taken: list[tuple[int, int]] = []

    def fresh(match: re.Match[str]) -> bool:
        if any(a < match.end() and match.start() < b for a, b in taken):
            return False
        taken.append((match.start(), match.end()))
        return True

    for match in RE_LIST.finditer(text):
        numbers = tuple(sorted({int(n) for n in re.findall(r"\d{1,2}", match.group(1)) if 1 <= int(n) <= 20}))
        if numbers and fresh(match):
            yield Mention(numbers, EXPLICIT, "arrondissement", match.group(0), match.start())
    for pattern, kind in ((RE_NUMBERED, "arrondissement"), (RE_PARIS, "arrondissement"),
                          (RE_PAREN, "arrondissement")):
        for match in pattern.finditer(text):
            number = int(match.group(1))
            if 1 <= number <= 20 and fresh(match):
                yield Mention((number,), EXPLICIT, kind, match.group(0), match.start())
    for match in RE_ROMAN.finditer(text):
        number = ROMAN.get(match.group(1))
        if number and fresh(match):
            yield Mention((number,), EXPLICIT, "arrondissement", match.group(0), match.start())
    for match in RE_POSTCODE.finditer(text):
        code = match.group(1)
        number = 16 if code == "116" else int(code)
        if fresh(match):
            yield Mention((number,), EXPLICIT, "postcode", match.group(0), match.start())
    for match in RE_ORDINAL.finditer(text):
        number = int(match.group(1))
        if not 2 <= number <= 20:
            continue
        following = RE_NEXT_WORD.match(text, match.end())
        word = fold(following.group(1)) if following else ""
        if word in NOT_ARRONDISSEMENT or word in MONTHS:
            continue
        if fresh(match):
            yield Mention((number,), EXPLICIT, "arrondissement", match.group(0), match.start())


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The packaged gazetteer (loaded once per process, ~10k names)."""
    data = resources.files("pipelines").joinpath("data/geo/gazetteer.csv.gz").read_bytes()
    entries: dict[tuple[str, ...], Entry] = {}
    for row in csv.DictReader(gzip.decompress(data).decode("utf-8").splitlines()):
        arrondissements = tuple(int(a) for a in row["arrondissements"].split(";") if a)
        entries[tuple(row["key"].split())] = Entry(row["kind"], arrondissements, row["weak"] == "1", row["label"])
    return Gazetteer(entries)
