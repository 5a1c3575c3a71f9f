"""The product type-ahead: parse, search (bot.flows.product_search), answer with options."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.ecwid.errors import EcwidError
from bot.slack.context import product_search_of
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


def register(app: AsyncApp) -> None:
    app.options(form.PRODUCT)(product_options)
