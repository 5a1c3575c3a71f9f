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
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Protocol

from bot.changes.context import StoreContext
from bot.changes.edits import Edited, NoCopy
from bot.changes.records import UndoPlace, UndoRecord
from bot.changes.runner import Applied, NotSent, Telling
from bot.changes.slot_change import (
    AltOnly,
    AltText,
    Asker,
    Delete,
    FromLink,
    Known,
    Origin,
    Owner,
    Place,
    Reorder,
    SlotChange,
    Source,
    Target,
)
from bot.domain import texts
from bot.domain.alt_text import alt_cleaned_note, clean_alt_text
from bot.domain.errors import UserFacingError
from bot.domain.options import Choice, has_all
from bot.domain.requests import ProductRef, Requester, check_size
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Gallery, GalleryImage, StoreLanguages

log = logging.getLogger(__name__)

NO_PRODUCT_NAMED = UserFacingError(texts.NO_PRODUCT_NAMED)
UNEXPECTED = UserFacingError(texts.UNEXPECTED)
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
    def __init__(self, report: GalleryReport) -> None:
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

    async def _languages(self, store: StoreContext) -> StoreLanguages:
        try:
            return await store.catalog.languages()
        except EcwidError as exc:
            log.warning("store languages unavailable for a gallery: %s", exc)
            return DEFAULT_LANGUAGES

    async def languages(self, store: StoreContext) -> StoreLanguages:
        return await self._languages(store)

    async def show(self, store: StoreContext, who: Requester, ref: ProductRef) -> None:
        """Post the product's card; never raises."""
        async with self._answering(who, "card"):
            product = await store.catalog.product(ref)
            if product.kind == "category":
                raise UserFacingError(texts.category_has_no_gallery(product.id))
            gallery = await store.ecwid.gallery(product.id)
            await self._report.card(who, gallery, await self._languages(store))

    async def show_named(
        self, store: StoreContext, who: Requester, named: Sequence[ProductRef]
    ) -> None:
        """Manage gallery on a message: the card of the first product it names that the store
        has; never raises."""
        for ref in named:
            try:
                await store.catalog.product(ref)
            except UserFacingError:
                continue
            except Exception:
                log.exception("gallery look-up failed unexpectedly")
                break
            await self.show(store, who, ref)
            return
        await self._report.failed(who, NO_PRODUCT_NAMED)

    async def card_undone(self, store: StoreContext, record: UndoRecord, place: UndoPlace) -> None:
        """A change was undone from under a card: the card (its thread's parent) is redrawn."""
        if not (place.channel_id and place.thread_ts):
            return
        try:
            gallery = await store.ecwid.gallery(record.slot.product_id)
        except EcwidError as exc:
            log.info("gallery card not redrawn after an undo: %s", exc)
            return
        card = Card(place.channel_id, place.thread_ts)
        await self._report.redraw(card, gallery, await self._languages(store))

    async def current(
        self,
        store: StoreContext,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
    ) -> tuple[Gallery, GalleryImage] | None:
        """The gallery as Ecwid has it now and the image pressed, when the card still shows
        them; else the press is refused and the card redrawn (None)."""
        gallery = await store.ecwid.gallery(product_id)
        image = gallery.image(image_id)
        if gallery.signature != signature or image is None:
            await self._report.refused(who, texts.STALE_CARD)
            await self._report.redraw(card, gallery, await self._languages(store))
            return None
        return gallery, image

    def _change(
        self,
        store: StoreContext,
        who: Requester,
        card: Card,
        product_id: int,
        source: Source,
        alt: AltText | None = None,
        known: Known | None = None,
    ) -> SlotChange:
        """A change the card asks for, to the product's gallery."""
        return SlotChange(
            store_id=store.runner.store_id,
            target=Target(Owner.PRODUCT, product_id, Place.GALLERY),
            source=source,
            asker=Asker(who.user_id, card.channel_id),
            origin=Origin.GALLERY_CARD,
            alt=alt or AltText(),
            known=known or Known(),
        )

    async def _edit(
        self, store: StoreContext, change: SlotChange, card: Card, gallery: Gallery
    ) -> Edited | NoCopy:
        outcome = await store.runner.apply(
            change, telling=Telling(gallery.product.name, None, card.ts), gallery=gallery
        )
        if not isinstance(outcome, Edited | NoCopy):
            raise TypeError(f"a card's edit ended {type(outcome).__name__}")
        return outcome

    async def move(
        self,
        store: StoreContext,
        who: Requester,
        card: Card,
        move: Move,
        product_id: int,
        image_id: str,
        signature: str,
    ) -> None:
        """Make main, move earlier or later; never raises."""
        async with self._answering(who, "move"):
            found = await self.current(store, who, card, product_id, image_id, signature)
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
            wanted_urls = tuple(urls[i] for i in wanted)
            if None in wanted_urls:
                raise UserFacingError(texts.NO_LINK)
            reorder = Reorder(tuple(url for url in wanted_urls if url is not None))
            edited = await self._edit(
                store, self._change(store, who, card, product_id, reorder), card, gallery
            )
            assert isinstance(edited, Edited)
            new_place = wanted.index(image_id) + 1
            log.info(
                "gallery user=%s product=%s move=%s image=%s outcome=%s",
                who.user_id,
                product_id,
                move,
                image_id,
                "done" if edited.done else "not-done",
            )
            if edited.done:
                what = (
                    f"made image {place} the main image"
                    if move is Move.MAIN
                    else f"moved image {place} to place {new_place}"
                )
            else:
                what = (
                    f"asked to move image {place} to place {new_place}, but Ecwid shows the "
                    "gallery in another order: nothing is claimed. The card shows Ecwid's order"
                )
            await self._report.redraw(card, edited.after, await self._languages(store))
            await self._report.changed(who, card, what, edited.undo, gallery.product.name)

    async def delete(
        self,
        store: StoreContext,
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
            found = await self.current(store, who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            if not image.url:
                raise UserFacingError(texts.NO_LINK)
            place = [i.id for i in gallery.images].index(image_id) + 1
            delete = Delete(image.url, without_copy=without_copy)
            edited = await self._edit(
                store, self._change(store, who, card, product_id, delete), card, gallery
            )
            if isinstance(edited, NoCopy):
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
            log.info(
                "gallery user=%s product=%s delete image=%s outcome=%s",
                who.user_id,
                product_id,
                image_id,
                "done" if edited.done else "not-done",
            )
            if edited.done:
                what = f"deleted image {place}" + (
                    "" if edited.kept else " (no copy could be kept)"
                )
            elif not edited.reached:
                what = (
                    f"asked to delete image {place}, but Ecwid no longer shows it where the card "
                    "did: nothing was deleted"
                )
            else:
                what = f"asked to delete image {place}, but Ecwid still shows it"
            await self._report.redraw(card, edited.after, await self._languages(store))
            await self._report.changed(who, card, what, edited.undo, gallery.product.name)

    async def set_alt(
        self,
        store: StoreContext,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
        alt_texts: Mapping[str, str],
    ) -> None:
        """An image's alt text in every enabled language (the others' kept); never raises."""
        async with self._answering(who, "alt"):
            found = await self.current(store, who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            languages = await self._languages(store)
            main = alt_texts.get(languages.default) or None
            translated = {
                lang: text for lang, text in alt_texts.items() if lang != languages.default and text
            }
            if not image.url:
                raise UserFacingError(texts.NO_LINK)
            change = self._change(
                store, who, card, product_id, AltOnly(image.url), AltText.of(main, translated)
            )
            edited = await self._edit(store, change, card, gallery)
            assert isinstance(edited, Edited)
            place = [i.id for i in gallery.images].index(image_id) + 1
            log.info("gallery user=%s product=%s alt image=%s", who.user_id, product_id, image_id)
            await self._report.redraw(card, edited.after, languages)
            what = f"set the alt text of image {place}"
            await self._report.changed(who, card, what, edited.undo, gallery.product.name)

    async def copy_to_variations(
        self,
        store: StoreContext,
        who: Requester,
        card: Card,
        product_id: int,
        image_id: str,
        signature: str,
        variation_ids: Sequence[int],
        *,
        with_value: tuple[str, str] | None = None,
    ) -> None:
        """The image on each chosen variation, and on every variation with the option value
        `with_value` as the product has its variations now, by its URL with its size and alt
        text; never raises."""
        async with self._answering(who, "copy"):
            found = await self.current(store, who, card, product_id, image_id, signature)
            if found is None:
                return
            gallery, image = found
            if with_value is not None:
                value = Choice(*with_value)
                having = [v.id for v in gallery.product.variations if has_all(v.options, [value])]
                if not having:
                    name = gallery.product.name or str(product_id)
                    raise UserFacingError(texts.no_variation_with(name, ["=".join(with_value)]))
                variation_ids = list(dict.fromkeys([*variation_ids, *having]))
            if not image.url:
                raise UserFacingError(texts.NO_LINK_TO_COPY)
            info = await store.runner.sources.check_link(image.url, need_size=True)
            size = check_size(info.width or 0, info.height or 0)
            # Ecwid's alt text may hold what the bot never sends (set elsewhere): removed, and said.
            main = clean_alt_text(image.alt_main or "")
            translated = [(lang, clean_alt_text(text)) for lang, text in image.alt_translated]
            removed = main.removed + tuple(c for _, t in translated for c in t.removed)
            copy = self._change(
                store,
                who,
                card,
                product_id,
                FromLink(image.url),
                AltText.of(main.text or None, {lang: t.text for lang, t in translated}),
                Known(size=size),
            )
            names = {v.id: v.describe() for v in gallery.product.variations}
            place = [i.id for i in gallery.images].index(image_id) + 1
            done: list[tuple[str, UndoRecord | None]] = []
            failed: list[str] = []
            for variation_id in variation_ids:
                name = names.get(variation_id, f"#{variation_id}")
                target = Target(Owner.PRODUCT, product_id, Place.VARIATION, variation_id)
                telling = Telling(gallery.product.name, name, card.ts)
                outcome = await store.runner.apply(replace(copy, target=target), telling=telling)
                if isinstance(outcome, NotSent):
                    failed.append(f"{name} ({outcome.error.message})")
                elif isinstance(outcome, Applied):
                    done.append((name, await store.runner.remember_with_copy(outcome)))
            log.info(
                "gallery user=%s product=%s copy image=%s variations=%d failed=%d",
                who.user_id,
                product_id,
                image_id,
                len(done),
                len(failed),
            )
            after = await store.ecwid.gallery(product_id)
            await self._report.redraw(card, after, await self._languages(store))
            cleaned = f" ({alt_cleaned_note(removed)})" if removed else ""
            for name, undo in done:  # a line each, each with its Undo
                what = f"copied image {place} to variation {name}{cleaned}"
                await self._report.changed(who, card, what, undo, gallery.product.name)
            if failed or not done:
                what = f"could not copy image {place} to " + (", ".join(failed) or "any variation")
                await self._report.changed(who, card, what, None, gallery.product.name)


def _no_move(move: Move) -> str:
    if move is Move.MAIN:
        return texts.ALREADY_MAIN
    if move is Move.EARLIER:
        return texts.ALREADY_FIRST
    return texts.ALREADY_LAST
