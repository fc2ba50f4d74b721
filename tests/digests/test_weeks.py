from datetime import date, datetime, timedelta, timezone

import pytest

from digests.french import french_date, french_week_label, plural
from digests.weeks import Week, WeekError, last_complete_week, parse_week, week_at


def test_a_week_reads_in_the_iso_form_and_prints_back_the_same() -> None:
    assert str(parse_week("2026-W47")) == "2026-W47"
    assert parse_week("2026w7") == Week(2026, 7)


@pytest.mark.parametrize("text", ["2026-47", "W47", "2026-W00", "2026-W54", "2025-W53", "semaine 47"])
def test_a_bad_week_is_refused_with_the_expected_form(text: str) -> None:
    with pytest.raises(WeekError, match=r"YYYY-Www|has weeks 1 to"):
        parse_week(text)


def test_week_53_of_2026_runs_into_2027() -> None:
    week = parse_week("2026-W53")
    assert (week.monday.isoformat(), week.sunday.isoformat()) == ("2026-12-28", "2027-01-03")
    assert week.shift(1) == Week(2027, 1)
    assert french_week_label(week) == "semaine du 28 décembre 2026 au 3 janvier 2027"


def test_the_french_label_names_the_month_once_or_twice() -> None:
    assert french_week_label(parse_week("2026-W48")) == "semaine du 23 au 29 novembre 2026"
    assert french_week_label(parse_week("2026-W49")) == "semaine du 30 novembre au 6 décembre 2026"
    assert french_week_label(parse_week("2026-W44")) == "semaine du 26 octobre au 1er novembre 2026"


def test_bounds_are_paris_midnights_in_utc_across_the_clock_change() -> None:
    start, end = parse_week("2026-W44").bounds()  # after the clocks went back (winter time, UTC+1)
    assert start == datetime(2026, 10, 25, 23, 0, tzinfo=timezone.utc)
    assert end == datetime(2026, 11, 1, 23, 0, tzinfo=timezone.utc)
    start, end = parse_week("2026-W43").bounds()  # summer time ends on Sunday 25 October
    assert start == datetime(2026, 10, 18, 22, 0, tzinfo=timezone.utc)
    assert end - start == timedelta(hours=169)


def test_the_last_complete_week_is_the_one_before_today_in_paris() -> None:
    # Sunday 29 November 2026, 23:30 in Paris is already Monday in no zone but still W48 in Paris.
    assert last_complete_week(datetime(2026, 11, 29, 22, 30, tzinfo=timezone.utc)) == Week(2026, 47)
    # Monday 30 November 00:30 in Paris (23:30 UTC on Sunday): W48 is complete.
    assert last_complete_week(datetime(2026, 11, 29, 23, 30, tzinfo=timezone.utc)) == Week(2026, 48)
    assert last_complete_week(datetime(2027, 1, 5, 12, tzinfo=timezone.utc)) == Week(2026, 53)


def test_a_moment_falls_in_its_paris_week() -> None:
    assert week_at(datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)) == Week(2026, 48)


def test_french_dates_and_plurals() -> None:
    assert french_date(parse_week("2026-W49").sunday, weekday=True) == "dimanche 6 décembre 2026"
    assert french_date(date(2026, 12, 1)) == "1er décembre 2026"
    assert plural(0, "article") == "0\u00a0article"
    assert plural(1, "article") == "1\u00a0article"
    assert plural(2, "journal", "journaux") == "2\u00a0journaux"
