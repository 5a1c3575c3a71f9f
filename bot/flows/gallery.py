"""A product's gallery, curated from Slack: the card (`/ecwid-image gallery PRODUCT`), and what
its menu and buttons do: make main, move earlier or later, delete, edit alt text, copy to
variations.

Ecwid renumbers the gallery on every reorder (the new first image becomes id "0", the old main
image gets a new id), so every change reads the product again and the card is redrawn from what
Ecwid says; what Ecwid did not do is said, never claimed. A card remembers the gallery it shows
(`Gallery.signature`): a press on a card drawn from another gallery than Ecwid's now is refused,
and the card is redrawn.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bot.changes.recognise import Recogniser
from bot.changes.records import UndoPlace, UndoRecord, history_entry, record_of
from bot.domain.alt_text import alt_cleaned_note, clean_alt_text
from bot.domain.errors import UserFacingError
from bot.domain.requests import ProductRef, Requester, check_size
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Gallery, GalleryImage, ImageSlot, ImageUpload, StoreLanguages
from bot.ecwid.store import StoreInfo
from bot.images.identity import NoIdentity
from bot.images.probe import ImageProbe
from bot.jobs.history import Action, History

log = logging.getLogger(__name__)

STALE = (
    "The gallery changed since this card was drawn: nothing was changed. Here it is as it is now."
)
NO_PRODUCT_NAMED = UserFacingError(
    "That message names no product of the store: it needs the product's id or its SKU (e.g. "
    "`sku:RS-1`). `/ecwid-image gallery PRODUCT` works too."
)
UNEXPECTED = UserFacingError("Something went wrong on the bot's side.")
NO_LINK = (
    "Ecwid shows no link for that image, so the bot cannot tell it from the others: set its alt "
    "text in the Ecwid admin."
)
DEFAULT_LANGUAGES = StoreLanguages("en", ("en",))


class Move(StrEnum):
    MAIN = "main"
    EARLIER = "earlier"
    LATER = "later"


@dataclass(frozen=True)
class Card:
    """Where a gallery card is: its channel and message."""

    channel_id: str
    ts: str


class GalleryReport(Protocol):
    async def card(
        self, who: Requester, gallery: Gallery, languages: StoreLanguages
    ) -> Card | None:
        """The card, posted in the person's channel; where it is."""
        ...

    async def redraw(self, card: Card, gallery: Gallery, languages: StoreLanguages) -> None: ...

    async def changed(
        self, who: Requester, card: Card, text: str, undo: UndoRecord | None, name: str
    ) -> None:
        """A line in the card's thread: who did what (plain words, escaped by the reporter),
        with Undo when it can be undone (`name`: the product's, for its confirm dialog)."""
        ...

    async def refused(self, who: Requester, reason: str) -> None: ...

    async def failed(self, who: Requester, error: UserFacingError) -> None: ...

    async def ask_delete_without_copy(
        self,
        who: Requester,
        card: Card,
        gallery: Gallery,
        image: GalleryImage,
        place: int,
        name: str,
    ) -> None:
        """The image's bytes could not be read to keep a copy: ask the person, privately,
        whether to delete it without Undo (their answer comes back as `delete(...,
        without_copy=True)`)."""
        ...


def moved(order: Sequence[str], image_id: str, move: Move) -> list[str]:
    """The ids in their new order."""
    ids = list(order)
    place = ids.index(image_id)
    ids.pop(place)
    if move is Move.MAIN:
        ids.insert(0, image_id)
    elif move is Move.EARLIER:
        ids.insert(max(0, place - 1), image_id)
    else:
        ids.insert(min(len(ids), place + 1), image_id)
    return ids


class GalleryFlow:
    def __init__(
        self,
        ecwid: EcwidClient,
        store: StoreInfo,
        probe: ImageProbe,
        history: History,
        report: GalleryReport,
        recognise: Recogniser,
    ) -> None:
        self._recognise = recognise
        self._ecwid = ecwid
        self._store = store
        self._probe = probe
        self._history = history
        self._report = report

    @contextlib.asynccontextmanager
    async def _answering(self, who: Requester, action: str) -> AsyncIterator[None]:
        """Whatever goes wrong with a press is told to the person: never a traceback, never
        silence."""
        try:
            yield
        except UserFacingError as error:
            await self._report.failed(who, error)
        except Exception:
            log.exception("gallery %s failed unexpectedly", action)
            await self._report.failed(who, UNEXPECTED)

    async def _languages(self) -> StoreLanguages:
        try:
            return await self._store.languages()
        except EcwidError as exc:
            log.warning("store languages unavailable for a gallery: %s", exc)
            return DEFAULT_LANGUAGES

    async def languages(self) -> StoreLanguages:
        return await self._languages()

    async def show(self, who: Requester, ref: ProductRef) -> None:
        """Post the product's card; never raises."""
        async with self._answering(who, "card"):
            product = await self._store.product(ref)
            if product.kind == "category":
                raise UserFacingError(
                    "A category has one image, not a gallery: replace it with "
                    f"`/ecwid-image category:{product.id} IMAGE_URL`."
                )
            gallery = await self._ecwid.gallery(product.id)
            await self._report.card(who, gallery, await self._languages())

    async def show_named(self, who: Requester, named: Sequence[ProductRef]) -> None:
        """Manage gallery on a message: the card of the first product it names that the store
        has; never raises."""
        for ref in named:
            try:
                await self._store.product(ref)
            except UserFacingError:
                continue
            except Exception:
                log.exception("gallery look-up failed unexpectedly")
                break
            await self.show(who, ref)
            return
        await self._report.failed(who, NO_PRODUCT_NAMED)

    async def card_undone(self, record: UndoRecord, place: UndoPlace) -> None:
        """A change was undone from under a card: the card (its thread's parent) is redrawn."""
        if not (place.channel_id and place.thread_ts):
            return
        try:
            gallery = await self._ecwid.gallery(record.slot.product_id)
        except EcwidError as exc:
            log.info("gallery card not redrawn after an undo: %s", exc)
            return
        card = Card(place.channel_id, place.thread_ts)
        await self._report.redraw(card, gallery, await self._languages())

    async def current(
        self, who: Requester, card: Card, product_id: int, image_id: str, signature: str
    ) -> tuple[Gallery, GalleryImage] | None:
        """The gallery as Ecwid has it now and the image pressed, when the card still shows
        them; else the press is refused and the card redrawn (None)."""
        gallery = await self._ecwid.gallery(product_id)
        image = gallery.image(image_id)
        if gallery.signature != signature or image is None:
            await self._report.refused(who, STALE)
            await self._report.redraw(card, gallery, await self._languages())
            return None
        return gallery, image

    async def move(
        self,
        who: Requester,
        card: Card,
        move: Move,
        product_id: int,
        image_id: str,
        signature: str,
    ) -> None:
        """Make main, move earlier or later; never raises."""
        async with self._answering(who, "move"):
            found = await self.current(who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, _ = found
            order = [i.id for i in gallery.images]
            wanted = moved(order, image_id, move)
            if wanted == order:
                await self._report.refused(who, _no_move(move))
                return
            place = order.index(image_id) + 1
            urls = {i.id: i.url for i in gallery.images}
            wanted_urls = [urls[i] for i in wanted]
            after = await self._ecwid.reorder(gallery, wanted)
            done = [i.url for i in after.images] == wanted_urls
            new_place = wanted.index(image_id) + 1
            log.info(
                "gallery user=%s product=%s move=%s image=%s outcome=%s",
                who.user_id,
                product_id,
                move,
                image_id,
                "done" if done else "not-done",
            )
            if done:
                what = (
                    f"made image {place} the main image"
                    if move is Move.MAIN
                    else f"moved image {place} to place {new_place}"
                )
                undo = await self._remember(
                    who,
                    card,
                    gallery,
                    Action.REORDERED,
                    orders=([i.url for i in gallery.images], [i.url for i in after.images]),
                )
            else:
                undo = None
                what = (
                    f"asked to move image {place} to place {new_place}, but Ecwid shows the "
                    "gallery in another order: nothing is claimed. The card shows Ecwid's order"
                )
            await self._report.redraw(card, after, await self._languages())
            await self._report.changed(who, card, what, undo, gallery.product.name)

    async def delete(
        self,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
        *,
        without_copy: bool = False,
    ) -> None:
        """Delete the image, its bytes kept first (in the history) for Undo; never raises.

        An image whose bytes cannot be read is not deleted: the person is asked whether to
        delete it without Undo (`without_copy`, their answer). It is deleted by what it is (its
        URL), with an id read just before the call: ids may be places that shift."""
        async with self._answering(who, "delete"):
            found = await self.current(who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            place = [i.id for i in gallery.images].index(image_id) + 1
            kept = None
            if image.url:
                try:
                    kept = (await self._probe.download(image.url)).data
                except UserFacingError as exc:
                    log.info("gallery: the image to delete could not be kept: %s", exc)
            if kept is None and not without_copy:
                log.info(
                    "gallery user=%s product=%s delete image=%s outcome=asked-without-copy",
                    who.user_id,
                    product_id,
                    image_id,
                )
                await self._report.ask_delete_without_copy(
                    who, card, gallery, image, place, gallery.product.name
                )
                return
            deleted = bool(image.url) and await self._ecwid.delete_shown(product_id, str(image.url))
            after = await self._ecwid.gallery(product_id)
            gone = deleted and image.url not in [i.url for i in after.images]
            log.info(
                "gallery user=%s product=%s delete image=%s outcome=%s",
                who.user_id,
                product_id,
                image_id,
                "done" if gone else "not-done",
            )
            undo = None
            if gone:
                # Recorded either way; Undo only where the bytes were kept to put it back.
                recorded = await self._remember(
                    who, card, gallery, Action.REMOVED, image=image, kept=kept
                )
                undo = recorded if kept is not None else None
                what = f"deleted image {place}" + ("" if kept else " (no copy could be kept)")
            elif not deleted:
                what = (
                    f"asked to delete image {place}, but Ecwid no longer shows it where the card "
                    "did: nothing was deleted"
                )
            else:
                what = f"asked to delete image {place}, but Ecwid still shows it"
            await self._report.redraw(card, after, await self._languages())
            await self._report.changed(who, card, what, undo, gallery.product.name)

    async def set_alt(
        self,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
        texts: Mapping[str, str],
    ) -> None:
        """An image's alt text in every enabled language (the others' kept); never raises."""
        async with self._answering(who, "alt"):
            found = await self.current(who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            languages = await self._languages()
            main = texts.get(languages.default) or None
            translated = {
                lang: text for lang, text in texts.items() if lang != languages.default and text
            }
            if not image.url:
                raise UserFacingError(NO_LINK)
            # By its URL, its id read again just before the update (ids may be places).
            await self._ecwid.set_image_alt(product_id, image.url, main, translated)
            after = await self._ecwid.gallery(product_id)
            place = [i.id for i in gallery.images].index(image_id) + 1
            log.info("gallery user=%s product=%s alt image=%s", who.user_id, product_id, image_id)
            undo = await self._remember(who, card, gallery, Action.ALT, image=image)
            await self._report.redraw(card, after, languages)
            what = f"set the alt text of image {place}"
            await self._report.changed(who, card, what, undo, gallery.product.name)

    async def copy_to_variations(
        self,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
        variation_ids: Sequence[int],
    ) -> None:
        """The image on each chosen variation, by its URL with its size and alt text; never
        raises."""
        async with self._answering(who, "copy"):
            found = await self.current(who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            if not image.url:
                raise UserFacingError("Ecwid shows no link for that image, so it cannot be copied.")
            info = await self._probe.probe(image.url, need_size=True)
            size = check_size(info.width or 0, info.height or 0)
            # Ecwid's alt text may hold what the bot never sends (set elsewhere): removed, and said.
            main = clean_alt_text(image.alt_main or "")
            translated = [(lang, clean_alt_text(text)) for lang, text in image.alt_translated]
            removed = main.removed + tuple(c for _, t in translated for c in t.removed)
            upload = ImageUpload(
                url=image.url,
                size=size,
                alt_main=main.text or None,
                alt_translated=tuple((lang, t.text) for lang, t in translated if t.text),
            )
            names = {v.id: v.describe() for v in gallery.product.variations}
            place = [i.id for i in gallery.images].index(image_id) + 1
            done: list[tuple[str, UndoRecord | None]] = []
            failed: list[str] = []
            for variation_id in variation_ids:
                name = names.get(variation_id, f"#{variation_id}")
                slot = ImageSlot(product_id, "variation", variation_id)
                try:
                    undo = await self._copy(who, card, gallery, slot, image, upload, name)
                    done.append((name, undo))
                except EcwidError as exc:
                    failed.append(f"{name} ({exc.message})")
            log.info(
                "gallery user=%s product=%s copy image=%s variations=%d failed=%d",
                who.user_id,
                product_id,
                image_id,
                len(done),
                len(failed),
            )
            after = await self._ecwid.gallery(product_id)
            await self._report.redraw(card, after, await self._languages())
            cleaned = f" ({alt_cleaned_note(removed)})" if removed else ""
            for name, undo in done:  # a line each, each with its Undo
                what = f"copied image {place} to variation {name}{cleaned}"
                await self._report.changed(who, card, what, undo, gallery.product.name)
            if failed or not done:
                what = f"could not copy image {place} to " + (", ".join(failed) or "any variation")
                await self._report.changed(who, card, what, None, gallery.product.name)

    async def _copy(
        self,
        who: Requester,
        card: Card,
        gallery: Gallery,
        slot: ImageSlot,
        image: GalleryImage,
        upload: ImageUpload,
        name: str,
    ) -> UndoRecord | None:
        """One variation gets the image; what it showed is kept first, for Undo."""
        current = await self._ecwid.current_image(slot)
        kept = None
        if current is not None:
            try:
                kept = (await self._probe.download(current.url)).data
            except UserFacingError as exc:
                log.info("gallery: a variation's image could not be kept: %s", exc)
        result = await self._ecwid.upload_image(slot, upload)
        change = history_entry(
            user_id=who.user_id,
            product_id=slot.product_id,
            slot="variation",
            action=Action.REPLACED if current is not None else Action.SET,
            channel_id=card.channel_id,
            message_ts=card.ts,
            product_name=gallery.product.name or None,
            variation_id=slot.variation_id,
            variation_label=name,
            image_id=result.image_id,
            before_url=current.url if current else None,
            after_url=image.url,
            kept_in_store=kept is not None,
            alt_main=current.alt_main if current else None,
            alt_translated=current.alt_translated if current else (),
        )
        try:
            await self._history.add(change, kept)
        except Exception as exc:
            log.warning("the copy is not in the history: %s", type(exc).__name__)
            return None
        return record_of(change) if current is None or kept is not None else None

    async def _remember(
        self,
        who: Requester,
        card: Card,
        gallery: Gallery,
        action: Action,
        *,
        image: GalleryImage | None = None,
        kept: bytes | None = None,
        orders: tuple[list[str | None], list[str | None]] | None = None,
    ) -> UndoRecord | None:
        """The change in the history; what undoing it takes (None when the store is away:
        the change stands, without Undo)."""
        before = None
        if kept is not None:
            try:
                before = (await self._recognise.of_bytes(kept)).text
            except NoIdentity:
                before = None
        change = history_entry(
            user_id=who.user_id,
            product_id=gallery.product.id,
            slot="main" if image is not None and image.is_main else "gallery",
            action=action,
            channel_id=card.channel_id,
            message_ts=card.ts,
            product_name=gallery.product.name or None,
            image_id=int(image.id) if image is not None and image.id.isdigit() else None,
            before_fp=before,
            # A reorder keeps both orders (each image by its URL: ids change on a reorder).
            before_url=json.dumps(orders[0]) if orders else (image.url if image else None),
            after_url=json.dumps(orders[1]) if orders else None,
            kept_in_store=kept is not None,
            alt_main=image.alt_main if image is not None else None,
            alt_translated=image.alt_translated if image is not None else (),
        )
        try:
            await self._history.add(change, kept)
        except Exception as exc:
            log.warning("the gallery change is not in the history: %s", type(exc).__name__)
            return None
        return record_of(change)


def _no_move(move: Move) -> str:
    if move is Move.MAIN:
        return "That image is the main image already: nothing was changed."
    if move is Move.EARLIER:
        return "That image is first already: nothing was changed."
    return "That image is last already: nothing was changed."
