"""Private answers to one user, by the best way the request allows."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


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
        """The command's response_url, else an ephemeral message in the channel, else a DM."""
        try:
            if who.response_url:
                response = await self._http.post(
                    who.response_url,
                    json={"response_type": "ephemeral", "replace_original": False, "text": text},
                )
                response.raise_for_status()
            elif who.channel_id:
                await self._slack.chat_postEphemeral(
                    channel=who.channel_id, user=who.user_id, text=text
                )
            else:
                await self._slack.chat_postMessage(channel=who.user_id, text=text)
        except (httpx.HTTPError, SlackApiError) as exc:
            log.error("could not answer user %s: %s", who.user_id, type(exc).__name__)
