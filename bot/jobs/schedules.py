"""Weekly audits (#37), as rows of the job store's database. Each run is claimed with one
conditional UPDATE (the row's `next_at` moved on only if it is still the one read), the job
store's one lock concept: with several processes, exactly one runs each week's audit."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from bot.domain.audit import Scope
from bot.domain.schedule import WeeklyAudit
from bot.domain.tenant import Tenant
from bot.jobs.schema import audit_schedules

if TYPE_CHECKING:
    from bot.jobs.store import JobStore

MAX_LISTED = 50  # a store's weekly audits, as the App Home lists them


class Schedules:
    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def add(
        self,
        *,
        tenant: Tenant,
        channel_id: str,
        user_id: str,
        scope: Scope,
        weekday: int,
        zone: str,
        next_at: float,
        now: float,
    ) -> bool:
        """The scope's weekly audit in the channel, from now on this one; whether it replaced
        one (a scope has one weekly audit a channel: asked again, its day and zone change)."""
        key = scope.key
        same = (
            _of_tenant(tenant)
            & (audit_schedules.c.channel_id == channel_id)
            & (audit_schedules.c.scope == key)
        )
        row = {
            "id": uuid.uuid4().hex,
            "team_id": tenant.team_id,
            "store_id": tenant.store_id,
            "channel_id": channel_id,
            "user_id": user_id,
            "scope": key,
            "category": scope.category,
            "search": scope.search,
            "weekday": weekday,
            "zone": zone,
            "next_at": next_at,
            "created_at": now,
        }
        removed, _ = await self._store.write(
            delete(audit_schedules).where(same), audit_schedules.insert().values(**row)
        )
        return removed > 0

    async def stop(self, tenant: Tenant, channel_id: str, scope: Scope | None) -> int:
        """The tenant's weekly audits in the channel ended (only the scope's, when given): how
        many."""
        where = _of_tenant(tenant) & (audit_schedules.c.channel_id == channel_id)
        if scope is not None:
            where &= audit_schedules.c.scope == scope.key
        (removed,) = await self._store.write(delete(audit_schedules).where(where))
        return removed

    async def listed(self, tenant: Tenant) -> list[WeeklyAudit]:
        """The tenant's weekly audits, soonest first (at most MAX_LISTED), as the App Home lists
        them."""
        query = (
            select(audit_schedules)
            .where(_of_tenant(tenant))
            .order_by(audit_schedules.c.next_at)
            .limit(MAX_LISTED)
        )
        async with self._store.connect() as connection:
            return [_schedule(row) for row in await connection.execute(query)]

    async def due(self, now: float, limit: int = 20) -> list[WeeklyAudit]:
        query = (
            select(audit_schedules)
            .where(audit_schedules.c.next_at <= now)
            .order_by(audit_schedules.c.next_at)
            .limit(limit)
        )
        async with self._store.connect() as connection:
            return [_schedule(row) for row in await connection.execute(query)]

    async def claim(self, schedule: WeeklyAudit, next_at: float, now: float) -> bool:
        """This week's run taken by this process: the row moved on to `next_at`, only if no
        other process moved it since it was read. Whether this process won it."""
        (changed,) = await self._store.write(
            update(audit_schedules)
            .where(
                audit_schedules.c.id == schedule.id,
                audit_schedules.c.next_at == schedule.next_at,
            )
            .values(next_at=next_at, last_at=now)
        )
        return changed == 1


def _of_tenant(tenant: Tenant) -> Any:
    return (audit_schedules.c.team_id == tenant.team_id) & (
        audit_schedules.c.store_id == tenant.store_id
    )


def _schedule(row: Any) -> WeeklyAudit:
    return WeeklyAudit(
        team_id=str(row.team_id),
        id=str(row.id),
        store_id=int(row.store_id),
        channel_id=str(row.channel_id),
        user_id=str(row.user_id),
        scope=Scope(category=row.category, search=row.search),
        weekday=int(row.weekday),
        zone=str(row.zone),
        next_at=float(row.next_at),
        last_at=float(row.last_at) if row.last_at is not None else None,
    )
