"""A loopback Ecwid REST API for one store: products, profile and the async main-image upload."""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.recorder import LoopbackServer, delay_or_drop

STORE_ID = 1003
TOKEN = "secret_test_ecwid_token_0123456789"


_SCOPES = {
    "product": "read_catalog",
    "search": "read_catalog",
    "upload": "update_catalog",
    "upload-bytes": "update_catalog",
    "gallery": "update_catalog",
    "variation-image": "update_catalog",
    "combinations": "read_catalog",
    "update": "update_catalog",
    "profile": "read_store_profile",
}
MAX_BYTES = 20 * 1024 * 1024


def media(*gallery: dict[str, Any]) -> dict[str, Any]:
    """A product's media as Ecwid answers it: the main image (id "0") and gallery images."""
    main = {"id": "0", "isMain": True, "orderBy": 0, "alt": {}}
    return {"images": [main, *gallery]}


@dataclass
class EcwidCall:
    method: str
    path: str  # below /api/v3/{store}
    query: dict[str, str]
    authorization: str | None
    body: Any = None  # JSON, or the bytes of a binary upload
    content_type: str | None = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    """An answer to give instead of the normal one: status, JSON body (or raw text), delay."""

    status: int
    body: Any = None
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0  # seconds between the bytes of the answer
    drop: bool = False  # close the connection without answering


class FakeEcwid(LoopbackServer):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[EcwidCall] = []
        self.products: dict[int, dict[str, Any]] = {
            123: {
                "id": 123,
                "name": "Red Shoe",
                "sku": "RS-1",
                "media": media(
                    {"id": "55", "isMain": False, "orderBy": 1, "alt": {"main": "Side"}}
                ),
            },
            456: {"id": 456, "name": "Blue Hat", "sku": "BH-2"},
        }
        # product id → its variations, as GET /products/{id}/combinations answers them
        self.combinations: dict[int, list[dict[str, Any]]] = {
            789: [
                {
                    "id": 501,
                    "combinationNumber": 1,
                    "sku": "RUN-42",
                    "options": [{"name": "Size", "value": "42"}],
                },
                {"id": 502, "combinationNumber": 2, "options": [{"name": "Size", "value": "43"}]},
            ]
        }
        self.products[789] = {"id": 789, "name": "Runner", "sku": "RUN", "media": media()}
        self.languages = {"enabledLanguages": ["en", "nl", "de"], "defaultLanguage": "en"}
        self.upload_delay = 0.0
        self.upload_answer: dict[str, Any] | None = None  # None: a fresh {"id": …}
        self.faults: dict[str, list[Fault]] = {}  # route name → faults to serve, in order
        self.missing_scopes: set[str] = set()  # scopes the token lacks
        self._image_ids = itertools.count(987654321)
        self.stored: dict[int, bytes] = {}  # image id → the bytes uploaded for it
        # As Ecwid: at most `calls` in any `seconds` (a sliding window); past it, 429.
        self.rate_limit: tuple[int, float] | None = None
        self.rate_limited: list[EcwidCall] = []  # the calls answered 429
        self._window: collections.deque[float] = collections.deque()
        base = f"/api/v3/{STORE_ID}"
        self.web_app.router.add_get(base + "/products/{id}", self._product)
        self.web_app.router.add_get(base + "/products", self._search)
        self.web_app.router.add_post(base + "/products/{id}/image/async", self._upload)
        self.web_app.router.add_post(base + "/products/{id}/image", self._upload_bytes)
        self.web_app.router.add_put(base + "/products/{id}", self._update)
        self.web_app.router.add_delete(base + "/products/{id}/image", self._delete_main)
        self.web_app.router.add_delete(
            base + "/products/{id}/gallery/{image}", self._delete_gallery
        )
        self.web_app.router.add_delete(
            base + "/products/{id}/combinations/{cid}/image", self._delete_variation_image
        )
        self.web_app.router.add_get(base + "/products/{id}/combinations", self._combinations)
        self.web_app.router.add_post(base + "/products/{id}/gallery/async", self._gallery)
        self.web_app.router.add_post(base + "/products/{id}/gallery", self._gallery)
        self.web_app.router.add_post(
            base + "/products/{id}/combinations/{cid}/image/async", self._variation_image
        )
        self.web_app.router.add_post(
            base + "/products/{id}/combinations/{cid}/image", self._variation_image
        )
        self.web_app.router.add_get(base + "/profile", self._profile)

    @property
    def api_url(self) -> str:
        return self.url("/api/v3")

    @property
    def uploads(self) -> list[EcwidCall]:
        return [c for c in self.calls if c.path.endswith("/image/async")]

    @property
    def byte_uploads(self) -> list[EcwidCall]:
        return [c for c in self.calls if c.method == "POST" and c.path.endswith("/image")]

    @property
    def updates(self) -> list[EcwidCall]:
        return [c for c in self.calls if c.method == "PUT"]

    async def _record(self, request: web.Request, route: str) -> web.Response | None:
        body: Any = None
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if request.content_type == "application/json" else raw
        path = request.path.removeprefix(f"/api/v3/{STORE_ID}")
        self.calls.append(
            EcwidCall(
                request.method,
                path,
                dict(request.query),
                request.headers.get("Authorization"),
                body,
                request.headers.get("Content-Type"),
            )
        )
        await self.notify()
        if request.headers.get("Authorization") != f"Bearer {TOKEN}" or "token" in request.query:
            return web.json_response(
                {"errorMessage": "Invalid token", "errorCode": "INVALID_API_TOKEN"}, status=403
            )
        if _SCOPES[route] in self.missing_scopes:
            return web.json_response(
                {"errorMessage": "Token lacks a scope", "errorCode": "INSUFFICIENT_APP_SCOPE"},
                status=403,
            )
        if self.rate_limit is not None and (limited := self._over_limit()) is not None:
            return limited
        queued = self.faults.get(route)
        if queued:
            fault = queued.pop(0)
            dropped = await delay_or_drop(request, fault.delay, drop=fault.drop)
            if dropped is not None:
                return dropped
            if fault.trickle:
                return await _trickle(request, fault)
            if fault.text is not None:
                return web.Response(status=fault.status, text=fault.text, headers=fault.headers)
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return None

    def _over_limit(self) -> web.Response | None:
        assert self.rate_limit is not None
        calls, seconds = self.rate_limit
        now = time.monotonic()
        while self._window and self._window[0] <= now - seconds:
            self._window.popleft()
        if len(self._window) >= calls:
            self.rate_limited.append(self.calls[-1])
            wait = max(1, round(self._window[0] + seconds - now))
            return web.json_response(
                {"errorMessage": "Too many requests", "errorCode": "RATE_LIMITED"},
                status=429,
                headers={"Retry-After": str(wait)},
            )
        self._window.append(now)
        return None

    def _missing(self, product_id: str) -> web.Response:
        return web.json_response(
            {"errorMessage": f"Product #{product_id} not found", "errorCode": "PRODUCT_NOT_FOUND"},
            status=404,
        )

    async def _product(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "product"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        return web.json_response(product)

    async def _search(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "search"):
            return fault
        sku = request.query.get("sku")
        keyword = (request.query.get("keyword") or "").rstrip("*").lower()
        if "productId" in request.query:
            wanted = {int(i) for i in request.query["productId"].split(",")}
            items = [p for p in self.products.values() if p["id"] in wanted]
        elif sku is not None:  # as Ecwid: variation SKUs match too, answering their products
            # Several SKUs at once, comma-separated (a SKU with a comma is sent alone).
            wanted_skus = {sku} if sku in self._all_skus() else set(sku.split(","))
            items = [
                p
                for p in self.products.values()
                if p["sku"] in wanted_skus
                or any(c.get("sku") in wanted_skus for c in self.combinations.get(p["id"], []))
            ]
        else:
            items = [
                p
                for p in self.products.values()
                if keyword in p["name"].lower() or keyword in p["sku"].lower()
            ]
        limit = min(int(request.query.get("limit", 100)), 100)
        offset = int(request.query.get("offset", 0))
        page = items[offset : offset + limit]
        return web.json_response(
            {
                "total": len(items),
                "count": len(page),
                "offset": offset,
                "limit": limit,
                "items": page,
            }
        )

    def _all_skus(self) -> set[str]:
        skus = {str(p.get("sku")) for p in self.products.values()}
        for variations in self.combinations.values():
            skus |= {str(c["sku"]) for c in variations if c.get("sku")}
        return skus

    async def _upload(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "upload"):
            return fault
        await asyncio.sleep(self.upload_delay)
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = self.calls[-1].body or {}
        # Ecwid records the link at once (and copies the file to its CDN later).
        product["originalImage"] = {
            "url": body.get("url"),
            "width": int(body.get("width") or 0),
            "height": int(body.get("height") or 0),
        }
        for image in product.setdefault("media", media())["images"]:
            if image.get("isMain"):
                image["alt"] = body.get("alt") or {}
        answer = (
            self.upload_answer if self.upload_answer is not None else {"id": next(self._image_ids)}
        )
        return web.json_response(answer)

    async def _upload_bytes(self, request: web.Request) -> web.Response:
        """POST /products/{id}/image with the file itself: synchronous, as Ecwid's is."""
        if fault := await self._record(request, "upload-bytes"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = self.calls[-1].body
        if request.content_type != "application/octet-stream":
            return web.json_response({"errorMessage": "Wrong content type"}, status=415)
        if not isinstance(body, bytes) or len(body) > MAX_BYTES:
            return web.json_response({"errorMessage": "Too large"}, status=413)
        if not body.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
            return web.json_response({"errorMessage": "Not an image"}, status=422)
        images = product.setdefault("media", media())["images"]
        for image in images:
            if image.get("isMain"):
                image["alt"] = {}  # a new main image comes without alt text
        image_id = next(self._image_ids)
        self.stored[image_id] = body
        product["originalImage"] = {"url": self.url(f"/cdn/{image_id}"), "width": 0, "height": 0}
        return web.json_response({"id": image_id})

    async def _combinations(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "combinations"):
            return fault
        product_id = int(request.match_info["id"])
        if product_id not in self.products:
            return self._missing(request.match_info["id"])
        return web.json_response(self.combinations.get(product_id, []))

    async def _gallery(self, request: web.Request) -> web.Response:
        """A new gallery image, by URL (JSON) or as the file itself (?fileName=)."""
        if fault := await self._record(request, "gallery"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        image_id = next(self._image_ids)
        images = product.setdefault("media", media())["images"]
        body = self.calls[-1].body
        alt = body.get("alt", {}) if isinstance(body, dict) else {}
        images.append({"id": str(image_id), "isMain": False, "orderBy": len(images), "alt": alt})
        return web.json_response({"id": image_id})

    async def _variation_image(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "variation-image"):
            return fault
        product_id, variation_id = int(request.match_info["id"]), int(request.match_info["cid"])
        for combination in self.combinations.get(product_id, []):
            if combination["id"] == variation_id:
                image_id = next(self._image_ids)
                body = self.calls[-1].body
                if isinstance(body, dict):
                    combination["originalImageUrl"] = body.get("url")
                else:
                    self.stored[image_id] = body
                    combination["originalImageUrl"] = self.url(f"/cdn/{image_id}")
                return web.json_response({"id": image_id})
        return web.json_response(
            {"errorMessage": "Combination not found", "errorCode": "COMBINATION_NOT_FOUND"},
            status=404,
        )

    async def _delete_main(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "update"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        removed = product.pop("originalImage", None)
        return web.json_response({"deleteCount": 1 if removed else 0})

    async def _delete_gallery(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "update"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        images = product.setdefault("media", media())["images"]
        kept = [i for i in images if i["id"] != request.match_info["image"]]
        product["media"]["images"] = kept
        return web.json_response({"deleteCount": len(images) - len(kept)})

    async def _delete_variation_image(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "update"):
            return fault
        for combination in self.combinations.get(int(request.match_info["id"]), []):
            if combination["id"] == int(request.match_info["cid"]):
                removed = combination.pop("originalImageUrl", None)
                return web.json_response({"deleteCount": 1 if removed else 0})
        return web.json_response({"errorMessage": "Combination not found"}, status=404)

    async def _update(self, request: web.Request) -> web.Response:
        """PUT /products/{id}: the images listed replace the product's images (as a whole)."""
        if fault := await self._record(request, "update"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = self.calls[-1].body
        if isinstance(body, dict) and "media" in body:
            known = {i["id"]: i for i in product.get("media", media())["images"]}
            product["media"] = {
                "images": [
                    {**known.get(str(i["id"]), {"isMain": False}), **i}
                    for i in body["media"].get("images", [])
                ]
            }
        for key, value in (body or {}).items():
            if key != "media":
                product[key] = value
        return web.json_response({"updateCount": 1})

    async def _profile(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "profile"):
            return fault
        return web.json_response(
            {
                "generalInfo": {"storeId": STORE_ID, "storeUrl": "https://shop.example.com"},
                "account": {"accountName": "Test Shop"},
                "settings": {"storeName": "Test Shop"},
                "languages": self.languages,
            }
        )


async def _trickle(request: web.Request, fault: Fault) -> web.StreamResponse:
    """The fault's JSON body, one byte at a time: each read is quick, the whole answer is not."""
    body = (fault.text or json.dumps(fault.body)).encode()
    response = web.StreamResponse(
        status=fault.status, headers={"Content-Type": "application/json", **fault.headers}
    )
    response.content_length = len(body)
    await response.prepare(request)
    try:
        for byte in body:
            await response.write(bytes([byte]))
            await asyncio.sleep(fault.trickle)
    except (ConnectionError, RuntimeError):
        pass  # the client gave up
    return response
