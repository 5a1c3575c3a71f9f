"""Buttons: Undo (or Remove from gallery) on an upload's thread reply, the history or the App
Home, and a bulk job's Start, Cancel / Stop and Undo this job; ack, then hand off."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.changes.context import StoreContext
from bot.changes.records import UndoPlace
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.context import runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views.bulk_message import (
    CANCEL_ACTION,
    INCLUDE_DUPLICATES_ACTION,
    START_ACTION,
    UNDO_JOB_ACTION,
    USE_SKU_ACTION,
)
from bot.slack.views.upload_result import UNDO_ACTION, decode, undone_by

log = logging.getLogger(__name__)


async def undo_upload(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    action: dict[str, Any] = next(iter(body.get("actions") or []), {})
    record = decode(str(action.get("value") or ""))
    message = body.get("message") or {}
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    who = requester_of(body, channel=channel)
    # Pressed in the App Home (a view) or in a private history (an ephemeral message).
    elsewhere = container.get("type") == "view" or bool(container.get("is_ephemeral"))
    if record is not None and elsewhere and record.change_id is None:
        record = None  # only a change in the history is undone from there
    if record is None or not (channel or elsewhere):
        log.warning("undo: a button value the bot did not write")
        await runtime.notifier.tell(who, texts.undo_refused("That button is not one of mine."))
        return
    if by := undone_by(message):  # the message itself says so, also after a restart
        await runtime.notifier.tell(who, texts.already_undone(by))
        return
    if not runtime.workers.accepting:
        await runtime.notifier.tell(who, texts.restarting())
        return
    place: UndoPlace | None = UndoPlace(
        channel_id=channel or "",
        message_ts=str(container.get("message_ts") or message.get("ts")),
        thread_ts=message.get("thread_ts"),
        message=message,
    )
    if elsewhere:  # the history or the App Home: reported where the change was
        place = None
    runtime.workers.submit(lambda: runtime.undos.run(store, record, who, place))


async def bulk_start(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await _bulk(runtime_of(context), store_of(context), body, start=True)


async def bulk_cancel(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await _bulk(runtime_of(context), store_of(context), body, start=False)


async def bulk_undo(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await _bulk(runtime_of(context), store_of(context), body, start=False, undo=True)


async def bulk_include_duplicates(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    await _bulk(runtime_of(context), store_of(context), body, start=False, include=True)


async def bulk_use_sku(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    action: dict[str, Any] = next(iter(body.get("actions") or []), {})
    job_id, _, number = str(action.get("value") or "").partition(":")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    who = requester_of(body, channel=channel)
    if not (job_id.isalnum() and len(job_id) == 32 and number.isdigit()):
        await runtime.notifier.tell(who, texts.bulk_notice("not_found"))
        return
    runtime.workers.submit(lambda: runtime.bulk.use_suggestion(store, job_id, int(number), who))


async def _bulk(
    runtime: Runtime,
    store: StoreContext,
    body: dict[str, Any],
    *,
    start: bool,
    undo: bool = False,
    include: bool = False,
) -> None:
    action: dict[str, Any] = next(iter(body.get("actions") or []), {})
    job_id = str(action.get("value") or "")
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    who = requester_of(body, channel=channel)
    if not (job_id.isalnum() and len(job_id) == 32):
        log.warning("bulk: a button value the bot did not write")
        await runtime.notifier.tell(who, texts.bulk_notice("not_found"))
        return
    if not runtime.workers.accepting:
        await runtime.notifier.tell(who, texts.restarting())
        return
    if undo:
        runtime.workers.submit(lambda: runtime.bulk.undo(store, job_id, who))
    elif include:
        runtime.workers.submit(lambda: runtime.bulk.include_duplicates(store, job_id, who))
    elif start:
        runtime.workers.submit(lambda: runtime.bulk.start(store, job_id, who))
    else:
        runtime.workers.submit(lambda: runtime.bulk.stop(store, job_id, who))


def register(app: AsyncApp) -> None:
    app.action(UNDO_ACTION)(undo_upload)
    app.action(START_ACTION)(bulk_start)
    app.action(CANCEL_ACTION)(bulk_cancel)
    app.action(UNDO_JOB_ACTION)(bulk_undo)
    app.action(INCLUDE_DUPLICATES_ACTION)(bulk_include_duplicates)
    app.action(USE_SKU_ACTION)(bulk_use_sku)
