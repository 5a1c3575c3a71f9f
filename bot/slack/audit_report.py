"""An audit in its channel (#37): one message, edited from "reading…" to its progress to the
card; the chart and the CSV of findings in its thread. Whatever cannot be posted in the channel
goes to the person privately."""

from __future__ import annotations

import logging

from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.audit import Scope
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.flows.audit import Audited, Weekly
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, slack_error
from bot.slack.notify import Notifier
from bot.slack.views.audit_card import audit_blocks
from bot.slack.views.bulk_message import text_blocks

log = logging.getLogger(__name__)

# Slack's chat.postMessage errors that say the bot cannot post in the channel (not a timeout,
# after which the post may have gone through): a weekly audit then goes to its person.
NOT_THERE = frozenset({"not_in_channel", "channel_not_found", "is_archived"})


class SlackAuditReport:
    def __init__(self, slack: AsyncWebClient, notifier: Notifier, *, min_side: int) -> None:
        self._slack = slack
        self._notifier = notifier
        self._min_side = min_side

    async def started(
        self, who: Requester, channel_id: str, scope: Scope, weekly: Weekly | None = None
    ) -> tuple[str, str] | None:
        text = texts.audit_started(who.user_id, scope, weekly)
        try:
            response = await self._slack.chat_postMessage(channel=channel_id, text=text)
        except SLACK_FAILURES as exc:
            log.warning("cannot post an audit in %s: %s", channel_id, slack_error(exc))
            if weekly is None or slack_error(exc) not in NOT_THERE:
                await self._notifier.tell(who, texts.AUDIT_NOT_POSTED)
                return None
            # A weekly audit goes to the person instead: the DM's channel is in the answer
            # (Slack's chat.postMessage reference: a user's id as `channel` posts in the DM).
            try:
                text = f"{text} {texts.WEEKLY_DM}"
                response = await self._slack.chat_postMessage(channel=who.user_id, text=text)
            except SLACK_FAILURES as again:
                log.warning("cannot send a weekly audit to %s: %s", who.user_id, slack_error(again))
                return None
        ts, channel = response.get("ts"), response.get("channel")
        if not isinstance(ts, str) or not isinstance(channel, str):
            return None
        return channel, ts

    async def progress(self, channel_id: str, handle: str, read: int, total: int) -> None:
        text = texts.audit_progress(read, total)
        await self._edit(channel_id, handle, text, text_blocks(text))

    async def failed(
        self, who: Requester, channel_id: str, handle: str, problem: UserFacingError
    ) -> None:
        text = texts.audit_failed(who.user_id, problem)
        if not await self._edit(channel_id, handle, text, text_blocks(text)):
            await self._notifier.tell(who, text)

    async def finished(
        self, who: Requester, channel_id: str, handle: str, audited: Audited
    ) -> None:
        text = texts.audit_head(who.user_id, audited)
        blocks = audit_blocks(who.user_id, audited, self._min_side)
        if not await self._edit(channel_id, handle, text, blocks):  # the card, privately
            await self._notifier.tell(who, text, blocks=blocks)
            return
        try:
            await self._slack.files_upload_v2(
                channel=channel_id,
                thread_ts=handle,
                initial_comment=texts.AUDIT_FILES_COMMENT,
                file_uploads=[
                    {
                        "content": audited.chart,
                        "filename": "alt-text-coverage.png",
                        "title": texts.AUDIT_CHART_FILE,
                    },
                    {
                        "content": audited.csv,
                        "filename": "image-health.csv",
                        "title": texts.AUDIT_CSV_FILE,
                    },
                ],
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot attach the audit's files in %s: %s", channel_id, slack_error(exc))
            await self._notifier.tell(who, texts.AUDIT_FILES_NOT_POSTED)

    async def busy(self, who: Requester) -> None:
        await self._notifier.tell(who, texts.AUDIT_BUSY)

    async def _edit(self, channel_id: str, ts: str, text: str, blocks: list[Block]) -> bool:
        try:
            await self._slack.chat_update(channel=channel_id, ts=ts, text=text, blocks=blocks)
        except SLACK_FAILURES as exc:
            log.warning("cannot update the audit in %s: %s", channel_id, slack_error(exc))
            return False
        return True
