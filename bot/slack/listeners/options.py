"""The upload form's product field: its type-ahead (bot.flows.product_search), and a product
chosen in it, which offers the product's option values (bot.slack.forms)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.ecwid.errors import EcwidError
from bot.slack.context import forms_of, product_search_of
from bot.slack.views import upload_form as form

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


def register(app: AsyncApp) -> None:
    app.options(form.PRODUCT)(product_options)
    app.block_action({"action_id": form.PRODUCT, "block_id": form.PRODUCT})(product_chosen)
