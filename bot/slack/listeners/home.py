"""The App Home: published when opened (`app_home_opened`), its buttons (`home_upload`,
`home_bulk`, `home_history`, `home_gallery`) and their forms' submissions; ack, then hand off."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.requests import Draft, Requester
from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views import history as views
from bot.slack.views.upload_form import PRODUCT


def _who(body: dict[str, Any]) -> Requester:
    return requester_of(body, channel=None)


async def home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    # Bolt acks events itself; the Messages tab opens the same event with tab "messages".
    user = event.get("user")
    if event.get("tab") == "home" and isinstance(user, str):
        runtime = runtime_of(context)
        runtime.workers.submit(lambda: runtime.history.home(user))


async def home_upload(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await forms_of(context).open_upload_form(
        trigger_id=body["trigger_id"], who=_who(body), draft=Draft()
    )


async def home_bulk(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await forms_of(context).open_bulk_form(trigger_id=body["trigger_id"], who=_who(body))


async def home_history(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await forms_of(context).open_history_form(trigger_id=body["trigger_id"], who=_who(body))


async def home_gallery(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    await forms_of(context).open_gallery_open_form(trigger_id=body["trigger_id"], who=_who(body))


async def gallery_open_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    chosen = views.read_gallery_open_form(view["state"]["values"])
    if chosen is None:
        await ack(response_action="errors", errors={PRODUCT: texts.FIELD_PRODUCT})
        return
    await ack()
    runtime = runtime_of(context)
    store = store_of(context)
    product, channel = chosen
    who = requester_of(body, channel=channel)
    runtime.workers.submit(lambda: runtime.gallery.show(store, who, product))


async def history_form_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    product = views.read_history_form(view["state"]["values"])
    if product is None:
        await ack(response_action="errors", errors={PRODUCT: texts.FIELD_PRODUCT})
        return
    # The form shows the history in its place: "Looking…" now, the entries once read.
    await ack(response_action="update", view=views.history_modal(views.looking_blocks()))
    runtime = runtime_of(context)
    store = store_of(context)
    view_id = str(view.get("id") or "")
    runtime.workers.submit(lambda: runtime.history.product(store, _who(body), product, view_id))


def register(app: AsyncApp) -> None:
    app.event("app_home_opened")(home_opened)
    app.action(views.HOME_UPLOAD)(home_upload)
    app.action(views.HOME_BULK)(home_bulk)
    app.action(views.HOME_HISTORY)(home_history)
    app.action(views.HOME_GALLERY)(home_gallery)
    app.view_submission(views.GALLERY_OPEN_FORM)(gallery_open_submitted)
    app.view_submission(views.HISTORY_FORM)(history_form_submitted)
