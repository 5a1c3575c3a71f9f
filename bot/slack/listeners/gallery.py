"""The gallery card's menu (`gallery_image`), its Delete button (`gallery_delete`), the second
button asked for when an image cannot be kept before it is deleted
(`gallery_delete_without_copy`) and its two forms (`ecwid_gallery_alt`, `ecwid_gallery_copy`):
parse, ack, hand off."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.requests import Requester
from bot.flows.gallery import Card, Move
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views import gallery_card as views

log = logging.getLogger(__name__)


def _pressed(body: dict[str, Any]) -> tuple[views.Pressed | None, Card | None, Requester]:
    action: dict[str, Any] = next(iter(body.get("actions") or []), {})
    value = (action.get("selected_option") or {}).get("value") or action.get("value") or ""
    if action.get("action_id") == views.GALLERY_DELETE:
        pressed = views.read_ref("delete", str(value))
    else:
        pressed = views.read_option(str(value))
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts")
    card = Card(channel, ts) if channel and ts else None
    who = requester_of(body, channel=channel)
    return pressed, card, who


async def _refuse(runtime: Runtime, who: Requester) -> None:
    log.warning("gallery: a value the bot did not write")
    await runtime.notifier.tell(who, texts.gallery_refused("That menu is not one of mine."))


async def gallery_image(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    pressed, card, who = _pressed(body)
    if pressed is None or card is None or pressed.action == "delete":
        await _refuse(runtime, who)
        return
    if pressed.action in ("alt", "copy"):
        await forms_of(context).open_gallery_form(
            trigger_id=body["trigger_id"],
            who=who,
            pressed=pressed,
            card=card,
            gallery=runtime.gallery,
        )
        return
    move = Move(pressed.action)
    runtime.workers.submit(
        lambda: runtime.gallery.move(
            store, who, card, move, pressed.product_id, pressed.image_id, pressed.signature
        )
    )


async def gallery_delete(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    pressed, card, who = _pressed(body)
    if pressed is None or card is None:
        await _refuse(runtime, who)
        return
    runtime.workers.submit(
        lambda: runtime.gallery.delete(
            store, who, card, pressed.product_id, pressed.image_id, pressed.signature
        )
    )


async def gallery_delete_without_copy(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The answer to "Delete without Undo?": pressed on a private message, so the card and
    the image come in the button's value. The card must still show the gallery it was
    drawn from, as for every press."""
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    action: dict[str, Any] = next(iter(body.get("actions") or []), {})
    found = views.read_metadata(str(action.get("value") or ""), "delete")
    channel = (body.get("container") or {}).get("channel_id") or (body.get("channel") or {}).get(
        "id"
    )
    if found is None:
        await _refuse(runtime, requester_of(body, channel=channel, answer_by_url=False))
        return
    pressed, card = found
    who = requester_of(body, channel=channel or card.channel_id)
    runtime.workers.submit(
        lambda: runtime.gallery.delete(
            store,
            who,
            card,
            pressed.product_id,
            pressed.image_id,
            pressed.signature,
            without_copy=True,
        )
    )


async def alt_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    found = views.read_metadata(view.get("private_metadata") or "", "alt")
    if found is None:
        await ack()
        return
    pressed, card = found
    alt, errors = views.read_alt(view["state"]["values"])
    if errors:  # nothing reaches Ecwid: the person corrects the field
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    who = requester_of(body, channel=card.channel_id)
    runtime.workers.submit(
        lambda: runtime.gallery.set_alt(
            store, who, card, pressed.product_id, pressed.image_id, pressed.signature, alt
        )
    )


async def copy_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    found = views.read_metadata(view.get("private_metadata") or "", "copy")
    if found is None:
        await ack()
        return
    pressed, card = found
    chosen = views.read_copy(view["state"]["values"])
    if not chosen.variation_ids and chosen.value is None:
        await ack(response_action="errors", errors={views.VARIATIONS: texts.FIELD_VARIATIONS})
        return
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    who = requester_of(body, channel=card.channel_id)
    runtime.workers.submit(
        lambda: runtime.gallery.copy_to_variations(
            store,
            who,
            card,
            pressed.product_id,
            pressed.image_id,
            pressed.signature,
            chosen.variation_ids,
            with_value=chosen.value,
        )
    )


def register(app: AsyncApp) -> None:
    app.action(views.GALLERY_IMAGE)(gallery_image)
    app.action(views.GALLERY_DELETE)(gallery_delete)
    app.action(views.GALLERY_DELETE_WITHOUT_COPY)(gallery_delete_without_copy)
    app.view_submission(views.ALT_FORM)(alt_submitted)
    app.view_submission(views.COPY_FORM)(copy_submitted)
