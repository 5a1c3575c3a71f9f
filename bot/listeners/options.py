"""The product type-ahead: digits find that product by id, other text searches names and SKUs."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import form, messages
from bot.ecwid import EcwidError, Product, ProductNotFound
from bot.runtime import Runtime
from bot.upload_request import ProductId, ValidationError, check_product_id

log = logging.getLogger(__name__)

MAX_OPTIONS = 100  # Slack shows at most 100 options
SEARCH_TIMEOUT_SECONDS = 2.0  # Slack waits 3 s for options


async def find_products(runtime: Runtime, query: str) -> list[Product]:
    query = query.strip()
    if not query:
        return []
    if query.isascii() and query.isdigit():
        try:
            return [await runtime.store.product(ProductId(check_product_id(int(query))))]
        except (ProductNotFound, ValidationError):
            return []
    return await runtime.ecwid.search_products(
        query, limit=MAX_OPTIONS, time_limit=SEARCH_TIMEOUT_SECONDS
    )


def register(app: AsyncApp, runtime: Runtime) -> None:
    @app.options(form.PRODUCT)
    async def product_options(ack: AsyncAck, payload: dict[str, Any]) -> None:
        try:
            products = await find_products(runtime, payload.get("value") or "")
        except EcwidError as exc:
            log.warning("product search failed: %s", exc)
            products = []
        await ack(options=[messages.product_option(p) for p in products[:MAX_OPTIONS]])
