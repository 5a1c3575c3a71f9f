"""Private answers to one user, by the best way the request allows."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


def slack_error(exc: SlackApiError) -> str:
    """Slack's error code (e.g. not_in_channel), even when the answer was not JSON."""
    data = getattr(exc.response, "data", None)
    if isinstance(data, dict):
        return str(data.get("error") or "unknown_error")
    return f"http_{getattr(exc.response, 'status_code', 'error')}"


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
                response = await self._http.post(
                    who.response_url,
                    json={"response_type": "ephemeral", "replace_original": False, "text": text},
                )
                response.raise_for_status()
                return
            except httpx.HTTPError as exc:
                log.warning("response_url failed for %s: %s", who.user_id, type(exc).__name__)
        if who.channel_id:
            try:
                await self._slack.chat_postEphemeral(
                    channel=who.channel_id, user=who.user_id, text=text
                )
                return
            except SlackApiError as exc:
                log.warning("ephemeral failed in %s: %s", who.channel_id, slack_error(exc))
        try:
            await self._slack.chat_postMessage(channel=who.user_id, text=text)
        except SlackApiError as exc:
            log.error("could not answer user %s: %s", who.user_id, slack_error(exc))
