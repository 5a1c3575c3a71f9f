"""The Slack Web API client, with every call bounded in time.

slack-sdk applies its own 30 s timeout only to sessions it creates; the bot hands it the shared
aiohttp session, whose default would be 300 s. So each attempt gets the session's limit below,
and each call as a whole (retries and their waits included) a budget of its own.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.jobs.surfaces import message_surface, view_surface

log = logging.getLogger(__name__)

ATTEMPT_TIMEOUT_SECONDS = 10.0  # one HTTP exchange with Slack
CALL_TIMEOUT_SECONDS = 30.0  # one API call, retries included
MAX_RETRY_AFTER_SECONDS = 10  # a longer rate-limit wait is given up, not slept through
MADE_SECONDS = 1.0  # keeping a message's store (bot.jobs.surfaces) waits no longer than this

# Every way a Slack call can fail: an error answer, no connection, or no answer in time.
SLACK_FAILURES: tuple[type[BaseException], ...] = (
    SlackClientError,
    aiohttp.ClientError,
    TimeoutError,
)


def slack_error(exc: BaseException) -> str:
    """Slack's error code (e.g. not_in_channel), or what kept the call from being answered."""
    if isinstance(exc, SlackApiError):
        data = getattr(exc.response, "data", None)
        if isinstance(data, dict):
            return str(data.get("error") or "unknown_error")
        return f"http_{getattr(exc.response, 'status_code', 'error')}"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


class BoundedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Wait out a 429 only when Slack asks for a short wait."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        values = {k.lower(): v for k, v in response.headers.items()}.get("retry-after") or ["1"]
        wait = str(values[0]).strip()
        return wait.isdigit() and int(wait) <= MAX_RETRY_AFTER_SECONDS


class BoundedWebClient(AsyncWebClient):
    """An AsyncWebClient whose every call ends within `call_timeout` seconds (TimeoutError)."""

    def __init__(
        self,
        *,
        token: str | None,
        base_url: str,
        session: aiohttp.ClientSession | None = None,
        call_timeout: float = CALL_TIMEOUT_SECONDS,
        team_id: str | None = None,
        workspace_token: Callable[[], str | None] | None = None,
        made: Callable[[str], Awaitable[None]] | None = None,
        label: Callable[[], str | None] | None = None,
    ) -> None:
        """`workspace_token`: with no `token` of its own (many-stores mode), where each call
        finds the token of the workspace the current work is for
        (bot.changes.context.workspace_token). `made`: told of each message posted and each
        modal opened (its surface: bot.jobs.surfaces), once Slack took it. `label`: the line
        each message posted or updated ends with (many-stores mode: the store it is about)."""
        handlers: list[AsyncRetryHandler] = [
            AsyncConnectionErrorRetryHandler(),
            BoundedRateLimitRetryHandler(max_retry_count=2),
            AsyncServerErrorRetryHandler(),
        ]
        super().__init__(
            token=token,
            base_url=base_url,
            session=session,
            timeout=int(ATTEMPT_TIMEOUT_SECONDS),  # applies when slack-sdk makes its own session
            retry_handlers=handlers,
            team_id=team_id,
        )
        self.call_timeout = call_timeout
        self._workspace_token = workspace_token
        self._made = made
        self._label = label

    def for_request(self, *, token: str | None, team_id: str | None) -> BoundedWebClient:
        """A client for one request (it may carry its own token): this one's Slack, session and
        bound. Cheap: no session or connection of its own."""
        return BoundedWebClient(
            token=token or self.token,
            base_url=self.base_url,
            session=self.session,
            call_timeout=self.call_timeout,
            team_id=team_id,
            workspace_token=self._workspace_token,
            made=self._made,
            label=self._label,
        )

    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        if not self.token and self._workspace_token is not None:
            token = self._workspace_token()
            if token:  # else Slack answers not_authed: never another workspace's token
                headers = {**(kwargs.get("headers") or {}), "Authorization": f"Bearer {token}"}
                kwargs["headers"] = headers
        if self._label is not None and api_method in LABELLED and (label := self._label()):
            kwargs = {**kwargs, "json": _labelled(kwargs.get("json") or {}, label)}
        async with asyncio.timeout(self.call_timeout):
            response = await super().api_call(api_method, **kwargs)
        if self._made is not None and (surface := _surface(api_method, kwargs, response)):
            try:  # bounded: a slow database never turns the post just made into a failure
                async with asyncio.timeout(MADE_SECONDS):
                    await self._made(surface)
            except Exception as exc:  # the post is made: its buttons are then refused
                log.warning("the store of a %s not kept: %s", api_method, type(exc).__name__)
        return response


# The messages a label ends (slack-sdk sends them as JSON), and its block's id.
LABELLED = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
LABEL_BLOCK = "store_label"
MAX_MESSAGE_BLOCKS = 50  # Slack's limit on a message's blocks


def _labelled(message: dict[str, Any], label: str) -> dict[str, Any]:
    """The message ending with `label` (mrkdwn): a context block under its blocks, a line under
    its text; once, however often it is updated."""
    message = dict(message)
    text = message.get("text")
    if isinstance(text, str) and text and not text.endswith(label):
        message["text"] = f"{text}\n{label}"
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not blocks or len(blocks) >= MAX_MESSAGE_BLOCKS:
        return message
    if all(not isinstance(b, dict) or b.get("block_id") != LABEL_BLOCK for b in blocks):
        context = {"type": "mrkdwn", "text": label}
        label_block = {"type": "context", "block_id": LABEL_BLOCK, "elements": [context]}
        message["blocks"] = [*blocks, label_block]
    return message


def _surface(method: str, call: dict[str, Any], response: AsyncSlackResponse) -> str | None:
    """The message posted (text alone too: an update may give it buttons) or the modal
    opened, as bot.jobs.surfaces names it."""
    if method == "chat.postMessage":
        channel, ts = response.get("channel"), response.get("ts")
    elif method == "chat.postEphemeral":
        sent = call.get("json") or call.get("data") or call.get("params") or {}
        channel, ts = sent.get("channel"), response.get("message_ts")
    elif method in ("views.open", "views.push"):
        view_id = (response.get("view") or {}).get("id")
        return view_surface(view_id) if isinstance(view_id, str) else None
    else:
        return None
    if isinstance(channel, str) and isinstance(ts, str):
        return message_surface(channel, ts)
    return None


def slack_session(limit: int) -> aiohttp.ClientSession:
    """The shared connection pool. Its timeout applies to slack-sdk's requests only: the Ecwid
    client and httpx's transport (response_url answers) set their own per request."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit),
        timeout=aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_SECONDS),
    )
