"""Unexpected errors in any listener, and Slack's retries: logged and answered, never silent."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot import messages
from bot.notify import Requester
from bot.runtime import Runtime
from bot.server import VERIFIED

log = logging.getLogger(__name__)


def requester_of(body: dict[str, Any]) -> Requester | None:
    """Who sent a command or an interaction payload, and where they can be answered."""
    user = body.get("user_id") or (body.get("user") or {}).get("id")
    if not user:
        return None
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return Requester(user_id=user, channel_id=channel, response_url=body.get("response_url"))


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def ignore_slack_retries(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Slack resends a request it thinks went unanswered; the first one is already at work.
        if req.headers.get("x-slack-retry-num"):
            return BoltResponse(status=200, body="")
        return await next()

    @app.error
    async def unexpected_error(
        error: Exception, body: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        # Answer only a request known to be Slack's: its response_url and user are then real.
        # (The HTTP server refuses unverified ones before Bolt; this keeps it so.)
        trusted = request.mode == "socket_mode" or request.context.get(VERIFIED) is True
        who = requester_of(body) if trusted else None
        if who is not None:
            await runtime.notifier.tell(who, messages.unexpected_failure())
