"""What an upload needs, and the checks both entry points (command and form) share."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_PRODUCT_ID = 2**53  # Ecwid ids are JSON numbers; past this they cannot be exact
MAX_SIDE = 20_000  # pixels; far beyond any product photo, small enough to catch typos
MAX_ALT_LENGTH = 125  # Ecwid admin's limit for alt text
MAX_EXTERNAL_ID_LENGTH = 255
MAX_URL_LENGTH = 2048
_LANGUAGE = re.compile(r"^[A-Za-z]{2}(?:[_-][A-Za-z]{2,4})?$")  # ISO 639-1, maybe a region


class ValidationError(Exception):
    """Input that cannot become an upload; the message is written for the user (mrkdwn, unescaped)."""


@dataclass(frozen=True)
class ProductId:
    id: int


@dataclass(frozen=True)
class ProductSku:
    sku: str


ProductRef = ProductId | ProductSku


@dataclass(frozen=True)
class Size:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}×{self.height}"


@dataclass(frozen=True)
class UploadRequest:
    product: ProductRef
    image_url: str
    size: Size | None  # None: read from the image
    alt_main: str | None = None
    alt_translated: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None


@dataclass(frozen=True)
class Draft:
    """A request still missing something: what the form opens with."""

    product: ProductRef | None = None
    image_url: str | None = None
    size: Size | None = None
    alt_main: str | None = None
    alt_translated: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None

    def complete(self) -> UploadRequest | None:
        if self.product is None or self.image_url is None:
            return None  # the size may be missing: it is read from the image
        return UploadRequest(
            product=self.product,
            image_url=self.image_url,
            size=self.size,
            alt_main=self.alt_main,
            alt_translated=self.alt_translated,
            external_id=self.external_id,
        )


def check_product_id(value: int) -> int:
    if not 0 < value <= MAX_PRODUCT_ID:
        raise ValidationError(f"`{value}` is not a product id: ids are positive whole numbers.")
    return value


def check_image_url(url: str) -> str:
    if not url:
        raise ValidationError("The image link is missing: give an https:// URL.")
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"The image link is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host, parts = None, None
    if parts is None or parts.scheme.lower() != "https":
        raise ValidationError(
            f"`{url}` is not an https:// link: Ecwid only takes HTTPS image URLs."
        )
    if not host or any(c.isspace() or c in '<>|"' for c in url):
        raise ValidationError(f"`{url}` is not a valid image link.")
    return url


def check_side(pixels: int) -> int:
    if not 0 < pixels <= MAX_SIDE:
        raise ValidationError(
            f"Width and height must be whole numbers from 1 to {MAX_SIDE} pixels."
        )
    return pixels


def check_size(width: int, height: int) -> Size:
    return Size(check_side(width), check_side(height))


def check_alt_text(value: str, label: str) -> str:
    if len(value) > MAX_ALT_LENGTH:
        raise ValidationError(
            f"`{label}` is {len(value)} characters long; Ecwid allows at most {MAX_ALT_LENGTH}."
        )
    return value


def check_language(code: str) -> str:
    if not _LANGUAGE.match(code):
        raise ValidationError(
            f"`alt.{code}=` does not name a language: use its code, e.g. `alt.nl=`."
        )
    return code[:2].lower() + code[2:]


def check_external_id(value: str) -> str:
    if not value or len(value) > MAX_EXTERNAL_ID_LENGTH:
        raise ValidationError(
            f"`external-id=` must be 1 to {MAX_EXTERNAL_ID_LENGTH} characters long."
        )
    return value


def check_languages(codes: list[str], *, default: str, enabled: tuple[str, ...]) -> None:
    """`alt.LANG` is only for the store's other enabled languages."""
    listed = ", ".join(f"{lang} (default)" if lang == default else lang for lang in enabled)
    for code in codes:
        if code == default:
            raise ValidationError(
                f"`alt.{code}=` is the store's default language: write it as `alt=`."
            )
        if code not in enabled:
            raise ValidationError(
                f"`alt.{code}=`: the store has no language `{code}`. Its languages are {listed}."
            )
