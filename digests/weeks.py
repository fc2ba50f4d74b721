"""ISO weeks, Monday to Sunday in Paris: parsing ``2026-W47``, bounds in UTC, the last complete week."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

PARIS = "Europe/Paris"
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)


class WeekError(ValueError):
    """A week that cannot be read; the message says the expected form."""


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week: ``year`` and ``number`` (1–53)."""

    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 7)

    def bounds(self, zone: str = PARIS) -> tuple[datetime, datetime]:
        """[start, end) in UTC: Monday 00:00 to the next Monday 00:00, local time of ``zone``.

        Local midnights are converted one by one, so a week that contains a daylight-saving
        change is 167 or 169 hours long, as it is on the wall clock.
        """
        tz = ZoneInfo(zone)
        start = datetime.combine(self.monday, time(0), tz)
        end = datetime.combine(self.monday + timedelta(days=7), time(0), tz)
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)

    def shift(self, weeks: int) -> "Week":
        return week_of(self.monday + timedelta(weeks=weeks))

    def previous(self, count: int) -> list["Week"]:
        """The ``count`` weeks before this one, oldest first."""
        return [self.shift(-n) for n in range(count, 0, -1)]


def week_of(day: date) -> Week:
    year, number, _ = day.isocalendar()
    return Week(year, number)


def parse_week(text: str) -> Week:
    """``2026-W47`` (or ``2026W47``, ``2026-w7``) → `Week`; a clear error otherwise."""
    match = _WEEK.match(text.strip())
    if not match:
        raise WeekError(f"{text!r} is not an ISO week: write YYYY-Www, e.g. 2026-W47")
    year, number = int(match.group(1)), int(match.group(2))
    try:
        date.fromisocalendar(year, number, 1)
    except ValueError:
        last = date(year, 12, 28).isocalendar()[1]
        raise WeekError(f"{text!r}: {year} has weeks 1 to {last}") from None
    return Week(year, number)


def last_complete_week(now: datetime | None = None, zone: str = PARIS) -> Week:
    """The most recent week whose Sunday has ended in ``zone`` (the week before the current one)."""
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(ZoneInfo(zone)).date()
    return week_of(today).shift(-1)


def week_at(moment: datetime, zone: str = PARIS) -> Week:
    """The week a timezone-aware moment falls in, on the wall clock of ``zone``."""
    return week_of(moment.astimezone(ZoneInfo(zone)).date())
