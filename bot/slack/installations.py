"""Slack installations at rest (#38): slack-sdk's `AsyncSQLAlchemyInstallationStore` on the
bot's database (its tables from the bot's migrations, 0012), wrapped by composition so that
every token and the incoming webhook's URL are sealed (bot.tokens) on the way in and opened on
the way out, each bound to its workspace. Not a subclass: the SDK's store looks a bot up through
its own `async_find_bot` inside `async_find_installation`, and a subclass would open that token
twice."""

from __future__ import annotations

import copy
from collections.abc import Callable
from logging import Logger
from typing import TypeVar

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import MetaData, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.jobs.schema import ecwid_stores
from bot.tokens import TokenKeys

# What an installation holds that opens a workspace: sealed, each bound to the workspace.
INSTALLATION_SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "user_refresh_token",
    "incoming_webhook_url",
)
BOT_SECRETS = ("bot_token", "bot_refresh_token")
_Held = TypeVar("_Held", Installation, Bot)
INSTALLATIONS = "slack_installations"  # slack-sdk's table names, as migration 0012 makes them
BOTS = "slack_bots"


class SealedInstallationStore(AsyncInstallationStore):
    def __init__(self, inner: AsyncInstallationStore, keys: TokenKeys) -> None:
        self._inner = inner
        self._keys = keys

    @property
    def logger(self) -> Logger:
        return self._inner.logger

    async def async_save(self, installation: Installation) -> None:
        await self._inner.async_save(self._sealed(installation, INSTALLATION_SECRETS))

    async def async_save_bot(self, bot: Bot) -> None:
        await self._inner.async_save_bot(self._sealed(bot, BOT_SECRETS))

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        bot = await self._inner.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(bot, BOT_SECRETS) if bot is not None else None

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        found = await self._inner.async_find_installation(
            enterprise_id=enterprise_id,
            team_id=team_id,
            user_id=user_id,
            is_enterprise_install=is_enterprise_install,
        )
        return self._opened(found, INSTALLATION_SECRETS) if found is not None else None

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await self._inner.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        await self._inner.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )

    def _sealed(self, found: _Held, fields: tuple[str, ...]) -> _Held:
        return _each(found, fields, lambda owner, value: self._keys.seal("team", owner, value))

    def _opened(self, found: _Held, fields: tuple[str, ...]) -> _Held:
        return _each(found, fields, lambda owner, value: self._keys.open("team", owner, value))


def _each(found: _Held, fields: tuple[str, ...], change: Callable[[str, str], str]) -> _Held:
    """A copy of `found` with each secret field changed (sealed or opened) for its workspace."""
    changed = copy.copy(found)
    owner = _owner(found)
    for name in fields:
        value = getattr(found, name, None)
        if isinstance(value, str) and value:
            setattr(changed, name, change(owner, value))
    return changed


def _owner(found: Installation | Bot) -> str:
    """The workspace a token opens (an org's id for an org-wide install, out of scope)."""
    return str(found.team_id or found.enterprise_id or "")


async def reseal_all(engine: AsyncEngine, keys: TokenKeys) -> int:
    """Every sealed token, the Slack installations' and bots' and the Ecwid stores', sealed
    again under the first key of TOKEN_KEYS (after `TOKEN_KEYS=new,old`), in one transaction:
    how many. SealedTokenError, and nothing changed, when one does not open under any key."""
    metadata = MetaData()
    installations = AsyncSQLAlchemyInstallationStore.build_installations_table(
        metadata, INSTALLATIONS
    )
    bots = AsyncSQLAlchemyInstallationStore.build_bots_table(metadata, BOTS)
    tables = (
        (installations, installations.c.id, INSTALLATION_SECRETS),
        (bots, bots.c.id, BOT_SECRETS),
        (ecwid_stores, ecwid_stores.c.store_id, ("token",)),
    )
    resealed = 0
    async with engine.begin() as connection:
        for table, key, fields in tables:
            columns = [table.c[name] for name in fields]
            rows = await connection.execute(select(key, *columns))
            for row in rows.all():
                values = {
                    name: keys.reseal(value)
                    for name, value in zip(fields, row[1:], strict=True)
                    if isinstance(value, str) and value
                }
                if values:
                    await connection.execute(update(table).where(key == row[0]).values(**values))
                    resealed += len(values)
    return resealed
