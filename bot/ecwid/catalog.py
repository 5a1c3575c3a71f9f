"""Finding products by SKU as Ecwid documents it, at the lowest cost in calls.

`GET /products?sku=` takes exactly one SKU (../shared/ecwid-api.md, "Many calls at once"), so many
SKUs cost a search each, or the catalog is paged once (100 products a call, variations inline) and
matched here. `Catalog.find` chooses by cost: the first page's `total` says how many pages the
catalog has, against how many SKUs are asked for. The index, once built, is kept and brought up to
date with `updatedFrom` (only what changed is read again), and read again before a SKU is called
unknown: every time, however recently it was read (products made a moment ago are what a plan is
most likely to name). Ecwid's `updatedFrom` compares with Ecwid's own clock, and a product it
does not list is searched for once more by its exact SKU (`Catalog.confirm`, a plan's first few).

One matching rule for every way in (`match_sku`): an exact SKU wins; else a single match that
differs only in letter case is taken (and says so, in `Product.asked_sku`); several such matches
are all listed, and nothing is guessed.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from rapidfuzz import fuzz, process

from bot.ecwid.budget import bulk_lane
from bot.ecwid.client import BATCH_SIZE, EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Product

log = logging.getLogger(__name__)

SUGGEST_BUILD_SECONDS = 600.0  # an index is built for suggestions at most this often a store
SUGGEST_SCORE = 75.0  # of 100 (rapidfuzz's ratio): "SHOE-RED-4" is 95 from "SHOE-RED-42"
INDEX_FRESH_SECONDS = 300.0  # an index older than this is brought up to date before it is used
INDEX_REBUILD_SECONDS = 3600.0  # … and rebuilt whole past this (products deleted meanwhile)
CONFIRM_MISSES = 20  # a plan's SKUs the index lacks, each searched for again (?sku=) at most
TOTAL_FRESH_SECONDS = 600.0  # how long the catalog's size is trusted to choose a way
UPDATED_FROM_SLACK_SECONDS = 120  # Ecwid's clock and ours may differ; re-read a little more
SEARCHES_AT_ONCE = 8


def _targets(product: Product) -> Iterable[tuple[str, Product]]:
    """Every SKU an image can be put on through this product: its own, and each variation's own
    (a variation without one inherits the product's, and is reached through the product)."""
    if product.sku:
        yield product.sku, replace(product, variation=None)
    for variation in product.variations:
        if variation.sku:
            yield variation.sku, replace(product, variation=variation)


def match_sku(sku: str, products: Iterable[Product]) -> list[Product]:
    """What `sku` names among `products`: every exact match; else every match that differs only
    in letter case, each marked with the SKU asked for."""
    exact: list[Product] = []
    folded: list[Product] = []
    wanted = sku.casefold()
    for product in products:
        for own, target in _targets(product):
            if own == sku:
                exact.append(target)
            elif own.casefold() == wanted:
                folded.append(replace(target, asked_sku=sku))
    return exact or folded


class SkuIndex:
    """Every product of the store by id, with its variations: built by paging the catalog."""

    def __init__(self, products: dict[int, Product], read_at: float, built_at: float) -> None:
        self.products = products
        self.read_at = read_at  # wall-clock time of the last read (for updatedFrom)
        self.built_at = built_at  # monotonic time of the whole build
        self.checked_at = built_at  # monotonic time of the last read (whole or changes)

    def find(self, sku: str) -> list[Product]:
        return match_sku(sku, self.products.values())

    def search(self, text: str, limit: int) -> list[Product]:
        """Digits are an id too (that product first), as in the type-ahead's Ecwid search."""
        wanted = text.casefold()
        by_id = self.products.get(int(text)) if text.isascii() and text.isdigit() else None
        found: list[Product] = [by_id] if by_id is not None else []
        for product in self.products.values():
            if product is by_id:
                continue
            skus = [product.sku or "", *(v.sku or "" for v in product.variations)]
            if wanted in product.name.casefold() or any(wanted in s.casefold() for s in skus):
                found.append(product)
                if len(found) >= limit:
                    break
        return found


class Catalog:
    """SKU look-ups for the whole bot: single uploads, bulk plans, file names, the type-ahead."""

    def __init__(
        self,
        ecwid: EcwidClient,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._ecwid = ecwid
        self._clock = clock
        self._wall_clock = wall_clock
        self._index: SkuIndex | None = None
        self._total: tuple[float, int] | None = None  # (when, the catalog's size)
        self._lock = asyncio.Lock()  # one build or refresh at a time
        self._suggest_built: float | None = None  # when an index was last built for suggestions
        self._reads = 0  # reads of the catalog begun (whole or changes): see _refresh

    def search(self, text: str, limit: int) -> list[Product] | None:
        """Products whose name or SKU (or a variation's SKU) contains `text`, from a fresh index:
        the type-ahead then needs no call. None when there is no fresh index."""
        index = self._index
        if index is None or self._clock() - index.checked_at > INDEX_FRESH_SECONDS:
            return None
        return index.search(text, limit)

    async def find(self, skus: Sequence[str]) -> dict[str, list[Product]]:
        """Each SKU's matches (none, one, or several), by the one matching rule."""
        unique = list(dict.fromkeys(skus))
        if not unique:
            return {}
        if self._index is None and len(unique) > 1 and not self._searches_cheaper(len(unique)):
            await self._build(wanted=len(unique))
        if self._index is not None:
            return await self._find_in_index(unique)
        return await self._search_each(unique)

    async def suggest(self, skus: Sequence[str], limit: int = 3) -> dict[str, list[str]]:
        """The store's SKUs closest to each SKU that matches nothing ("did you mean"). They
        need every SKU of the store: the index is built for them if there is none, at most
        once every ten minutes, even where single look-ups would have been cheaper."""
        if self._index is None:
            now = self._clock()
            if (
                self._suggest_built is not None
                and now - self._suggest_built < SUGGEST_BUILD_SECONDS
            ):
                return {}
            self._suggest_built = now
            await self._build()
        index = self._index
        if index is None:
            return {}
        known = list(
            dict.fromkeys(
                sku
                for product in index.products.values()
                for sku in [product.sku, *(v.sku for v in product.variations)]
                if sku
            )
        )
        found: dict[str, list[str]] = {}
        for sku in skus:
            close = process.extract(
                sku, known, scorer=fuzz.ratio, limit=limit, score_cutoff=SUGGEST_SCORE
            )
            if close:
                found[sku] = [match for match, _, _ in close]
        return found

    def _searches_cheaper(self, wanted: int) -> bool:
        """Whether a search per SKU surely costs fewer calls than paging the catalog, by the
        catalog's size as last seen (unknown: the first page will tell)."""
        if self._total is None or self._clock() - self._total[0] >= TOTAL_FRESH_SECONDS:
            return False
        return math.ceil(self._total[1] / BATCH_SIZE) > wanted

    async def _build(self, *, wanted: int | None = None) -> None:
        """Page the whole catalog into the index. With `wanted` (SKUs to find), the first page's
        `total` decides first: when the other pages would cost more calls than a search per SKU,
        no index is built (the first page is the whole catalog of a small store)."""
        async with self._lock:
            if self._index is not None:
                return
            read_at, started = self._wall_clock(), self._clock()
            first, total = await self._ecwid.catalog_page(0)
            self._total = (self._clock(), total)
            if wanted is not None and math.ceil(total / BATCH_SIZE) - 1 > wanted:
                return
            self._reads += 1
            self._index = await self._read_rest(first, total, read_at, started)

    async def _read_rest(
        self, first: list[Product], total: int, read_at: float, started: float
    ) -> SkuIndex:
        products = {p.id: p for p in first}
        offset = len(first)
        while first and offset < total:
            page, total = await self._ecwid.catalog_page(offset)
            if not page:
                break
            products.update((p.id, p) for p in page)
            offset += len(page)
        log.info("sku index built: %d products", len(products))
        return SkuIndex(products, read_at, started)

    async def _find_in_index(self, skus: list[str]) -> dict[str, list[Product]]:
        index = self._index
        assert index is not None
        reads = self._reads  # a read begun after this look-up began covers its misses
        now = self._clock()
        if now - index.built_at > INDEX_REBUILD_SECONDS:
            self._index = None
            await self._build()
        elif now - index.checked_at > INDEX_FRESH_SECONDS:
            await self._refresh(after=reads)
        found = {sku: self._index.find(sku) if self._index else [] for sku in skus}
        missing = [sku for sku, matches in found.items() if not matches]
        if missing and self._index is not None:
            # Before a SKU is called unknown, what changed since the last read is read, however
            # recently that was: a product made a second ago is no less real.
            await self._refresh(after=reads)
            found.update((sku, self._index.find(sku) if self._index else []) for sku in missing)
        return found

    async def _refresh(self, *, after: int | None = None) -> None:
        """Read again only the products changed since the last read (`updatedFrom`). With
        `after` (a count of reads seen by a caller), nothing is read when a read began since:
        that one read every change the caller could want (concurrent misses share one read)."""
        async with self._lock:
            index = self._index
            if index is None or (after is not None and self._reads > after):
                return
            self._reads += 1
            read_at, checked = self._wall_clock(), self._clock()
            since = int(index.read_at) - UPDATED_FROM_SLACK_SECONDS
            offset, total, changed = 0, 1, 0
            while offset < total:
                page, total = await self._ecwid.catalog_page(offset, updated_from=since)
                if not page:
                    break
                index.products.update((p.id, p) for p in page)
                offset += len(page)
                changed += len(page)
            index.read_at, index.checked_at = read_at, checked
            log.info("sku index brought up to date: %d products changed", changed)

    async def confirm(
        self, skus: Sequence[str], limit: int = CONFIRM_MISSES
    ) -> tuple[dict[str, list[Product] | EcwidError], list[str]]:
        """SKUs that an up-to-date index does not have, each searched for once more by its
        exact SKU (`GET /products?sku=`, ../shared/ecwid-api.md "Many calls at once"), on the
        bulk lane: `updatedFrom` compares with Ecwid's clock and may leave a new product out.
        At most `limit` are searched (a search a SKU); the others are returned as not checked
        again. What the searches find joins the index. Without an index the SKUs were each
        searched for already: nothing is searched again."""
        unique = list(dict.fromkeys(skus))
        index = self._index
        if index is None:
            return {sku: [] for sku in unique}, []
        checked, rest = unique[:limit], unique[limit:]
        at_once = asyncio.Semaphore(SEARCHES_AT_ONCE)

        async def one(sku: str) -> list[Product] | EcwidError:
            async with at_once:
                try:
                    products = await self._ecwid.search_by_sku(sku)
                except EcwidError as exc:
                    return exc
            index.products.update((p.id, p) for p in products)
            return match_sku(sku, products)

        with bulk_lane():  # the tasks gather starts inherit the lane
            results = await asyncio.gather(*(one(sku) for sku in checked))
        found = dict(zip(checked, results, strict=True))
        log.info(
            "sku misses searched again: %d (%d found), %d not checked again",
            len(checked),
            sum(1 for r in results if r and not isinstance(r, EcwidError)),
            len(rest),
        )
        return found, rest

    async def _search_each(self, skus: list[str]) -> dict[str, list[Product]]:
        """One exact `?sku=` search a SKU; a SKU it finds nothing for is looked for again by
        keyword (which matches SKUs in any letter case), for the letter-case rule."""
        limit = asyncio.Semaphore(SEARCHES_AT_ONCE)

        async def one(sku: str) -> list[Product]:
            async with limit:
                matches = match_sku(sku, await self._ecwid.search_by_sku(sku))
                return matches or match_sku(sku, await self._ecwid.search_by_keyword(sku))

        results = await asyncio.gather(*(one(sku) for sku in skus))
        return dict(zip(skus, results, strict=True))
