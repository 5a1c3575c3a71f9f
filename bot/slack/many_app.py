"""Many-stores mode's Bolt app (#38): authorized per workspace from the sealed installations
(Bolt's own OAuth flow, bot.slack.install), with bot.slack.listeners.connect's listeners (the
Home tab, connecting stores, the leaving events), then every image listener of single-store
mode, each request working on its workspace's store (bot.slack.middleware, bot.tenants); and
the routes its HTTP server adds: "Add to Slack" and "Connect your Ecwid store"."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.runtime import Runtime
from bot.slack import middleware, texts
from bot.slack.connect import connect_routes
from bot.slack.context import client_of
from bot.slack.install import install_routes
from bot.slack.listeners import connect, register_listeners
from bot.slack.onboarding import Onboarding

log = logging.getLogger(__name__)


def build_many_app(onboarding: Onboarding, runtime: Runtime) -> AsyncApp:
    app = AsyncApp(
        name="ecwid-image",
        client=runtime.slack,
        signing_secret=onboarding.settings.slack_signing_secret or "",
        oauth_flow=onboarding.install,
        # Given, so that Bolt never builds its own from SLACK_CLIENT_ID/SECRET (file-based).
        oauth_settings=onboarding.install.settings,
        # Said through response_url when the workspace's token is refused (Bolt's authorize).
        user_facing_authorize_error_message=texts.SLACK_REINSTALL,
    )

    @app.middleware
    async def provide_onboarding(
        context: AsyncBoltContext,
        body: dict[str, Any],
        ack: AsyncAck,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        connect.put_onboarding(context, onboarding)
        # A person of another workspace (Slack Connect) is refused: the bot works for the
        # workspace that installed it. Their workspace is named in an interaction's user.
        installed = context.authorize_result.team_id if context.authorize_result else None
        actor = (
            (body.get("user") or {}).get("team_id") if isinstance(body.get("user"), dict) else None
        )
        if installed and actor and actor != installed:
            log.warning("refused a person of workspace %s in workspace %s", actor, installed)
            return await ack(text=texts.FOREIGN_WORKSPACE, response_type="ephemeral")
        return await next()

    # The runtime's middleware: the request's store (its `store=ID`, else the workspace's
    # default; none linked is said), its bounded client, Slack's retries, access.
    middleware.register(app, runtime)
    connect.register(app)  # first: Bolt runs the first listener that fits
    register_listeners(app)

    @app.error  # after middleware.register's: this one answers in this mode
    async def unexpected_error(
        error: Exception, body: dict[str, Any], context: AsyncBoltContext
    ) -> None:
        # The body is never logged: it may name what a person typed.
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        await tell_failure(context, body)

    return app


async def tell_failure(context: AsyncBoltContext, body: dict[str, Any]) -> None:
    """A person whose request failed unexpectedly (the database away, most likely) is told, never
    left in silence: through the request's response_url where it has one (a command), else in
    their DM with the bot (a Home tab's press has no response_url)."""
    user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
    user = user or body.get("user_id")
    if not isinstance(user, str) or context.get(connect.ONBOARDING) is None:
        return  # an event, not a person's request; or refused before the listeners
    respond = context.respond if isinstance(body.get("response_url"), str) else None
    try:
        if respond is not None:
            await respond(response_type="ephemeral", text=texts.MANY_STORES_FAILED)
        else:
            await client_of(context).chat_postMessage(channel=user, text=texts.MANY_STORES_FAILED)
    except Exception as exc:  # Slack away too: the log has both
        log.warning("failure not told: %s", type(exc).__name__)


def many_routes(onboarding: Onboarding) -> list[web.RouteDef]:
    return [*install_routes(onboarding.install), *connect_routes(onboarding.connections)]
