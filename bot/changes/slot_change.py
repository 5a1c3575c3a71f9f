"""`SlotChange`: one change to one image slot, as every way in asks for it.

A command, the form, a drop, a bulk line, the gallery card and an undo all come down to the same
question: put this (a link, a Slack file, kept bytes, another order, nothing, or only new alt
texts) in that slot of that store, for this person. One frozen value says it, so that one runner
can apply it and one codec can store it (bot.changes.codec).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.requests import SharedFile, Size
from bot.ecwid.models import ImageSlot


class Owner(StrEnum):
    """What the slot belongs to: Ecwid numbers products and categories apart."""

    PRODUCT = "product"
    CATEGORY = "category"


class Place(StrEnum):
    MAIN = "main"
    GALLERY = "gallery"
    VARIATION = "variation"


class Origin(StrEnum):
    """The way in a change came from (a fix plan's lines are a job's: BULK_LINE)."""

    COMMAND = "command"
    FORM = "form"
    SHORTCUT = "shortcut"
    DROP = "drop"
    BULK_LINE = "bulk_line"
    GALLERY_CARD = "gallery_card"
    UNDO = "undo"


@dataclass(frozen=True)
class Target:
    """The slot: a product's main image, its gallery or a variation's image, or a category's."""

    owner: Owner
    owner_id: int
    place: Place = Place.MAIN
    variation_id: int | None = None

    def __post_init__(self) -> None:
        if self.owner_id <= 0:
            raise ValueError("a product or category id is a positive whole number")
        if (self.place is Place.VARIATION) != (self.variation_id is not None):
            raise ValueError("a variation's slot, and only it, names its variation")
        if self.owner is Owner.CATEGORY and self.place is not Place.MAIN:
            raise ValueError("a category has one image")

    @property
    def slot(self) -> ImageSlot:
        """The slot as the Ecwid client names it."""
        if self.owner is Owner.CATEGORY:
            return ImageSlot(self.owner_id, "category")
        return ImageSlot(self.owner_id, self.place.value, self.variation_id)

    @classmethod
    def of_slot(cls, slot: ImageSlot) -> Target:
        if slot.kind == "category":
            return cls(Owner.CATEGORY, slot.product_id)
        return cls(Owner.PRODUCT, slot.product_id, Place(slot.kind), slot.variation_id)


@dataclass(frozen=True)
class AltText:
    """An image's alt text: the store's default language, and its other languages by code.

    One value in place of a `(main, {lang: text})` pair, a sorted tuple of pairs, and Ecwid's
    `{"main": …, "translated": {…}}`. Texts are kept composed (NFC), as they are sent."""

    main: str | None = None
    translated: tuple[tuple[str, str], ...] = ()  # (language, text), sorted by language

    def __post_init__(self) -> None:
        languages = [lang for lang, _ in self.translated]
        if languages != sorted(set(languages)):
            raise ValueError("translations are sorted by language, one each")

    @classmethod
    def of(cls, main: str | None, translated: Mapping[str, str] | None = None) -> AltText:
        texts = {lang: _nfc(text) for lang, text in (translated or {}).items() if text}
        return cls(_nfc(main) if main else None, tuple(sorted(texts.items())))

    @classmethod
    def of_ecwid(cls, alt: Mapping[str, object] | None) -> AltText:
        """Ecwid's `alt` object (`{"main": …, "translated": {…}}`); anything else is no text."""
        if not alt:
            return cls()
        main = alt.get("main")
        translated = alt.get("translated")
        texts = (
            {str(k): str(v) for k, v in translated.items() if isinstance(v, str)}
            if isinstance(translated, Mapping)
            else {}
        )
        return cls.of(main if isinstance(main, str) else None, texts)

    @property
    def empty(self) -> bool:
        return self.main is None and not self.translated

    def in_language(self, language: str) -> str | None:
        return dict(self.translated).get(language)

    def for_ecwid(self) -> dict[str, object]:
        """As Ecwid's `alt` takes it."""
        alt: dict[str, object] = {}
        if self.main is not None:
            alt["main"] = self.main
        if self.translated:
            alt["translated"] = dict(self.translated)
        return alt


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --- where the new image comes from -----------------------------------------------------------


@dataclass(frozen=True)
class FromLink:
    """An https link: Ecwid fetches it when it is ready as it is, else the bot converts it."""

    url: str

    def __post_init__(self) -> None:
        if self.url[:8].lower() != "https://" or len(self.url) == len("https://"):
            raise ValueError("a link to an image is an https link")


@dataclass(frozen=True)
class FromSlackFile:
    """A file shared in Slack: private, so the bot reads it and sends the bytes."""

    file: SharedFile


@dataclass(frozen=True)
class FromKept:
    """Bytes the bot kept (an undo): a file in a Slack thread, or a copy in the job store."""

    reference: str  # the Slack file's id, or the history entry whose copy is kept
    in_store: bool = False
    # A gallery image put back in another's place (the undo of a square fix): the image it
    # takes the place of, by the URL it is served from.
    replaces: str | None = None


@dataclass(frozen=True)
class Reorder:
    """The gallery in another order: the images named by the URLs they are served from (ids
    shift on every reorder)."""

    order: tuple[str, ...]


@dataclass(frozen=True)
class Delete:
    """Take the slot's image away (a gallery image: the one served from `image_url`).
    `without_copy`: the person agreed to delete it though its bytes cannot be kept for Undo."""

    image_url: str | None = None
    without_copy: bool = False


@dataclass(frozen=True)
class AltOnly:
    """Only the alt texts change (a gallery image: the one served from `image_url`)."""

    image_url: str | None = None


@dataclass(frozen=True)
class ToSquare:
    """The image the slot shows (served from `image_url`, as the plan saw it) padded to a
    square, its light backdrop made white when `white`: put in its place with its alt texts
    (bot.images.square; the audit's square fix)."""

    image_url: str
    white: bool = False


Source = FromLink | FromSlackFile | FromKept | Reorder | Delete | AltOnly | ToSquare


@dataclass(frozen=True)
class Known:
    """What the plan found out already, so that it is not read again."""

    identity: str | None = None  # bot.images.identity's text of the new image
    size: Size | None = None  # its pixel size, as read or as given
    # A link the plan found Ecwid cannot take as it is (HEIC, sideways, too large…): the bot
    # downloads it and sends it made ready. False: sent as the link, unless read and found so.
    convert: bool = False


@dataclass(frozen=True)
class Asker:
    """Who asked, and where the change is reported."""

    user_id: str
    channel_id: str | None = None


@dataclass(frozen=True)
class SlotChange:
    store_id: int
    target: Target
    source: Source
    asker: Asker
    origin: Origin
    alt: AltText = field(default_factory=AltText)
    known: Known = field(default_factory=Known)
    external_id: str | None = None  # Lightspeed's image id, sent with a link
    # An undo's: the history entry it undoes (an undo job's line is run from that entry).
    undoes: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.source, Reorder) and self.target.place is not Place.GALLERY:
            raise ValueError("only a gallery has an order")
