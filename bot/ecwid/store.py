"""Store facts that rarely change, cached briefly: the enabled languages and product names.

Forms open faster, and a burst of uploads for one product costs Ecwid one look-up, not one each.
"""

from __future__ import annotations

import asyncio
import time

from bot.domain.requests import ProductId, ProductRef
from bot.ecwid.client import EcwidClient
from bot.ecwid.models import Product, StoreLanguages, Variation

LANGUAGES_TTL_SECONDS = 300.0
PRODUCT_TTL_SECONDS = 60.0  # long enough for a burst, short enough that renames show soon
MAX_CACHED_PRODUCTS = 1000


class StoreInfo:
    def __init__(self, ecwid: EcwidClient, ttl: float = LANGUAGES_TTL_SECONDS) -> None:
        self._ecwid = ecwid
        self._ttl = ttl
        self._languages: StoreLanguages | None = None
        self._fetched_at = 0.0
        self._refresh: asyncio.Task[StoreLanguages] | None = None
        self._products: dict[ProductRef, tuple[float, Product]] = {}
        self._variations: dict[int, tuple[float, list[Variation]]] = {}
        self._lookups: dict[ProductRef, asyncio.Task[Product]] = {}

    async def languages(self) -> StoreLanguages:
        """The cached languages; a stale value is served while one shared call refreshes it."""
        fresh = time.monotonic() - self._fetched_at < self._ttl
        if self._languages is not None and fresh:
            return self._languages
        if self._refresh is None:
            self._refresh = asyncio.create_task(self._fetch())
            # A background refresh may fail with nobody awaiting it; the next call retries.
            self._refresh.add_done_callback(lambda task: task.cancelled() or task.exception())
        if self._languages is not None:
            return self._languages
        return await asyncio.shield(self._refresh)

    async def _fetch(self) -> StoreLanguages:
        try:
            self._languages = (await self._ecwid.get_profile()).languages
            self._fetched_at = time.monotonic()
            return self._languages
        finally:
            self._refresh = None

    async def variations(self, product_id: int) -> list[Variation]:
        """A product's variations, cached as products are: the type-ahead asks on every key."""
        hit = self._variations.get(product_id)
        if hit is not None and time.monotonic() - hit[0] < PRODUCT_TTL_SECONDS:
            return hit[1]
        variations = await self._ecwid.get_variations(product_id)
        if len(self._variations) >= MAX_CACHED_PRODUCTS:
            self._variations.clear()
        self._variations[product_id] = (time.monotonic(), variations)
        return variations

    async def product(self, ref: ProductRef) -> Product:
        """The product, by id or SKU; concurrent look-ups of one product share one Ecwid call."""
        hit = self._products.get(ref)
        if hit is not None and time.monotonic() - hit[0] < PRODUCT_TTL_SECONDS:
            return hit[1]
        lookup = self._lookups.get(ref)
        if lookup is None:
            lookup = asyncio.create_task(self._fetch_product(ref))
            self._lookups[ref] = lookup
            lookup.add_done_callback(lambda task: self._lookups.pop(ref, None))
        return await asyncio.shield(lookup)

    async def _fetch_product(self, ref: ProductRef) -> Product:
        if isinstance(ref, ProductId) and ref.variation is not None:
            product = await self._ecwid.get_variation(ref.id, ref.variation)
        elif isinstance(ref, ProductId):
            product = await self._ecwid.get_product(ref.id)
        else:
            product = await self._ecwid.find_product_by_sku(ref.sku)
        if len(self._products) >= MAX_CACHED_PRODUCTS:
            self._products.clear()  # simple and bounded; the cache refills in one look-up each
        self._products[ref] = (time.monotonic(), product)
        return product
