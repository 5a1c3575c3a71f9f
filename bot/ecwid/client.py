"""The Ecwid REST API client: typed results and errors in plain words, no Slack knowledge.

See ../shared/ecwid-api.md. The token travels only in the Authorization header (Ecwid refuses
`?token=` since 2025), and error texts never include it.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import yarl
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from bot.config import Settings
from bot.domain.audit import AuditImage, AuditItem, Scope
from bot.domain.audit import Slot as AuditSlot
from bot.domain.options import choices_of
from bot.ecwid.budget import ECWID_LIMIT, CallBudget, RateLimit, SharedSchedule
from bot.ecwid.errors import MAX_ATTEMPTS, EcwidError, ProductNotFound, explain_status
from bot.ecwid.models import (
    CurrentImage,
    Gallery,
    GalleryImage,
    ImageSlot,
    ImageUpload,
    Product,
    ProductState,
    StoreLanguages,
    StoreProfile,
    UploadResult,
    Variation,
)

log = logging.getLogger(__name__)

MAX_RATE_LIMIT_WAIT_SECONDS = (
    60.0  # give up on 429s rather than wait longer, as Ecwid's client does
)
DEFAULT_RETRY_AFTER_SECONDS = 10.0
BATCH_SIZE = 100  # products a look-up may ask for at once (Ecwid's `limit`)
# What a look-up reads of a product: its variations come inline, so their SKUs need no call more.
PRODUCT_FIELDS = "id,name,sku,combinations(id,sku,options)"
# One read before an upload: the product, and what its slots show now (for undo).
# `galleryImages` (legacy, still sent: ref) carries each gallery image's size; `media` does not.
GALLERY_FIELDS = (
    "id,name,sku,originalImage,media,galleryImages(originalImageUrl,width,height),"
    "combinations(id,sku,options,originalImageUrl,imageUrl,alt)"
)
# What a media update needs to read first: every image and video, and the main image's URL.
MEDIA_FIELDS = "id,originalImage,media"
ALT_NOT_SHOWN = (
    "Ecwid accepted the alt text but does not show it on the image: set it in the Ecwid admin."
)
STATE_FIELDS = (
    "id,name,sku,originalImage,media,options,"
    "combinations(id,sku,options,originalImageUrl,imageUrl,alt)"
)
SEARCH_FIELDS = f"total,count,offset,limit,items({PRODUCT_FIELDS})"
# An audit's page (#37): every image's alt texts and size, the names in every language, the
# variations' options and own images; nothing more (a product's description can be large).
AUDIT_FIELDS = (
    "total,count,offset,limit,items(id,sku,name,nameTranslated,defaultCategoryId,"
    "originalImage,media,galleryImages(originalImageUrl,width,height),options,"
    "combinations(id,options,originalImageUrl,imageUrl,alt))"
)
CATEGORY_AUDIT_FIELDS = (
    "total,count,offset,limit,items(id,parentId,name,nameTranslated,originalImage,"
    "originalImageUrl,imageUrl,alt)"
)
BYTES_UPLOAD_SECONDS = 60.0  # a file's bytes take longer than a JSON call (Ecwid's client: 60 s)
# The most of an answer read before it is parsed: a page of 100 products trimmed to the fields
# the bot asks for stays far below it, even with many variations each.
MAX_ANSWER_BYTES = 16 * 1024 * 1024
USER_AGENT = "ecwid-image-slack-bot"
CONNECT_SECONDS = 10.0  # a TCP connection to Ecwid, before anything is sent


def _error_details(body: bytes, reason: str | None) -> tuple[str | None, str | None]:
    """Ecwid's own errorCode and errorMessage, else the status line's text.

    The body may be empty, an HTML page, or JSON without an errorMessage.
    """
    try:
        data = jsonlib.loads(body)
    except ValueError:
        data = None
    code = message = None
    if isinstance(data, dict):
        code = str(data["errorCode"]) if data.get("errorCode") else None
        message = str(data["errorMessage"]) if data.get("errorMessage") else None
    return code, message or reason or None


def _retry_after(value: str) -> float:
    """Seconds to wait after a 429: Retry-After as delay-seconds or an HTTP date; 10 s if absent."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return DEFAULT_RETRY_AFTER_SECONDS
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _json_body(data: dict[str, Any]) -> bytes:
    """A request's JSON, compact and in UTF-8 (what httpx sent before: the same bytes)."""
    text = jsonlib.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.encode()


async def _bounded_body(response: aiohttp.ClientResponse) -> bytes:
    """The answer's body, refused past MAX_ANSWER_BYTES before more of it is read."""
    if (response.content_length or 0) > MAX_ANSWER_BYTES:
        raise _too_large()
    body = bytearray()
    async for chunk in response.content.iter_chunked(256 * 1024):
        body += chunk
        if len(body) > MAX_ANSWER_BYTES:
            raise _too_large()
    return bytes(body)


def _too_large() -> EcwidError:
    return EcwidError(
        f"Ecwid sent an answer larger than {MAX_ANSWER_BYTES // (1024 * 1024)} MB; "
        "the bot does not read it."
    )


def _should_retry(exc: BaseException) -> bool:
    return isinstance(exc, EcwidError) and (exc.transient or exc.retry_after is not None)


def _surely_not_received(exc: BaseException) -> bool:
    """For calls not to repeat blindly (a file's bytes): only a 429 or no connection at all."""
    return isinstance(exc, EcwidError) and (exc.retry_after is not None or exc.unsent)


def _wait(state: RetryCallState) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, EcwidError) and exc.retry_after is not None:
        return max(exc.retry_after, 0.5)
    return _backoff(state)


def _stop(state: RetryCallState) -> bool:
    """429: give up rather than wait more than a minute in all; otherwise 3 attempts in all."""
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, EcwidError) and exc.retry_after is not None:
        return state.idle_for + state.upcoming_sleep > MAX_RATE_LIMIT_WAIT_SECONDS
    return state.attempt_number >= MAX_ATTEMPTS


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    log.warning(
        "ecwid call failed (%s), attempt %d; retrying in %.1f s",
        getattr(exc, "status", None) or type(exc).__name__,
        state.attempt_number,
        state.upcoming_sleep,
    )


_backoff = wait_random_exponential(multiplier=0.5, max=4)


class EcwidClient:
    """Calls one store's API through a shared aiohttp session.

    aiohttp directly, not httpx over it: httpx's request building and cookie handling doubled
    each call's CPU (py-spy over burst.py, see docs/performance.md)."""

    @classmethod
    def for_settings(
        cls,
        http: aiohttp.ClientSession,
        settings: Settings,
        *,
        shared: SharedSchedule | None = None,
    ) -> EcwidClient:
        return cls(
            http,
            api_url=settings.ecwid_api_url,
            store_id=settings.ecwid_store_id,
            token=settings.ecwid_token,
            timeout=settings.ecwid_timeout_seconds,
            rate_limit=settings.ecwid_rate_limit,
            shared=shared,
        )

    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        api_url: str,
        store_id: int,
        token: str,
        timeout: float,
        rate_limit: RateLimit = ECWID_LIMIT,
        shared: SharedSchedule | None = None,
    ) -> None:
        """`shared`: the store's schedule shared with other processes (PostgreSQL), if any."""
        self._http = http
        self.store_id = store_id
        self._base = f"{api_url.rstrip('/')}/{store_id}"
        self._headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        self._timeout = timeout
        # Ecwid allows 600 calls a minute: a burst goes through at once, more waits here instead
        # of turning into 429s.
        self.budget = CallBudget(rate_limit, shared=shared)

    async def _call(self, method: str, path: str, **options: Any) -> Any:
        """One API call's JSON answer (see _answer)."""
        return (await self._answer(method, path, **options)).data

    async def _answer(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        what: str,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        content: bytes | None = None,
        time_limit: float | None = None,
        retries: bool = True,
        retry_if: Callable[[BaseException], bool] = _should_retry,
    ) -> _Answer:
        """One API call, retried with tenacity when Ecwid is busy or briefly unavailable: the
        status Ecwid answered and its JSON.

        Re-sending an upload is harmless: it replaces the main image with the same one.
        """
        retrying = AsyncRetrying(
            retry=retry_if_exception(retry_if if retries else lambda _: False),
            wait=_wait,
            stop=_stop,
            before_sleep=_log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._call_once(
                    method,
                    path,
                    scope=scope,
                    what=what,
                    params=params,
                    json=json,
                    content=content,
                    seconds=time_limit or self._timeout,
                )
        raise AssertionError("unreachable: tenacity reraises the last error")

    async def _call_once(
        self,
        method: str,
        path: str,
        *,
        scope: str,
        what: str,
        params: dict[str, str] | None,
        json: dict[str, Any] | None,
        content: bytes | None,
        seconds: float,
    ) -> _Answer:
        url = self._base + path + (f"?{urlencode(params)}" if params else "")
        headers, body = self._body(json, content)
        try:
            # The whole exchange is held to the setting, so an answer trickled a byte at a time
            # cannot hold a worker past it; a connection not made within CONNECT_SECONDS is
            # "unsent" (nothing reached Ecwid: safe to send again).
            async with (
                self.budget.call(),
                asyncio.timeout(seconds),
                self._http.request(
                    method,
                    yarl.URL(url, encoded=True),
                    data=body,
                    headers=headers,
                    allow_redirects=False,  # the token is for Ecwid's API only
                    timeout=aiohttp.ClientTimeout(
                        total=seconds, sock_connect=min(seconds, CONNECT_SECONDS)
                    ),
                ) as response,
            ):
                status, reason = response.status, response.reason
                retry_after = response.headers.get("Retry-After", "")
                raw = await _bounded_body(response)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            # No connection was made, so nothing was sent.
            log.warning("ecwid %s %s: no connection (%s)", method, path, type(exc).__name__)
            raise EcwidError(
                "Could not reach Ecwid; try again shortly.", transient=True, unsent=True
            ) from exc
        except TimeoutError as exc:
            raise EcwidError(
                f"Ecwid did not answer within {seconds:g} s; try again in a few minutes.",
                transient=True,
            ) from exc
        except aiohttp.ClientError as exc:
            log.warning("ecwid %s %s failed: %s", method, path, type(exc).__name__)
            raise EcwidError("Could not reach Ecwid; try again shortly.", transient=True) from exc
        if 200 <= status < 300:
            try:
                return _Answer(status, jsonlib.loads(raw) if raw else {})
            except ValueError as exc:
                raise EcwidError("Ecwid sent an answer that is not JSON.") from exc
        code, message = _error_details(raw, reason)
        log.info("ecwid %s %s -> %s %s", method, path, status, code)
        if status == 429:  # every call of the store waits, in every process
            await self.budget.pause(_retry_after(retry_after))
        raise EcwidError(
            explain_status(status, code, scope=scope, what=what),
            ecwid_said=message,
            status=status,
            code=code,
            transient=status >= 500,
            retry_after=_retry_after(retry_after) if status == 429 else None,
        )

    def _body(
        self, json: dict[str, Any] | None, content: bytes | None
    ) -> tuple[dict[str, str], bytes | None]:
        """A call's headers and body: a file's bytes, or JSON encoded as httpx did (compact,
        UTF-8), or none."""
        if content is not None:
            return {**self._headers, "Content-Type": "application/octet-stream"}, content
        if json is not None:
            return {**self._headers, "Content-Type": "application/json"}, _json_body(json)
        return self._headers, None

    async def get_product(self, product_id: int) -> Product:
        """The product with its variations (carried inline, as `combinations[]`)."""
        return _product(await self._existing_product(product_id, PRODUCT_FIELDS))

    async def product_state(self, product_id: int) -> ProductState:
        """The product and what its image slots show now, in one read (an upload's only read
        before it is sent)."""
        return _state(await self._existing_product(product_id, STATE_FIELDS))

    async def product_states(self, ids: Sequence[int]) -> dict[int, ProductState]:
        """What many products' slots show now, up to 100 a call (`productId=1,2,3`: search
        answers carry the variations inline, with their images); missing ones are absent."""
        states = map(_state, await self._by_ids(ids, STATE_FIELDS))
        return {state.product.id: state for state in states}

    async def _by_ids(self, ids: Sequence[int], fields: str) -> list[Any]:
        """Products' answers by id, a hundred a call (`productId=1,2,3`), trimmed to `fields`."""
        found: list[Any] = []
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_SIZE):
            batch = unique[start : start + BATCH_SIZE]
            items, _ = await self._search_raw(
                {"productId": ",".join(map(str, batch))},
                what="the products",
                every_page=True,
                fields=f"total,items({fields})",
            )
            found += items
        return found

    async def search_by_sku(self, sku: str) -> list[Product]:
        """The products Ecwid answers for one SKU: those whose own SKU, or one of whose
        variations' SKU, is exactly `sku`. `sku` takes one SKU ("if SKU value is an exact
        match"; the official client types it as one String, ProductsSearchRequest.kt)."""
        products, _ = await self._search({"sku": sku}, what=f"SKU {sku}", every_page=True)
        return products

    async def search_by_keyword(self, text: str) -> list[Product]:
        """Products whose name, SKU, options… contain `text` (Ecwid's keyword search): where a
        SKU that differs only in letter case is looked for when the exact search finds none."""
        products, _ = await self._search({"keyword": text}, what=f"SKU {text}", every_page=True)
        return products

    async def products_by_ids(self, ids: Sequence[int]) -> dict[int, Product]:
        """Many products by id, up to 100 a call (`productId=1,2,3`); missing ones are absent."""
        found: dict[int, Product] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), BATCH_SIZE):
            batch = unique[start : start + BATCH_SIZE]
            products, _ = await self._search(
                {"productId": ",".join(map(str, batch))}, what="the products", every_page=True
            )
            found.update((product.id, product) for product in products)
        return found

    async def catalog_page(
        self, offset: int, *, updated_from: int | None = None
    ) -> tuple[list[Product], int]:
        """One page (100) of the whole catalog, or of the products changed since a unix time,
        and how many there are in all (`total`)."""
        params = {"offset": str(offset)}
        if updated_from is not None:
            params["updatedFrom"] = str(updated_from)
        return await self._search(params, what="the catalog", every_page=False)

    async def audit_page(self, scope: Scope, offset: int) -> tuple[list[AuditItem], int]:
        """One page (100) of the products an audit covers, as it reads them, and how many
        there are in all: the catalog, a category's (with its subcategories': official client
        ProductsSearchRequest `categories`, `includeProductsFromSubcategories`), or a search's."""
        params = {"offset": str(offset)}
        if scope.category is not None:
            params["categories"] = str(scope.category)
            params["includeProductsFromSubcategories"] = "true"
        if scope.search is not None:
            params["keyword"] = scope.search
        items, total = await self._search_raw(
            params, what="the catalog", every_page=False, fields=AUDIT_FIELDS
        )
        return [item for raw in items if (item := _audited(raw)) is not None], total

    async def category_audit_page(self, offset: int) -> tuple[list[tuple[AuditItem, int]], int]:
        """One page (100) of the store's categories, each as an audit reads it with its parent's
        id (0: none), and how many there are (`GET /categories`; official client
        CategoriesSearchRequest `offset`, `limit`; FetchedCategory `parentId`)."""
        data = await self._call(
            "GET",
            "/categories",
            scope="read_catalog",
            what="the categories",
            params={
                "offset": str(offset),
                "limit": str(BATCH_SIZE),
                # Disabled categories too (official client: CategoriesSearchRequest
                # `hiddenCategories`, sent as hidden_categories): their images are the store's.
                "hidden_categories": "true",
                "responseFields": CATEGORY_AUDIT_FIELDS,
            },
        )
        items = data.get("items") if isinstance(data, dict) else None
        page = [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []
        total = data.get("total") if isinstance(data, dict) else None
        found = [
            (_category_audit_item(item), int(item.get("parentId") or 0))
            for item in page
            if isinstance(item.get("id"), int)
        ]
        return found, total if isinstance(total, int) else len(page)

    async def _search(
        self, params: dict[str, str], *, what: str, every_page: bool
    ) -> tuple[list[Product], int]:
        """GET /products trimmed to what a look-up needs: its items (every page of them, or the
        one page asked for) and `total`."""
        items, total = await self._search_raw(
            params, what=what, every_page=every_page, fields=SEARCH_FIELDS
        )
        return [_product(item) for item in items], total

    async def _search_raw(
        self, params: dict[str, str], *, what: str, every_page: bool, fields: str
    ) -> tuple[list[Any], int]:
        items: list[Any] = []
        offset = int(params.get("offset", "0"))
        while True:
            data = await self._call(
                "GET",
                "/products",
                scope="read_catalog",
                what=what,
                params={
                    **params,
                    "limit": str(BATCH_SIZE),
                    "offset": str(offset),
                    "responseFields": fields,
                },
            )
            page = data.get("items") if isinstance(data, dict) else None
            page = page if isinstance(page, list) else []
            total = data.get("total") if isinstance(data, dict) else None
            total = total if isinstance(total, int) else len(page)
            items += page
            offset += len(page)
            if not every_page or not page or offset >= total:
                return items, total

    async def _variations_raw(self, product_id: int) -> list[dict[str, Any]]:
        data = await self._call(
            "GET",
            f"/products/{product_id}/combinations",
            scope="read_catalog",
            what=f"the variations of product {product_id}",
        )
        return [v for v in data if isinstance(v, dict)] if isinstance(data, list) else []

    async def get_variation(self, product_id: int, variation_id: int) -> Product:
        """The product with one of its variations, by their ids: one read, as the product
        answer carries its variations inline."""
        product = await self.get_product(product_id)
        for variation in product.variations:
            if variation.id == variation_id:
                return replace(product, variation=variation)
        raise ProductNotFound(
            f"Product {product_id} has no variation with id {variation_id}.", status=404
        )

    async def search_products(self, query: str, *, limit: int, time_limit: float) -> list[Product]:
        """Products whose name, SKU, … match `query` (prefix matching, as people type)."""
        data = await self._call(
            "GET",
            "/products",
            scope="read_catalog",
            what="the product search",
            params={
                "keyword": query.rstrip("*") + "*",
                "limit": str(limit),
                "responseFields": SEARCH_FIELDS,
            },
            time_limit=time_limit,
            retries=False,  # Slack waits only 3 s for type-ahead options
        )
        return [_product(item) for item in data.get("items") or []]

    async def upload_image(self, slot: ImageSlot, upload: ImageUpload) -> UploadResult:
        """By URL (Ecwid fetches it later): the slot's async call."""
        answer = await self._answer(
            "POST",
            slot.path + "/async",
            scope="update_catalog",
            what=f"product {slot.product_id}",
            json=upload.to_json(),
        )
        return _upload_result(answer)

    async def upload_image_bytes(
        self, slot: ImageSlot, data: bytes, *, file_name: str = ""
    ) -> UploadResult:
        """The file itself, synchronously. Sent again only when Ecwid surely did not get it (no
        connection, or a 429); otherwise the failure says it is unknown whether it arrived."""
        params = {"fileName": file_name or "image"} if slot.kind == "gallery" else None
        try:
            answer = await self._answer(
                "POST",
                slot.path,
                scope="update_catalog",
                what=f"product {slot.product_id}",
                params=params,
                content=data,
                time_limit=max(BYTES_UPLOAD_SECONDS, self._timeout),
                retry_if=_surely_not_received,
            )
        except EcwidError as exc:
            if exc.transient and not exc.unsent:
                raise EcwidError(
                    f"{exc.message} The file may or may not have reached Ecwid: check the "
                    "product before trying again.",
                    ecwid_said=exc.quoted,
                    status=exc.status,
                    code=exc.code,
                ) from exc
            raise
        return _upload_result(answer)

    async def set_alt(
        self,
        slot: ImageSlot,
        image_url: str | None,
        alt_main: str | None,
        translated: dict[str, str],
    ) -> None:
        """The alt text of the slot's image (for the gallery: of the image Ecwid serves from
        `image_url`, as found by `find_added` or read just before)."""
        if slot.kind == "variation" and slot.variation_id is not None:
            await self.set_variation_alt(slot.product_id, slot.variation_id, alt_main, translated)
        elif slot.kind == "category":
            await self.set_category_alt(slot.product_id, alt_main, translated)
        else:
            target = image_url if slot.kind == "gallery" else None
            await self.set_image_alt(slot.product_id, target, alt_main, translated)

    async def set_image_alt(
        self,
        product_id: int,
        image_url: str | None,
        alt_main: str | None,
        translated: dict[str, str],
    ) -> None:
        """Set one image's alt text, changing nothing else of the product: the image Ecwid
        serves from `image_url` (main or gallery), or the main image when it is None
        (`set_image_alts` with one image)."""
        if await self.set_image_alts(product_id, {image_url: (alt_main, translated)}):
            raise EcwidError(ALT_NOT_SHOWN)

    async def set_image_alts(
        self,
        product_id: int,
        alts: Mapping[str | None, tuple[str | None, dict[str, str]]],
    ) -> set[str | None]:
        """Set several of a product's images' alt texts in one update, changing nothing else of
        the product: each image named by the URL Ecwid serves it from (None: the main image).

        Gallery ids may be places that shift (ref: media ids "start with 0 and iterate by 1"),
        so images are named by their URLs and their ids taken from the read just before the
        update. `PUT /products/{id}` with `media` must list "all images and videos… existing
        alt texts must be included" (ref): every image goes back as Ecwid has it (id, order,
        alt; client UpdatedProduct.kt ProductMedia/ProductImage {id, orderBy, alt}) with only
        the named images' alt texts changed, and every video as Ecwid gave it. What Ecwid does
        with it is not documented, so the product is read again: the images whose alt texts
        Ecwid does not show (never claimed as set) are answered.
        """
        what = f"product {product_id}"
        wanted = {url: _alt_json(main, translated) for url, (main, translated) in alts.items()}

        def target(image: dict[str, Any], main_url: str | None) -> tuple[bool, str | None]:
            """Whether `wanted` names this image, and by which key."""
            url = _media_url(image, main_url)
            if url is not None and url in wanted:
                return True, url
            return bool(None in wanted and image.get("isMain")), None

        data = await self._read_product(product_id, MEDIA_FIELDS)
        main_url = _main_url(data)
        images = _images(data)
        found = {key for hit, key in (target(image, main_url) for image in images) if hit}
        if found != set(wanted):
            which = "main image" if set(wanted) - found == {None} else "image"
            raise EcwidError(
                f"Ecwid shows no such {which} of {what} now to set the alt text on: the "
                "gallery may have changed."
            )
        updated: list[dict[str, Any]] = []
        for image in images:
            if "id" not in image:
                continue
            kept: dict[str, Any] = {"id": str(image["id"]), "orderBy": image.get("orderBy", 0)}
            hit, key = target(image, main_url)
            if hit:
                kept["alt"] = wanted[key]
            elif image.get("alt"):
                kept["alt"] = image["alt"]
            updated.append(kept)
        await self._call(
            "PUT",
            f"/products/{product_id}",
            scope="update_catalog",
            what=what,
            json={"media": _media_json(updated, _videos(data))},
        )
        after = await self._read_product(product_id, MEDIA_FIELDS)
        after_main = _main_url(after)
        shown = {
            key: image.get("alt")
            for image in _images(after)
            for hit, key in [target(image, after_main)]
            if hit
        }
        return {key for key, alt in wanted.items() if not _alt_matches(shown.get(key), alt)}

    async def set_variation_alt(
        self, product_id: int, variation_id: int, alt_main: str | None, translated: dict[str, str]
    ) -> None:
        """A variation's image alt text: `PUT /products/{id}/combinations/{cid}` with only
        `alt` (official client: dto/variation/request/UpdatedVariation.kt, `alt`), read back."""
        alt = _alt_json(alt_main, translated)
        await self._call(
            "PUT",
            f"/products/{product_id}/combinations/{variation_id}",
            scope="update_catalog",
            what=f"product {product_id}",
            json={"alt": alt},
        )
        shown = next(
            (
                raw.get("alt")
                for raw in await self._variations_raw(product_id)
                if raw.get("id") == variation_id
            ),
            None,
        )
        if not _alt_matches(shown, alt):
            raise EcwidError(
                "Ecwid accepted the variation's alt text but does not show it: set it in the "
                "Ecwid admin."
            )

    async def current_image(self, slot: ImageSlot) -> CurrentImage | None:
        """The main image or a variation's image as it is now; None when there is none (and
        always for the gallery, where an upload adds and replaces nothing)."""
        if slot.kind == "gallery":
            return None
        if slot.kind == "category":
            return (await self.category_state(slot.product_id)).main
        if slot.kind == "variation":
            for raw in await self._variations_raw(slot.product_id):
                if raw.get("id") == slot.variation_id:
                    return _variation_image(raw)
            return None
        return _main_image(await self._read_product(slot.product_id, "id,originalImage,media"))

    async def slot_images(self, slot: ImageSlot) -> list[CurrentImage]:
        """Every image the slot shows now: the main image, the variation's image, or each
        gallery image and the main one (`media.images[]`, sized from `galleryImages[]`)."""
        if slot.kind != "gallery":
            current = await self.current_image(slot)
            return [current] if current is not None else []
        gallery = _gallery(await self._read_product(slot.product_id, GALLERY_FIELDS))
        # The main image too: a first gallery image may become the main image (ref).
        return [image.shown for image in gallery.images if image.url]

    async def delete_image(self, slot: ImageSlot) -> None:
        """Remove the slot's image: the main image, a variation's or a category's. A gallery
        image is removed by what it is, with `delete_shown`."""
        if slot.kind == "gallery":
            raise ValueError("a gallery image is deleted with delete_shown")
        await self._call(
            "DELETE", slot.path, scope="update_catalog", what=f"product {slot.product_id}"
        )

    async def delete_shown(self, product_id: int, url: str) -> bool:
        """Remove the product's image that Ecwid serves from `url`, main or gallery; False when
        the product shows no such image now (nothing is deleted).

        Gallery ids may be places that shift on every delete and reorder (ref: media ids
        "start with 0 and iterate by 1"; client: ProductsTest.testManipulateProductGalleryImages
        shows ids that stay), so the id is read just before the call that uses it:
        `DELETE /products/{id}/gallery/{imageId}`, or `DELETE /products/{id}/image` for the
        main image (ref: the slot table)."""
        gallery = await self.gallery(product_id)
        image = next((i for i in gallery.images if i.url == url), None)
        if image is None:
            return False
        path = (
            f"/products/{product_id}/image"
            if image.is_main
            else (f"/products/{product_id}/gallery/{image.id}")
        )
        await self._call("DELETE", path, scope="update_catalog", what=f"product {product_id}")
        return True

    async def category_state(self, category_id: int) -> ProductState:
        """A category as something an image is put on (`Product.kind` "category") and its
        image now: `GET /categories/{id}` (official client: FetchedCategory `name`,
        `originalImage`, `alt`)."""
        try:
            data = await self._call(
                "GET",
                f"/categories/{category_id}",
                scope="read_catalog",
                what=f"category {category_id}",
            )
        except EcwidError as exc:
            if (missing := _not_found(exc, f"category with id {category_id}")) is exc:
                raise
            raise missing from exc
        name = data.get("name") if isinstance(data, dict) else None
        category = Product(id=category_id, name=str(name or ""), sku=None, kind="category")
        return ProductState(category, _category_image(data))

    async def galleries(self, ids: Sequence[int]) -> dict[int, Gallery]:
        """Many products' images (main and gallery), a hundred products a call."""
        galleries = map(_gallery, await self._by_ids(ids, GALLERY_FIELDS))
        return {gallery.product.id: gallery for gallery in galleries}

    async def search_categories(self, text: str, *, limit: int) -> list[Product]:
        """Categories whose name contains `text` (`GET /categories?keyword=`), as images'
        targets (`Product.kind` "category")."""
        data = await self._call(
            "GET",
            "/categories",
            scope="read_catalog",
            what="the categories",
            params={"keyword": text, "limit": str(limit), "responseFields": "items(id,name)"},
        )
        items = data.get("items") if isinstance(data, dict) else None
        return [
            Product(id=int(item["id"]), name=str(item.get("name") or ""), sku=None, kind="category")
            for item in (items if isinstance(items, list) else [])
            if isinstance(item, dict) and isinstance(item.get("id"), int)
        ][:limit]

    async def set_category_alt(
        self, category_id: int, alt_main: str | None, translated: dict[str, str]
    ) -> None:
        """A category image's alt text: `PUT /categories/{id}` with only `alt {main,
        translated}`, read back as `alt` (official client, current source:
        dto/category/request/UpdatedCategory.kt `alt: UpdatedAlt`, dto/category/result/
        FetchedCategory.kt `alt: FetchedAlt`; an earlier revision named it `imageAlt`, replaced
        by `alt` in commit ee65fadc, and Ecwid ignores fields it does not know)."""
        alt = _alt_json(alt_main, translated)
        what = f"category {category_id}"
        path = f"/categories/{category_id}"
        await self._call("PUT", path, scope="update_catalog", what=what, json={"alt": alt})
        shown = await self._call("GET", path, scope="read_catalog", what=what)
        if not _alt_matches(shown.get("alt") if isinstance(shown, dict) else None, alt):
            raise EcwidError(
                "Ecwid accepted the alt text but does not show it on the category's image: set "
                "it in the Ecwid admin."
            )

    async def gallery(self, product_id: int) -> Gallery:
        """A product's images in order, main first, with their alt texts, its videos, and
        its variations' own images: one read."""
        data = await self._existing_product(product_id, GALLERY_FIELDS)
        return _gallery(data)

    async def reorder(self, gallery: Gallery, order: Sequence[str]) -> Gallery:
        """Put the images in `order` (their ids in `gallery`, which must have been read just
        before: ids may be places; the first becomes the main image).

        Sources: `PUT /products/{id}` with `media.images[] {id, orderBy, alt}` is how Ecwid's
        official client models a reorder (Ecwid/ecwid-java-api-client, dto/product/request/
        UpdatedProduct.kt ProductMedia/ProductImage; its test ProductsTest.
        testManipulateProductGalleryImages reorders this way), and the reference says to "list
        all images and videos… existing alt texts must be included": every image with its id,
        new `orderBy` and its alt texts as Ecwid has them, and the videos as Ecwid gave them.
        Never `PUT /products/{id}/media`: it makes Ecwid download every listed URL again,
        deletes what it does not list, takes no alt text and renumbers the ids (ref). Ecwid
        renumbers the gallery (the new first image becomes id "0", the old main image gets a
        new id, or every id is a place), so the product is read again: the gallery as Ecwid
        shows it now, for the caller to check that Ecwid did what was asked."""
        product_id = gallery.product.id
        by_id = {image.id: image for image in gallery.images}
        images = []
        for place, image_id in enumerate(order):
            image = by_id[image_id]
            listed: dict[str, Any] = {"id": image.id, "orderBy": place}
            if image.alt:
                listed["alt"] = image.alt
            images.append(listed)
        await self._call(
            "PUT",
            f"/products/{product_id}",
            scope="update_catalog",
            what=f"product {product_id}",
            json={"media": _media_json(images, list(gallery.videos))},
        )
        return await self.gallery(product_id)

    async def _existing_product(self, product_id: int, fields: str) -> Any:
        """GET /products/{id}; ProductNotFound when the store has no such product."""
        try:
            return await self._read_product(product_id, fields)
        except EcwidError as exc:
            if (missing := _not_found(exc, f"product with id {product_id}")) is exc:
                raise
            raise missing from exc

    async def _read_product(self, product_id: int, fields: str) -> Any:
        """GET /products/{id}, trimmed to `fields`: always fresh (the cache is the store's)."""
        return await self._call(
            "GET",
            f"/products/{product_id}",
            scope="read_catalog",
            what=f"product {product_id}",
            params={"responseFields": fields},
        )

    async def get_profile(self) -> StoreProfile:
        data = await self._call("GET", "/profile", scope="read_store_profile", what="the store")
        languages = data.get("languages") or {}
        enabled = tuple(languages.get("enabledLanguages") or ())
        default = languages.get("defaultLanguage") or (enabled[0] if enabled else "en")
        settings = data.get("settings") or {}
        return StoreProfile(
            name=str(settings.get("storeName") or ""),
            languages=StoreLanguages(default=default, enabled=enabled or (default,)),
        )

    async def token_refused(self) -> bool | None:
        """Whether Ecwid refuses this store's token (401 or 403 from GET /profile: the app was
        uninstalled); False when it answers; None when it could not be told (a 402, a 5xx, no
        answer). Asked once, not retried: a webhook's confirmation, not a person's wait."""
        try:
            await self._answer(
                "GET", "/profile", scope="read_store_profile", what="the store", retries=False
            )
        except EcwidError as exc:
            # Ecwid's dead token: 403 INVALID_API_TOKEN (a 403 without it may be a proxy's page,
            # or a token short of a scope: still the store's).
            refused = exc.status == 401 or (exc.status == 403 and exc.code == "INVALID_API_TOKEN")
            if not refused:
                log.warning(
                    "ecwid store %s: its token could not be told gone (%s)",
                    self.store_id,
                    exc.status,
                )
            return True if refused else None
        return False

    async def can_update_catalog(self) -> bool | None:
        """Whether the token has `update_catalog`, without changing anything; None when Ecwid
        did not say (no answer, a 5xx, a rate limit).

        An upload to product 0, which cannot exist, is refused for a missing scope (403) before
        Ecwid looks for the product (404) or checks the body (400).
        """
        try:
            await self._call(
                "POST",
                "/products/0/image/async",
                scope="update_catalog",
                what="product 0",
                json={},
                retries=False,
            )
        except EcwidError as exc:
            if exc.status is None or exc.status >= 500 or exc.status == 429:
                return None
            return exc.status != 403
        return True


def _media_json(images: list[dict[str, Any]], videos: list[Any]) -> dict[str, Any]:
    """A product update's `media`: every image, and every video as Ecwid gave it (ref: "list
    all images and videos… existing alt texts must be included"; media left out may be
    removed). `videos` is sent only when the product has some."""
    media: dict[str, Any] = {"images": images}
    if videos:
        media["videos"] = videos
    return media


def _videos(product: Any) -> list[Any]:
    """A product answer's media.videos, as Ecwid gave them (client: FetchedProduct.kt
    ProductMedia.videos, ProductVideo)."""
    media = product.get("media") if isinstance(product, dict) else None
    videos = media.get("videos") if isinstance(media, dict) else None
    return list(videos) if isinstance(videos, list) else []


def _main_url(product: Any) -> str | None:
    original = product.get("originalImage") if isinstance(product, dict) else None
    url = original.get("url") if isinstance(original, dict) else None
    return url if isinstance(url, str) and url else None


def _media_url(image: dict[str, Any], main_url: str | None) -> str | None:
    """Where Ecwid serves a media image from: its `imageOriginalUrl`, the main image's
    `originalImage.url` where the media entry has none (as `_gallery` reads it)."""
    url = image.get("imageOriginalUrl") or (main_url if image.get("isMain") else None)
    return url if isinstance(url, str) and url else None


def _images(product: Any) -> list[dict[str, Any]]:
    """A product answer's media.images, as dicts (whatever Ecwid left out)."""
    media = product.get("media") if isinstance(product, dict) else None
    images = media.get("images") if isinstance(media, dict) else None
    return [i for i in images if isinstance(i, dict)] if isinstance(images, list) else []


def _not_found(exc: EcwidError, what: str) -> EcwidError:
    """A 404 about the thing asked for (not the store) in plain words; else Ecwid's error."""
    if exc.status == 404 and exc.code != "STORE_NOT_FOUND":
        return ProductNotFound(f"There is no {what} in the store.", status=404)
    return exc


def _category_image(data: Any) -> CurrentImage | None:
    """A category answer's image (`originalImage`, else `originalImageUrl`) and its `alt`."""
    if not isinstance(data, dict):
        return None
    raw = data.get("originalImage")
    original: dict[str, Any] = raw if isinstance(raw, dict) else {}
    url = original.get("url") or data.get("originalImageUrl")
    if not isinstance(url, str) or not url:
        return None
    alt_main, alt_translated = _alt_texts(data.get("alt"))
    width, height = _size(original)
    return CurrentImage(
        url=url,
        width=width,
        height=height,
        alt_main=alt_main,
        alt_translated=alt_translated,
    )


def _gallery(data: Any) -> Gallery:
    """A product answer's media as a Gallery: by `orderBy`, the main image first."""
    original = data.get("originalImage") if isinstance(data, dict) else None
    main_url = original.get("url") if isinstance(original, dict) else None
    main_size = _size(original)
    sizes = _gallery_sizes(data)
    found: list[GalleryImage] = []
    for raw in _images(data):
        if raw.get("id") is None:
            continue
        is_main = bool(raw.get("isMain"))
        url = raw.get("imageOriginalUrl") or (main_url if is_main else None)
        thumbnail = raw.get("image160pxUrl") or raw.get("image400pxUrl") or url
        alt_main, alt_translated = _alt_texts(raw.get("alt"))
        if is_main and not url:
            continue  # no main image: the slot is empty
        width, height = main_size if is_main else sizes.get(str(url), (None, None))
        found.append(
            GalleryImage(
                id=str(raw["id"]),
                order=int(raw.get("orderBy") or 0),
                is_main=is_main,
                url=url if isinstance(url, str) else None,
                thumbnail=thumbnail if isinstance(thumbnail, str) else None,
                alt=raw.get("alt") or None,
                alt_main=alt_main,
                alt_translated=alt_translated,
                rendition=_rendition(raw),
                width=width,
                height=height,
            )
        )
    found.sort(key=lambda image: (not image.is_main, image.order))
    media = data.get("media") if isinstance(data, dict) else None
    videos = media.get("videos") if isinstance(media, dict) else None
    state = _state(data)
    return Gallery(
        product=state.product,
        images=tuple(found),
        videos=tuple(videos) if isinstance(videos, list) else (),
        variation_images=state.variation_images,
    )


def _names(data: dict[str, Any]) -> dict[str, str]:
    """`nameTranslated` (official client: FetchedProduct, FetchedCategory), its texts only."""
    names = data.get("nameTranslated")
    if not isinstance(names, dict):
        return {}
    return {str(lang): text for lang, text in names.items() if isinstance(text, str) and text}


def _audited(raw: Any) -> AuditItem | None:
    """A page's product as an audit reads it; None for one the answer does not describe (no
    numeric id): left out, not the audit stopped."""
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
        log.warning("an audit's page had a product without an id: left out")
        return None
    try:
        return _audit_item(raw)
    except (TypeError, ValueError, KeyError) as exc:
        log.warning("an audit's page had a product it could not read: %s", type(exc).__name__)
        return None


def _audit_item(data: dict[str, Any]) -> AuditItem:
    """A product as an audit reads it: its main and gallery images (media, with the sizes of
    `originalImage` and legacy `galleryImages[]`), its variations' own images (no size: ref),
    and its variations with options but no image of their own."""
    gallery = _gallery(data)
    images = [
        AuditImage(
            AuditSlot.MAIN if image.is_main else AuditSlot.GALLERY,
            image.id,
            image.alt_main,
            dict(image.alt_translated),
            image.width,
            image.height,
            # Ecwid's small copy (image160pxUrl, else 400): never the original itself.
            image.thumbnail if image.thumbnail and image.thumbnail != image.url else None,
            image.url,
        )
        for image in gallery.images
    ]
    bare: list[int] = []
    bare_options: dict[int, dict[str, str]] = {}
    combinations = data.get("combinations")
    for raw in combinations if isinstance(combinations, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
            continue
        own = _variation_image(raw)
        if own is not None:
            translated = dict(own.alt_translated)
            images.append(
                AuditImage(
                    AuditSlot.VARIATION,
                    str(raw["id"]),
                    own.alt_main,
                    translated,
                    url=own.url,
                    options=_option_values(raw.get("options")),
                )
            )
        elif raw.get("options"):
            bare.append(raw["id"])
            bare_options[raw["id"]] = _option_values(raw.get("options"))[""]
    product = gallery.product
    category = data.get("defaultCategoryId")
    return AuditItem(
        id=product.id,
        sku=product.sku,
        name=product.name,
        names=_names(data),
        images=tuple(images),
        has_main=any(image.is_main for image in gallery.images),
        bare_variations=tuple(bare),
        bare_options=bare_options,
        default_category=category if isinstance(category, int) and category > 0 else None,
    )


def _option_values(raw: Any) -> dict[str, dict[str, str]]:
    """A variation's `options[{name, value, nameTranslated, valueTranslated}]` (ref) by language
    ("" the default): each option's value under its default name and its translated one."""
    found: dict[str, dict[str, str]] = {"": {}}
    for option in raw if isinstance(raw, list) else []:
        if not isinstance(option, dict):
            continue
        name, value = option.get("name"), option.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            continue
        found[""][name] = value
        raw_names, raw_values = option.get("nameTranslated"), option.get("valueTranslated")
        names: dict[str, Any] = raw_names if isinstance(raw_names, dict) else {}
        values: dict[str, Any] = raw_values if isinstance(raw_values, dict) else {}
        for lang in set(names) | set(values):
            shown = values.get(lang) if isinstance(values.get(lang), str) else value
            per = found.setdefault(str(lang), {})
            per[name] = str(shown)
            if isinstance(names.get(lang), str):
                per[str(names[lang])] = str(shown)
    return found


def _category_audit_item(data: dict[str, Any]) -> AuditItem:
    image = _category_image(data)
    images: tuple[AuditImage, ...] = ()
    if image is not None:
        translated = dict(image.alt_translated)
        shown = AuditImage(
            AuditSlot.CATEGORY,
            str(data["id"]),
            image.alt_main,
            translated,
            image.width,
            image.height,
            url=image.url,
        )
        images = (shown,)
    return AuditItem(
        id=int(data["id"]),
        sku=None,
        name=str(data.get("name") or ""),
        names=_names(data),
        images=images,
        category=True,
    )


def _rendition(raw: dict[str, Any]) -> str | None:
    """The largest of Ecwid's smaller copies of a media image (ref: `media.images[]`
    image160pxUrl … image1500pxUrl); None when the answer has none."""
    for name in ("image1500pxUrl", "image800pxUrl", "image400pxUrl", "image160pxUrl"):
        if isinstance(url := raw.get(name), str) and url:
            return url
    return None


def _size(raw: Any) -> tuple[int | None, int | None]:
    """An image's {width, height} where both are positive numbers (ref: `originalImage`,
    legacy `galleryImages[]`); else unknown."""
    if not isinstance(raw, dict):
        return None, None
    width, height = raw.get("width"), raw.get("height")
    if isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0:
        return width, height
    return None, None


def _gallery_sizes(data: Any) -> dict[str, tuple[int | None, int | None]]:
    """Each gallery image's size by its original's URL, from the legacy `galleryImages[]
    {originalImageUrl, width, height}` (ref: the only place Ecwid gives a gallery image's
    size; matched by URL, as media ids may be places, not images)."""
    legacy = data.get("galleryImages") if isinstance(data, dict) else None
    listed = legacy if isinstance(legacy, list) else []
    return {
        str(raw["originalImageUrl"]): _size(raw)
        for raw in listed
        if isinstance(raw, dict) and raw.get("originalImageUrl")
    }


def _state(data: Any) -> ProductState:
    """A product answer (or a search item) as what its slots show."""
    variation_images: list[tuple[int, CurrentImage]] = []
    combinations = data.get("combinations") if isinstance(data, dict) else None
    for raw in combinations if isinstance(combinations, list) else []:
        image = _variation_image(raw)
        if image is not None and isinstance(raw.get("id"), int):
            variation_images.append((raw["id"], image))
    return ProductState(_product(data), _main_image(data), tuple(variation_images))


def _main_image(data: Any) -> CurrentImage | None:
    """The main image a product answer shows (`originalImage`, the main media image's alt)."""
    original = data.get("originalImage") if isinstance(data, dict) else None
    if not isinstance(original, dict) or not original.get("url"):
        return None
    main = next((image for image in _images(data) if image.get("isMain")), {})
    alt_main, alt_translated = _alt_texts(main.get("alt"))
    width, height = _size(original)
    return CurrentImage(
        url=str(original["url"]),
        width=width,
        height=height,
        alt_main=alt_main,
        alt_translated=alt_translated,
        rendition=_rendition(main),
    )


def _variation_image(raw: Any) -> CurrentImage | None:
    """A variation's own image (absent when it shows the product's: ref)."""
    if not isinstance(raw, dict):
        return None
    url = raw.get("originalImageUrl") or raw.get("imageUrl")
    if not isinstance(url, str) or not url:
        return None
    alt_main, alt_translated = _alt_texts(raw.get("alt"))
    return CurrentImage(url, alt_main=alt_main, alt_translated=alt_translated)


def _alt_json(alt_main: str | None, translated: dict[str, str]) -> dict[str, Any]:
    """Alt text as Ecwid takes it: `{"main": …, "translated": {lang: …}}`, empty parts left out."""
    alt: dict[str, Any] = {}
    if alt_main:
        alt["main"] = alt_main
    if translated:
        alt["translated"] = dict(translated)
    return alt


def _alt_texts(value: Any) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    """The main and translated alt texts of an answer's `alt` (FetchedAlt: main, translated)."""
    alt: dict[str, Any] = value if isinstance(value, dict) else {}
    translated_value = alt.get("translated")
    translated: dict[str, Any] = translated_value if isinstance(translated_value, dict) else {}
    main = str(alt["main"]) if alt.get("main") else None
    return main, tuple((str(k), str(v)) for k, v in translated.items() if v)


def _alt_matches(shown: Any, asked: dict[str, Any]) -> bool:
    """Whether Ecwid shows the alt text asked for. Ecwid may fill translations it was not given
    with the main text, so only what was asked is compared."""
    main, translated = _alt_texts(shown)
    if asked.get("main") and main != asked["main"]:
        return False
    shown_translated = dict(translated)
    return all(
        shown_translated.get(lang) == text for lang, text in asked.get("translated", {}).items()
    )


@dataclass(frozen=True)
class _Answer:
    status: int
    data: Any


def _upload_result(answer: _Answer) -> UploadResult:
    image_id = answer.data.get("id") if isinstance(answer.data, dict) else None
    return UploadResult(image_id if isinstance(image_id, int) else None, answer.status)


def _variation(data: Any) -> Variation | None:
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        return None
    options = tuple(
        (str(o.get("name") or ""), str(o.get("value") or ""))
        for o in data.get("options") or []
        if isinstance(o, dict)
    )
    sku = data.get("sku")
    return Variation(
        id=data["id"], sku=sku if isinstance(sku, str) and sku else None, options=options
    )


def _product(data: Any) -> Product:
    if not isinstance(data, dict) or not isinstance(data.get("id"), int):
        raise EcwidError("Ecwid sent a product without an id.")
    combinations = data.get("combinations")
    variations = (
        tuple(v for v in map(_variation, combinations) if v)
        if isinstance(combinations, list)
        else ()
    )
    sku = data.get("sku")
    options = data.get("options")
    return Product(
        id=data["id"],
        name=str(data.get("name") or ""),
        sku=sku if isinstance(sku, str) and sku else None,
        variations=variations,
        choices=choices_of([o for o in options if isinstance(o, dict)])
        if isinstance(options, list)
        else (),
    )
