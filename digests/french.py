"""French wording: dates, week labels, plurals, arrondissement ordinals."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from .weeks import PARIS, Week

MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
          "octobre", "novembre", "décembre")
MONTHS_SHORT = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.",
                "déc.")
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
NBSP = "\u00a0"
NNBSP = "\u202f"  # before « » and ; : ! ? in French typography


def day_number(day: int) -> str:
    return "1er" if day == 1 else str(day)


def french_date(day: date, *, weekday: bool = False, year: bool = True) -> str:
    """``23 novembre 2026``; ``1er décembre``; with ``weekday``: ``lundi 23 novembre 2026``."""
    text = f"{day_number(day.day)} {MONTHS[day.month - 1]}"
    if year:
        text += f" {day.year}"
    return f"{WEEKDAYS[day.weekday()]} {text}" if weekday else text


def french_datetime(moment: datetime, zone: str = PARIS) -> str:
    """``23 novembre 2026 à 14 h 05`` in Paris time."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{french_date(local.date())} à {local.hour}{NBSP}h{NBSP}{local.minute:02d}"


def french_week_label(week: Week) -> str:
    """``semaine du 23 au 29 novembre 2026``, with the month or year on both sides when they differ."""
    start, end = week.monday, week.sunday
    if start.year != end.year:
        first = french_date(start)
    elif start.month != end.month:
        first = french_date(start, year=False)
    else:
        first = day_number(start.day)
    return f"semaine du {first} au {french_date(end)}"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``0 article``, ``1 article``, ``2 articles`` (French: 0 and 1 take the singular)."""
    word = singular if abs(count) < 2 else (plural_form or singular + "s")
    return f"{count}{NBSP}{word}"


def arrondissement(number: int) -> str:
    """``1er``, ``2e``, ``20e``."""
    return "1er" if number == 1 else f"{number}e"


def arrondissement_long(number: int) -> str:
    return f"{arrondissement(number)} arrondissement"


def join_words(words: list[str]) -> str:
    """``a``, ``a et b``, ``a, b et c``."""
    if not words:
        return ""
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " et " + words[-1]


def quoted(text: str) -> str:
    """French quotation marks with the narrow no-break spaces that keep them on the line."""
    return f"«{NNBSP}{text}{NNBSP}»"


def short_date(day: date) -> str:
    """``16 nov.``"""
    return f"{day_number(day.day)} {MONTHS_SHORT[day.month - 1]}"


def decimal(value: float, digits: int = 1) -> str:
    """``2,3`` (French decimal comma)."""
    return f"{value:.{digits}f}".replace(".", ",")


OUTLET_TYPES = {"national": "national", "regional": "régional", "local": "local",
                "institutional": "institutionnel", "independent": "indépendant"}


def outlet_type(kind: str) -> str:
    """The French name of an outlet type (``independent`` → ``indépendant``)."""
    return OUTLET_TYPES.get(kind, kind)
