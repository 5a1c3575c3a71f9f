"""Each workspace's settings and each store's naming rules (#38, many-stores mode), as rows of
the job store's database: read on every request that needs them, so that a change made in one
process holds in every process at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from bot.domain.settings import AccessLists, Naming, WorkspaceSettings
from bot.domain.tenant import Tenant
from bot.jobs.schema import store_naming, workspace_settings

if TYPE_CHECKING:
    from bot.jobs.store import JobStore


def _ids(text: str | None) -> frozenset[str]:
    return frozenset((text or "").split())


def _text(ids: frozenset[str]) -> str:
    return " ".join(sorted(ids))


def _views(text: str) -> tuple[str, ...]:
    return tuple(v for v in text.split(",") if v)


class SettingsStore:
    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def workspace(self, team_id: str) -> WorkspaceSettings:
        """The workspace's settings; the defaults (no lists, the deployment's naming) until
        someone saves them."""
        query = select(workspace_settings).where(workspace_settings.c.team_id == team_id)
        async with self._store.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return WorkspaceSettings()
        naming = (
            Naming(row.filename_pattern or "", _views(row.filename_views))
            if row.filename_views
            else None
        )
        return WorkspaceSettings(
            access=AccessLists(
                users=_ids(row.allowed_users),
                usergroups=_ids(row.allowed_usergroups),
                channels=_ids(row.allowed_channels),
            ),
            watch_channels=_ids(row.watch_channels),
            naming=naming,
        )

    async def save_workspace(
        self, team_id: str, settings: WorkspaceSettings, by: str, now: float
    ) -> None:
        naming = settings.naming
        await self._store.write(
            self._store.upsert(
                workspace_settings,
                "team_id",
                team_id=team_id,
                allowed_users=_text(settings.access.users),
                allowed_usergroups=_text(settings.access.usergroups),
                allowed_channels=_text(settings.access.channels),
                watch_channels=_text(settings.watch_channels),
                filename_pattern=naming.pattern if naming else None,
                filename_views=",".join(naming.views) if naming else None,
                changed_by=by,
                changed_at=now,
            )
        )

    async def store_naming(self, tenant: Tenant) -> Naming | None:
        """The store's own naming rules in the workspace; None: the workspace's default."""
        query = select(store_naming).where(
            store_naming.c.team_id == tenant.team_id, store_naming.c.store_id == tenant.store_id
        )
        async with self._store.connect() as connection:
            row = (await connection.execute(query)).first()
        return Naming(row.filename_pattern, _views(row.filename_views)) if row else None

    async def store_namings(self, team_id: str) -> dict[int, Naming]:
        """Every store's own naming rules in the workspace (for its Home)."""
        query = select(store_naming).where(store_naming.c.team_id == team_id)
        async with self._store.connect() as connection:
            rows = list(await connection.execute(query))
        return {
            int(row.store_id): Naming(row.filename_pattern, _views(row.filename_views))
            for row in rows
        }

    async def save_store_naming(
        self, tenant: Tenant, naming: Naming | None, by: str, now: float
    ) -> None:
        """`naming` None: the store follows the workspace's default again."""
        if naming is None:
            await self._store.write(
                delete(store_naming).where(
                    store_naming.c.team_id == tenant.team_id,
                    store_naming.c.store_id == tenant.store_id,
                )
            )
            return
        await self._store.write(
            self._store.upsert(
                store_naming,
                ("team_id", "store_id"),
                team_id=tenant.team_id,
                store_id=tenant.store_id,
                filename_pattern=naming.pattern,
                filename_views=",".join(naming.views),
                changed_by=by,
                changed_at=now,
            )
        )
