"""What the Ecwid API answers and takes, as typed values."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from bot.domain.options import Choice
from bot.domain.requests import Size


@dataclass(frozen=True)
class Variation:
    """One combination of a product's options (size, colour…), with its own image."""

    id: int
    sku: str | None  # None: it inherits the product's SKU
    options: tuple[tuple[str, str], ...] = ()  # (name, value), e.g. ("Size", "43")

    def describe(self) -> str:
        return " ".join(f"{name} {value}" for name, value in self.options) or f"#{self.id}"


@dataclass(frozen=True)
class Product:
    """A product, or (with `variation`) one variation of it: what an image is put on."""

    id: int
    name: str
    sku: str | None
    variation: Variation | None = None
    # Every variation, as product and search answers carry them inline (`combinations[]`).
    variations: tuple[Variation, ...] = ()
    # The SKU asked for, when it matched this product's (or variation's) only by letter case.
    asked_sku: str | None = None
    kind: str = "product"  # or "category": its one image, as a product's main image
    # The values of its options (`options[].choices[]`), as an upload's read carries them:
    # what an option value given as a target is matched against (bot.domain.options).
    choices: tuple[Choice, ...] = ()

    @property
    def matched_sku(self) -> str | None:
        """The SKU that identifies what the image goes on: the variation's own, else the product's."""
        if self.variation is not None and self.variation.sku:
            return self.variation.sku
        return self.sku


@dataclass(frozen=True)
class CurrentImage:
    """What a slot shows now: enough to recognise it later and to put it back.

    `url` is where Ecwid serves it now: right after an upload by link that is the link itself, and
    later Ecwid's own CDN copy, so an image is recognised by its fingerprint, not by its URL."""

    url: str
    width: int | None = None  # the original's size, where Ecwid's metadata gives it
    height: int | None = None
    alt_main: str | None = None
    alt_translated: tuple[tuple[str, str], ...] = ()
    # A smaller copy Ecwid serves (`image1500pxUrl`, else 800, 400, 160 px): what the bot decodes
    # to recognise the image, so that no original of any size is decoded (with the size above).
    rendition: str | None = None


@dataclass(frozen=True)
class ProductState:
    """A product as one read shows it: what it is, and what each of its image slots shows now
    (the main image, each variation's image), so that an upload needs no other read first."""

    product: Product
    main: CurrentImage | None
    variation_images: tuple[tuple[int, CurrentImage], ...] = ()

    def current(self, slot: ImageSlot) -> CurrentImage | None:
        """What the slot shows now (None for the gallery: an upload there replaces nothing)."""
        if slot.kind in ("main", "category"):  # a category's one image is its `main`
            return self.main
        if slot.kind == "variation":
            return dict(self.variation_images).get(slot.variation_id or 0)
        return None


@dataclass(frozen=True)
class ImageSlot:
    """Where an image goes: the main image, the gallery, or a variation's image."""

    product_id: int
    kind: str  # "main", "gallery", "variation" or "category" (product_id is the category's)
    variation_id: int | None = None

    @property
    def path(self) -> str:
        base = f"/products/{self.product_id}"
        if self.kind == "gallery":
            return base + "/gallery"
        if self.kind == "variation":
            return f"{base}/combinations/{self.variation_id}/image"
        if self.kind == "category":
            return f"/categories/{self.product_id}/image"
        return base + "/image"


@dataclass(frozen=True)
class StoreLanguages:
    default: str
    enabled: tuple[str, ...]

    @property
    def others(self) -> tuple[str, ...]:
        """Every enabled language but the default one: these go to `alt.translated`."""
        return tuple(lang for lang in self.enabled if lang != self.default)


@dataclass(frozen=True)
class StoreProfile:
    name: str
    languages: StoreLanguages


@dataclass(frozen=True)
class ImageUpload:
    url: str
    size: Size
    alt_main: str | None = None
    alt_translated: tuple[tuple[str, str], ...] = ()
    external_id: str | None = None

    def to_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "url": self.url,
            "width": str(self.size.width),  # Ecwid's reference types these as strings
            "height": str(self.size.height),
        }
        alt: dict[str, Any] = {}
        if self.alt_main:
            alt["main"] = self.alt_main
        translated = {lang: text for lang, text in self.alt_translated if text}
        if translated:
            alt["translated"] = translated
        if alt:
            body["alt"] = alt
        if self.external_id:
            body["externalId"] = self.external_id
        return body


@dataclass(frozen=True)
class UploadResult:
    image_id: int | None  # older API versions answer the async upload without an id
    status: int = 200  # the HTTP status Ecwid answered, for the audit log


@dataclass(frozen=True)
class GalleryImage:
    """One image of a product's media as Ecwid answers it (`media.images[]`): the main image
    has id "0"; gallery ids change when the gallery is reordered, and may be mere places (ref:
    "starts with 0 and iterates by 1"): act on an image only by an id read just before."""

    id: str
    order: int
    is_main: bool
    url: str | None  # imageOriginalUrl (the main image's: originalImage.url)
    thumbnail: str | None  # image160pxUrl, else image400pxUrl, else the original
    alt: Any  # as Ecwid gave it: sent back unchanged when the images are listed again
    alt_main: str | None = None
    alt_translated: tuple[tuple[str, str], ...] = ()
    rendition: str | None = None  # image1500pxUrl or smaller (see CurrentImage)
    width: int | None = None  # the original's size: legacy `galleryImages[]` (ref), or None
    height: int | None = None

    @property
    def shown(self) -> CurrentImage:
        """The image as something to recognise (bot.changes.recognise)."""
        return CurrentImage(
            self.url or "",
            self.width,
            self.height,
            self.alt_main,
            self.alt_translated,
            self.rendition,
        )

    def has_alt(self, language: str, default: str) -> bool:
        if language == default:
            return bool(self.alt_main)
        return bool(dict(self.alt_translated).get(language))


@dataclass(frozen=True)
class Gallery:
    """A product's images in Ecwid's order (the main image first), its videos as Ecwid gave
    them (a reorder must list them too), and which variations have an image of their own."""

    product: Product
    images: tuple[GalleryImage, ...]
    videos: tuple[Any, ...] = ()
    variation_images: tuple[tuple[int, CurrentImage], ...] = ()

    def image(self, image_id: str) -> GalleryImage | None:
        return next((i for i in self.images if i.id == image_id), None)

    @property
    def signature(self) -> str:
        """What the gallery looks like (each image's id, place and URL), in 10 characters: a
        card drawn from another gallery than Ecwid's now is stale."""
        shown = "|".join(f"{i.id}:{i.order}:{i.url}" for i in self.images)
        return hashlib.sha256(shown.encode()).hexdigest()[:10]
