"""The upload form: its blocks (block ids are a contract), opening it, reading a submission back.

Opened by the empty or partial command and both shortcuts; submitted to the same upload flow as
the command.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    ExternalDataSelectElement,
    InputBlock,
    InputInteractiveElement,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.domain.requests import (
    MAX_ALT_LENGTH,
    MAX_SIDE,
    Draft,
    ProductId,
    Requester,
    Size,
    UploadRequest,
    ValidationError,
    check_alt_text,
    check_image_url,
    check_product_id,
    check_side,
)
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Product, StoreLanguages
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, slack_error
from bot.slack.texts import escape

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
    ident = f" · #{product.id}"
    name = product.name.strip() or "(no name)"
    sku = f" · {product.sku}" if product.sku else ""
    room = MAX_OPTION_TEXT - slack_length(ident)
    if slack_length(name + sku) > room:
        name = _shorten(name, max(room - slack_length(sku), min(MIN_OPTION_NAME, room)))
        sku = _shorten(sku, room - slack_length(name))
    text = _shorten(name + sku, room) + ident
    return Option(text=PlainTextObject(text=text), value=str(product.id))


def _input(
    block_id: str,
    label: str,
    element: InputInteractiveElement,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> InputBlock:
    element.action_id = block_id  # each input's action_id is its block_id (read_submission)
    return InputBlock(
        block_id=block_id,
        label=PlainTextObject(text=label),
        element=element,
        optional=optional,
        hint=PlainTextObject(text=hint) if hint else None,
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
) -> View:
    """The modal. `languages` None means they could not be read: only the default alt field.

    `note` is mrkdwn, already escaped (see `texts.problem`).
    """
    blocks: list[Block] = []
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))

    product_select = ExternalDataSelectElement(
        placeholder=PlainTextObject(text="Type a name, SKU or id"),
        min_query_length=1,
        initial_option=product_option(product) if product is not None else None,
    )
    blocks.append(_input(PRODUCT, "Product", product_select))
    blocks.append(
        _input(
            IMAGE_URL,
            "Image URL",
            UrlInputElement(initial_value=draft.image_url or None),
            hint="An https:// link to a JPG, PNG or GIF.",
        )
    )
    size = draft.size
    blocks.append(
        _input(
            WIDTH,
            "Width (px)",
            _side_input(size.width if size else None),
            optional=True,
            hint="Leave width and height blank to have them read from the image.",
        )
    )
    blocks.append(
        _input(HEIGHT, "Height (px)", _side_input(size.height if size else None), optional=True)
    )

    default = languages.default if languages else "default language"
    blocks.append(
        _input(ALT_MAIN, f"Alt text ({default})", _text_input(draft.alt_main), optional=True)
    )
    others = languages.others if languages else ()
    for lang in others:
        initial = draft.alt_translated.get(lang)
        blocks.append(
            _input(alt_block(lang), f"Alt text ({lang})", _text_input(initial), optional=True)
        )

    # Only channels can hold the announcement and its thread. The conversation the form was
    # opened from is offered only when it is one: a DM (D…) would be a choice the filter forbids.
    here = channel_id if channel_id and is_channel(channel_id) else None
    channel_select = ConversationSelectElement(
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        initial_conversation=here,
        default_to_current_conversation=True if here else None,
    )
    blocks.append(_input(CHANNEL, "Report in channel", channel_select))

    metadata = FormMetadata(languages=others, external_id=draft.external_id)
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text="Product image"),
        submit=PlainTextObject(text="Upload"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=metadata.dump(),
        blocks=blocks,
    )


def is_channel(conversation_id: str) -> bool:
    """A public (C…) or private (G…) channel, not a DM (D…)."""
    return conversation_id[:1] in ("C", "G")


# ---- opening it -------------------------------------------------------------------------

log = logging.getLogger(__name__)

# A trigger_id expires 3 s after the user acted: look-ups get this much, then the form opens anyway.
LOOKUP_BUDGET_SECONDS = 1.5
OPEN_BUDGET_SECONDS = 2.5  # views.open after that is pointless: the trigger is gone


async def _languages(runtime: Runtime) -> StoreLanguages | None:
    try:
        return await asyncio.wait_for(runtime.store.languages(), LOOKUP_BUDGET_SECONDS)
    except (EcwidError, TimeoutError) as exc:
        log.warning("store languages unavailable for the form: %s", exc)
        return None


async def _product(runtime: Runtime, draft: Draft) -> tuple[Product | None, str | None]:
    """The prefilled product, and a note (mrkdwn) for the form when it could not be found."""
    ref = draft.product
    if ref is None:
        return None, None
    try:
        return await asyncio.wait_for(runtime.store.product(ref), LOOKUP_BUDGET_SECONDS), None
    except EcwidError as exc:
        return None, texts.problem(exc)
    except TimeoutError:
        if isinstance(ref, ProductId):  # still usable, just without its name
            return Product(id=ref.id, name=f"Product #{ref.id}", sku=None), None
        return None, "Ecwid was too slow to find that SKU; search for the product below."


async def open_upload_form(
    runtime: Runtime,
    *,
    trigger_id: str,
    who: Requester,
    draft: Draft,
    note: str | None = None,
) -> None:
    (languages, (product, product_note)) = await asyncio.gather(
        _languages(runtime), _product(runtime, draft)
    )
    notes = [escape(note)] if note else []
    if product_note:
        notes.append(product_note)
    if who.channel_id and not is_channel(who.channel_id):
        notes.append("Results are posted in a channel: choose one below.")
    if languages is None:
        notes.append("The store's languages could not be read: only the default alt text is asked.")
    view = upload_form(
        draft,
        languages=languages,
        product=product,
        channel_id=who.channel_id,
        note=" ".join(notes) or None,
    )
    try:
        async with asyncio.timeout(OPEN_BUDGET_SECONDS):
            await runtime.slack.views_open(trigger_id=trigger_id, view=view)
    except SLACK_FAILURES as exc:
        error = slack_error(exc)
        log.warning("could not open the form: %s", error)
        await runtime.notifier.tell(who, texts.form_not_opened(str(error)))
