"""A loopback Ecwid REST API for one store, as Ecwid documents it (not as we would like it).

Each behaviour names its source: "ref" is ../shared/ecwid-api.md (from docs.ecwid.com's REST API
reference), "client" a file of Ecwid's official client Ecwid/ecwid-java-api-client below
src/main/kotlin/com/ecwid/apiclient/v3/. Where neither says, the strictest plausible behaviour is
modelled, and says so. tests/fakes/ecwid_examples.py keeps documented answers to check it against.
"""

from __future__ import annotations

import asyncio
import collections
import io
import itertools
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

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
    "category": "read_catalog",
    "category-image": "update_catalog",
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
    unsized: bool = False  # sent chunked, with no Content-Length (HTTP/1.1 allows either)


class _Cdn(LoopbackServer):
    """Ecwid's CDN: where the copies of uploaded images are served from, over https (ref:
    "copies the file to its CDN later"; the product answers' image URLs are on d2j6dbq0eux0bg.
    cloudfront.net in the documented examples)."""

    def __init__(self) -> None:
        super().__init__()
        self.files: dict[str, bytes] = {}
        # Renditions made when first asked for (most never are: making each costs a decode).
        self.renditions: dict[str, tuple[bytes, int]] = {}
        self.requested: list[str] = []  # every file asked for, by name, in order
        self.served_bytes = 0
        self.web_app.router.add_get("/cdn/{name}", self._serve)

    async def _serve(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        self.requested.append(name)
        if name not in self.files and name in self.renditions:
            self.files[name] = rendition(*self.renditions.pop(name))
        body = self.files.get(name)
        if body is None:
            return web.Response(status=404)
        self.served_bytes += len(body)
        return web.Response(body=body, content_type="image/jpeg")


def _bytes_refusal(request: web.Request, body: Any) -> web.Response | None:
    """The checks of every slot's bytes call (ref: ecwid-api.md, "a synchronous 'bytes' call
    whose body is the image file itself, sent with Content-Type: application/octet-stream …
    413 over 20 MB, 415 wrong content type, 422 'not an image'"; and "JPG, PNG or GIF": the
    strictest reading, that nothing else is taken as an image)."""
    if request.content_type != "application/octet-stream":
        return web.json_response({"errorMessage": "Wrong content type"}, status=415)
    if not isinstance(body, bytes) or len(body) > MAX_BYTES:
        return web.json_response({"errorMessage": "Too large"}, status=413)
    if not body.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return web.json_response({"errorMessage": "Not an image"}, status=422)
    return None


_CALL = web.RequestKey("call", EcwidCall)  # the request's recorded call (see _record)


def _async_refusal(body: Any) -> web.Response | None:
    """What every async "by URL" upload refuses (ref: `url` string required, a blank or malformed
    one "refused synchronously"; `width` and `height` required, "width and height positive")."""
    if not isinstance(body, dict):
        return web.json_response({"errorMessage": "Body is not JSON"}, status=400)
    url = body.get("url")
    if not isinstance(url, str) or not url.strip():
        return web.json_response(
            {"errorMessage": "Image URL is required", "errorCode": "WRONG_URL"}, status=400
        )
    for name in ("width", "height"):
        try:
            if int(body[name]) > 0:
                continue
        except (KeyError, TypeError, ValueError):
            pass
        return web.json_response(
            {"errorMessage": f"Image {name} must be positive", "errorCode": "INCORRECT_IMAGE_SIZE"},
            status=400,
        )
    return None


def reencode(data: bytes) -> bytes:
    """Ecwid's copy of an original: not the same bytes (undocumented; modelled as the strictest
    plausible: re-encoded as JPEG at a lower quality), at the original's size (ref:
    `originalImage {url, width, height}` and `imageOriginalUrl` name the original)."""
    with Image.open(io.BytesIO(data)) as image:
        copy = image.convert("RGB")
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=70)
    return out.getvalue()


RENDITIONS = (160, 400, 800, 1500)  # ref: media.images[] image160pxUrl … image1500pxUrl


def rendition(data: bytes, side: int) -> bytes:
    """Ecwid's smaller copy of an image: within `side` × `side` px, never enlarged, JPEG."""
    with Image.open(io.BytesIO(data)) as image:
        copy = image.convert("RGB")
    copy.thumbnail((side, side))
    out = io.BytesIO()
    copy.save(out, format="JPEG", quality=80)
    return out.getvalue()


def pixel_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def trim(value: Any, fields: str) -> Any:
    """Apply `responseFields` (ref: "responseFields trims answers", e.g.
    `total,items(id,sku,combinations(id,sku))`): only the fields named are kept, at each level."""
    tree = _field_tree(fields)

    def apply(node: Any, wanted: dict[str, Any]) -> Any:
        if isinstance(node, list):
            return [apply(item, wanted) for item in node]
        if not isinstance(node, dict):
            return node
        return {
            key: apply(node[key], sub) if sub else node[key]
            for key, sub in wanted.items()
            if key in node
        }

    return apply(value, tree)


def _field_tree(fields: str) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    stack = [tree]
    name = ""
    for char in fields + ",":
        if char in ",()":
            if name.strip():
                stack[-1][name.strip()] = {}
            if char == "(":
                stack.append(stack[-1][name.strip()])
            elif char == ")":
                stack.pop()
            name = ""
        else:
            name += char
    return tree


GALLERY_ID_MODELS = ("stable", "positional")

# client: dto/category/request/UpdatedCategory.kt (current source): the fields PUT /categories/{id}
# takes. The image's alt text is `alt` (UpdatedAlt {main, translated}); an earlier revision named
# it `imageAlt` (commit ee65fadc, "Replace imageAlt property with alt"), which is no field now.
# Anything else is ignored, as Ecwid ignores unknown fields.
CATEGORY_FIELDS = frozenset(
    {
        "parentId",
        "orderBy",
        "name",
        "isSampleCategory",
        "nameTranslated",
        "description",
        "descriptionTranslated",
        "enabled",
        "productIds",
        "seoTitle",
        "seoTitleTranslated",
        "seoDescription",
        "seoDescriptionTranslated",
        "alt",
        "customSlug",
    }
)


class FakeEcwid(LoopbackServer):
    def __init__(
        self,
        tls: ssl.SSLContext | None = None,
        client_tls: ssl.SSLContext | None = None,
        *,
        gallery_ids: str = "stable",
        store_id: int = STORE_ID,
    ) -> None:
        """`tls` (the server side) gives the store an https CDN; `client_tls` lets it fetch
        linked images from the loopback image host to copy them there. `store_id`: the one
        store it is (ref: a token belongs to one store); any other store's paths are not found.

        `gallery_ids` is what `media.images[].id` means, as the two sources disagree (ref):
        "stable" (client: ProductsTest.testManipulateProductGalleryImages) gives each gallery
        image the id its upload answered, kept through a reorder except the old main image,
        which gets a new one; "positional" (ref: media ids "start with 0 and iterate by 1")
        numbers the images by place, so that ids shift on every delete and reorder. The fake
        keeps stable ids inside (`products`) and shows them by place in every answer, and
        reads the ids it is sent by place too."""
        # A body past 20 MB is read, then answered 413 as Ecwid documents (_bytes_refusal).
        super().__init__(max_body=MAX_BYTES + 1024**2)
        if gallery_ids not in GALLERY_ID_MODELS:
            raise ValueError(f"gallery_ids: one of {GALLERY_ID_MODELS}")
        self.gallery_ids = gallery_ids
        self.store_id = store_id
        self._tls = tls
        self._client_tls = client_tls
        self.cdn = _Cdn()
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
        self.products[789] = {
            "id": 789,
            "name": "Runner",
            "sku": "RUN",
            "media": media(),
            # ref: FetchedProduct.kt ProductOption.SizeOption, the values its variations take
            "options": [
                {
                    "type": "SIZE",
                    "name": "Size",
                    "nameTranslated": {"en": "Size", "nl": "Maat"},
                    "choices": [
                        {"text": "42", "textTranslated": {"en": "42", "nl": "42"}},
                        {"text": "43", "textTranslated": {"en": "43", "nl": "43"}},
                    ],
                    "defaultChoice": 0,
                    "required": True,
                }
            ],
        }
        self.languages = {"enabledLanguages": ["en", "nl", "de"], "defaultLanguage": "en"}
        self.categories: dict[int, dict[str, Any]] = {
            12: {"id": 12, "name": "Shoes", "parentId": 0, "enabled": True}
        }
        self.upload_delay = 0.0
        self.upload_answer: dict[str, Any] | None = None  # None: a fresh {"id": …}
        # ref: the async upload answers {"id": N}, or {} (the official client models them as
        # empty): set to answer {} to every async upload.
        self.empty_async_answers = False
        # ref (ecwid-api.md, "What async means"): Ecwid fetches an async upload's link later, and
        # "nothing reports a later download failure". Links this says yes to are answered as
        # usual, and never shown: the variation keeps what it had.
        self.fetch_fails: Callable[[str], bool] = lambda url: False
        # ref (ecwid-api.md, "Translations"): "Only the default language translations are
        # returned if no other translations are provided": set to answer an alt text's absent
        # translations with its default text, as Ecwid may; unset, they are left out. The
        # audit's tests run both ways.
        self.fill_translations = False
        # The main image's async upload answers 200 (ref); a test of the audit line that must
        # carry Ecwid's own status sets another success status.
        self.upload_status = 200
        # What a product update does to alt text is not documented (ref: "read back"): set to
        # model an Ecwid that accepts the update and keeps the old alt text.
        self.ignore_alt = False
        self._clock = itertools.count(int(time.time()))  # updateTimestamp: always increasing
        self.faults: dict[str, list[Fault]] = {}  # route name → faults to serve, in order
        self.holds: dict[str, asyncio.Event] = {}  # route name → its calls answer once set
        self.missing_scopes: set[str] = set()  # scopes the token lacks
        self._image_ids = itertools.count(987654321)
        self.stored: dict[int, bytes] = {}  # image id → the bytes uploaded for it
        # An image's URL → its original's size, where Ecwid knows it (the async upload's width
        # and height, or the bytes it holds): `originalImage` and legacy `galleryImages[]`.
        self.sizes: dict[str, tuple[int, int]] = {}
        # As Ecwid: at most `calls` in any `seconds` (a sliding window); past it, 429.
        self.rate_limit: tuple[int, float] | None = None
        self.rate_limited: list[EcwidCall] = []  # the calls answered 429
        self._window: collections.deque[float] = collections.deque()
        # Each token opens one store (ref: "Tokens … belong to one store"); tokens the OAuth
        # stand-in issues (tests/fakes/ecwid_oauth.py) are added, and disabled ones removed.
        self.tokens: dict[str, int] = {TOKEN: store_id}
        # Other stores connected through OAuth, by id: only their profile is served (what the
        # bot reads to confirm an uninstall).
        self.other_stores: set[int] = set()
        base = f"/api/v3/{store_id}"
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
        self.web_app.router.add_put(
            base + "/products/{id}/combinations/{cid}", self._update_variation
        )
        self.web_app.router.add_get(base + "/profile", self._profile)
        self.web_app.router.add_get(base + "/categories", self._categories)
        self.web_app.router.add_get(base + "/categories/{id}", self._category)
        self.web_app.router.add_put(base + "/categories/{id}", self._category_update)
        self.web_app.router.add_post(base + "/categories/{id}/image/async", self._category_image)
        self.web_app.router.add_post(base + "/categories/{id}/image", self._category_image)
        self.web_app.router.add_delete(base + "/categories/{id}/image", self._category_image)
        self.web_app.router.add_get("/api/v3/{store}/profile", self._other_profile)

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        await super().start(tls)
        await self.cdn.start(self._tls)

    async def close(self) -> None:
        await self.cdn.close()
        await super().close()

    def cdn_url(self, image_id: int) -> str:
        return self.cdn.url(f"/cdn/{image_id}.jpg")

    def replaced_in_admin(self, product_id: int, data: bytes) -> None:
        """Someone replaces the product's main image in Ecwid's admin: a new original on the
        CDN, its size and its renditions (as a bytes upload leaves them)."""
        url, renditions = self.to_cdn(next(self._image_ids), data)
        width, height = self.sizes[url]
        product = self.products[product_id]
        product["originalImage"] = {"url": url, "width": width, "height": height}
        for image in product.setdefault("media", media())["images"]:
            if image.get("isMain"):
                image.update(renditions, imageOriginalUrl=url)
        self.touch(product_id)

    def to_cdn(self, image_id: int, original: bytes) -> tuple[str, dict[str, str]]:
        """Ecwid's copies of an image it holds: the original, at its size, and its renditions
        (ref: `media.images[]` image160pxUrl … image1500pxUrl and imageOriginalUrl); their URLs
        by field name. The original's size is kept for `originalImage` and `galleryImages[]`."""
        self.cdn.files[f"{image_id}.jpg"] = original
        fields = {}
        for side in RENDITIONS:
            self.cdn.renditions[f"{image_id}-{side}.jpg"] = (original, side)
            fields[f"image{side}pxUrl"] = self.cdn.url(f"/cdn/{image_id}-{side}.jpg")
        url = self.cdn_url(image_id)
        self.sizes[url] = pixel_size(original)
        return url, fields

    def touch(self, product_id: int) -> None:
        """The product changed: its updateTimestamp moves on (client: FetchedProduct.
        updateTimestamp; ref: `updatedFrom` finds products changed since)."""
        self.products[product_id]["updateTimestamp"] = next(self._clock)

    def answer_for(self, product: dict[str, Any]) -> dict[str, Any]:
        """A product as GET /products/{id} and searches answer it: its variations inline as
        `combinations[]` (ref: "Product and search answers carry the product's variations
        inline")."""
        answer = {
            **product,
            "combinations": [self._filled(c) for c in self.combinations.get(product["id"], [])],
            "galleryImages": self._gallery_images(product),
        }
        if "media" in product:
            shown = self._shown_ids(product)
            answer["media"] = {
                **product["media"],
                "images": [
                    self._filled({**image, "id": shown[str(image["id"])]})
                    for image in _ordered(product)
                ],
            }
        return answer

    def _filled(self, owner: dict[str, Any]) -> dict[str, Any]:
        """An image's (or variation's, or category's) answer, its alt text's absent
        translations filled with the default language's text when `fill_translations`."""
        alt = owner.get("alt")
        if not self.fill_translations or not isinstance(alt, dict) or not alt.get("main"):
            return owner
        languages = [
            lang
            for lang in self.languages["enabledLanguages"]
            if lang != self.languages["defaultLanguage"]
        ]
        translated = {lang: alt["main"] for lang in languages} | dict(alt.get("translated") or {})
        return {**owner, "alt": {**alt, "translated": translated}}

    def _shown_ids(self, product: dict[str, Any]) -> dict[str, str]:
        """Each image's id as answers show it, by the id the fake keeps: the same ("stable"),
        or its place, the main image 0 ("positional")."""
        ordered = _ordered(product)
        if self.gallery_ids == "stable":
            return {str(image["id"]): str(image["id"]) for image in ordered}
        return {str(image["id"]): str(place) for place, image in enumerate(ordered)}

    def _kept_id(self, product: dict[str, Any], shown: str) -> str | None:
        """The id the fake keeps for an id a request names (by place, under "positional");
        None when no image has it."""
        kept = {s: k for k, s in self._shown_ids(product).items()}
        return kept.get(str(shown))

    def shown_ids(self, product_id: int) -> list[str]:
        """The product's media image ids in order, as GET /products/{id} answers them now."""
        product = self.products[product_id]
        shown = self._shown_ids(product)
        return [shown[str(image["id"])] for image in _ordered(product)]

    def _gallery_images(self, product: dict[str, Any]) -> list[dict[str, Any]]:
        """Legacy `galleryImages[] {id, url, originalImageUrl, width, height, orderBy}` (ref:
        "still sent"; the only place a gallery image's size is given), for the gallery images
        whose size Ecwid knows."""
        listed = []
        shown = self._shown_ids(product)
        for image in _ordered(product):
            url = image.get("imageOriginalUrl")
            if image.get("isMain") or not url or url not in self.sizes:
                continue
            width, height = self.sizes[url]
            image_id = shown[str(image["id"])]
            listed.append(
                {
                    "id": int(image_id) if image_id.isdigit() else 0,
                    "url": url,
                    "originalImageUrl": url,
                    "width": width,
                    "height": height,
                    "orderBy": image.get("orderBy", 0),
                }
            )
        return listed

    async def copy_to_cdn(self) -> None:
        """What Ecwid does some time after an upload by link: it fetches the file, copies it to
        its CDN (re-encoded) and serves it from there; the image's URL changes (ref)."""
        async with aiohttp.ClientSession() as session:

            async def copy(url: str) -> tuple[str, dict[str, str]]:
                async with session.get(url, ssl=self._client_tls or True) as response:
                    data = await response.read()
                return self.to_cdn(next(self._image_ids), reencode(data))

            for product in self.products.values():
                original = product.get("originalImage")
                images = product.get("media", {}).get("images", [])
                if (
                    isinstance(original, dict)
                    and original.get("url")
                    and not self._on_cdn(original["url"])
                ):
                    original["url"], renditions = await copy(original["url"])
                    for image in images:
                        if image.get("isMain"):
                            image.update(renditions, imageOriginalUrl=original["url"])
                    self.touch(product["id"])
                for image in images:
                    url = image.get("imageOriginalUrl")
                    if url and not image.get("isMain") and not self._on_cdn(url):
                        image["imageOriginalUrl"], renditions = await copy(url)
                        image.update(renditions)
                        self.touch(product["id"])
            for product_id, variations in self.combinations.items():
                for variation in variations:
                    url = variation.get("originalImageUrl")
                    if url and not self._on_cdn(url):
                        variation["originalImageUrl"], _ = await copy(url)
                        self.touch(product_id)

    def _on_cdn(self, url: str) -> bool:
        return url.startswith(self.cdn.url("/cdn/"))

    def _async_answer(self) -> dict[str, Any]:
        return {} if self.empty_async_answers else {"id": next(self._image_ids)}

    @property
    def searches(self) -> list[EcwidCall]:
        """Every product search (GET /products), whatever it searched for."""
        return [c for c in self.calls if c.method == "GET" and c.path == "/products"]

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
        path = request.path.removeprefix(f"/api/v3/{self.store_id}")
        call = EcwidCall(
            request.method,
            path,
            dict(request.query),
            request.headers.get("Authorization"),
            body,
            request.headers.get("Content-Type"),
        )
        self.calls.append(call)
        # The request's own call: calls[-1] may be another request's once this one awaits.
        request[_CALL] = call
        await self.notify()
        if (hold := self.holds.get(route)) is not None:
            await hold.wait()
        queued = self.faults.get(route)
        if not self._opens(request, self.store_id):
            if queued and (queued[0].status >= 500 or queued[0].drop):
                # An outage answers before any check of the token (the strictest reading: a
                # token cannot be told good or bad while Ecwid is down).
                return await self._fault(request, queued.pop(0))
            return _invalid_token()
        if _SCOPES[route] in self.missing_scopes:
            return web.json_response(
                {"errorMessage": "Token lacks a scope", "errorCode": "INSUFFICIENT_APP_SCOPE"},
                status=403,
            )
        if self.rate_limit is not None and (limited := self._over_limit()) is not None:
            return limited
        if queued:
            return await self._fault(request, queued.pop(0))
        return None

    async def _fault(self, request: web.Request, fault: Fault) -> web.Response:
        dropped = await delay_or_drop(request, fault.delay, drop=fault.drop)
        if dropped is not None:
            return dropped
        if fault.trickle:
            return await _trickle(request, fault)
        if fault.unsized:
            return await _chunked(request, fault)
        if fault.text is not None:
            return web.Response(status=fault.status, text=fault.text, headers=fault.headers)
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    def _over_limit(self) -> web.Response | None:
        assert self.rate_limit is not None
        calls, seconds = self.rate_limit
        now = time.monotonic()
        while self._window and self._window[0] <= now - seconds:
            self._window.popleft()
        if len(self._window) >= calls:
            self.rate_limited.append(self.calls[-1])  # no await since it was recorded
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
        answer = self.answer_for(product)
        if "responseFields" in request.query:
            answer = trim(answer, request.query["responseFields"])
        return web.json_response(answer)

    async def _search(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "search"):
            return fault
        query = request.query
        keyword = (query.get("keyword") or "").rstrip("*").casefold()
        if "productId" in query:
            # ref: "multiple productIds separated by a comma"; when both are given, productId wins.
            wanted = {int(i) for i in query["productId"].split(",") if i.strip().isdigit()}
            items = [p for p in self.products.values() if p["id"] in wanted]
        elif "sku" in query:
            # ref: `sku` takes exactly one SKU, an exact match, of the product or a variation
            # (client: ProductsSearchRequest.kt types it as one String). "A,B" is one SKU. Letter
            # case is not documented: matched exactly, as the strictest reading.
            sku = query["sku"]
            items = [
                p
                for p in self.products.values()
                if p.get("sku") == sku
                or any(c.get("sku") == sku for c in self.combinations.get(p["id"], []))
            ]
        elif keyword:
            # ref: keyword searches name, description, SKU, options…; modelled on the product's
            # own name and SKU only, in any letter case (the strictest plausible reading).
            items = [
                p
                for p in self.products.values()
                if keyword in str(p.get("name", "")).casefold()
                or keyword in str(p.get("sku", "")).casefold()
            ]
        else:
            items = list(self.products.values())
        if "categories" in query and "productId" not in query:
            # client: ProductsSearchRequest `categories` (ids, comma separated) and
            # `includeProductsFromSubcategories`; a product's are its `categoryIds`
            # (FetchedProduct). Without the flag, only the categories named.
            wanted_categories = {int(c) for c in query["categories"].split(",") if c.isdigit()}
            if query.get("includeProductsFromSubcategories") == "true":
                wanted_categories = self._with_subcategories(wanted_categories)
            items = [p for p in items if wanted_categories & set(p.get("categoryIds") or ())]
        if "updatedFrom" in query:  # ref: products changed since that unix time
            since = int(query["updatedFrom"])
            items = [p for p in items if p.get("updateTimestamp", 0) >= since]
        limit = min(int(query.get("limit", 100)), 100)  # ref: limit ≤ 100
        offset = int(query.get("offset", 0))
        page = [self.answer_for(p) for p in items[offset : offset + limit]]
        answer: dict[str, Any] = {
            "total": len(items),
            "count": len(page),
            "offset": offset,
            "limit": limit,
            "items": page,
        }
        if "responseFields" in query:
            answer = trim(answer, query["responseFields"])
        return web.json_response(answer)

    async def _upload(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "upload"):
            return fault
        await asyncio.sleep(self.upload_delay)
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = _body(request) or {}
        if refusal := _async_refusal(body):
            return refusal
        # Ecwid records the link at once (and copies the file to its CDN later).
        product["originalImage"] = {
            "url": body.get("url"),
            "width": int(body.get("width") or 0),
            "height": int(body.get("height") or 0),
        }
        self.sizes[str(body.get("url"))] = (int(body["width"]), int(body["height"]))
        for image in product.setdefault("media", media())["images"]:
            if image.get("isMain"):
                # Served from the link until Ecwid copies it: no renditions yet (the strictest
                # plausible reading of "copies the file to its CDN later").
                _drop_renditions(image)
                image["alt"] = body.get("alt") or {}
        self.touch(product["id"])
        answer = self.upload_answer if self.upload_answer is not None else self._async_answer()
        return web.json_response(answer, status=self.upload_status)

    async def _upload_bytes(self, request: web.Request) -> web.Response:
        """POST /products/{id}/image with the file itself: synchronous, as Ecwid's is."""
        if fault := await self._record(request, "upload-bytes"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = _body(request)
        if refusal := _bytes_refusal(request, body):
            return refusal
        images = product.setdefault("media", media())["images"]
        image_id = next(self._image_ids)
        self.stored[image_id] = body
        url, renditions = self.to_cdn(image_id, body)
        for image in images:
            if image.get("isMain"):
                image["alt"] = {}  # a new main image comes without alt text
                _drop_renditions(image)
                image.update(renditions, imageOriginalUrl=url)
        width, height = self.sizes[url]
        product["originalImage"] = {"url": url, "width": width, "height": height}
        self.touch(product["id"])
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
        body = _body(request)
        alt = body.get("alt", {}) if isinstance(body, dict) else {}
        if isinstance(body, dict) and (refusal := _async_refusal(body)):
            return refusal
        if isinstance(body, dict):  # by URL: served from it at first (ref: "async")
            served = body.get("url")
        else:
            if refusal := _bytes_refusal(request, body):
                return refusal
            self.stored[image_id] = body
            served, renditions = self.to_cdn(image_id, body)
        if isinstance(body, dict):
            renditions = {}
            self.sizes[str(served)] = (int(body["width"]), int(body["height"]))
        # client: ProductImage.imageOriginalUrl, where each gallery image is served from
        images.append(
            {
                "id": str(image_id),
                "isMain": False,
                "orderBy": max((int(i.get("orderBy", 0)) for i in images), default=0) + 1,
                "alt": alt,
                "imageOriginalUrl": served,
                **renditions,
            }
        )
        self.touch(product["id"])
        if isinstance(body, dict):  # by URL: the async answer, {"id"} or {} (ref)
            return web.json_response({} if self.empty_async_answers else {"id": image_id})
        return web.json_response({"id": image_id})

    async def _variation_image(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "variation-image"):
            return fault
        product_id, variation_id = int(request.match_info["id"]), int(request.match_info["cid"])
        for combination in self.combinations.get(product_id, []):
            if combination["id"] == variation_id:
                image_id = next(self._image_ids)
                body = _body(request)
                if isinstance(body, dict) and (refusal := _async_refusal(body)):
                    return refusal
                if isinstance(body, dict) and self.fetch_fails(str(body.get("url"))):
                    return web.json_response({} if self.empty_async_answers else {"id": image_id})
                if isinstance(body, dict):
                    # ref: the variation's async upload takes `alt` like the main image's.
                    combination["originalImageUrl"] = body.get("url")
                    combination["alt"] = body.get("alt") or {}
                    self.touch(product_id)
                    return web.json_response({} if self.empty_async_answers else {"id": image_id})
                if refusal := _bytes_refusal(request, body):
                    return refusal
                self.stored[image_id] = body
                combination["originalImageUrl"], _ = self.to_cdn(image_id, body)
                combination["alt"] = {}  # the bytes call takes no alt text (ref)
                self.touch(product_id)
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
        if removed:
            for image in product.get("media", {}).get("images", []):
                if image.get("isMain"):
                    image["alt"] = {}
                    image.pop("imageOriginalUrl", None)
                    _drop_renditions(image)
            self.touch(product["id"])
        return web.json_response({"deleteCount": 1 if removed else 0})

    async def _delete_gallery(self, request: web.Request) -> web.Response:
        """DELETE /products/{id}/gallery/{imageId}: the image with that id as answers show it
        now (by place, under "positional": the images after it move up a place)."""
        if fault := await self._record(request, "update"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        images = product.setdefault("media", media())["images"]
        target = self._kept_id(product, request.match_info["image"])
        kept = [i for i in images if i.get("isMain") or str(i["id"]) != target]
        product["media"]["images"] = kept
        if len(kept) < len(images):
            self.touch(product["id"])
        return web.json_response({"deleteCount": len(images) - len(kept)})

    async def _delete_variation_image(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "update"):
            return fault
        product_id = int(request.match_info["id"])
        for combination in self.combinations.get(product_id, []):
            if combination["id"] == int(request.match_info["cid"]):
                removed = combination.pop("originalImageUrl", None)
                if removed and product_id in self.products:
                    self.touch(product_id)
                return web.json_response({"deleteCount": 1 if removed else 0})
        return web.json_response({"errorMessage": "Combination not found"}, status=404)

    async def _update(self, request: web.Request) -> web.Response:
        """PUT /products/{id}. `media.images` lists every image with its id, `orderBy` and alt
        (ref, client UpdatedProduct.kt ProductMedia/ProductImage {id, orderBy, alt}). The lowest
        `orderBy` becomes the main image (id "0"), and an old main image moved into the gallery
        gets a new id (ref, from the client's ProductsTest.testManipulateProductGalleryImages).
        Ids are read as answers show them (by place, under "positional"). The reference says to
        list "all images and videos… existing alt texts must be included"; what happens to
        media left out is not documented: modelled as the strictest reading, removed, images
        and videos alike (as Ecwid's CSV import removes the images it does not list)."""
        if fault := await self._record(request, "update"):
            return fault
        product = self.products.get(int(request.match_info["id"]))
        if product is None:
            return self._missing(request.match_info["id"])
        body = _body(request)
        if isinstance(body, dict) and isinstance(body.get("media"), dict):
            known = {str(i["id"]): i for i in product.get("media", media())["images"]}
            main_url = (product.get("originalImage") or {}).get("url")
            if "0" in known and main_url:  # ref: every media image has its imageOriginalUrl
                known["0"] = {**known["0"], "imageOriginalUrl": main_url}
            listed = []
            for given in body["media"].get("images", []):
                kept_id = self._kept_id(product, str(given.get("id")))
                if kept_id is not None:  # an id no image has: nothing to place
                    listed.append({**given, "id": kept_id})
            listed.sort(key=lambda i: int(i.get("orderBy", 0)))
            images: list[dict[str, Any]] = []
            for place, given in enumerate(listed):
                # ref: "existing alt texts must be included": an image listed without its alt
                # text loses it (the strictest reading).
                kept = {k: v for k, v in known[given["id"]].items() if k != "alt"}
                image = {**kept, "alt": {}, **given}
                if self.ignore_alt:
                    image["alt"] = known[given["id"]].get("alt", {})
                if place == 0:
                    image.update(id="0", isMain=True)
                elif given["id"] == "0":  # the old main image, now in the gallery
                    image.update(id=str(next(self._image_ids)), isMain=False)
                else:
                    image["isMain"] = False
                image["orderBy"] = place
                images.append(image)
            videos_known = {str(v.get("id")): v for v in product.get("media", {}).get("videos", [])}
            videos = [
                {**videos_known[str(v.get("id"))], **v}
                for v in body["media"].get("videos", [])
                if isinstance(v, dict) and str(v.get("id")) in videos_known
            ]
            product["media"] = {"images": images, "videos": videos}
            # ref: the lowest orderBy becomes the main image: the product's originalImage is it.
            first = images[0].get("imageOriginalUrl") if images else None
            if first and first != main_url:
                width, height = self.sizes.get(first, (0, 0))
                product["originalImage"] = {"url": first, "width": width, "height": height}
        for key, value in (body or {}).items():
            if key != "media":
                product[key] = value
        self.touch(product["id"])
        return web.json_response({"updateCount": 1})

    async def _update_variation(self, request: web.Request) -> web.Response:
        """PUT /products/{id}/combinations/{cid}: the fields given change, e.g. only `alt` (ref;
        client: dto/variation/request/UpdatedVariation.kt, `alt`)."""
        if fault := await self._record(request, "update"):
            return fault
        product_id = int(request.match_info["id"])
        if product_id not in self.products:
            return self._missing(request.match_info["id"])
        body = _body(request)
        for combination in self.combinations.get(product_id, []):
            if combination["id"] == int(request.match_info["cid"]):
                combination.update(body if isinstance(body, dict) else {})
                self.touch(product_id)
                return web.json_response({"updateCount": 1})
        return web.json_response(
            {"errorMessage": "Combination not found", "errorCode": "COMBINATION_NOT_FOUND"},
            status=404,
        )

    def _with_subcategories(self, ids: set[int]) -> set[int]:
        """The categories and every category under them (FetchedCategory `parentId`)."""
        found = set(ids)
        while True:
            more = {c["id"] for c in self.categories.values() if c.get("parentId") in found} - found
            if not more:
                return found
            found |= more

    async def _categories(self, request: web.Request) -> web.Response:
        """GET /categories?keyword=: categories whose name has the keyword (ref: "search term"),
        in any letter case (the strictest plausible reading of the docs' silence); without a
        keyword, every category, a page at a time (client: CategoriesSearchRequest `offset`,
        `limit` ≤ 100; the answer's `total`)."""
        if fault := await self._record(request, "category"):
            return fault
        keyword = (request.query.get("keyword") or "").casefold()
        items = [c for c in self.categories.values() if keyword in str(c["name"]).casefold()]
        # client: CategoriesSearchRequest `hiddenCategories` (hidden_categories): a disabled
        # category is answered only when asked for (the strictest reading of the default).
        if request.query.get("hidden_categories") != "true":
            items = [c for c in items if c.get("enabled", True)]
        limit = min(int(request.query.get("limit", 100)), 100)
        offset = int(request.query.get("offset", 0))
        page = [self._filled(c) for c in items[offset : offset + limit]]
        answer = {
            "total": len(items),
            "count": len(page),
            "offset": offset,
            "limit": limit,
            "items": page,
        }
        if "responseFields" in request.query:
            answer = trim(answer, request.query["responseFields"])
        return web.json_response(answer)

    async def _category(self, request: web.Request) -> web.Response:
        """GET /categories/{id} (client: FetchedCategory: name, originalImage, alt)."""
        if fault := await self._record(request, "category"):
            return fault
        category = self.categories.get(int(request.match_info["id"]))
        if category is None:
            return web.json_response(
                {"errorMessage": "Category not found", "errorCode": "CATEGORY_NOT_FOUND"},
                status=404,
            )
        return web.json_response(category)

    async def _category_update(self, request: web.Request) -> web.Response:
        """PUT /categories/{id}: the fields given change, `alt` being the image's alt text,
        read back as `alt` (client, current source: UpdatedCategory.alt, FetchedCategory.alt).
        Fields UpdatedCategory does not have (`imageAlt`, its old name) are ignored, as Ecwid
        ignores unknown fields. FetchedCategory has no updateTimestamp: a category write moves
        no product's."""
        if fault := await self._record(request, "category-image"):
            return fault
        category = self.categories.get(int(request.match_info["id"]))
        if category is None:
            return web.json_response({"errorMessage": "Category not found"}, status=404)
        body = _body(request) if isinstance(_body(request), dict) else {}
        for key, value in body.items():
            if key in CATEGORY_FIELDS:
                category[key] = value
        return web.json_response({"updateCount": 1})

    async def _category_image(self, request: web.Request) -> web.Response:
        """A category's image: by URL (`/image/async`, JSON with url, size and alt), as bytes
        (`/image`: no alt text), or removed (DELETE) — ref: the slot table's category row."""
        if fault := await self._record(request, "category-image"):
            return fault
        category = self.categories.get(int(request.match_info["id"]))
        if category is None:
            return web.json_response({"errorMessage": "Category not found"}, status=404)
        if request.method == "DELETE":
            removed = category.pop("originalImage", None)
            category.pop("originalImageUrl", None)
            return web.json_response({"deleteCount": 1 if removed else 0})
        body = _body(request)
        image_id = next(self._image_ids)
        if isinstance(body, dict) and (refusal := _async_refusal(body)):
            return refusal
        if isinstance(body, dict):
            url = body.get("url")
            size = (int(body["width"]), int(body["height"]))
            self.sizes[str(url)] = size
            category["alt"] = body.get("alt") or {}
        else:
            if refusal := _bytes_refusal(request, body):
                return refusal
            self.stored[image_id] = body
            url, _ = self.to_cdn(image_id, body)
            size = self.sizes[url]
            category["alt"] = {}  # the bytes call takes no alt text
        category["originalImage"] = {"url": url, "width": size[0], "height": size[1]}
        category["originalImageUrl"] = url
        return web.json_response({"id": image_id})

    def _opens(self, request: web.Request, store_id: int) -> bool:
        """Whether the request's token opens the store (ref: a token in the query is not
        taken; 403 INVALID_API_TOKEN for any other)."""
        authorization = request.headers.get("Authorization") or ""
        token = authorization.removeprefix("Bearer ")
        return (
            authorization.startswith("Bearer ")
            and self.tokens.get(token) == store_id
            and "token" not in request.query
        )

    async def _other_profile(self, request: web.Request) -> web.Response:
        store = request.match_info["store"]
        store_id = int(store) if store.isdigit() else 0
        self.calls.append(
            EcwidCall(
                request.method,
                request.path,
                dict(request.query),
                request.headers.get("Authorization"),
            )
        )
        await self.notify()
        if store_id not in self.other_stores:
            return web.json_response(
                {"errorMessage": "Store not found", "errorCode": "STORE_NOT_FOUND"}, status=404
            )
        if not self._opens(request, store_id):
            return _invalid_token()
        queued = self.faults.get("other-profile")
        if queued:
            fault = queued.pop(0)
            return web.json_response(fault.body, status=fault.status, headers=fault.headers)
        return web.json_response(
            {"generalInfo": {"storeId": store_id}, "settings": {"storeName": f"Shop {store_id}"}}
        )

    async def _profile(self, request: web.Request) -> web.Response:
        if fault := await self._record(request, "profile"):
            return fault
        return web.json_response(
            {
                "generalInfo": {"storeId": self.store_id, "storeUrl": "https://shop.example.com"},
                "account": {"accountName": "Test Shop"},
                "settings": {"storeName": "Test Shop"},
                "languages": self.languages,
            }
        )


def _invalid_token() -> web.Response:
    # ref: 403 INVALID_API_TOKEN "Invalid access token in the request."
    return web.json_response(
        {"errorMessage": "Invalid token", "errorCode": "INVALID_API_TOKEN"}, status=403
    )


def _body(request: web.Request) -> Any:
    """The body this request sent (as _record read it)."""
    return request[_CALL].body


def _ordered(product: dict[str, Any]) -> list[dict[str, Any]]:
    """A product's media images in their order: the main image first, then by `orderBy`."""
    images = product.get("media", {}).get("images", [])
    return sorted(images, key=lambda i: (not i.get("isMain"), int(i.get("orderBy", 0))))


def _drop_renditions(image: dict[str, Any]) -> None:
    for side in RENDITIONS:
        image.pop(f"image{side}pxUrl", None)


async def _chunked(request: web.Request, fault: Fault) -> web.StreamResponse:
    """The fault's body in 1 MB chunks, its length not said beforehand."""
    body = (fault.text or json.dumps(fault.body)).encode()
    response = web.StreamResponse(
        status=fault.status, headers={"Content-Type": "application/json", **fault.headers}
    )
    response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        for start in range(0, len(body), 1024 * 1024):
            await response.write(body[start : start + 1024 * 1024])
        await response.write_eof()
    except (ConnectionError, RuntimeError):
        pass  # the client gave up
    return response


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


def busiest_window(times: list[float], seconds: float) -> int:
    """The most calls that arrived within any `seconds` (`times`: when each arrived, as
    `EcwidCall.at`): what Ecwid's sliding window counts."""
    times = sorted(times)
    busiest = start = 0
    for end, at in enumerate(times):
        while times[start] <= at - seconds:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest
