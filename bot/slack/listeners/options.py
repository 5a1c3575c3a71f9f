"""The upload form's product field: its type-ahead (bot.flows.product_search), and a product
chosen in it, which offers the product's option values (bot.slack.forms); and its store field
(many-stores mode), which makes the form anew for the store chosen."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.ecwid.errors import EcwidError
from bot.jobs.surfaces import view_surface
from bot.slack.context import forms_of, product_search_of, runtime_of, store_of
from bot.slack.views import upload_form as form
from bot.slack.views.store_field import STORE

log = logging.getLogger(__name__)


async def product_options(
    ack: AsyncAck, payload: dict[str, Any], context: AsyncBoltContext
) -> None:
    try:
        products = await product_search_of(context).options(payload.get("value") or "")
    except EcwidError as exc:
        log.warning("product search failed: %s", exc)
        products = []
    await ack(options=[form.product_option(p) for p in products])


async def product_chosen(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    view = body.get("view") or {}
    if view.get("callback_id") != form.CALLBACK_ID:
        return
    await forms_of(context).offer_option_values(view, form.chosen_product(action))


async def store_chosen(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Another store chosen in the upload form (the middleware made it the request's store):
    the form is that store's from now on, for its product search and its submission."""
    await ack()
    view = body.get("view") or {}
    view_id = view.get("id")
    if view.get("callback_id") != form.CALLBACK_ID or not isinstance(view_id, str):
        return
    runtime, store = runtime_of(context), store_of(context)
    if runtime.surfaces is not None:
        await runtime.surfaces.made(
            store.tenant.team_id, view_surface(view_id), store.store_id, time.time()
        )
    await forms_of(context).switch_store(view, form.chosen_channel(view))


def register(app: AsyncApp) -> None:
    app.options(form.PRODUCT)(product_options)
    app.block_action({"action_id": form.PRODUCT, "block_id": form.PRODUCT})(product_chosen)
    app.block_action({"action_id": STORE, "block_id": STORE})(store_chosen)
