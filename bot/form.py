"""The upload form: what it holds (block ids are a contract), and reading a submission back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot.upload_request import (
    MAX_SIDE,
    ProductId,
    Size,
    UploadRequest,
    ValidationError,
    check_alt_text,
    check_image_url,
    check_product_id,
    check_side,
)

CALLBACK_ID = "ecwid_image_upload"
PRODUCT = "product"
IMAGE_URL = "image_url"
WIDTH = "width"
HEIGHT = "height"
ALT_MAIN = "alt_main"
CHANNEL = "channel"


def alt_block(lang: str) -> str:
    return f"alt_{lang}"


@dataclass(frozen=True)
class FormMetadata:
    """Carried in the view's private_metadata from opening to submission."""

    languages: tuple[str, ...] = ()  # the store's other languages: one alt_<lang> field each
    external_id: str | None = None

    def dump(self) -> str:
        return json.dumps({"languages": list(self.languages), "external_id": self.external_id})

    @classmethod
    def load(cls, text: str) -> FormMetadata:
        try:
            data = json.loads(text or "{}")
            return cls(tuple(str(x) for x in data.get("languages", ())), data.get("external_id"))
        except (ValueError, AttributeError, TypeError):
            return cls()


@dataclass(frozen=True)
class Submission:
    request: UploadRequest
    channel_id: str


def _value(values: dict[str, Any], block: str) -> Any:
    """The element's state: each input's action_id equals its block_id."""
    return (values.get(block) or {}).get(block) or {}


def _text(values: dict[str, Any], block: str) -> str:
    return (_value(values, block).get("value") or "").strip()


def _side(values: dict[str, Any], block: str, errors: dict[str, str]) -> int | None:
    raw = _text(values, block)
    if not raw:
        return None
    try:
        return check_side(int(raw))
    except (ValueError, ValidationError):
        errors[block] = f"A whole number of pixels from 1 to {MAX_SIDE}."
        return None


def read_submission(values: dict[str, Any], metadata: FormMetadata) -> Submission | dict[str, str]:
    """The submitted form as a request, or error messages keyed by block id."""
    errors: dict[str, str] = {}

    product: ProductId | None = None
    selected = _value(values, PRODUCT).get("selected_option") or {}
    try:
        product = ProductId(check_product_id(int(selected.get("value", ""))))
    except (ValueError, ValidationError):
        errors[PRODUCT] = "Choose a product: type part of its name, its SKU or its id."

    image_url = _text(values, IMAGE_URL)
    try:
        check_image_url(image_url)
    except ValidationError as problem:
        errors[IMAGE_URL] = str(problem).replace("`", "")

    width, height = _side(values, WIDTH, errors), _side(values, HEIGHT, errors)
    size: Size | None = None
    if width is not None and height is not None:
        size = Size(width, height)
    elif width is None and WIDTH not in errors and height is not None:
        errors[WIDTH] = "Give the width too, or leave both blank."
    elif height is None and HEIGHT not in errors and width is not None:
        errors[HEIGHT] = "Give the height too, or leave both blank."

    alt_main = _text(values, ALT_MAIN) or None
    translated: dict[str, str] = {}
    for block, lang in [
        (ALT_MAIN, None),
        *((alt_block(lang), lang) for lang in metadata.languages),
    ]:
        text = _text(values, block)
        try:
            check_alt_text(text, "This alt text")
        except ValidationError as problem:
            errors[block] = str(problem).replace("`", "")
        if lang and text:
            translated[lang] = text

    channel = _value(values, CHANNEL).get("selected_conversation")
    if not channel:
        errors[CHANNEL] = "Choose the channel to report in."

    if errors or product is None or not channel:
        return errors
    request = UploadRequest(
        product=product,
        image_url=image_url,
        size=size,
        alt_main=alt_main,
        alt_translated=translated,
        external_id=metadata.external_id,
    )
    return Submission(request, channel)
