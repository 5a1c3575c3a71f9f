"""\"Add to Slack\" (#38): Bolt's own OAuth flow (`AsyncOAuthFlow`) on the bot's database, its
installations sealed (bot.slack.installations) and its states in `slack_oauth_states` (both
from the bot's migrations), bot-only, served as `GET /slack/install` and
`GET /slack/oauth_redirect` through Bolt's aiohttp adapter, in many-stores mode
(bot.slack.onboarding)."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.slack.installations import SealedInstallationStore

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
STATE_SECONDS = 600  # an install link's state, kept in the database, lives 10 minutes
# The bot scopes manifest.yml asks for, asked for again by the install link.
BOT_SCOPES = (
    "commands",
    "chat:write",
    "usergroups:read",
    "files:read",
    "files:write",
    "users:read",
    "channels:history",
    "groups:history",
)


def install_flow(
    *,
    client_id: str,
    client_secret: str,
    public_url: str,
    engine: AsyncEngine,
    installations: SealedInstallationStore,
    client: AsyncWebClient,
) -> AsyncOAuthFlow:
    """The flow, its redirect URI under PUBLIC_URL (as registered with the Slack app), its
    installations sealed, its states in the bot's database (`engine`)."""
    settings = AsyncOAuthSettings(
        client_id=client_id,
        client_secret=client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=public_url.rstrip("/") + REDIRECT_PATH,
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        installation_store=installations,
        installation_store_bot_only=True,
        state_store=AsyncSQLAlchemyOAuthStateStore(expiration_seconds=STATE_SECONDS, engine=engine),
        state_expiration_seconds=STATE_SECONDS,
    )
    return AsyncOAuthFlow(client=client, settings=settings)


def install_routes(flow: AsyncOAuthFlow) -> list[web.RouteDef]:
    """`GET /slack/install` (the page with the link, and the state's cookie) and
    `GET /slack/oauth_redirect` (the state checked against its cookie and the database, once;
    the code exchanged; the installation stored)."""

    async def install(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def redirect(request: web.Request) -> web.StreamResponse:
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    return [web.get(INSTALL_PATH, install), web.get(REDIRECT_PATH, redirect)]
