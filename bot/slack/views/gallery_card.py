"""A product's gallery card, and its two forms. Ids are a contract: each image's actions block
has an overflow menu (`gallery_image`, option values `main:`, `earlier:`, `later:`, `alt:` or
`copy:` and the bot's reference) and a Delete button (`gallery_delete`, value the reference);
the forms are `ecwid_gallery_alt` (fields `alt_<lang>`) and `ecwid_gallery_copy` (a
multi-select `variations`). A reference names the product, the image and the gallery the card
shows (`product.image.signature`): a press on a stale card is refused. Texts come from
bot.slack.texts."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    ImageElement,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.requests import MAX_ALT_LENGTH, ValidationError, check_alt_text
from bot.ecwid.models import Gallery, GalleryImage, StoreLanguages
from bot.flows.gallery import Card
from bot.slack import texts
from bot.slack.views.option_values import Pair, option_value_block, read_option_value
from bot.slack.views.upload_form import input_block

GALLERY_IMAGE = "gallery_image"
GALLERY_DELETE = "gallery_delete"
# The second button, asked when the image cannot be read to keep a copy: value the reference and
# the card (JSON, as a form's metadata), since it is pressed on a private message, not the card.
GALLERY_DELETE_WITHOUT_COPY = "gallery_delete_without_copy"
ALT_FORM = "ecwid_gallery_alt"
COPY_FORM = "ecwid_gallery_copy"
VARIATIONS = "variations"
ACTIONS = ("main", "earlier", "later", "alt", "copy")
MAX_IMAGES_SHOWN = 15  # three blocks an image, within Slack's 50 a message
_REF = re.compile(r"^(?P<product>[0-9]{1,18})\.(?P<image>[0-9]{1,20})\.(?P<sig>[0-9a-f]{10})$")


@dataclass(frozen=True)
class Pressed:
    """What a press names: the action, the product, the image and the gallery it was drawn
    from."""

    action: str
    product_id: int
    image_id: str
    signature: str

    @property
    def ref(self) -> str:
        return f"{self.product_id}.{self.image_id}.{self.signature}"


def reference(gallery: Gallery, image: GalleryImage) -> str:
    return f"{gallery.product.id}.{image.id}.{gallery.signature}"


def read_ref(action: str, ref: str) -> Pressed | None:
    """A reference the bot wrote, or None."""
    match = _REF.match(ref)
    if match is None or action not in (*ACTIONS, "delete"):
        return None
    return Pressed(action, int(match["product"]), match["image"], match["sig"])


def read_option(value: str) -> Pressed | None:
    action, _, ref = value.partition(":")
    return read_ref(action, ref)


def _options(gallery: Gallery, place: int) -> list[Option]:
    last = len(gallery.images)
    chosen: list[tuple[str, str]] = []
    if place > 1:
        chosen.append(("main", "Make main image"))
    if place > 2:
        chosen.append(("earlier", "Move earlier"))
    if place < last:
        chosen.append(("later", "Move later"))
    chosen.append(("alt", "Edit alt text"))
    if gallery.product.variations:
        chosen.append(("copy", "Copy to variations"))
    ref = reference(gallery, gallery.images[place - 1])
    return [Option(text=PlainTextObject(text=label), value=f"{key}:{ref}") for key, label in chosen]


def card_blocks(gallery: Gallery, languages: StoreLanguages, *, images: bool = True) -> list[Block]:
    """The card; `images` False: without thumbnails (Slack refuses a message whose image it
    cannot fetch)."""
    product = gallery.product
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=texts.gallery_head(product.id, product.name, product.sku, len(gallery.images))
            )
        )
    ]
    for place, image in enumerate(gallery.images[:MAX_IMAGES_SHOWN], 1):
        coverage = [
            (language, image.has_alt(language, languages.default)) for language in languages.enabled
        ]
        section = SectionBlock(
            text=MarkdownTextObject(
                text=texts.gallery_image(place, image.id, image.is_main, coverage)
            )
        )
        if image.thumbnail and images:
            section.accessory = ImageElement(image_url=image.thumbnail, alt_text=f"image {place}")
        blocks.append(section)
        ref = reference(gallery, image)
        options = _options(gallery, place)
        menu: OverflowMenuElement | ButtonElement
        if len(options) >= 2:  # Slack's overflow takes 2–5 options
            menu = OverflowMenuElement(action_id=GALLERY_IMAGE, options=options)
        else:
            menu = ButtonElement(text="Edit alt text", action_id=GALLERY_IMAGE, value=f"alt:{ref}")
        delete = ButtonElement(
            text="Delete",
            action_id=GALLERY_DELETE,
            value=ref,
            style="danger",
            confirm=ConfirmObject(
                title="Delete this image?",
                text=PlainTextObject(text=texts.gallery_delete_question(place, product.name)[:300]),
                confirm="Delete",
                deny="Keep it",
            ),
        )
        blocks.append(ActionsBlock(block_id=f"image_{place}", elements=[menu, delete]))
    if len(gallery.images) > MAX_IMAGES_SHOWN:
        more = texts.gallery_more(len(gallery.images) - MAX_IMAGES_SHOWN)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=more)]))
    names = {v.id: v.describe() for v in product.variations}
    with_image = [names.get(vid, f"#{vid}") for vid, _ in gallery.variation_images]
    if product.variations:
        note = texts.gallery_variations(with_image, len(product.variations))
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks


def delete_without_copy_blocks(
    gallery: Gallery, image: GalleryImage, card: Card, place: int, name: str
) -> list[Block]:
    """The question "Delete without Undo?" and its button."""
    pressed = Pressed("delete", gallery.product.id, image.id, gallery.signature)
    return [
        SectionBlock(text=MarkdownTextObject(text=texts.gallery_delete_without_copy(place, name))),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text=texts.GALLERY_DELETE_WITHOUT_COPY,
                    action_id=GALLERY_DELETE_WITHOUT_COPY,
                    value=_metadata(pressed, card),
                    style="danger",
                )
            ]
        ),
    ]


def _metadata(pressed: Pressed, card: Card) -> str:
    return json.dumps({"r": pressed.ref, "c": card.channel_id, "t": card.ts})


def read_metadata(text: str, action: str) -> tuple[Pressed, Card] | None:
    try:
        data = json.loads(text)
        pressed = read_ref(action, str(data["r"]))
        card = Card(str(data["c"]), str(data["t"]))
    except (ValueError, KeyError, TypeError):
        return None
    return (pressed, card) if pressed is not None else None


def alt_form(pressed: Pressed, card: Card, image: GalleryImage, languages: StoreLanguages) -> View:
    """One field per enabled language, the default first (`alt_<lang>`), prefilled."""
    current = dict(image.alt_translated)
    blocks: list[Block] = []
    for language in languages.enabled:
        value = image.alt_main if language == languages.default else current.get(language)
        field = PlainTextInputElement(initial_value=value or None, max_length=MAX_ALT_LENGTH)
        label = f"Alt text ({language})" + (" — default" if language == languages.default else "")
        blocks.append(input_block(f"alt_{language}", label, field, optional=True))
    return View(
        type="modal",
        callback_id=ALT_FORM,
        title=PlainTextObject(text="Alt text"),
        submit=PlainTextObject(text="Save"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=_metadata(pressed, card),
        blocks=blocks,
    )


def read_alt(values: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Each language's alt text, checked as the upload form checks it (empty ones too: they
    clear it); and the errors to show, by block, when a field holds what alt text never may."""
    found: dict[str, str] = {}
    errors: dict[str, str] = {}
    for block, state in values.items():
        if block.startswith("alt_"):
            value = ((state.get(block) or {}).get("value") or "").strip()
            try:
                found[block.removeprefix("alt_")] = check_alt_text(value, "This alt text")
            except ValidationError as problem:
                errors[block] = texts.field_error(problem)
    return found, errors


def copy_form(pressed: Pressed, card: Card, gallery: Gallery) -> View:
    """The variations to copy the image to: chosen one by one, or every variation with an
    option value (Slack's menu of five is full: this is where that choice lives)."""
    options = [
        Option(
            text=PlainTextObject(text=texts.variation_label(v.options, v.id)[:75]), value=str(v.id)
        )
        for v in gallery.product.variations[:100]
    ]
    select = StaticMultiSelectElement(
        placeholder=PlainTextObject(text="Choose variations"), options=options
    )
    blocks: list[Block] = [input_block(VARIATIONS, "Variations", select, optional=True)]
    pairs = [pair for v in gallery.product.variations for pair in v.options]
    by_value = option_value_block(pairs, texts.COPY_OPTION_LABEL, texts.COPY_OPTION_HINT)
    if by_value is not None:
        blocks.append(by_value)
    return View(
        type="modal",
        callback_id=COPY_FORM,
        title=PlainTextObject(text="Copy to variations"),
        submit=PlainTextObject(text="Copy"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=_metadata(pressed, card),
        blocks=blocks,
    )


@dataclass(frozen=True)
class CopyChoice:
    """The variations chosen one by one, and an option value whose variations go too."""

    variation_ids: tuple[int, ...]
    value: Pair | None


def read_copy(values: dict[str, Any]) -> CopyChoice:
    state = (values.get(VARIATIONS) or {}).get(VARIATIONS) or {}
    chosen = state.get("selected_options") or []
    ids = tuple(int(o["value"]) for o in chosen if str(o.get("value", "")).isdigit())
    return CopyChoice(ids, read_option_value(values))
