"""The bulk job's lease on its own, with an injected clock, on a SQLite job store."""

from __future__ import annotations

import asyncio
import contextlib
import time
from pathlib import Path

from bot.domain.tenant import Tenant
from bot.flows.bulk_lease import Lease
from bot.jobs.store import Job, JobState, JobStore

SHOP = Tenant("", 1001)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_lease_begins_lines_only_while_a_third_is_surely_left(tmp_path: Path) -> None:
    jobs = await JobStore.open(f"sqlite+aiosqlite:///{tmp_path}/jobs.sqlite3")
    try:
        job = Job("j1", "U1", "C1", None, "lines", JobState.PLANNED, time.time(), "", 1001)
        await jobs.create(job)
        assert await jobs.start(SHOP, "j1", "U1", "me", 30)
        clock = Clock()
        lease = Lease(jobs, "j1", "me", 30, clock=clock)
        assert lease.surely_held() and not lease.due()
        clock.now += 10  # a third of the lease has gone: time to renew
        assert lease.due() and lease.surely_held()
        clock.now += 10.5  # less than a third is left: no new line begins
        assert not lease.surely_held()
        renewed = await lease.renew()
        assert renewed is not None and lease.surely_held()
        assert await jobs.claim("j1", "someone else", 30) is False  # ours, and not run out
        await jobs.release("j1", "me")
        assert await jobs.claim("j1", "someone else", 30)
        assert await lease.renew() is None  # another process holds it now
        assert lease.lost.is_set() and not lease.surely_held()
    finally:
        await jobs.close()


async def test_the_lease_sees_a_stop_pressed_elsewhere(tmp_path: Path) -> None:
    jobs = await JobStore.open(f"sqlite+aiosqlite:///{tmp_path}/jobs.sqlite3")
    try:
        await jobs.create(
            Job("j2", "U1", "C1", None, "lines", JobState.PLANNED, time.time(), "", 1001)
        )
        await jobs.start(SHOP, "j2", "U1", "me", 30)
        lease = Lease(jobs, "j2", "me", 6)  # polls every second
        keeping = asyncio.create_task(lease.keep())
        assert await jobs.request_stop(SHOP, "j2", "U2")
        await asyncio.wait_for(lease.stopping.wait(), 5)
        keeping.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await keeping
    finally:
        await jobs.close()
