"""Weekly audits' rows (bot.jobs.schedules), on SQLite and PostgreSQL: a run is claimed by one
process only, even from the same stale read, and a scope has one weekly audit a channel."""

from __future__ import annotations

import asyncio

from bot.config import database_url as sqlalchemy_url
from bot.domain.audit import Scope
from bot.domain.tenant import Tenant
from bot.jobs.schedules import Schedules
from bot.jobs.store import JobStore

DUE = 1_765_000_000.0


SHOP = Tenant("T1SHOP", 1)
AGENCY_AT_SHOP = Tenant("T2AGENCY", 1)  # the same store, linked from another workspace


async def _store(database_url: str) -> tuple[JobStore, Schedules]:
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    return store, Schedules(store)


async def test_two_processes_claiming_the_same_run_from_one_read_get_it_once(
    database_url: str,
) -> None:
    store, schedules = await _store(database_url)
    try:
        await schedules.add(
            tenant=SHOP,
            channel_id="C1",
            user_id="U1",
            scope=Scope(),
            weekday=0,
            zone="UTC",
            next_at=DUE,
            now=DUE - 100,
        )
        (seen,) = await schedules.due(DUE + 1)
        # Both read the row before either claimed it; both try, at once and one after the other.
        won = await asyncio.gather(
            schedules.claim(seen, DUE + 7 * 86400, DUE + 1),
            schedules.claim(seen, DUE + 7 * 86400, DUE + 2),
        )
        assert sorted(won) == [False, True]
        assert await schedules.claim(seen, DUE + 7 * 86400, DUE + 3) is False
        assert await schedules.due(DUE + 1) == []
    finally:
        await store.close()


async def test_a_scope_has_one_weekly_audit_a_channel_and_stop_ends_only_what_it_names(
    database_url: str,
) -> None:
    store, schedules = await _store(database_url)
    try:

        async def add(channel: str, scope: Scope, weekday: int, tenant: Tenant = SHOP) -> bool:
            return await schedules.add(
                tenant=tenant,
                channel_id=channel,
                user_id="U1",
                scope=scope,
                weekday=weekday,
                zone="Europe/Amsterdam",
                next_at=DUE + weekday,
                now=DUE,
            )

        assert await add("C1", Scope(), 0) is False
        assert await add("C1", Scope(), 4) is True  # asked again: its day changes
        assert await add("C1", Scope(category=12), 0) is False
        assert await add("C2", Scope(), 0) is False
        # Another workspace with the same store linked: its own weekly audit of the same scope
        # in the same (Slack Connect) channel, listed and stopped apart.
        assert await add("C1", Scope(), 2, tenant=AGENCY_AT_SHOP) is False
        listed = [(s.channel_id, s.scope, s.weekday) for s in await schedules.listed(SHOP)]
        assert sorted(listed, key=str) == sorted(
            [("C1", Scope(), 4), ("C1", Scope(category=12), 0), ("C2", Scope(), 0)], key=str
        )
        assert await schedules.stop(SHOP, "C1", Scope(category=12)) == 1
        assert await schedules.stop(SHOP, "C1", None) == 1
        assert [s.channel_id for s in await schedules.listed(SHOP)] == ["C2"]
        (theirs,) = await schedules.listed(AGENCY_AT_SHOP)
        assert (theirs.tenant, theirs.channel_id, theirs.weekday) == (AGENCY_AT_SHOP, "C1", 2)
    finally:
        await store.close()
