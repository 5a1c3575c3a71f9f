"""Private answers to one user, by the best way the request allows."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack_client import SLACK_FAILURES, slack_error

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Requester:
    """Who asked, where the result goes, and (for slash commands) where to answer them privately."""

    user_id: str
    channel_id: str | None
    response_url: str | None = None


class Notifier:
    def __init__(self, slack: AsyncWebClient, http: httpx.AsyncClient) -> None:
        self._slack = slack
        self._http = http

    async def tell(self, who: Requester, text: str) -> None:
        """The command's response_url, else an ephemeral message in the channel, else a DM.

        Each way that fails (an expired response_url, a channel the bot is not in) hands over to
        the next, so the answer still arrives.
        """
        if who.response_url:
            try:
                async with asyncio.timeout(RESPONSE_URL_TIMEOUT_SECONDS):
                    response = await self._http.post(
                        who.response_url,
                        json={
                            "response_type": "ephemeral",
                            "replace_original": False,
                            "text": text,
                        },
                    )
                response.raise_for_status()
                return
            except (httpx.HTTPError, TimeoutError) as exc:
                log.warning("response_url failed for %s: %s", who.user_id, type(exc).__name__)
        if who.channel_id:
            try:
                await self._slack.chat_postEphemeral(
                    channel=who.channel_id, user=who.user_id, text=text
                )
                return
            except SLACK_FAILURES as exc:
                log.warning("ephemeral failed in %s: %s", who.channel_id, slack_error(exc))
        try:
            await self._slack.chat_postMessage(channel=who.user_id, text=text)
        except SLACK_FAILURES as exc:
            log.error("could not answer user %s: %s", who.user_id, slack_error(exc))
