"""The upload form: its blocks (block ids are a contract), opening it, reading a submission back.

Opened by the empty or partial command and both shortcuts; submitted to the same upload flow as
the command.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    ExternalDataSelectElement,
    ImageBlock,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    RadioButtonsElement,
    UrlInputElement,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.domain.requests import (
    MAX_ALT_LENGTH,
    MAX_SIDE,
    TARGETS,
    CategoryId,
    Draft,
    ProductId,
    SharedFile,
    Size,
    UploadRequest,
    ValidationError,
    check_alt_text,
    check_image_url,
    check_product_id,
    check_side,
)
from bot.ecwid.models import Product, StoreLanguages
from bot.slack import texts
from bot.slack.files import shared_file
from bot.slack.views.option_values import (
    OPTION_VALUE,
    Pair,
    option_value_block,
    read_owned_value,
)
from bot.slack.views.store_field import store_field

CALLBACK_ID = "ecwid_image_upload"
PRODUCT = "product"
IMAGE_URL = "image_url"
IMAGE_FILE = "image_file"  # a file uploaded in the form
MESSAGE_FILE = "message_file"  # which of the message's image files, when opened from one
# Photos as phones, scanners and the web make them: the bot converts what Ecwid does not take.
FILE_TYPES = ["jpg", "jpeg", "png", "gif", "heic", "heif", "webp", "avif", "tif", "tiff", "bmp"]
MAX_MESSAGE_FILES = 5  # offered from one message; private_metadata holds at most 3000 characters
WIDTH = "width"
HEIGHT = "height"
ALT_MAIN = "alt_main"
CHANNEL = "channel"
TARGET = "target"  # radio buttons: main (initial) or gallery


def alt_block(lang: str) -> str:
    return f"alt_{lang}"


@dataclass(frozen=True)
class FormMetadata:
    """Carried in the view's private_metadata from opening to submission."""

    languages: tuple[str, ...] = ()  # the store's other languages: one alt_<lang> field each
    external_id: str | None = None
    files: tuple[SharedFile, ...] = ()  # the image files of the message the form came from

    def dump(self) -> str:
        files = [
            {
                "id": f.id,
                "name": f.name[:80],
                "url": f.download_url,
                "type": f.mimetype,
                "size": f.size,
            }
            for f in self.files
        ]
        data = {"languages": list(self.languages), "external_id": self.external_id}
        return json.dumps({**data, "files": files} if files else data)

    @classmethod
    def load(cls, text: str) -> FormMetadata:
        try:
            data = json.loads(text or "{}")
            files = tuple(
                SharedFile(
                    id=str(f["id"]),
                    name=str(f.get("name") or ""),
                    mimetype=str(f.get("type") or ""),
                    size=f["size"] if isinstance(f.get("size"), int) else None,
                    download_url=f["url"] if isinstance(f.get("url"), str) else None,
                )
                for f in data.get("files", ())
            )
            return cls(
                tuple(str(x) for x in data.get("languages", ())), data.get("external_id"), files
            )
        except (ValueError, AttributeError, TypeError, KeyError):
            return cls()


@dataclass(frozen=True)
class Submission:
    request: UploadRequest
    channel_id: str
    option: Pair | None = None  # every variation with this value, instead of `request`'s slot


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
        errors[block] = texts.field_side(MAX_SIDE)
        return None


def read_submission(values: dict[str, Any], metadata: FormMetadata) -> Submission | dict[str, str]:
    """The submitted form as a request, or error messages keyed by block id."""
    errors: dict[str, str] = {}

    product: ProductId | CategoryId | None = None
    selected = str((_value(values, PRODUCT).get("selected_option") or {}).get("value", ""))
    # "<product>", "<product>:<variation>" or "category:<id>"
    product_part, _, variation_part = selected.partition(":")
    try:
        if product_part == "category":
            product = CategoryId(check_product_id(int(variation_part)))
        else:
            variation = int(variation_part) if variation_part else None
            product = ProductId(check_product_id(int(product_part)), variation)
    except (ValueError, ValidationError):
        errors[PRODUCT] = texts.FIELD_PRODUCT
    target = (_value(values, TARGET).get("selected_option") or {}).get("value") or "main"
    if target not in TARGETS:
        errors[TARGET] = texts.FIELD_TARGET
    elif target == "gallery" and isinstance(product, ProductId) and product.variation is not None:
        errors[TARGET] = texts.FIELD_VARIATION_GALLERY
    elif target == "gallery" and isinstance(product, CategoryId):
        errors[TARGET] = texts.FIELD_CATEGORY_GALLERY

    image_url, file = _image(values, metadata, errors)

    width, height = _side(values, WIDTH, errors), _side(values, HEIGHT, errors)
    size: Size | None = None
    if width is not None and height is not None:
        size = Size(width, height)
    elif width is None and WIDTH not in errors and height is not None:
        errors[WIDTH] = texts.FIELD_WIDTH_TOO
    elif height is None and HEIGHT not in errors and width is not None:
        errors[HEIGHT] = texts.FIELD_HEIGHT_TOO

    alt_main: str | None = None
    translated: dict[str, str] = {}
    for block, lang in [
        (ALT_MAIN, None),
        *((alt_block(lang), lang) for lang in metadata.languages),
    ]:
        try:
            text = check_alt_text(_text(values, block), "This alt text")
        except ValidationError as problem:
            errors[block] = texts.field_error(problem)
            continue
        if lang is None:
            alt_main = text or None
        elif text:
            translated[lang] = text

    owned = read_owned_value(values)
    option = owned[0] if owned is not None else None
    if owned is not None and isinstance(product, ProductId) and owned[1] not in (None, product.id):
        errors[OPTION_VALUE] = texts.FIELD_OPTION_OTHER_PRODUCT
    elif option is not None and isinstance(product, CategoryId):
        errors[OPTION_VALUE] = texts.FIELD_OPTION_CATEGORY
    elif option is not None and isinstance(product, ProductId) and product.variation is not None:
        errors[OPTION_VALUE] = texts.FIELD_OPTION_VARIATION
    elif option is not None and target == "gallery":
        errors[TARGET] = texts.FIELD_VARIATION_GALLERY

    channel = _value(values, CHANNEL).get("selected_conversation")
    if not channel:
        errors[CHANNEL] = texts.FIELD_CHANNEL

    if errors or product is None or not channel:
        return errors
    request = UploadRequest(
        product=product,
        image_url=image_url,
        size=size,
        alt_main=alt_main,
        alt_translated=translated,
        external_id=metadata.external_id,
        file=file,
        target=target,
    )
    return Submission(request, channel, option)


def _image(
    values: dict[str, Any], metadata: FormMetadata, errors: dict[str, str]
) -> tuple[str | None, SharedFile | None]:
    """Exactly one image: the form's own link or file first, else the message's chosen file."""
    link = _text(values, IMAGE_URL)
    # Whatever was uploaded is tried: the bytes decide, not the name or the mimetype.
    uploaded = [f for f in map(shared_file, _value(values, IMAGE_FILE).get("files") or []) if f]
    if link and uploaded:
        errors[IMAGE_URL] = texts.FIELD_LINK_OR_FILE
        return None, None
    if uploaded:
        return None, uploaded[0]
    if link:
        try:
            return check_image_url(link), None
        except ValidationError as problem:
            errors[IMAGE_URL] = texts.field_error(problem)
            return None, None
    chosen = (_value(values, MESSAGE_FILE).get("selected_option") or {}).get("value")
    for candidate in metadata.files:
        if candidate.id == chosen or (chosen is None and len(metadata.files) == 1):
            return None, candidate
    if metadata.files:
        errors[MESSAGE_FILE] = texts.FIELD_MESSAGE_FILE
    else:
        errors[IMAGE_URL] = texts.FIELD_IMAGE
    return None, None


# ---- building the view ------------------------------------------------------------------

MAX_OPTION_TEXT = 75  # Slack's limit for an option's text
MIN_OPTION_NAME = 12  # of the name kept before the SKU is shortened too


def slack_length(text: str) -> int:
    """Length as Slack counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _shorten(text: str, room: int) -> str:
    """`text` cut to at most `room` UTF-16 units, with "…" when cut."""
    if slack_length(text) <= room:
        return text
    kept = ""
    for char in text:
        if slack_length(kept + char) > room - 1:
            break
        kept += char
    return kept + "…"


def product_option(product: Product) -> Option:
    """An option reading "Name · SKU · #id" within Slack's 75: the name gives way, then the SKU."""
    if product.kind == "category":
        label = f"Category: {product.name.strip() or '(no name)'}"
        ident = f" · #{product.id}"
        room = MAX_OPTION_TEXT - slack_length(ident)
        while slack_length(label) > room:
            label = label[:-2] + "…"
        return Option(text=PlainTextObject(text=label + ident), value=f"category:{product.id}")
    ident = f" · #{product.id}"
    name = product.name.strip() or "(no name)"
    sku_text = product.sku
    value = str(product.id)
    if product.variation is not None:
        name = f"{name} — {product.variation.describe()}"
        sku_text = product.variation.sku or product.sku
        value = f"{product.id}:{product.variation.id}"
    sku = f" · {sku_text}" if sku_text else ""
    room = MAX_OPTION_TEXT - slack_length(ident)
    if slack_length(name + sku) > room:
        name = _shorten(name, max(room - slack_length(sku), min(MIN_OPTION_NAME, room)))
        sku = _shorten(sku, room - slack_length(name))
    text = _shorten(name + sku, room) + ident
    return Option(text=PlainTextObject(text=text), value=value)


def chosen_channel(view: dict[str, Any]) -> str | None:
    """The channel the open form's results go to, as chosen now."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(CHANNEL) or {}).get(CHANNEL) or {}).get("selected_conversation")
    return chosen if isinstance(chosen, str) and is_channel(chosen) else None


def input_block(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
    dispatch: bool = False,
) -> InputBlock:
    """`dispatch`: a choice is sent at once (block_actions), not only with the submission."""
    element.action_id = block_id  # each input's action_id is its block_id (read_submission)
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element=element,
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
        dispatch_action=True if dispatch else None,
    )


def _text_input(initial: str | None) -> PlainTextInputElement:
    return PlainTextInputElement(max_length=MAX_ALT_LENGTH, initial_value=initial or None)


def _side_input(initial: int | None) -> NumberInputElement:
    return NumberInputElement(
        is_decimal_allowed=False,
        min_value="1",
        max_value=str(MAX_SIDE),
        initial_value=None if initial is None else str(initial),
    )


def upload_form(
    draft: Draft,
    *,
    languages: StoreLanguages | None,
    product: Product | None,
    channel_id: str | None,
    note: str | None = None,
    stores: Sequence[int] = (),
    store_id: int = 0,
) -> View:
    """The modal. `languages` None means they could not be read: only the default alt field.

    `note` is mrkdwn, already escaped (see `texts.problem`). `stores`: the workspace's
    (many-stores mode); with several, the form's first field chooses one (`store_id` first),
    and the form is made anew for the store chosen (its product search and languages).
    """
    blocks: list[Block] = []
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    blocks.extend(store_field(stores, store_id, dispatch=True))

    product_select = ExternalDataSelectElement(
        placeholder=PlainTextObject(text="Type a name, SKU or id"),
        min_query_length=1,
        initial_option=product_option(product) if product is not None else None,
    )
    # Choosing a product offers its option values (with_option_values), through views.update.
    blocks.append(input_block(PRODUCT, "Product", product_select, dispatch=True))
    if product is not None and (values := _values_block(product)) is not None:
        blocks.append(values)
    places = [
        Option(text=PlainTextObject(text="Main image (replaces it)"), value="main"),
        Option(text=PlainTextObject(text="Add to the gallery"), value="gallery"),
    ]
    initial_place = places[1] if draft.target == "gallery" else places[0]
    blocks.append(
        input_block(
            TARGET,
            "Put the image",
            RadioButtonsElement(options=places, initial_option=initial_place),
            hint="For a variation (choose it above), its own image is replaced.",
        )
    )
    files = draft.files[:MAX_MESSAGE_FILES]
    if files:
        blocks.extend(_message_files(files))
    blocks.append(
        input_block(
            IMAGE_URL,
            "Image URL",
            UrlInputElement(initial_value=draft.image_url or None),
            optional=True,
            hint="An https:// link to an image (JPG, PNG, GIF, HEIC, WebP…), or upload the file below.",
        )
    )
    blocks.append(
        input_block(
            IMAGE_FILE,
            "Or upload the image",
            FileInputElement(filetypes=FILE_TYPES, max_files=1),
            optional=True,
        )
    )
    size = draft.size
    blocks.append(
        input_block(
            WIDTH,
            "Width (px)",
            _side_input(size.width if size else None),
            optional=True,
            hint="Leave width and height blank to have them read from the image.",
        )
    )
    blocks.append(
        input_block(
            HEIGHT, "Height (px)", _side_input(size.height if size else None), optional=True
        )
    )

    default = languages.default if languages else "default language"
    blocks.append(
        input_block(ALT_MAIN, f"Alt text ({default})", _text_input(draft.alt_main), optional=True)
    )
    others = languages.others if languages else ()
    for lang in others:
        initial = draft.alt_translated.get(lang)
        blocks.append(
            input_block(alt_block(lang), f"Alt text ({lang})", _text_input(initial), optional=True)
        )

    # Only channels can hold the announcement and its thread. The conversation the form was
    # opened from is offered only when it is one: a DM (D…) would be a choice the filter forbids.
    here = channel_id if channel_id and is_channel(channel_id) else None
    channel_select = ConversationSelectElement(
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        initial_conversation=here,
        default_to_current_conversation=True if here else None,
    )
    blocks.append(input_block(CHANNEL, "Report in channel", channel_select))

    metadata = FormMetadata(languages=others, external_id=draft.external_id, files=files)
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text="Product image"),
        submit=PlainTextObject(text="Upload"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata.dump(),
        blocks=blocks,
    )


def _values_block(product: Product) -> InputBlock | None:
    if product.variation is not None or product.kind == "category":
        return None
    pairs = [(choice.option, choice.value) for choice in product.choices]
    label, hint = texts.FORM_OPTION_LABEL, texts.FORM_OPTION_HINT
    return option_value_block(pairs, label, hint, owner=product.id)


def chosen_product(action: dict[str, Any]) -> int | None:
    """The product chosen in the form's product field (a block action), when it is a product
    itself: a variation or a category has no option values to offer."""
    value = str((action.get("selected_option") or {}).get("value") or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 18 else None


def with_option_values(view: dict[str, Any], product: Product | None) -> dict[str, Any] | None:
    """The open form (as Slack sent it) for views.update: the product's option-value select
    right after the product field, or none (None: the form needs no update). The inputs keep
    what was typed: Slack keeps an input's state while its block and action ids stay."""
    blocks: list[dict[str, Any]] = [
        b for b in view.get("blocks") or [] if b.get("block_id") != OPTION_VALUE
    ]
    values = _values_block(product) if product is not None else None
    if values is None and len(blocks) == len(view.get("blocks") or []):
        return None
    if values is not None:
        at = next((n for n, b in enumerate(blocks) if b.get("block_id") == PRODUCT), 0) + 1
        blocks.insert(at, values.to_dict())
    kept = ("type", "callback_id", "title", "submit", "close", "private_metadata")
    return {**{key: view[key] for key in kept if key in view}, "blocks": blocks}


def _message_files(files: tuple[SharedFile, ...]) -> list[Block]:
    """The message's image files, shown, and a choice of which one (the first by default)."""
    blocks: list[Block] = [
        ImageBlock(slack_file={"id": f.id}, alt_text=f.name or "image", title=f.name or None)
        for f in files
        if f.download_url is not None  # a stub cannot be shown until Slack describes it
    ]
    options = [
        Option(text=PlainTextObject(text=_shorten(f.name or f.id, MAX_OPTION_TEXT)), value=f.id)
        for f in files
    ]
    choice = RadioButtonsElement(options=options, initial_option=options[0])
    blocks.append(
        input_block(
            MESSAGE_FILE,
            "Image from the message",
            choice,
            optional=True,
            hint="Used unless you give a link or upload a file below.",
        )
    )
    return blocks


def is_channel(conversation_id: str) -> bool:
    """A public (C…) or private (G…) channel, not a DM (D…)."""
    return conversation_id[:1] in ("C", "G")
