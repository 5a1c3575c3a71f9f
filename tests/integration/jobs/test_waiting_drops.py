"""The drop zone's part of the job store, against real databases (a SQLite file, and the
session's PostgreSQL): two JobStore objects on one database stand for two bot processes."""

from __future__ import annotations

import asyncio
import time

from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.jobs.store import JobStore, WaitingDrop

CAFE = Tenant("T1CAFE", 1001)
AGENCY = Tenant("T2AGENCY", 2002)


def _drop(
    ts: str, thread_ts: str, due_at: float, *, checked: bool = True, tenant: Tenant = CAFE
) -> WaitingDrop:
    return WaitingDrop(
        key=tenant.key(f"C1:{ts}"),
        channel_id="C1",
        user_id="U1",
        thread_ts=thread_ts,
        ts=ts,
        files='[{"id": "F1", "name": "RS-1.jpg"}]',
        text="",
        received_at=time.time(),
        due_at=due_at,
        checked=checked,
        team_id=tenant.team_id,
        store_id=tenant.store_id,
    )


async def test_a_waiting_group_is_taken_by_one_process_only(database_url: str) -> None:
    url = sqlalchemy_url(database_url) or ""
    one, two = await JobStore.open(url), await JobStore.open(url)
    try:
        now = time.time()
        assert await one.keep_drop(["message:C1:1.1", "event:Ev1"], _drop("1.1", "1.1", now))
        assert await one.keep_drop(["message:C1:1.2", "event:Ev2"], _drop("1.2", "1.1", now))
        # The same event again, in the other process: nothing is kept twice.
        assert not await two.keep_drop(["message:C1:1.1", "event:Ev1"], _drop("1.1", "1.1", now))
        assert not await two.keep_drop(["event:Ev2"], _drop("1.9", "1.9", now))

        group = ("T1CAFE", "C1", "U1", "1.1")
        assert await two.open_drop_group("T1CAFE", "C1", "U1", now - 1) == (group, now)
        assert await two.open_drop_group("T1CAFE", "C1", "U1", now) is None  # window passed
        assert await two.due_drop_groups(now) == [group]
        taken = await asyncio.gather(*(s.take_drops(group) for s in (one, two)))
        assert sorted(len(t) for t in taken) == [0, 2]
        assert [d.ts for d in max(taken, key=len)] == ["1.1", "1.2"]
        assert await one.next_drop_due() is None
    finally:
        await one.close()
        await two.close()


async def test_a_held_group_is_postponed_whole(database_url: str) -> None:
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        now = time.time()
        await store.keep_drop(["message:C1:2.1"], _drop("2.1", "2.1", now, checked=False))
        await store.keep_drop(["message:C1:2.2"], _drop("2.2", "2.1", now))
        await store.postpone_drops(("T1CAFE", "C1", "U1", "2.1"), now + 30)
        assert await store.due_drop_groups(now + 1) == []
        assert await store.next_drop_due() == now + 30
        held = await store.waiting_group(("T1CAFE", "C1", "U1", "2.1"))
        assert [(d.ts, d.checked, d.due_at) for d in held] == [
            ("2.1", False, now + 30),
            ("2.2", True, now + 30),
        ]
    finally:
        await store.close()


async def test_a_message_in_a_channel_two_workspaces_share_is_a_drop_in_each(
    database_url: str,
) -> None:
    """Slack Connect: one channel, one message (the same channel id and ts), delivered to two
    workspaces that both installed the bot. Each workspace's drop is its own: kept once each,
    grouped and taken apart, for its own store."""
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        now = time.time()
        for tenant in (CAFE, AGENCY):
            keys = [tenant.key("message:C1:3.1")]
            assert await store.keep_drop(keys, _drop("3.1", "3.1", now, tenant=tenant))
            assert not await store.keep_drop(keys, _drop("3.1", "3.1", now, tenant=tenant))
        assert await store.open_drop_group("T2AGENCY", "C1", "U1", now - 1) == (
            ("T2AGENCY", "C1", "U1", "3.1"),
            now,
        )
        groups = await store.due_drop_groups(now)
        assert sorted(groups) == [("T1CAFE", "C1", "U1", "3.1"), ("T2AGENCY", "C1", "U1", "3.1")]
        taken = await store.take_drops(("T2AGENCY", "C1", "U1", "3.1"))
        assert [d.tenant for d in taken] == [AGENCY]
        assert [d.tenant for d in await store.waiting_group(groups[0])] == [CAFE]
    finally:
        await store.close()
