"""What an upload needs, and the checks both entry points (command and form) share."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bot.domain.alt_text import clean_alt_text, describe_all
from bot.domain.errors import UserFacingError

MAX_PRODUCT_ID = 2**53  # Ecwid ids are JSON numbers; past this they cannot be exact
MAX_SIDE = 20_000  # pixels; far beyond any product photo, small enough to catch typos
MAX_ALT_LENGTH = 125  # Ecwid admin's limit for alt text
MAX_EXTERNAL_ID_LENGTH = 255
MAX_URL_LENGTH = 2048
MAX_ID_DIGITS = 16  # 2**53 has 16 digits; int() of thousands of digits is slow, then refused
MAX_SIDE_DIGITS = 5
# ISO 639 code, maybe a region or script: nl, pt_BR, es_419, zh-TW, zh_Hant
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(?:[_-][A-Za-z0-9]{2,4})?$")
# Unicode categories that have no place in an external id: controls (NUL, escape…), format
# characters (bidi overrides such as U+202E, zero-width spaces and joiners), line and paragraph
# separators. Alt text has its own rules (bot.domain.alt_text): scripts need ZWNJ and ZWJ.
_INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})


class ValidationError(UserFacingError):
    """Input that cannot become an upload; the message is for the user (user text in backticks)."""


@dataclass(frozen=True)
class Requester:
    """Who asked, where the result goes, and (for slash commands) where to answer them privately."""

    user_id: str
    channel_id: str | None
    response_url: str | None = None


@dataclass(frozen=True)
class ProductId:
    id: int
    variation: int | None = None  # one variation of the product (the form's type-ahead offers them)


@dataclass(frozen=True)
class ProductSku:
    sku: str


@dataclass(frozen=True)
class CategoryId:
    """A category (`category:12`): its one image is replaced, as a product's main image is."""

    id: int


ProductRef = ProductId | ProductSku | CategoryId


@dataclass(frozen=True)
class Size:
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}×{self.height}"


@dataclass(frozen=True)
class SharedFile:
    """An image file shared in the chat workspace: private, so its bytes are fetched by the bot
    and sent to Ecwid, where a link would be fetched by Ecwid itself."""

    id: str
    name: str = ""
    mimetype: str = ""
    size: int | None = None
    download_url: str | None = None  # None: only a stub was given; its details are looked up
    thumb_url: str | None = None


@dataclass(frozen=True)
class UploadRequest:
    """One image for one product: from a link (`image_url`) or a shared file (`file`), never both."""

    product: ProductRef
    image_url: str | None
    size: Size | None  # None: read from the image
    alt_main: str | None = None
    alt_translated: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None
    file: SharedFile | None = None
    target: str = "main"  # "main" or "gallery"; a variation has only its own image

    def __post_init__(self) -> None:
        if (self.image_url is None) == (self.file is None):
            raise ValueError("an upload needs exactly one image: a link or a file")


@dataclass(frozen=True)
class Draft:
    """A request still missing something: what the form opens with."""

    product: ProductRef | None = None
    image_url: str | None = None
    size: Size | None = None
    alt_main: str | None = None
    alt_translated: dict[str, str] = field(default_factory=dict)
    external_id: str | None = None
    files: tuple[SharedFile, ...] = ()  # image files of the message the form was opened from
    target: str = "main"

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
            target=self.target,
        )


def whole_number(text: str, max_digits: int) -> int | None:
    """ASCII digits as an int, or None when they are not that or too many to be meaningful."""
    if not (text.isascii() and text.isdigit()) or len(text.lstrip("0")) > max_digits:
        return None
    return int(text)


def check_product_id(value: int) -> int:
    if not 0 < value <= MAX_PRODUCT_ID:
        raise ValidationError(f"`{value}` is not a product id: ids are positive whole numbers.")
    return value


def parse_product_id(text: str) -> int:
    """A product id typed as text; ValidationError for anything else, however long."""
    value = whole_number(text, MAX_ID_DIGITS)
    if value is None:
        shown = text if len(text) <= 20 else text[:20] + "…"
        raise ValidationError(f"`{shown}` is not a product id: ids are positive whole numbers.")
    return check_product_id(value)


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
            f"`{url}` is not an https:// link: give the image's whole address, starting with "
            "https://, e.g. `https://cdn.example.com/shoe.jpg` (Ecwid only takes HTTPS images)."
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


def check_text(value: str, label: str) -> str:
    """Refuse invisible characters: they would reach the shop's pages and Slack unseen."""
    for char in value:
        if unicodedata.category(char) in _INVISIBLE:
            raise ValidationError(
                f"`{label}` contains an invisible control character (U+{ord(char):04X}); "
                "remove it and try again."
            )
    return value


def check_alt_text(value: str, label: str) -> str:
    """Alt text a person typed: NFC, or refused when it holds a character alt text never
    carries (bot.domain.alt_text), named so that they can find it."""
    cleaned = clean_alt_text(value)
    if cleaned.removed:
        found = describe_all(cleaned.removed)
        if len(set(cleaned.removed)) == 1:
            said = f"an invisible character ({found}); remove it"
        else:
            said = f"invisible characters ({found}); remove them"
        raise ValidationError(f"`{label}` contains {said} and try again.")
    return check_alt_length(cleaned.text, label)


def check_alt_length(value: str, label: str) -> str:
    if len(value) > MAX_ALT_LENGTH:
        raise ValidationError(
            f"`{label}` is {len(value)} characters long; Ecwid allows at most {MAX_ALT_LENGTH}."
        )
    return value


def check_language(code: str) -> str:
    """The form of a language code (the language part in lower case); whether the store has it
    is checked against the store's own list."""
    if not _LANGUAGE.match(code):
        raise ValidationError(
            f"`alt.{code}=` does not name a language: use its code, e.g. `alt.nl=` or `alt.pt_BR=`."
        )
    language, sep, region = code.partition("_" if "_" in code else "-")
    return language.lower() + sep + region


TARGETS = ("main", "gallery")


def check_target(value: str) -> str:
    target = value.strip().lower()
    if target not in TARGETS:
        raise ValidationError(
            f"`to={value}` is not a place for the image: use `to=main` (the default) or "
            "`to=gallery`; a variation is chosen by its own SKU."
        )
    return target


def check_external_id(value: str) -> str:
    if not value or len(value) > MAX_EXTERNAL_ID_LENGTH:
        raise ValidationError(
            f"`external-id=` must be 1 to {MAX_EXTERNAL_ID_LENGTH} characters long."
        )
    return check_text(value, "external-id")


def _language_key(code: str) -> str:
    return code.lower().replace("-", "_")


def check_languages(
    translated: dict[str, str], *, default: str, enabled: tuple[str, ...]
) -> dict[str, str]:
    """`alt.LANG` is only for the store's other enabled languages, matched regardless of case
    (`pt_br` is `pt_BR`); the texts come back keyed as the store spells its codes."""
    listed = ", ".join(f"{lang} (default)" if lang == default else lang for lang in enabled)
    spelling = {_language_key(lang): lang for lang in enabled}
    checked: dict[str, str] = {}
    for code, text in translated.items():
        key = _language_key(code)
        if key == _language_key(default):
            raise ValidationError(
                f"`alt.{code}=` is the store's default language: write it as `alt=`."
            )
        if key not in spelling:
            raise ValidationError(
                f"`alt.{code}=`: the store has no language `{code}`. Its languages are {listed}."
            )
        checked[spelling[key]] = text
    return checked
