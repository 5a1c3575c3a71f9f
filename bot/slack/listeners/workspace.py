"""The workspace leaving, in one-store mode (`app_uninstalled`, `tokens_revoked`): the bot token
no longer works, so there is no one to tell in Slack; the log says why every call now fails.
(Many-stores mode deletes the workspace's installation and links: bot.slack.listeners.connect.)"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

log = logging.getLogger(__name__)


async def uninstalled(context: AsyncBoltContext) -> None:
    log.error(
        "the app was removed from workspace %s: SLACK_BOT_TOKEN no longer works; install the "
        "app again and set its new token",
        context.team_id,
    )


async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if (event.get("tokens") or {}).get("bot"):
        log.error(
            "the bot token of workspace %s was revoked: SLACK_BOT_TOKEN no longer works; "
            "reinstall the app and set its new token",
            context.team_id,
        )


def register(app: AsyncApp) -> None:
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
