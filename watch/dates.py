"""Dates as French feeds write them, read as Europe/Paris when they do not say otherwise.

feedparser 6.0.x gives unknown zone names (CET, CEST) offset 0, reads naive times as UTC
and does not know French month names (checked on 6.0.14, see the crawler reference).
`parse_date` handles those cases and is registered as feedparser's first date handler
(process-global, once, at import). Strings it does not recognise are left to feedparser.
All results are timezone-aware UTC.
"""

from __future__ import annotations

import re
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_tz
from zoneinfo import ZoneInfo

import feedparser

__all__ = ["PARIS", "parse_date", "to_utc", "clamp_future", "FUTURE_TOLERANCE"]

PARIS = ZoneInfo("Europe/Paris")
FUTURE_TOLERANCE = timedelta(minutes=15)

MONTHS = {
    "janvier": 1, "janv": 1, "jan": 1, "février": 2, "fevrier": 2, "févr": 2, "fevr": 2, "fév": 2, "fev": 2,
    "mars": 3, "mar": 3, "avril": 4, "avr": 4, "mai": 5, "juin": 6, "juillet": 7, "juil": 7,
    "août": 8, "aout": 8, "aoû": 8, "septembre": 9, "sept": 9, "sep": 9, "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11, "décembre": 12, "decembre": 12, "déc": 12, "dec": 12,
}
WEEKDAYS = r"(?:lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|lun|mar|mer|jeu|ven|sam|dim)\.?,?"
FRENCH = re.compile(
    rf"^\s*(?:{WEEKDAYS}\s+)?(?:le\s+)?(?P<day>\d{{1,2}})(?:er)?\s+(?P<month>[a-zéû]+)\.?\s+(?P<year>\d{{4}})"
    r"(?:\s*(?:,|à|a|-)?\s*(?P<hour>\d{1,2})\s*(?:[:h]\s*(?P<minute>\d{2})?)(?:\s*:\s*(?P<second>\d{2}))?)?"
    r"\s*(?P<zone>[A-Z]{3,4}|[+-]\d{2}:?\d{2})?\s*$", re.IGNORECASE)
ISO_NAIVE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*$")
RFC822_ZONE = re.compile(r"\s(CET|CEST|MET|MEST|HNEC|HAEC)\s*$", re.IGNORECASE)
ZONE_OFFSETS = {"CET": "+0100", "MET": "+0100", "HNEC": "+0100", "CEST": "+0200", "MEST": "+0200", "HAEC": "+0200"}


def to_utc(value: datetime) -> datetime:
    """Aware UTC; a naive value is read as Europe/Paris time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=PARIS)
    return value.astimezone(timezone.utc)


def _offset(zone: str | None) -> timezone | ZoneInfo:
    if not zone:
        return PARIS
    zone = zone.upper()
    if zone in ZONE_OFFSETS:
        zone = ZONE_OFFSETS[zone]
    if zone in ("UTC", "GMT", "UT"):
        return timezone.utc
    match = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", zone)
    if not match:
        return PARIS
    sign = 1 if match.group(1) == "+" else -1
    return timezone(sign * timedelta(hours=int(match.group(2)), minutes=int(match.group(3))))


def parse_date(text: str) -> datetime | None:
    """A date written the way French sites write them, as aware UTC; None if not recognised.

    Handles French month and day names ("lun., 12 févr. 2024 10:00", "12 février 2024 à
    10 h 15"), the CET/CEST zone names, and naive times (read as Europe/Paris). Strings
    with an explicit numeric offset or GMT/UTC are left to feedparser (None).
    """
    if not text or len(text) > 100:
        return None
    match = FRENCH.match(text)
    if match:
        month = MONTHS.get(match.group("month").lower().rstrip("."))
        if month is None:
            return None
        try:
            local = datetime(int(match.group("year")), month, int(match.group("day")),
                             int(match.group("hour") or 0), int(match.group("minute") or 0),
                             int(match.group("second") or 0))
        except ValueError:
            return None
        return local.replace(tzinfo=_offset(match.group("zone"))).astimezone(timezone.utc)
    if ISO_NAIVE.match(text):
        try:
            return to_utc(datetime.fromisoformat(text.strip()))
        except ValueError:
            return None
    zone = RFC822_ZONE.search(text)
    if zone:
        text = text[:zone.start()] + " " + ZONE_OFFSETS[zone.group(1).upper()]
    parsed = parsedate_tz(text)
    if parsed is None:
        return None
    has_zone = bool(re.search(r"\d{1,2}:\d{2}(?::\d{2})?\s+[+-]?[A-Za-z0-9]+\s*$", text.strip()))
    if has_zone and not zone:
        return None  # an explicit offset or GMT: feedparser reads it right
    try:
        local = datetime(*parsed[:6])
    except ValueError:
        return None
    if not has_zone:
        return to_utc(local)
    return local.replace(tzinfo=timezone(timedelta(seconds=parsed[9] or 0))).astimezone(timezone.utc)


def _feedparser_handler(text: str) -> time.struct_time | None:
    value = parse_date(text)
    return value.utctimetuple() if value is not None else None


def clamp_future(published: datetime | None, seen: datetime) -> tuple[datetime, bool, str]:
    """(date, suspect, source): a missing date becomes ``seen``; one too far ahead is clamped."""
    if published is None:
        return seen, False, "first_seen"
    if published > seen + FUTURE_TOLERANCE:
        return seen, True, "feed"
    return published, False, "feed"


feedparser.registerDateHandler(_feedparser_handler)
