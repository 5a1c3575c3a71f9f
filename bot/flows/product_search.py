"""The product type-ahead: digits find that product by id, other text searches names and SKUs
(from the store's SKU index when it is fresh, else Ecwid's own search), each product followed by
its variations, then the categories whose name matches. Bounded by Slack's 3 s for options."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from bot.domain.requests import MAX_ID_DIGITS, MAX_PRODUCT_ID, ProductId, whole_number
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Product
from bot.ecwid.store import StoreInfo

MAX_OPTIONS = 100  # Slack shows at most 100 options
SEARCH_TIMEOUT_SECONDS = 2.0  # Slack waits 3 s for options
MAX_QUERY_LENGTH = 100  # longer is no name or SKU anyone types
VARIATION_PRODUCTS = 3  # products whose variations are offered too
MAX_CATEGORIES = 10  # categories offered after the products


class ProductSearch:
    def __init__(self, ecwid: EcwidClient, store: StoreInfo) -> None:
        self._ecwid = ecwid
        self._store = store

    async def options(self, typed: str) -> list[Product]:
        """What to offer for what was typed, categories last; EcwidError when Ecwid could not be
        asked for products."""
        products, categories = await asyncio.gather(
            self.find(typed), self._categories(typed), return_exceptions=True
        )
        if isinstance(products, BaseException):
            raise products
        found = with_variations(products)
        if isinstance(categories, list):
            found = found[: MAX_OPTIONS - len(categories)] + categories
        return found[:MAX_OPTIONS]

    async def _categories(self, typed: str) -> list[Product]:
        """Categories whose name has what was typed (Ecwid's `GET /categories?keyword=`)."""
        query = typed.strip()
        if not query or len(query) > MAX_QUERY_LENGTH:
            return []
        try:
            async with asyncio.timeout(SEARCH_TIMEOUT_SECONDS):
                return await self._ecwid.search_categories(query, limit=MAX_CATEGORIES)
        except (EcwidError, TimeoutError):  # products are still offered
            return []

    async def find(self, query: str) -> list[Product]:
        """Products matching what was typed. Digits are both an id and text: SKUs like `00099`
        are common, so the product with that id comes first, then those whose SKU or name
        match."""
        query = query.strip()
        if not query or len(query) > MAX_QUERY_LENGTH:
            return []
        indexed = self._store.catalog.search(query, MAX_OPTIONS)
        if indexed is not None:  # the store's SKU index is at hand: no call to Ecwid
            return indexed
        search = self._ecwid.search_products(
            query, limit=MAX_OPTIONS, time_limit=SEARCH_TIMEOUT_SECONDS
        )
        if not (query.isascii() and query.isdigit()):
            return await search
        by_id, found = await asyncio.gather(self._by_id(query), search, return_exceptions=True)
        if isinstance(found, BaseException) and not isinstance(found, EcwidError):
            raise found
        matches = [
            *(by_id if isinstance(by_id, list) else []),
            *(found if isinstance(found, list) else []),
        ]
        if not matches and isinstance(found, EcwidError):
            raise found
        return list({p.id: p for p in matches}.values())

    async def _by_id(self, query: str) -> list[Product]:
        """The product whose id the digits are, if any."""
        number = whole_number(query, MAX_ID_DIGITS)
        if number is None or not 0 < number <= MAX_PRODUCT_ID:
            return []
        try:
            async with asyncio.timeout(SEARCH_TIMEOUT_SECONDS):
                return [await self._store.product(ProductId(number))]
        except (EcwidError, TimeoutError):  # not found, or not in time: the search may find it
            return []


def with_variations(products: list[Product]) -> list[Product]:
    """Each product followed by its variations (for the first few, so that products still
    show): product and search answers carry them inline, so this costs no call."""
    result: list[Product] = []
    for index, product in enumerate(products):
        result.append(product)
        if index < VARIATION_PRODUCTS:
            result += [replace(product, variation=v) for v in product.variations]
    return result
