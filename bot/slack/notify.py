"""How the bot answers: privately to one user by the best way the request allows (`Notifier`),
and an upload's story in the channel (`SlackUploadReport`, the flows' reporter)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import httpx
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.ecwid.models import ImageSlot, Product
from bot.flows.upload import Uploaded, UploadFailed
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, slack_error

log = logging.getLogger(__name__)

RESPONSE_URL_TIMEOUT_SECONDS = 5.0


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


class SlackUploadReport:
    """Slash commands cannot run inside threads, so the result gets its thread this way: a
    parent message in the channel, the result as a reply in its thread, and the parent updated
    to match. Whatever of that fails, the result still reaches the user privately."""

    def __init__(self, slack: AsyncWebClient, notifier: Notifier) -> None:
        self._slack = slack
        self._notifier = notifier

    async def refused(self, who: Requester, problems: Sequence[UserFacingError]) -> None:
        await self._notifier.tell(who, texts.not_started(*problems))

    async def interrupted(self, who: Requester) -> None:
        await self._notifier.tell(who, texts.interrupted())

    async def failed_unexpectedly(self, who: Requester) -> None:
        await self._notifier.tell(who, texts.unexpected_failure())

    async def announce(self, who: Requester, product: Product, slot: ImageSlot) -> str | None:
        """The parent message's ts, or None when it could not be posted."""
        if who.channel_id is None:
            return None
        try:
            response = await self._slack.chat_postMessage(
                channel=who.channel_id, text=texts.parent_pending(who.user_id, product, slot)
            )
        except SLACK_FAILURES as exc:
            # e.g. not_in_channel, or no answer: the upload goes ahead and the result goes to
            # the user privately
            log.warning("cannot post in %s: %s", who.channel_id, slack_error(exc))
            return None
        ts = response.get("ts")
        return ts if isinstance(ts, str) else None

    async def finish(
        self,
        who: Requester,
        product: Product,
        handle: object | None,
        outcome: Uploaded | UploadFailed,
    ) -> None:
        if isinstance(outcome, Uploaded):
            body = texts.upload_succeeded(outcome)
        else:
            body = texts.upload_failed(outcome.error)
        channel = who.channel_id
        if not isinstance(handle, str) or channel is None:
            await self._notifier.tell(
                who, texts.result_for_user(product, outcome.slot, body, channel)
            )
            return
        try:
            await self._slack.chat_postMessage(channel=channel, thread_ts=handle, text=body)
        except SLACK_FAILURES as exc:  # whatever went wrong, the result still reaches the user
            log.warning("cannot reply in %s: %s", channel, slack_error(exc))
            await self._notifier.tell(
                who, texts.result_for_user(product, outcome.slot, body, channel)
            )
        try:
            await self._slack.chat_update(
                channel=channel,
                ts=handle,
                text=texts.parent_finished(
                    who.user_id, product, outcome.slot, ok=isinstance(outcome, Uploaded)
                ),
            )
        except SLACK_FAILURES as exc:  # the answer is already given; only the parent is stale
            log.warning("cannot update parent in %s: %s", channel, slack_error(exc))
