"""When a weekly audit is due (bot.domain.schedule): 09:00 on its day, in its person's zone."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from bot.domain.schedule import next_run, weekday_of


def _utc(*parts: int) -> float:
    return dt.datetime(*parts, tzinfo=dt.UTC).timestamp()


def _local(at: float, zone: str) -> dt.datetime:
    return dt.datetime.fromtimestamp(at, zoneinfo.ZoneInfo(zone))


@pytest.mark.parametrize(
    ("now", "zone", "due"),
    [
        # Monday 7 December 2026, 08:59 UTC: 09:00 is a minute away in UTC, …
        (_utc(2026, 12, 7, 8, 59), "UTC", _utc(2026, 12, 7, 9, 0)),
        # … gone an hour ago in Amsterdam (next Monday), hours away in New York.
        (_utc(2026, 12, 7, 8, 59), "Europe/Amsterdam", _utc(2026, 12, 14, 8, 0)),
        (_utc(2026, 12, 7, 8, 59), "America/New_York", _utc(2026, 12, 7, 14, 0)),
        # Already Monday evening in Auckland: the next Monday there is Sunday 20:00 UTC.
        (_utc(2026, 12, 7, 8, 59), "Pacific/Auckland", _utc(2026, 12, 13, 20, 0)),
        # Exactly at 09:00: the next one, a week later (a run never repeats its own time).
        (_utc(2026, 12, 7, 9, 0), "UTC", _utc(2026, 12, 14, 9, 0)),
        # Across the clocks going forward (Sunday 29 March 2026 in Europe): still 09:00 local.
        (_utc(2026, 3, 24, 12, 0), "Europe/Amsterdam", _utc(2026, 3, 30, 7, 0)),
        # An unknown zone is UTC.
        (_utc(2026, 12, 7, 8, 0), "Mars/Olympus", _utc(2026, 12, 7, 9, 0)),
    ],
)
def test_the_next_run_is_the_next_monday_at_nine_in_the_zone(
    now: float, zone: str, due: float
) -> None:
    assert next_run(now, 0, zone) == due


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "Australia/Sydney"])
def test_every_weekday_is_nine_local_after_any_moment_across_the_clock_changes(zone: str) -> None:
    """Three weeks around 25 October (Europe) and 1 November (US) 2026, when clocks go back,
    and Sydney's 4 October, when they go forward."""
    start = _utc(2026, 9, 28, 23, 30)
    for day in range(7):
        for hours in range(0, 24 * 42, 5):
            now = start + hours * 3600
            at = next_run(now, day, zone)
            local = _local(at, zone)
            assert (local.weekday(), local.hour, local.minute) == (day, 9, 0)
            assert now < at <= now + 7 * 86400 + 3600


@pytest.mark.parametrize(
    ("word", "day"),
    [("monday", 0), ("Mondays", 0), ("mon", 0), ("SUNDAY", 6), ("thu", 3), ("month", None)],
)
def test_a_day_is_read_from_its_english_name(word: str, day: int | None) -> None:
    assert weekday_of(word) == day
