"""The changes that bring no new image: a gallery in another order, an image deleted, an image's
alt texts; and every undo (the inverse change of a history entry). `ChangeRunner.apply` hands
them here; each leaves its entry in the history.

Ecwid renumbers a gallery on every reorder and delete (media ids "start with 0 and iterate by
1"), so images are named by the URL they are served from, and an id is read just before the
call that uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.changes.recognise import Recogniser, added_to_gallery
from bot.changes.records import UndoRecord, history_entry, record_of
from bot.changes.slot_change import AltOnly, AltText, Delete, FromKept, Reorder, SlotChange, Target
from bot.changes.sources import ImageSources
from bot.domain import texts
from bot.domain.errors import UserFacingError
from bot.domain.requests import SharedFile
from bot.domain.tenant import Tenant
from bot.ecwid.client import ALT_NOT_SHOWN, EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import Gallery, GalleryImage, ImageSlot
from bot.images.identity import NoIdentity
from bot.images.shared_files import SharedFileReader
from bot.jobs.history import Action, Change, History

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Edited:
    """A gallery card's edit: the gallery as Ecwid shows it after, whether Ecwid did it, and its
    Undo (None: not done, or the history could not be written)."""

    after: Gallery
    done: bool
    undo: UndoRecord | None = None
    reached: bool = True  # a delete: Ecwid still showed the image where the card did
    kept: bool = True  # a delete: its bytes were kept for Undo


@dataclass(frozen=True)
class NoCopy:
    """A delete whose image's bytes could not be kept: asked first (Delete.without_copy)."""

    image: GalleryImage


@dataclass(frozen=True)
class Restored:
    """An undo done; `warning` when part of it could not be (e.g. the alt text)."""

    warning: str | None


@dataclass(frozen=True)
class Swapped:
    """A gallery image put in another's place: where Ecwid serves the new one, the id the
    upload answered (None: it was there already, a line begun before a restart), the gallery's
    order before and after (by URL), and a warning when the order could not be kept."""

    url: str
    image_id: int | None
    before_order: tuple[str | None, ...]
    after_order: tuple[str | None, ...]
    warning: str | None = None


@dataclass(frozen=True)
class Undoing:
    """What an undo puts back: the change's undo record, its entry (None: not in the history),
    the kept bytes of what it replaced (when they are in the history), and where it is told."""

    record: UndoRecord
    original: Change | None
    kept: bytes | None
    message_ts: str | None = None
    thread_ts: str | None = None
    job: tuple[str, int] | None = None
    resumed: bool = False  # an undo job's line begun before a restart


class Edits:
    def __init__(
        self,
        ecwid: EcwidClient,
        sources: ImageSources,
        files: SharedFileReader,
        recognise: Recogniser,
        history: History,
    ) -> None:
        self._ecwid = ecwid
        self._sources = sources
        self._files = files
        self._recognise = recognise
        self._history = history

    # ---- a job's alt-text line (the audit's fix) ----------------------------------------------

    async def alt_lines(self, lines: Sequence[AltLine]) -> list[Change | UserFacingError | None]:
        """Alt-text lines of a job (the audit's fix): each the alt texts its change names set
        on its slot's image, the image's other languages as the store shows them now (a
        person's text written since the plan stays), and its entry for the job's record: the
        alt texts it had, and a fingerprint of those it left (an undo puts them back only
        while the store still shows these). The lines of one product's media images (main and
        gallery) go in one read and one update for all of them; a variation's or a category's
        line, alone, with its own.

        Each image must be the one the plan saw (named by its URL, read just before: ids may be
        places). Per line: its entry; None for a line begun before a restart whose texts are
        there already (no entry: what it replaced is not known any more); or the
        UserFacingError that says why it was not done (an EcwidError fails every line of the
        update)."""
        first = lines[0].change.target.slot
        if first.kind != "gallery":
            if len(lines) != 1:
                raise TypeError("a variation's or a category's line is updated alone")
            return [await self._slot_alt(lines[0])]
        if any(line.change.target.slot.product_id != first.product_id for line in lines):
            raise TypeError("media images of one product are updated together")
        gallery = await self._ecwid.gallery(first.product_id)
        found: list[Change | UserFacingError | None] = []
        updates: dict[str | None, tuple[str | None, dict[str, str]]] = {}
        for line in lines:
            source = line.change.source
            assert isinstance(source, AltOnly)
            try:
                image = _shown(gallery, source.image_url)
            except UserFacingError as problem:
                found.append(problem)
                continue
            before = AltText.of(
                image.alt_main, own_translations(image.alt_main, image.alt_translated)
            )
            after = _merged(before, line.change.alt)
            if line.resumed and after == before:
                found.append(None)
                continue
            kind = "main" if image.is_main else "gallery"
            updates[source.image_url] = (after.main, dict(after.translated))
            found.append(
                _alt_entry(self._history.tenant, line, kind, str(image.url), before, after)
            )
        if updates:
            missing = await self._ecwid.set_image_alts(first.product_id, updates)
            for index, line in enumerate(lines):
                source = line.change.source
                assert isinstance(source, AltOnly)
                if source.image_url in missing and isinstance(found[index], Change):
                    found[index] = EcwidError(ALT_NOT_SHOWN)
        return found

    async def _slot_alt(self, line: AltLine) -> Change | UserFacingError | None:
        """A variation's or a category's alt-text line: its own read and update."""
        change = line.change
        source = change.source
        assert isinstance(source, AltOnly)
        slot = change.target.slot
        state = (
            await self._ecwid.category_state(slot.product_id)
            if slot.kind == "category"
            else await self._ecwid.product_state(slot.product_id)
        )
        current = state.current(slot)
        if current is None or (source.image_url and current.url != source.image_url):
            return UserFacingError(texts.CHANGED_SINCE_PLAN)
        before = AltText.of(
            current.alt_main, own_translations(current.alt_main, current.alt_translated)
        )
        after = _merged(before, change.alt)
        if line.resumed and after == before:
            return None
        await self._ecwid.set_alt(slot, source.image_url, after.main, dict(after.translated))
        return _alt_entry(self._history.tenant, line, slot.kind, current.url, before, after)

    # ---- the gallery card's -----------------------------------------------------------------

    async def edit(
        self, change: SlotChange, gallery: Gallery, message_ts: str | None
    ) -> Edited | NoCopy:
        source = change.source
        if isinstance(source, Reorder):
            return await self._reorder(change, source, gallery, message_ts)
        if isinstance(source, Delete):
            return await self._delete(change, source, gallery, message_ts)
        if isinstance(source, AltOnly):
            return await self._alt(change, source, gallery, message_ts)
        raise TypeError(f"{type(source).__name__} is no gallery edit")

    async def _reorder(
        self, change: SlotChange, source: Reorder, gallery: Gallery, message_ts: str | None
    ) -> Edited:
        ids = {image.url: image.id for image in gallery.images if image.url}
        after = await self._ecwid.reorder(gallery, [ids[url] for url in source.order])
        shown = [image.url for image in after.images]
        if shown != list(source.order):
            return Edited(after, done=False)
        undo = await self._remember(
            change,
            gallery,
            Action.REORDERED,
            message_ts,
            orders=([image.url for image in gallery.images], shown),
        )
        return Edited(after, done=True, undo=undo)

    async def _delete(
        self, change: SlotChange, source: Delete, gallery: Gallery, message_ts: str | None
    ) -> Edited | NoCopy:
        """Its bytes kept first (in the history) for Undo; an image whose bytes cannot be read
        is deleted only when the person said so (`without_copy`)."""
        image = _shown(gallery, source.image_url)
        kept = None
        try:
            kept = await self._sources.read_url(str(source.image_url))
        except UserFacingError as exc:
            log.info("gallery: the image to delete could not be kept: %s", exc)
        if kept is None and not source.without_copy:
            return NoCopy(image)
        product_id = change.target.owner_id
        deleted = await self._ecwid.delete_shown(product_id, str(source.image_url))
        after = await self._ecwid.gallery(product_id)
        gone = deleted and image.url not in [i.url for i in after.images]
        if not gone:
            return Edited(after, done=False, reached=deleted)
        # Recorded either way; Undo only where the bytes were kept to put it back.
        undo = await self._remember(
            change, gallery, Action.REMOVED, message_ts, image=image, kept=kept
        )
        return Edited(after, done=True, undo=undo if kept is not None else None, kept=bool(kept))

    async def _alt(
        self, change: SlotChange, source: AltOnly, gallery: Gallery, message_ts: str | None
    ) -> Edited:
        image = _shown(gallery, source.image_url)
        product_id = change.target.owner_id
        alt = change.alt
        # By its URL, its id read again just before the update (ids may be places).
        await self._ecwid.set_image_alt(
            product_id, source.image_url, alt.main, dict(alt.translated)
        )
        after = await self._ecwid.gallery(product_id)
        undo = await self._remember(change, gallery, Action.ALT, message_ts, image=image)
        return Edited(after, done=True, undo=undo)

    async def _remember(
        self,
        change: SlotChange,
        gallery: Gallery,
        action: Action,
        message_ts: str | None,
        *,
        image: GalleryImage | None = None,
        kept: bytes | None = None,
        orders: tuple[list[str | None], list[str | None]] | None = None,
    ) -> UndoRecord | None:
        """The edit in the history; what undoing it takes (None when the store is away: the
        edit stands, without Undo)."""
        before = None
        if kept is not None:
            try:
                before = (await self._recognise.of_bytes(kept)).text
            except NoIdentity:
                before = None
        entry = history_entry(
            tenant=self._history.tenant,
            user_id=change.asker.user_id,
            product_id=gallery.product.id,
            slot="main" if image is not None and image.is_main else "gallery",
            action=action,
            channel_id=change.asker.channel_id,
            message_ts=message_ts,
            product_name=gallery.product.name or None,
            image_id=int(image.id) if image is not None and image.id.isdigit() else None,
            before_fp=before,
            before_url=image.url if image else None,
            # A reorder keeps both orders (each image by its URL: ids change on a reorder).
            before_order=tuple(orders[0]) if orders else None,
            after_order=tuple(orders[1]) if orders else None,
            kept_in_store=kept is not None,
            alt_main=image.alt_main if image is not None else None,
            alt_translated=image.alt_translated if image is not None else (),
        )
        try:
            await self._history.add(entry, kept)
        except Exception as exc:
            log.warning("the gallery change is not in the history: %s", type(exc).__name__)
            return None
        return record_of(entry)

    # ---- a gallery image in another's place (the square fix, and its undo) ----------------

    async def swap(
        self,
        product_id: int,
        old_url: str,
        data: bytes,
        alt: AltText,
        *,
        file_name: str = "",
        resumed: bool = False,
    ) -> Swapped:
        """Put the image `data` in the place of the gallery image served from `old_url`: no
        call replaces a gallery image, so (ref: the slot table) upload the new one, delete the
        old, restore the order, set the alt texts, reading the gallery back after each step.
        `resumed`: a line begun before a restart; an upload Ecwid shows already (found by what
        it shows) is not sent again. UserFacingError when the old image is not there (nothing
        was sent); EcwidError when a step failed (what was done stays: the message says it)."""
        gallery = await self._ecwid.gallery(product_id)
        before = tuple(image.url for image in gallery.images)
        if old_url not in before:
            raise UserFacingError(texts.SQUARE_CHANGED_SINCE_PLAN)
        place = before.index(old_url)
        new_url = None
        image_id = None
        if resumed:
            new_url = await added_to_gallery(self._ecwid, self._recognise, product_id, data, None)
        if new_url is None:
            slot = ImageSlot(product_id, "gallery")
            result = await self._ecwid.upload_image_bytes(slot, data, file_name=file_name)
            image_id = result.image_id
            new_url = await added_to_gallery(
                self._ecwid, self._recognise, product_id, data, image_id
            )
            if new_url is None:
                raise EcwidError(texts.SQUARE_NOT_SHOWN)
        refused: EcwidError | None = None
        try:
            await self._ecwid.delete_shown(product_id, old_url)
        except EcwidError as exc:  # it may have been deleted all the same: read and see
            refused = exc
        try:
            after = await self._ecwid.gallery(product_id)
        except EcwidError as exc:  # the new one went up: recorded, so that Undo can run
            log.warning("a swapped gallery was not read back: %s", exc)
            return Swapped(new_url, image_id, before, before, texts.swap_unfinished(exc.message))
        shown = [image.url for image in after.images]
        if old_url in shown:  # both are there: nothing lost, and the person is told
            raise EcwidError(texts.SQUARE_OLD_STAYS, ecwid_said=refused.quoted if refused else None)
        wanted = [url for url in shown if url != new_url]
        wanted.insert(min(place, len(wanted)), new_url)
        # The old image is gone now: what follows only warns, so that the swap is recorded
        # (its Undo puts the old image back from the kept bytes).
        warning = None
        try:
            if shown != wanted:
                ids = {image.url: image.id for image in after.images}
                after = await self._ecwid.reorder(after, [ids[url] for url in wanted])
                shown = [image.url for image in after.images]
                if shown != wanted:
                    warning = texts.ORDER_DIFFERS
            if not alt.empty:
                await self._ecwid.set_image_alt(product_id, new_url, alt.main, dict(alt.translated))
        except EcwidError as exc:
            warning = texts.swap_unfinished(exc.message)
        return Swapped(new_url, image_id, before, tuple(shown), warning)

    # ---- undo ---------------------------------------------------------------------------------

    async def restore(self, change: SlotChange, undoing: Undoing) -> Restored:
        """Put the slot back as `change` (the inverse of a history entry) says; a warning when
        something of it could not be. The undo goes into the history too (a failure to write
        it is logged: the image is back)."""
        record = undoing.record
        source = change.source
        slot = change.target.slot
        if isinstance(source, Reorder):
            warning = await self._put_order_back(slot.product_id, source)
        elif isinstance(source, AltOnly):  # a media image by its URL; a variation's, a category's
            alt = change.alt
            await self._ecwid.set_alt(slot, source.image_url, alt.main, dict(alt.translated))
            warning = None
        elif isinstance(source, Delete):
            if slot.kind != "gallery":  # the slot had no image: take the new one away
                await self._ecwid.delete_image(slot)
            elif not (
                source.image_url
                and await self._ecwid.delete_shown(slot.product_id, source.image_url)
            ):
                raise UserFacingError(texts.NOT_IN_GALLERY)
            warning = None
        elif isinstance(source, FromKept):
            warning = await self._put_back(change, source, undoing.kept, undoing.resumed)
        else:
            raise TypeError(f"{type(source).__name__} is no undo")
        await self._remember_undo(change, record, undoing)
        return Restored(warning)

    async def _put_order_back(self, product_id: int, source: Reorder) -> str | None:
        gallery = await self._ecwid.gallery(product_id)
        ids = {image.url: image.id for image in gallery.images}
        previous = list(source.order)
        after = await self._ecwid.reorder(gallery, [ids[url] for url in previous])
        if [image.url for image in after.images] != previous:
            return texts.ORDER_DIFFERS
        return None

    async def _put_back(
        self, change: SlotChange, source: FromKept, kept: bytes | None, resumed: bool = False
    ) -> str | None:
        slot = change.target.slot
        if kept is None:
            kept = (await self._files.read(SharedFile(id=source.reference))).data
        if source.replaces is not None:  # a gallery image back in the place of its square copy
            swapped = await self.swap(
                slot.product_id, source.replaces, kept, change.alt, resumed=resumed
            )
            return swapped.warning
        result = await self._ecwid.upload_image_bytes(slot, kept)
        alt = change.alt
        if alt.empty:
            return None
        try:
            target = None
            if slot.kind == "gallery":
                target = await self._added_url(slot.product_id, kept, result.image_id)
            await self._ecwid.set_alt(slot, target, alt.main, dict(alt.translated))
        except EcwidError as exc:  # the image is back; say what is missing
            return f"its alt text could not be set again: {exc}"
        return None

    async def _added_url(self, product_id: int, data: bytes, answered_id: int | None) -> str:
        """Where Ecwid serves the gallery image just put back from `data`, found by what it
        shows (gallery ids may be places, not the upload's answer)."""
        url = await added_to_gallery(self._ecwid, self._recognise, product_id, data, answered_id)
        if url is None:
            raise EcwidError(texts.PUT_BACK_NOT_FOUND)
        return url

    async def _remember_undo(
        self, change: SlotChange, record: UndoRecord, undoing: Undoing
    ) -> None:
        original, job = undoing.original, undoing.job
        try:
            await self._history.add(
                history_entry(
                    tenant=self._history.tenant,
                    user_id=change.asker.user_id,
                    product_id=record.slot.product_id,
                    slot=record.slot.kind,
                    action=Action.UNDONE,
                    channel_id=change.asker.channel_id,
                    message_ts=undoing.message_ts,
                    thread_ts=undoing.thread_ts,
                    product_name=original.product_name if original else None,
                    variation_id=record.slot.variation_id,
                    variation_label=original.variation_label if original else None,
                    before_fp=record.after_image,
                    after_fp=record.before_image,
                    after_url=original.before_url if original else None,
                    before_url=original.after_url if original else None,
                    after_order=original.before_order if original else None,
                    before_order=original.after_order if original else None,
                    job_id=job[0] if job else None,
                    line=job[1] if job else None,
                    undo_of=record.change_id,
                )
            )
        except Exception as exc:
            log.warning("the undo is not in the history: %s", type(exc).__name__)


def inverse(record: UndoRecord, original: Change | None, base: SlotChange) -> SlotChange:
    """The change that undoes `record` (`base`: the store, who asks, from where); `original`:
    its entry in the history, which a gallery card's edit is undone from. It names the entry it
    undoes (`undoes`)."""
    base = replace(base, undoes=record.change_id)
    slot = record.slot
    target = Target.of_slot(slot)
    gallery = Target.of_slot(ImageSlot(slot.product_id, "gallery"))
    if record.action is not None:
        if original is None:
            raise UserFacingError(texts.EDIT_GONE)
        alt = AltText.of(original.alt_main, dict(original.alt_translated))
        if original.action == Action.ALT and slot.kind in ("variation", "category"):
            return replace(base, target=target, source=AltOnly(None), alt=alt)
        if original.action == Action.REORDERED:
            order = original.before_order or ()
            urls = tuple(url for url in order if url is not None)
            if len(urls) != len(order):  # an image Ecwid showed without a URL: not to be named
                raise UserFacingError(texts.NO_LINK)
            return replace(base, target=gallery, source=Reorder(urls))
        if original.action == Action.REMOVED:
            kept = FromKept(original.id, in_store=True)
            return replace(base, target=target, source=kept, alt=alt)
        return replace(base, target=gallery, source=AltOnly(original.before_url), alt=alt)
    alt = AltText.of(record.alt_main, dict(record.alt_translated))
    if slot.kind == "gallery":
        if record.kept_in_store and record.found_url is not None:
            # It took another's place (the square fix): that one goes back in its place.
            kept = FromKept(record.change_id or "", in_store=True, replaces=record.found_url)
            return replace(base, target=target, source=kept, alt=alt)
        return replace(base, target=target, source=Delete(record.found_url))
    if record.kept_in_store:
        kept = FromKept(record.change_id or "", in_store=True)
        return replace(base, target=target, source=kept, alt=alt)
    if record.kept_file is not None:
        return replace(base, target=target, source=FromKept(record.kept_file), alt=alt)
    return replace(base, target=target, source=Delete())


@dataclass(frozen=True)
class AltLine:
    """A job's alt-text line (the audit's fix), as `Edits.alt_lines` takes it."""

    change: SlotChange
    product_name: str | None
    variation_label: str | None
    message_ts: str | None
    job: tuple[str, int]
    resumed: bool = False  # begun before a restart


def _alt_entry(
    tenant: Tenant, line: AltLine, kind: str, url: str, before: AltText, after: AltText
) -> Change:
    """An alt-text line's entry: the texts the image had, and a fingerprint of those it left."""
    change = line.change
    slot = change.target.slot
    return history_entry(
        tenant=tenant,
        user_id=change.asker.user_id,
        product_id=slot.product_id,
        slot=kind,
        action=Action.ALT,
        channel_id=change.asker.channel_id,
        message_ts=line.message_ts,
        product_name=line.product_name,
        variation_id=slot.variation_id,
        variation_label=line.variation_label,
        before_url=url,
        after_fp=alt_fingerprint(after),
        alt_main=before.main,
        alt_translated=before.translated,
        job_id=line.job[0],
        line=line.job[1],
    )


def _shown(gallery: Gallery, url: str | None) -> GalleryImage:
    for image in gallery.images:
        if url is not None and image.url == url:
            return image
    raise UserFacingError(texts.NO_LINK)


def own_translations(main: str | None, translated: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """An image's translations as written: Ecwid answers an absent one with the default
    language's text ("Only the default language translations are returned…": ecwid-api.md),
    which is no translation of its own."""
    return {lang: text for lang, text in translated if text and text != main}


def _merged(shown: AltText, asked: AltText) -> AltText:
    """What the store shows, with the languages `asked` names replaced."""
    main = asked.main if asked.main is not None else shown.main
    return AltText.of(main, {**dict(shown.translated), **dict(asked.translated)})


def alt_fingerprint(alt: AltText) -> str:
    """What an alt-text change left on an image, in a few characters (its entry's after_fp):
    an undo of it goes ahead only while the image shows the same texts."""
    shown = json.dumps([alt.main or "", sorted(alt.translated)], ensure_ascii=False)
    return "alt:" + hashlib.sha256(shown.encode()).hexdigest()[:16]
