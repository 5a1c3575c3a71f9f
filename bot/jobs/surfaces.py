"""Which store each of the bot's messages and forms was made for (#38, many-stores mode): a
button pressed on a message, or a form submitted, acts on that store, whichever store is the
workspace's default by then, and whichever store a `store=ID` named. A surface is a message
(`m:CHANNEL:TS`, ephemeral ones too) or a modal (`v:VIEW_ID`, the same through views.update)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from bot.jobs.schema import bot_surfaces

if TYPE_CHECKING:
    from bot.jobs.store import JobStore

# How long a message's store is remembered: its buttons then act on the workspace's default store.
SURFACE_DAYS = 180
PRUNE_EVERY = 500  # surfaces made by a process between two prunes (the first prunes too)
MAX_SURFACE = 120  # characters: `m:` + a channel id + `:` + a message ts, or `v:` + a view id


def message_surface(channel_id: str, ts: str) -> str:
    return f"m:{channel_id}:{ts}"[:MAX_SURFACE]


def view_surface(view_id: str) -> str:
    return f"v:{view_id}"[:MAX_SURFACE]


class Surfaces:
    def __init__(self, store: JobStore) -> None:
        self._store = store
        self._made = 0

    async def made(self, team_id: str, surface: str, store_id: int, now: float) -> None:
        """The surface was made for the store; every PRUNE_EVERY surfaces, those past
        SURFACE_DAYS are forgotten."""
        statements = [
            self._store.upsert(
                bot_surfaces,
                ("team_id", "surface"),
                team_id=team_id,
                surface=surface,
                store_id=store_id,
                made_at=now,
            )
        ]
        self._made += 1
        if self._made % PRUNE_EVERY == 1:
            cutoff = now - SURFACE_DAYS * 86400
            statements.append(delete(bot_surfaces).where(bot_surfaces.c.made_at < cutoff))
        await self._store.write(*statements)

    async def store_of(self, team_id: str, surface: str) -> int | None:
        query = select(bot_surfaces.c.store_id).where(
            bot_surfaces.c.team_id == team_id, bot_surfaces.c.surface == surface
        )
        async with self._store.connect() as connection:
            found = (await connection.execute(query)).scalar()
        return int(found) if found is not None else None
