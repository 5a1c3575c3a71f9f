"""Slack installations at rest (#38, bot.slack.installations), on SQLite and PostgreSQL: the
tables come from the bot's own migrations; after two workspaces install, no table of the
database holds any of their tokens (or their webhook's URL) in plain text, each workspace's are
read back as they were, and a token moved onto the other workspace's row does not open."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from slack_sdk.oauth.installation_store.models.installation import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import MetaData, select, update

from bot.config import database_url as sqlalchemy_url
from bot.jobs.connections import Connections
from bot.jobs.store import JobStore
from bot.slack.installations import SealedInstallationStore
from bot.tokens import SealedTokenError, TokenKeys
from tests.processes import start_bot

KEY = "nmz6u6mPD3LjSTfXAUOQBy1lJ9uJD2AP7i1ULRNNUXY="
NEW_KEY = "C2dbK0QzD3mYyq3l8XfG3bJ1d8g0KpJk6oBzQ4s1rTw="
OTHER_KEY = "0gqP8bY7gRZ0kU0bN7rk8xvN3L4wQm2o8Ck7xW1Yy7E="
CLIENT_ID = "1234.5678"


def _installation(team: str) -> Installation:
    return Installation(
        app_id="A0APP",
        team_id=team,
        team_name=f"Shop {team}",
        bot_token=f"xoxb-{team}-1111-{team}bottokenvalue",
        bot_id=f"B{team}",
        bot_user_id=f"U{team}BOT",
        bot_scopes="commands,chat:write",
        bot_refresh_token=f"xoxe-1-{team}refreshvalue",
        bot_token_expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
        user_id=f"U{team}OWNER",
        user_token=f"xoxp-{team}-2222-{team}usertokenvalue",
        incoming_webhook_url=f"https://hooks.slack.com/services/{team}/B1/secretpath{team}",
        installed_at=dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC).timestamp(),
    )


STORES = (1003, 2004)


def _store_token(store_id: int) -> str:
    return f"secret_{store_id}storetokenvalue"


SECRETS = (
    "bot_token",
    "bot_refresh_token",
    "user_token",
    "incoming_webhook_url",
)


async def _every_value(store: JobStore) -> str:
    """Every value of every table of the database, as text."""
    metadata = MetaData()
    async with store.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        found = []
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                found.extend(str(value) for value in row)
    return "\n".join(found)


async def test_two_workspaces_tokens_are_sealed_at_rest_and_read_back_for_their_own_row(
    database_url: str,
) -> None:
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        inner = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=store.engine)
        installations = SealedInstallationStore(inner, TokenKeys.parse(KEY))
        one, two = _installation("T1"), _installation("T2")
        await installations.async_save(one)
        await installations.async_save(two)

        dumped = await _every_value(store)
        for installed in (one, two):
            for name in SECRETS:
                secret = getattr(installed, name)
                assert secret and secret not in dumped, name
        assert "T1" in dumped and "Shop T2" in dumped  # the rows are there, only sealed

        bot = await installations.async_find_bot(enterprise_id=None, team_id="T1")
        assert bot is not None and bot.bot_token == one.bot_token
        assert bot.bot_refresh_token == one.bot_refresh_token
        found = await installations.async_find_installation(enterprise_id=None, team_id="T2")
        assert found is not None
        assert (found.bot_token, found.user_token, found.incoming_webhook_url) == (
            two.bot_token,
            two.user_token,
            two.incoming_webhook_url,
        )

        # T2's sealed bot token copied onto T1's row: it is not T1's, and never used as one.
        async with store.engine.begin() as connection:
            sealed = (
                await connection.execute(
                    select(inner.bots.c.bot_token).where(inner.bots.c.team_id == "T2")
                )
            ).scalar_one()
            await connection.execute(
                update(inner.bots).where(inner.bots.c.team_id == "T1").values(bot_token=sealed)
            )
        with pytest.raises(SealedTokenError, match="another row"):
            await installations.async_find_bot(enterprise_id=None, team_id="T1")

        await installations.async_delete_all(enterprise_id=None, team_id="T2")
        assert await installations.async_find_bot(enterprise_id=None, team_id="T2") is None
    finally:
        await store.close()


async def test_rotate_keys_seals_every_token_again_under_the_new_key(
    database_url: str, tmp_path: Path
) -> None:
    """`python -m bot rotate-keys` with TOKEN_KEYS=new,old; then the old key can go."""
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        inner = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=store.engine)
        await SealedInstallationStore(inner, TokenKeys.parse(KEY)).async_save(_installation("T1"))
        await SealedInstallationStore(inner, TokenKeys.parse(KEY)).async_save(_installation("T2"))
        for store_id in STORES:  # two Ecwid stores connected (bot.jobs.connections)
            sealed = TokenKeys.parse(KEY).seal("store", str(store_id), _store_token(store_id))
            await Connections(store).keep_store(store_id, sealed, 1.0)
    finally:
        await store.close()

    async def rotate(keys: str) -> tuple[int, str, str]:
        env = {"DATABASE_URL": database_url, "TOKEN_KEYS": keys}
        process = await start_bot(env, tmp_path, "rotate-keys", split_stderr=True)
        out, err = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode(), err.decode()

    status, _, said = await rotate(OTHER_KEY)  # the old key left out too soon
    assert status == 1
    assert said.startswith("Nothing was changed: A stored token does not open under TOKEN_KEYS")
    status, said, _ = await rotate(f"{NEW_KEY},{KEY}")
    assert (status, said) == (
        0,
        "Sealed 14 stored token(s) again under the first key of TOKEN_KEYS.\n",
    )
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        inner = AsyncSQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=store.engine)
        only_new = SealedInstallationStore(inner, TokenKeys.parse(NEW_KEY))
        for team in ("T1", "T2"):
            found = await only_new.async_find_installation(enterprise_id=None, team_id=team)
            assert found is not None and found.user_token == _installation(team).user_token
        for store_id in STORES:
            sealed = await Connections(store).sealed_token(store_id)
            assert sealed is not None
            opened = TokenKeys.parse(NEW_KEY).open("store", str(store_id), sealed)
            assert opened == _store_token(store_id)
    finally:
        await store.close()
