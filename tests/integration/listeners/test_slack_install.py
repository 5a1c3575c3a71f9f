"""\"Add to Slack\" (#38, bot.slack.install): Bolt's OAuth flow on the bot's database, against a
loopback oauth.v2.access (its documented answer). The state's cookie is passed explicitly, as a
browser would; a replayed callback, or one without the cookie, installs nothing."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import database_url as sqlalchemy_url
from bot.jobs.store import JobStore
from bot.slack.install import install_flow, install_routes
from bot.slack.installations import SealedInstallationStore
from bot.tokens import TokenKeys
from tests.fakes.slack_api import FakeSlack
from tests.integration.jobs.test_slack_installations import KEY, _every_value

COOKIE = "slack-app-oauth-state"


def installed(store: JobStore) -> SealedInstallationStore:
    inner = AsyncSQLAlchemyInstallationStore(client_id="1234.5678", engine=store.engine)
    return SealedInstallationStore(inner, TokenKeys.parse(KEY))


@pytest.fixture
async def installing(
    slack: FakeSlack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[str, JobStore]]:
    """The install routes served on loopback, on a fresh database: their base URL."""
    url = f"sqlite:///{tmp_path_factory.mktemp('install')}/jobs.sqlite3"
    store = await JobStore.open(sqlalchemy_url(url) or "")
    flow = install_flow(
        client_id=slack.oauth_client[0],
        client_secret=slack.oauth_client[1],
        public_url="https://bot.example.com",
        engine=store.engine,
        installations=SealedInstallationStore(
            AsyncSQLAlchemyInstallationStore(client_id=slack.oauth_client[0], engine=store.engine),
            TokenKeys.parse(KEY),
        ),
        client=AsyncWebClient(base_url=slack.api_url),
    )
    app = web.Application()
    app.add_routes(install_routes(flow))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", store
    finally:
        await runner.cleanup()
        await store.close()


async def test_a_workspace_installs_once_per_state_and_its_token_is_sealed(
    slack: FakeSlack, installing: tuple[str, JobStore]
) -> None:
    base, store = installing
    slack.oauth_codes["code-1"] = ("T9TK3CUKW", "Slack Softball Team")
    async with httpx.AsyncClient(base_url=base) as client:
        page = await client.get("/slack/install")
        assert page.status_code == 200
        state = page.cookies[COOKIE]
        (link,) = re.findall(r'href="(https://slack.com/oauth/v2/authorize\?[^"]+)"', page.text)
        assert f"state={state}" in link and "client_id=1234.5678" in link
        assert "redirect_uri=https://bot.example.com/slack/oauth_redirect" in link
        assert "scope=commands,chat:write" in link and "users:read" in link

        # Without the state's cookie (a link passed to someone else): nothing is installed.
        refused = await client.get(
            "/slack/oauth_redirect", params={"code": "code-1", "state": state}, cookies={}
        )
        assert refused.status_code == 400
        assert not slack.calls_to("oauth.v2.access")

        done = await client.get(
            "/slack/oauth_redirect",
            params={"code": "code-1", "state": state},
            cookies={COOKIE: state},
        )
        assert done.status_code == 200
        (exchange,) = slack.calls_to("oauth.v2.access")
        assert exchange.params["code"] == "code-1"
        token = "xoxb-T9TK3CUKW-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"
        assert token not in await _every_value(store)

        # The same callback again: its state was used up; the code is not exchanged twice.
        again = await client.get(
            "/slack/oauth_redirect",
            params={"code": "code-1", "state": state},
            cookies={COOKIE: state},
        )
        assert again.status_code == 401  # Bolt's answer to a state it does not know
        assert len(slack.calls_to("oauth.v2.access")) == 1
    # The workspace is installed: its token read back through the sealed store.
    bot = await installed(store).async_find_bot(enterprise_id=None, team_id="T9TK3CUKW")
    assert bot is not None and bot.bot_token == token and bot.bot_id == "BBOT"
