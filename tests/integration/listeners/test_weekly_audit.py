"""Weekly audits (#37): `/ecwid-image audit every monday` keeps a row; each week's run is
claimed by one process with the job store's conditional update, at 09:00 in the asker's time
zone (Slack's `users.info` `tz`), on a wall clock the test turns. Two processes share one
database; a process started past the time runs the missed audit once and says it is late."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from bot.config import Settings
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import serving
from tests.integration.listeners.test_audit import card_text

HOUR = 3600.0
WEEK = 7 * 24 * HOUR
# Sunday 6 December 2026, 12:00 UTC; 09:00 on Monday in Amsterdam is 08:00 UTC.
SUNDAY_NOON = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC).timestamp()
FIRST_RUN = dt.datetime(2026, 12, 7, 8, 0, tzinfo=dt.UTC).timestamp()
QUIET = 3600.0  # the watchers look once at start, then the test runs them


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def weekly_cards(slack: FakeSlack) -> list[SlackCall]:
    """The weekly audits' cards (the card has the legend)."""
    return [
        c
        for c in slack.calls_to("chat.update")
        if "*missing*: no alt text" in json.dumps(c.params.get("blocks") or "")
    ]


async def _said(slack: FakeSlack, words: str) -> str:
    found = await slack.wait_until(
        lambda: [r["text"] for r in slack.responses if words in r.get("text", "")]
    )
    return str(found[0])


async def test_a_weekly_audit_runs_once_a_week_across_two_processes(
    settings: Settings, slack: FakeSlack
) -> None:
    slack.time_zones["U123"] = "Europe/Amsterdam"
    clock = Clock(SUNDAY_NOON)
    async with (
        serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as first,
        serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as second,
    ):
        await first.command("audit every monday")
        said = await _said(slack, "Every Monday")
        assert said == (
            ":calendar: Every Monday at 09:00 (Europe/Amsterdam), the audit of the whole "
            "catalog will be posted in <#C123>. The first: Monday 7 December 09:00. "
            "`/ecwid-image audit stop` ends it."
        )
        processes = (first.runtime.weekly, second.runtime.weekly)

        async def both() -> int:
            started = await asyncio.gather(*(p.run_due() for p in processes))
            await asyncio.gather(*(p.idle() for p in processes))
            return sum(started)

        clock.now = FIRST_RUN - 60  # a minute before: nothing
        assert await both() == 0
        clock.now = FIRST_RUN + 30
        assert await both() == 1  # one process won the claim, the other did not run it
        (card,) = await slack.wait_until(lambda: weekly_cards(slack)[:1])
        text = card_text(card)
        assert text.startswith(
            ":stethoscope: *Weekly image health* of the whole catalog (every Monday at 09:00 "
            "Europe/Amsterdam), for <@U123>."
        )
        assert "Late" not in text
        assert card.params["channel"] == "C123"
        assert await both() == 0  # the same week: never twice
        clock.now = FIRST_RUN + 6 * 24 * HOUR  # Sunday: not yet
        assert await both() == 0
        clock.now = FIRST_RUN + WEEK + 30  # the next Monday, 09:00 and a bit
        assert await both() == 1
        await slack.wait_until(lambda: len(weekly_cards(slack)) == 2)
        assert await both() == 0
        assert len(weekly_cards(slack)) == 2


async def test_a_process_started_past_the_time_runs_the_missed_audit_once_and_says_so(
    settings: Settings, slack: FakeSlack
) -> None:
    slack.time_zones["U123"] = "Europe/Amsterdam"
    clock = Clock(SUNDAY_NOON)
    async with serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as before:
        await before.command("audit every monday category:12")
        await _said(slack, "Every Monday")
    clock.now = FIRST_RUN + 3 * WEEK + 2 * HOUR  # the bot was down for three Mondays
    async with serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as after:
        # Its watcher looks at start: the missed audit runs once, late.
        (card,) = await slack.wait_until(lambda: weekly_cards(slack)[:1])
        await after.runtime.weekly.idle()
        assert (
            ":alarm_clock: Late: it was due Monday 7 December 09:00, when the bot was not running."
        ) in card_text(card)
        assert card_text(card).startswith(
            ":stethoscope: *Weekly image health* of category 12 (with its subcategories)"
        )
        assert await after.runtime.weekly.run_due() == 0  # the missed weeks: not one by one
        clock.now = FIRST_RUN + 4 * WEEK + 60  # the next Monday runs on time
        assert await after.runtime.weekly.run_due() == 1
        await after.runtime.weekly.idle()
        cards = await slack.wait_until(
            lambda: (found := weekly_cards(slack)) and len(found) == 2 and found
        )
        assert "Late" not in card_text(cards[1])


async def test_where_the_bot_is_not_in_the_channel_the_audit_goes_to_the_person(
    settings: Settings, slack: FakeSlack
) -> None:
    clock = Clock(SUNDAY_NOON)
    async with serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as bot:
        await bot.command("audit every monday")
        said = await _said(slack, "Every Monday")
        assert "(America/Los_Angeles)" in said  # users.info's tz, as Slack's example gives it
        slack.not_member.add("C123")  # the bot was removed from the channel since
        clock.now = dt.datetime(2026, 12, 7, 17, 1, tzinfo=dt.UTC).timestamp()
        assert await bot.runtime.weekly.run_due() == 1
        await bot.runtime.weekly.idle()
        (card,) = await slack.wait_until(lambda: weekly_cards(slack)[:1])
        assert card.params["channel"] == "D123"  # the DM's own id, from the first answer
        posts = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "U123"]
        assert "The bot is not in that channel, so the audit came here" in posts[0].params["text"]


async def test_audit_stop_ends_it_and_the_app_home_lists_the_weekly_audits(
    settings: Settings, slack: FakeSlack
) -> None:
    clock = Clock(SUNDAY_NOON)
    async with serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as bot:
        await bot.command("audit every friday search:boots")
        await _said(slack, "Every Friday")
        await bot.event({"type": "app_home_opened", "user": "U123", "tab": "home"})
        (home,) = await slack.wait_for_call("views.publish")
        view = home.params["view"]
        shown = json.dumps(json.loads(view) if isinstance(view, str) else view)
        assert "Weekly audits" in shown
        assert "in <#C123>: every Friday at 09:00 America/Los_Angeles, for <@U123>" in shown
        await bot.command("audit stop")
        assert (
            await _said(slack, "stopped")
            == ":white_check_mark: 1 weekly audit in this channel stopped."
        )
        await bot.command("audit stop")
        assert "no weekly audit to stop" in await _said(slack, "no weekly audit")
        clock.now += 3 * WEEK
        assert await bot.runtime.weekly.run_due() == 0


async def test_without_users_read_the_weekly_audit_is_at_nine_utc_and_says_why(
    settings: Settings, slack: FakeSlack
) -> None:
    slack.scopes = "commands,chat:write,files:read,files:write"
    clock = Clock(SUNDAY_NOON)
    async with serving(settings, slack, wall_clock=clock, weekly_tick=QUIET) as bot:
        await bot.command("audit every monday")
        said = await _said(slack, "Every Monday")
        assert said.startswith(":calendar: Every Monday at 09:00 (UTC)")
        assert "the app needs the `users:read` scope" in said
