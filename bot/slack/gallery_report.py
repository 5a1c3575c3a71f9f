"""The gallery card in Slack (`SlackGalleryReport`, the gallery flow's reporter): posted in the
channel for the team, redrawn in place after each change, each change a line in its thread;
refusals and failures privately. A thumbnail Slack cannot fetch would refuse the whole card: it
is then drawn without thumbnails."""

from __future__ import annotations

import logging
from dataclasses import replace

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.changes.records import UndoRecord
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.ecwid.models import Gallery, GalleryImage, StoreLanguages
from bot.flows.gallery import Card
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error
from bot.slack.notify import Notifier
from bot.slack.views.gallery_card import card_blocks, delete_without_copy_blocks
from bot.slack.views.upload_result import undo_button

log = logging.getLogger(__name__)


class SlackGalleryReport:
    def __init__(self, slack: BoundedWebClient, notifier: Notifier) -> None:
        self._slack = slack
        self._notifier = notifier

    async def card(
        self, who: Requester, gallery: Gallery, languages: StoreLanguages
    ) -> Card | None:
        product = gallery.product
        text = texts.gallery_head(product.id, product.name, product.sku, len(gallery.images))
        if not who.channel_id:
            await self._notifier.tell(who, text)
            return None
        for images in (True, False):
            try:
                response = await self._slack.chat_postMessage(
                    channel=who.channel_id,
                    text=text,
                    blocks=card_blocks(gallery, languages, images=images),
                )
            except SlackApiError as exc:
                log.info("gallery card refused (%s)", slack_error(exc))
                continue
            except SLACK_FAILURES as exc:
                log.warning(
                    "cannot post a gallery card in %s: %s", who.channel_id, slack_error(exc)
                )
                break
            ts = response.get("ts")
            return Card(who.channel_id, ts) if isinstance(ts, str) else None
        await self._notifier.tell(who, texts.gallery_not_posted())
        return None

    async def redraw(self, card: Card, gallery: Gallery, languages: StoreLanguages) -> None:
        product = gallery.product
        text = texts.gallery_head(product.id, product.name, product.sku, len(gallery.images))
        for images in (True, False):
            try:
                await self._slack.chat_update(
                    channel=card.channel_id,
                    ts=card.ts,
                    text=text,
                    blocks=card_blocks(gallery, languages, images=images),
                )
                return
            except SlackApiError as exc:
                log.info("gallery card update refused (%s)", slack_error(exc))
            except SLACK_FAILURES as exc:
                log.warning("cannot redraw a gallery card: %s", slack_error(exc))
                return

    async def changed(
        self, who: Requester, card: Card, text: str, undo: UndoRecord | None, name: str
    ) -> None:
        line = texts.gallery_changed(who.user_id, text)
        blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=line))]
        if undo is not None:
            on_card = replace(undo, on_card=True)  # the card is redrawn after, not replaced
            button = undo_button(on_card, name.strip() or f"product #{undo.slot.product_id}")
            blocks.append(ActionsBlock(elements=[button]))
        try:
            await self._slack.chat_postMessage(
                channel=card.channel_id, thread_ts=card.ts, text=line, blocks=blocks
            )
        except SLACK_FAILURES as exc:
            log.warning("cannot reply under a gallery card: %s", slack_error(exc))
            await self._notifier.tell(who, line)

    async def refused(self, who: Requester, reason: str) -> None:
        await self._notifier.tell(who, texts.gallery_refused(reason))

    async def failed(self, who: Requester, error: UserFacingError) -> None:
        await self._notifier.tell(who, texts.gallery_not_shown(error))

    async def ask_delete_without_copy(
        self,
        who: Requester,
        card: Card,
        gallery: Gallery,
        image: GalleryImage,
        place: int,
        name: str,
    ) -> None:
        blocks = delete_without_copy_blocks(gallery, image, card, place, name)
        await self._notifier.tell(
            who, texts.gallery_delete_without_copy(place, name), blocks=blocks
        )
