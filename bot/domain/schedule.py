"""Weekly audits (#37): when one is due. Pure: a schedule is a weekday at RUN_HOUR in a person's
IANA time zone (Slack's `users.info` `tz`), and its next run is computed with `zoneinfo` from
any moment, so that a process started late runs a missed audit once and goes on from now."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from bot.domain.audit import Scope
from bot.domain.tenant import ONE_WORKSPACE, Tenant

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MONDAY = 0
RUN_HOUR = 9  # 09:00 in the person's time zone
UTC = "UTC"
# A run taken this long after it was due was missed (the bot was not running): it says so.
LATE_SECONDS = 15 * 60
MAX_ZONE = 64  # characters of an IANA zone's name (the longest is 32)


def weekday_of(word: str) -> int | None:
    """Monday 0 … Sunday 6, from its English name (`monday`, `mondays`, `mon`); None else."""
    word = word.lower().rstrip("s") if len(word) > 3 else word.lower()
    for number, name in enumerate(WEEKDAYS):
        if word in (name, name[:3]):
            return number
    return None


def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The IANA zone `name`, or UTC when it is missing or unknown here."""
    if name and len(name) <= MAX_ZONE:
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return zoneinfo.ZoneInfo(UTC)


def next_run(after: float, weekday: int, zone_name: str) -> float:
    """The first `weekday` at RUN_HOUR:00, local time in `zone_name`, strictly after `after`
    (unix seconds). 09:00 exists on every day of every zone (clocks change at night)."""
    where = zone(zone_name)
    now = dt.datetime.fromtimestamp(after, where)
    day = now.date() + dt.timedelta(days=(weekday - now.weekday()) % 7)
    while True:
        at = dt.datetime.combine(day, dt.time(RUN_HOUR), where)
        if at.timestamp() > after:
            return at.timestamp()
        day += dt.timedelta(days=7)


@dataclass(frozen=True)
class WeeklyAudit:
    """A weekly audit: a scope's audit posted in a channel for the person who asked for it,
    every `weekday` at 09:00 in their `zone`; `next_at` its next run (unix seconds)."""

    id: str
    store_id: int
    channel_id: str
    user_id: str
    scope: Scope
    weekday: int
    zone: str
    next_at: float
    last_at: float | None = None
    team_id: str = ONE_WORKSPACE  # its tenant's workspace (with store_id: bot.domain.tenant)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.team_id, self.store_id)

    def late(self, now: float) -> bool:
        return now - self.next_at > LATE_SECONDS
