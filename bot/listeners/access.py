"""The allow-lists, enforced in one place for every way in: a middleware before any listener."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_bolt.response import BoltResponse

from bot import form, messages
from bot.access import Verdict
from bot.listeners.errors import requester_of
from bot.runtime import Runtime

log = logging.getLogger(__name__)


def _channel(body: dict[str, Any]) -> str | None:
    """Where the request comes from or, for a form, the channel it will report to."""
    if body.get("type") == "view_submission":
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        return (values.get(form.CHANNEL) or {}).get(form.CHANNEL, {}).get("selected_conversation")
    return body.get("channel_id") or (body.get("channel") or {}).get("id")


def register(app: AsyncApp, runtime: Runtime) -> None:
    policy = runtime.access

    @app.middleware
    async def enforce_access(
        body: dict[str, Any], ack: AsyncAck, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        who = requester_of(body)
        if who is None:  # not a person's request (e.g. an event): nothing to check
            return await next()
        channel = _channel(body)
        verdict = await policy.user_allowed(who.user_id)
        if verdict is Verdict.REFUSED:
            reason = "user"
        elif verdict is Verdict.UNKNOWN:
            reason = "unchecked"
        elif not policy.channel_allowed(channel):
            reason = "channel"
        else:
            return await next()

        kind = body.get("type") or ("command" if body.get("command") else "unknown")
        log.warning(
            "access refused: user=%s channel=%s kind=%s reason=%s",
            who.user_id,
            channel,
            kind,
            reason,
        )
        text = {
            "user": messages.user_not_allowed,
            "unchecked": messages.access_unchecked,
            "channel": lambda: messages.channel_not_allowed(policy.channels),
        }[reason]()
        # Without a listener to run, the middleware's own ack is the answer to Slack.
        if body.get("command"):
            return await ack(response_type="ephemeral", text=text)
        if kind == "view_submission":
            block = form.CHANNEL if reason == "channel" else form.PRODUCT
            return await ack(
                response_action="errors", errors={block: messages.plain_refusal(reason)}
            )
        if kind == "block_suggestion":
            return await ack(options=[])
        response = await ack()  # shortcuts: acknowledge, then explain privately
        await runtime.notifier.tell(who, text)
        return response
