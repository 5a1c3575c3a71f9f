"""The audits' numbers (#37), on the job store's database: the last of a scope is what the
next audit of that scope compares with."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import desc, select

from bot.domain.tenant import Tenant
from bot.jobs.schema import audits

if TYPE_CHECKING:
    from bot.jobs.store import JobStore


class Audits:
    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def last(self, tenant: Tenant, scope: str) -> str | None:
        """The numbers of the tenant's latest audit of the scope, if any."""
        query = (
            select(audits.c.numbers)
            .where(
                audits.c.team_id == tenant.team_id,
                audits.c.store_id == tenant.store_id,
                audits.c.scope == scope,
            )
            .order_by(desc(audits.c.at))
            .limit(1)
        )
        async with self._store.connect() as connection:
            row = (await connection.execute(query)).first()
        return str(row.numbers) if row is not None else None

    async def add(
        self, tenant: Tenant, scope: str, user_id: str, channel_id: str, numbers: str
    ) -> None:
        row = {
            "id": uuid.uuid4().hex,
            "team_id": tenant.team_id,
            "store_id": tenant.store_id,
            "scope": scope[:200],
            "user_id": user_id,
            "channel_id": channel_id,
            "at": self._store.clock(),
            "numbers": numbers,
        }
        await self._store.write(audits.insert().values(**row))
