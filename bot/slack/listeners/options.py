"""The product type-ahead: parse, search (bot.flows.product_search), answer with options."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.ecwid.errors import EcwidError
from bot.runtime import Runtime
from bot.slack.views import upload_form as form

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.options(form.PRODUCT)
    async def product_options(ack: AsyncAck, payload: dict[str, Any]) -> None:
        try:
            products = await runtime.product_search.options(payload.get("value") or "")
        except EcwidError as exc:
            log.warning("product search failed: %s", exc)
            products = []
        await ack(options=[form.product_option(p) for p in products])
