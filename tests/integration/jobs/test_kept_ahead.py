"""Copies kept ahead of their line (the square fix: bot.jobs.history.History.keep_ahead), on
SQLite and PostgreSQL: held to HISTORY_MAX_MB with every other copy, never dropped to make room
while their line may still end, counted once when the line's outcome is written, and aged out
when it never is."""

from __future__ import annotations

from bot.changes.records import history_entry, line_change_id
from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.jobs.history import Action, History, KeepLimit
from bot.jobs.store import JobStore, Outcome

DAY = 86_400.0
SHOP = Tenant("", 7001)


class Clock:
    def __init__(self) -> None:
        self.now = 1_765_000_000.0

    def __call__(self) -> float:
        return self.now


async def test_a_copy_kept_ahead_holds_its_room_and_ages_out_if_its_line_never_ends(
    database_url: str,
) -> None:
    clock = Clock()
    store = await JobStore.open(sqlalchemy_url(database_url) or "", clock=clock)
    history = History(store, SHOP)
    keep = KeepLimit(max_bytes=1000, note="no copy")
    try:
        ahead = line_change_id("job-1", 1)
        assert await history.keep_ahead(ahead, b"a" * 600, keep)
        assert await history.keep_ahead(ahead, b"a" * 600, keep)  # again: there already
        # A second job's copy does not fit beside it, and may not push it out.
        assert not await history.keep_ahead(line_change_id("job-2", 1), b"b" * 600, keep)
        assert await history.kept_bytes() == 600
        # Its line ends: the outcome's write finds the copy there and counts it once.
        entry = history_entry(
            tenant=SHOP,
            user_id="U1",
            product_id=1,
            slot="main",
            action=Action.REPLACED,
            change_id=ahead,
        )
        await store.record("job-1", [Outcome(1, "done", change=entry, kept=b"a" * 600)], keep)
        assert await history.kept_bytes() == 600
        assert await history.kept_copy(ahead) == b"a" * 600
        # A line that never ends (a job given up mid-line) leaves a copy of no change: kept
        # while it may still end, dropped once past HISTORY_DAYS.
        stray = line_change_id("job-3", 7)
        assert await history.keep_ahead(stray, b"c" * 300, keep)
        await history.prune(30 * DAY, 1000)
        assert await history.kept_copy(stray) == b"c" * 300
        clock.now += 31 * DAY
        await history.prune(30 * DAY, 1000)
        assert await history.kept_copy(stray) is None
    finally:
        await store.close()
