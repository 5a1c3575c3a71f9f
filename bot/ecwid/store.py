"""Store facts that rarely change, cached briefly: the enabled languages and product names.

Forms open faster, and a burst of uploads for one product costs Ecwid one look-up, not one each.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Sequence
from dataclasses import replace

from bot.domain.errors import UserFacingError
from bot.domain.requests import CategoryId, ProductId, ProductRef, ProductSku
from bot.ecwid.catalog import CONFIRM_MISSES, Catalog
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import AmbiguousSku, EcwidError, ProductNotFound
from bot.ecwid.models import Product, StoreLanguages

LANGUAGES_TTL_SECONDS = 300.0
PRODUCT_TTL_SECONDS = 60.0  # long enough for a burst, short enough that renames show soon
MAX_CACHED_PRODUCTS = 1000


class StoreInfo:
    def __init__(self, ecwid: EcwidClient, ttl: float = LANGUAGES_TTL_SECONDS) -> None:
        self._ecwid = ecwid
        self.catalog = Catalog(ecwid)
        self._ttl = ttl
        self._languages: StoreLanguages | None = None
        self._fetched_at = 0.0
        self._refresh: asyncio.Task[StoreLanguages] | None = None
        self._products: dict[ProductRef, tuple[float, Product]] = {}
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

    def read_just_now(self, product: Product) -> None:
        """A product a flow has just read whole: each of its variations is then looked up from
        it, not read again (an image by option value plans a line a variation)."""
        now = time.monotonic()
        if len(self._products) + len(product.variations) >= MAX_CACHED_PRODUCTS:
            self._products.clear()
        for variation in product.variations:
            self._products[ProductId(product.id, variation.id)] = (
                now,
                replace(product, variation=variation),
            )

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

    async def products(
        self, refs: Iterable[ProductRef], *, confirm: int = 0
    ) -> dict[ProductRef, Product | UserFacingError]:
        """Many products at once, as a bulk job needs them: ids and SKUs a hundred a call.
        Each is a product or why it is not one (not found, ambiguous, Ecwid failed). With
        `confirm`, that many SKUs found nowhere are searched for once more (`confirm`)."""
        wanted = list(dict.fromkeys(refs))
        found: dict[ProductRef, Product | UserFacingError] = {}
        ids = [r.id for r in wanted if isinstance(r, ProductId) and r.variation is None]
        skus = [r.sku for r in wanted if isinstance(r, ProductSku)]
        singles = [
            r
            for r in wanted
            if (isinstance(r, ProductId) and r.variation is not None) or isinstance(r, CategoryId)
        ]
        try:
            by_id = await self._ecwid.products_by_ids(ids) if ids else {}
            by_sku = await self.catalog.find(skus) if skus else {}
        except EcwidError as exc:  # every look-up of the batch failed alike
            return {ref: exc for ref in wanted}
        for number in ids:
            product = by_id.get(number)
            found[ProductId(number)] = product or ProductNotFound(
                f"There is no product with id {number} in the store.", status=404
            )
        for sku, matches in by_sku.items():
            found[ProductSku(sku)] = _one(sku, matches)
        missing = [sku for sku, matches in by_sku.items() if not matches]
        if confirm and missing:
            found.update(await self.confirm(missing, confirm))
        for single in singles:
            try:
                found[single] = await self.product(single)
            except EcwidError as exc:
                found[single] = exc
        now = time.monotonic()
        for ref, value in found.items():
            if isinstance(value, Product):
                if len(self._products) >= MAX_CACHED_PRODUCTS:
                    self._products.clear()
                self._products[ref] = (now, value)
        return found

    async def confirm(
        self, skus: Sequence[str], limit: int = CONFIRM_MISSES
    ) -> dict[ProductRef, Product | UserFacingError]:
        """SKUs the catalog's index does not have, even brought up to date: the first `limit`
        searched for once more each (bot.ecwid.catalog), the others marked not checked again."""
        checked, rest = await self.catalog.confirm(skus, limit)
        found: dict[ProductRef, Product | UserFacingError] = {}
        for sku, answer in checked.items():
            found[ProductSku(sku)] = answer if isinstance(answer, EcwidError) else _one(sku, answer)
        for sku in rest:
            found[ProductSku(sku)] = SkuNotChecked(sku, limit)
        return found

    async def _fetch_product(self, ref: ProductRef) -> Product:
        if isinstance(ref, ProductId) and ref.variation is not None:
            product = await self._ecwid.get_variation(ref.id, ref.variation)
        elif isinstance(ref, ProductId):
            product = await self._ecwid.get_product(ref.id)
        elif isinstance(ref, CategoryId):
            product = (await self._ecwid.category_state(ref.id)).product
        else:
            found = _one(ref.sku, (await self.catalog.find([ref.sku]))[ref.sku])
            if isinstance(found, EcwidError):
                raise found
            product = found
        if len(self._products) >= MAX_CACHED_PRODUCTS:
            self._products.clear()  # simple and bounded; the cache refills in one look-up each
        self._products[ref] = (time.monotonic(), product)
        return product


class SkuNotChecked(ProductNotFound):
    """A SKU the catalog (read a moment ago) does not have, past the plan's first few misses
    that were each searched for again."""

    def __init__(self, sku: str, limit: int) -> None:
        super().__init__(
            f'There is no product with SKU "{sku}" in the catalog as the bot just read it; not '
            f"checked again (a plan searches for its first {limit} unknown SKUs once more, one "
            "by one)."
        )
        self.sku = sku


def _one(sku: str, matches: list[Product]) -> Product | EcwidError:
    """The product a SKU names, or why there is none: not found, or several to choose from."""
    if not matches:
        return ProductNotFound(f'There is no product with SKU "{sku}" in the store.')
    if len(matches) > 1:
        return AmbiguousSku(sku, tuple(matches))
    return matches[0]
