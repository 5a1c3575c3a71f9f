"""`ChangeRunner.apply`: one change to an image slot, applied once.

Every way in that puts an image in a slot comes here, and each step is done once:
  1. read what the slot shows now (unless the caller read it already, e.g. a job's batch read);
  2. keep its bytes, for Undo;
  3. read the new image once and make it ready (bot.changes.sources), unless read already;
  4. send it, with its alt texts;
  5. read the slot back;
  6. build the history's entry and the undo record (bot.changes.records).
The answer is one typed outcome. How it is told (a thread reply, a job's line) is the caller's.
Changes that bring no new image (a gallery card's reorder, delete and alt text) and every undo
(the inverse change of a history entry) are applied by bot.changes.edits, from here.

Where the replaced image's bytes are kept differs by way in: a single upload keeps a copy in the
result's thread (`keep_in_chat`), and its Undo works from the button even without the history;
a job's line hands the bytes to the history with its entry (written with the line's outcome).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import Enum
from urllib.parse import unquote, urlsplit

from bot.changes.edits import (
    AltLine,
    Edited,
    Edits,
    NoCopy,
    Restored,
    Swapped,
    Undoing,
    own_translations,
)
from bot.changes.recognise import Recogniser, added_to_gallery
from bot.changes.records import (
    UndoRecord,
    history_entry,
    line_change_id,
    record_of,
    url_fingerprint,
)
from bot.changes.slot_change import (
    AltOnly,
    AltText,
    FromLink,
    FromSlackFile,
    Origin,
    Place,
    SlotChange,
    ToSquare,
)
from bot.changes.sources import ImageSources, NewImage
from bot.domain import texts
from bot.domain.errors import UserFacingError
from bot.domain.requests import Size, check_size
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import (
    CurrentImage,
    Gallery,
    ImageSlot,
    ImageUpload,
    ProductState,
    UploadResult,
)
from bot.images.convert import Prepared, sniff
from bot.images.identity import NoIdentity
from bot.images.probe import ImageInfo
from bot.images.shared_files import FileImage, SharedFileReader
from bot.jobs.history import Action, Change, History, KeepLimit

log = logging.getLogger(__name__)


# What a slot showed before a change: its image, and that image's bytes (or why they are missing).
Before = tuple[CurrentImage | None, ImageInfo | str | None]


class _Unread(Enum):
    UNREAD = "unread"


UNREAD = _Unread.UNREAD  # the slot's current image is read by apply itself
Current = CurrentImage | None | _Unread  # the slot's image, as read already, or UNREAD

KeepInChat = Callable[[ImageInfo], Awaitable[str | None]]  # the kept copy's file id, or None
Pace = Callable[[], Awaitable[None]]  # waits, when requests are being answered


@dataclass(frozen=True)
class Telling:
    """Where the change is told, for its entry in the history."""

    product_name: str | None
    variation_label: str | None
    message_ts: str | None = None  # the result reply (a single upload), or the job's message
    thread_ts: str | None = None  # the announcement the result is threaded under
    job: tuple[str, int] | None = None  # a job's line: (job id, line number)


@dataclass(frozen=True)
class Sent:
    """The image went up (the alt text perhaps not): what a single upload reports at once."""

    image: NewImage | None
    size: Size
    result: UploadResult
    alt_error: EcwidError | None


OnSent = Callable[[Sent], Awaitable[Telling]]  # told at once; where it was told


@dataclass(frozen=True)
class Applied:
    sent: Sent
    entry: Change  # the history's entry (not written yet)
    kept: bytes | None  # a job line's: the replaced image's bytes, for the history
    undo: UndoRecord | None = None  # a single upload's Undo
    undo_missing: str | None = None  # why Undo is not offered

    @property
    def prepared(self) -> Prepared | None:
        image = self.sent.image
        return image.prepared if isinstance(image, FileImage) else None


@dataclass(frozen=True)
class NotSent:
    """Ecwid refused the image, or could not be reached: nothing changed."""

    error: EcwidError


@dataclass(frozen=True)
class FoundThere:
    """A line begun before a restart: the slot shows its image already; not sent again."""


@dataclass(frozen=True)
class AltSet:
    """A job's alt-text line done: its entry, written with the line's outcome (None: a line
    begun before a restart found its texts there)."""

    entry: Change | None


@dataclass(frozen=True)
class LeftAsIs:
    """A square fix's line that sent nothing: the image is square already, or (begun before a
    restart) the slot shows another image now. `reason` says which."""

    reason: str


ChangeOutcome = Applied | NotSent | FoundThere | Edited | NoCopy | Restored | AltSet | LeftAsIs


class ChangeRunner:
    def __init__(
        self,
        ecwid: EcwidClient,
        sources: ImageSources,
        recognise: Recogniser,
        history: History,
        files: SharedFileReader,
    ) -> None:
        self._ecwid = ecwid
        self._sources = sources
        self._recognise = recognise
        self._history = history
        self._edits = Edits(ecwid, sources, files, recognise, history)

    @property
    def store_id(self) -> int:
        return self._ecwid.store_id

    @property
    def sources(self) -> ImageSources:
        return self._sources

    async def slot_states(self, product_ids: Sequence[int]) -> dict[int, ProductState]:
        """What many products' slots show now: a hundred products a call (a job's batch)."""
        return await self._ecwid.product_states(product_ids)

    async def apply(
        self,
        change: SlotChange,
        *,
        telling: Telling,
        image: NewImage | None = None,
        current: Current = UNREAD,
        keep_in_chat: KeepInChat | None = None,
        resumed: bool = False,
        on_sent: OnSent | None = None,
        pace: Pace | None = None,
        gallery: Gallery | None = None,
        undoing: Undoing | None = None,
        keep: KeepLimit | None = None,
    ) -> ChangeOutcome:
        """Apply one change to its slot. `image`: the new image as read already (a single
        upload reads it before it is announced); `current`: the slot's image as read already;
        `keep_in_chat`: where a single upload keeps the replaced image (None: a job's line, whose
        bytes go with its entry); `resumed`: begun before a restart, so the slot is looked at
        before anything is sent; `gallery`: a card's edit, the gallery its card was checked
        against just now; `undoing`: an undo, what it undoes; `keep`: a job's HISTORY_MAX_MB,
        within which a square fix's line keeps its original's copy before sending anything
        (it is not sent when the copy does not fit). Raises UserFacingError when the image
        cannot be read."""
        if change.origin is Origin.UNDO:
            if undoing is None:
                raise TypeError("an undo says what it undoes")
            return await self._edits.restore(change, undoing)
        if isinstance(change.source, AltOnly) and gallery is None and telling.job is not None:
            (done,) = await self.apply_alts([(change, telling, resumed)])  # the audit's fix
            if isinstance(done, UserFacingError):
                raise done
            return done
        if isinstance(change.source, ToSquare):
            if telling.job is None:
                raise TypeError("a square fix is a job's line")
            return await self._square(
                change, change.source, telling, resumed, pace or _no_wait, keep
            )
        if not isinstance(change.source, FromLink | FromSlackFile):
            if gallery is None:
                raise TypeError("a card's edit is checked against the gallery first")
            return await self._edits.edit(change, gallery, telling.message_ts)
        slot = change.target.slot
        pace = pace or _no_wait
        if image is None and not _planned_link(change):
            image = await self._read(change)
        size = _size_of(change, image)
        data = image.data if isinstance(image, FileImage) else None
        if resumed and await self.already_there(change, data):
            return FoundThere()
        before: Before = (None, None)
        if change.target.place is not Place.GALLERY:
            await pace()  # a download: not while requests are answered
            before = await self._before(slot, current)
        await pace()
        answer = await self._send(change, size, data)
        if isinstance(answer, EcwidError):
            return NotSent(answer)
        sent = Sent(image, size, *answer)
        if on_sent is not None:
            telling = await on_sent(sent)
        if keep_in_chat is None:
            return await self._line_entry(change, telling, before, sent, data)
        return await self._upload_entry(change, telling, before, sent, data, keep_in_chat)

    async def apply_alts(
        self, lines: Sequence[tuple[SlotChange, Telling, bool]]
    ) -> list[AltSet | UserFacingError]:
        """A job's alt-text lines (the audit's fix; each: its change, where it is told, and
        whether it was begun before a restart): those of one product's media images in one
        update, as Ecwid's `PUT /products/{id}` takes them all; a variation's or a category's
        alone. Per line, its entry for the record (bot.changes.edits.Edits.alt_lines), or why
        it was not done. An EcwidError (the update refused) fails them all."""
        asked = []
        for change, telling, resumed in lines:
            if telling.job is None or not isinstance(change.source, AltOnly):
                raise TypeError("an alt-text line is a job's, with only new alt texts")
            asked.append(
                AltLine(
                    change,
                    telling.product_name,
                    telling.variation_label,
                    telling.message_ts,
                    telling.job,
                    resumed,
                )
            )
        found = await self._edits.alt_lines(asked)
        return [done if isinstance(done, UserFacingError) else AltSet(done) for done in found]

    async def _square(
        self,
        change: SlotChange,
        source: ToSquare,
        telling: Telling,
        resumed: bool,
        pace: Pace,
        keep: KeepLimit | None,
    ) -> Applied | NotSent | LeftAsIs:
        """The audit's square fix on one slot: the image the plan saw read once (it is both
        what is padded and the copy kept for Undo), padded in the conversion pool, and put in
        its place as bytes with the alt texts it has now; a gallery image by `Edits.swap`. Read
        back after each step.

        Its copy is kept in the history before anything is sent, under the id its entry will
        have (`line_change_id`): a line begun before a restart that finds its padded image in
        the slot (recognised by padding that copy again) is recorded from it, and Undo can put
        the original back."""
        assert telling.job is not None
        ahead = line_change_id(*telling.job)
        slot = change.target.slot
        await pace()
        if slot.kind == "gallery":
            shown = await self._ecwid.gallery(slot.product_id)
            found = next((i for i in shown.images if i.url == source.image_url), None)
            current = found.shown if found is not None and not found.is_main else None
        else:
            current = await self._ecwid.current_image(slot)
        if current is None or current.url != source.image_url:
            if resumed:
                return await self._square_found(change, source, telling, ahead, current)
            raise UserFacingError(texts.SQUARE_CHANGED_SINCE_PLAN)
        kept = await self._sources.download(current.url)
        squared = await self._sources.square(kept.data, white=source.white)
        if squared is None:
            return LeftAsIs(texts.ALREADY_SQUARE)
        # The original is replaced (a gallery's deleted): never without its copy for Undo.
        try:
            fits = await self._history.keep_ahead(ahead, kept.data, keep)
        except Exception as exc:
            log.warning("a square line's copy was not kept: %s", type(exc).__name__)
            raise UserFacingError(texts.SQUARE_NOT_KEPT) from exc
        if not fits:
            raise UserFacingError(texts.SQUARE_NO_ROOM)
        image = _padded(squared.prepared, current.url)
        alt = AltText.of(
            current.alt_main, own_translations(current.alt_main, current.alt_translated)
        )
        change = replace(change, alt=alt)  # the alt texts it has now stay with it
        await pace()
        try:
            outcome = await self._put_square(
                change, telling, ahead, (current, kept), image, resumed
            )
        except BaseException:
            await self._unkeep(change, ahead)
            raise
        if isinstance(outcome, NotSent):
            await self._unkeep(change, ahead)
        return outcome

    async def _unkeep(self, change: SlotChange, ahead: str) -> None:
        """A square line that ended without its entry: its copy goes only while the slot
        still shows the original (after a time-out, Ecwid may have replaced it all the same:
        the copy then stays, and ages out with the history)."""
        source = change.source
        assert isinstance(source, ToSquare)
        slot = change.target.slot
        with contextlib.suppress(Exception):
            if slot.kind == "gallery":
                gallery = await self._ecwid.gallery(slot.product_id)
                still = source.image_url in [image.url for image in gallery.images]
            else:
                now = await self._ecwid.current_image(slot)
                still = now is not None and now.url == source.image_url
            if still:
                await self._history.drop_ahead(ahead)

    async def _put_square(
        self,
        change: SlotChange,
        telling: Telling,
        ahead: str,
        before: tuple[CurrentImage, ImageInfo],
        image: FileImage,
        resumed: bool,
    ) -> Applied | NotSent:
        """The padded image in the slot's place, and the line's entry (under `ahead`)."""
        slot = change.target.slot
        current, kept = before
        data = image.data
        size = Size(image.info.width or 0, image.info.height or 0)
        if slot.kind == "gallery":
            try:
                swapped = await self._edits.swap(
                    slot.product_id,
                    current.url,
                    data,
                    change.alt,
                    file_name=_file_name(change, data),
                    resumed=resumed,
                )
            except EcwidError as exc:
                return NotSent(exc)
            sent = Sent(image, size, UploadResult(swapped.image_id), None)
            entry = await self._entry(
                change,
                telling,
                before,
                sent,
                await self._identity(None, data),
                swapped.url,
                in_store=True,
                undo=None,
                swapped=swapped,
                change_id=ahead,
            )
            return Applied(sent, entry, kept.data, undo_missing=swapped.warning)
        answer = await self._send(change, size, data)
        if isinstance(answer, EcwidError):
            return NotSent(answer)
        sent = Sent(image, size, *answer)
        try:
            back = await self._ecwid.current_image(slot)
        except EcwidError as exc:  # it went up: recorded all the same, for Undo
            log.info("a padded image was not read back: %s", exc)
            back = None
        if back is not None and back.url == current.url:
            return NotSent(EcwidError(texts.SQUARE_SAME_AFTER))
        applied = await self._line_entry(change, telling, before, sent, data, change_id=ahead)
        after_url = back.url if back is not None else None  # shown in the report
        return replace(applied, entry=replace(applied.entry, after_url=after_url))

    async def _square_found(
        self,
        change: SlotChange,
        source: ToSquare,
        telling: Telling,
        ahead: str,
        now: CurrentImage | None,
    ) -> Applied | LeftAsIs:
        """A square line begun before a restart whose slot no longer shows the original: done
        already if the slot shows the original's copy (kept ahead) padded again, and recorded
        from it (its alt texts as the plan read them set again: the restart may have cut that
        step); else left as it is, saying so."""
        slot = change.target.slot
        try:
            kept = await self._history.kept_copy(ahead)
        except Exception as exc:  # the copy may be there: said, never taken for "changed"
            log.warning("a square line's copy unread: %s", type(exc).__name__)
            raise UserFacingError(texts.SQUARE_STORE_AWAY) from exc
        squared = await self._sources.square(kept, white=source.white) if kept else None
        if kept is None or squared is None:
            return LeftAsIs(texts.SQUARE_FOUND_CHANGED)
        image = _padded(squared.prepared, source.image_url)
        try:
            padded = await self._recognise.of_bytes(image.data)
        except NoIdentity:
            return LeftAsIs(texts.SQUARE_FOUND_CHANGED)
        there: CurrentImage | None = None
        if slot.kind == "gallery":
            gallery = await self._ecwid.gallery(slot.product_id)
            found = await self._recognise.find_added(gallery, padded, None)
            there = found.shown if found is not None else None
        elif now is not None:
            try:
                shows = (await self._recognise.of_shown(now)).same_image(padded)
            except (UserFacingError, NoIdentity):
                shows = False
            there = now if shows else None
        if there is None:
            return LeftAsIs(texts.SQUARE_FOUND_CHANGED)
        alt = change.alt
        alt_error = None
        # The plan's alt texts, only where the restart cut their step short (the image shows
        # none): a text written since is not overwritten.
        if not alt.empty and there.alt_main is None and not there.alt_translated:
            try:
                target = there.url if slot.kind == "gallery" else None
                await self._ecwid.set_alt(slot, target, alt.main, dict(alt.translated))
            except EcwidError as exc:
                alt_error = exc
        original = CurrentImage(source.image_url, alt_main=alt.main, alt_translated=alt.translated)
        info = ImageInfo("JPEG", None, None, len(kept), source.image_url, data=kept)
        size = Size(image.info.width or 0, image.info.height or 0)
        sent = Sent(image, size, UploadResult(None), alt_error)
        if slot.kind == "gallery":
            swapped = Swapped(there.url, None, (), (), texts.SQUARE_PLACE_UNKNOWN)
            entry = await self._entry(
                change,
                telling,
                (original, info),
                sent,
                padded.text,
                there.url,
                in_store=True,
                undo=None,
                swapped=swapped,
                change_id=ahead,
            )
            return Applied(sent, entry, kept, undo_missing=swapped.warning)
        applied = await self._line_entry(
            change, telling, (original, info), sent, image.data, change_id=ahead
        )
        return replace(applied, entry=replace(applied.entry, after_url=there.url))

    async def send_again(
        self, change: SlotChange, image: FileImage
    ) -> tuple[bool, EcwidError | None]:
        """The same change once more, as bytes: a variation given another's link at Ecwid that
        did not take it (bot.flows.relay). Its entry stands: it names the image, not how the
        image went up. Whether the bytes went up, and the error: Ecwid's refusal of the bytes,
        or (when they went up) of their alt text."""
        size = _size_of(change, image)
        answer = await self._send(change, size, image.data)
        if isinstance(answer, EcwidError):
            return False, answer
        return True, answer[1]

    async def remember(self, applied: Applied) -> UndoRecord | None:
        """A single upload's entry written to the history; its undo record then names it.
        When the history cannot be written the upload stands, and its Undo works from the
        button alone."""
        try:
            await self._history.add(applied.entry)
        except Exception as exc:
            log.warning("the upload is not in the history: %s", type(exc).__name__)
            return applied.undo
        if applied.undo is None:
            return None
        return replace(
            applied.undo, change_id=applied.entry.id, before_image=applied.entry.before_fp
        )

    async def remember_with_copy(self, applied: Applied) -> UndoRecord | None:
        """A gallery card's copy to a variation, in the history with the bytes it replaced; its
        Undo (None when the store is away, or what it replaced could not be kept)."""
        entry = applied.entry
        try:
            await self._history.add(entry, applied.kept)
        except Exception as exc:
            log.warning("the copy is not in the history: %s", type(exc).__name__)
            return None
        return record_of(entry) if entry.action == Action.SET or applied.kept else None

    async def _read(self, change: SlotChange) -> NewImage:
        source = change.source
        if not isinstance(source, FromLink | FromSlackFile):
            raise TypeError(f"{type(source).__name__} brings no new image")
        return await self._sources.read(
            source, need_size=change.known.size is None, convert=change.known.convert
        )

    async def _before(self, slot: ImageSlot, current: Current) -> Before:
        """The slot's current image and its bytes (or why they could not be had)."""
        if current is UNREAD:
            try:
                current = await self._ecwid.current_image(slot)
            except EcwidError as exc:
                return None, f"the current image could not be read ({exc})"
        if current is None:
            return None, None
        try:
            return current, await self._sources.download(current.url)
        except UserFacingError as exc:
            return current, f"the current image could not be kept ({exc})"

    async def _send(
        self, change: SlotChange, size: Size, data: bytes | None
    ) -> tuple[UploadResult, EcwidError | None] | EcwidError:
        """The image to the slot, and its alt text; an error when it did not go up, or the
        result and the alt text's error when only that failed."""
        slot = change.target.slot
        alt = change.alt
        try:
            if data is None:
                assert isinstance(change.source, FromLink)
                upload = ImageUpload(
                    url=change.source.url,
                    size=size,
                    alt_main=alt.main,
                    alt_translated=alt.translated,
                    external_id=change.external_id,
                )
                return await self._ecwid.upload_image(slot, upload), None
            result = await self._ecwid.upload_image_bytes(
                slot, data, file_name=_file_name(change, data)
            )
        except EcwidError as exc:
            return exc
        # The bytes calls take no alt text: it is set on the new image afterwards.
        if alt.empty:
            return result, None
        try:
            target = None
            if slot.kind == "gallery":
                target = await self.find_added(slot.product_id, data, result.image_id)
            await self._ecwid.set_alt(slot, target, alt.main, dict(alt.translated))
        except EcwidError as exc:
            return result, exc
        return result, None

    async def find_added(self, product_id: int, data: bytes, answered_id: int | None) -> str:
        """Where Ecwid serves the gallery image just uploaded from these bytes, found by what it
        shows (gallery ids may be places, not the id the upload answered); an EcwidError when
        Ecwid does not show it."""
        url = await added_to_gallery(self._ecwid, self._recognise, product_id, data, answered_id)
        if url is None:
            raise EcwidError(texts.NOT_FOUND_IN_GALLERY)
        return url

    async def already_there(self, change: SlotChange, data: bytes | None = None) -> bool:
        """Whether the slot shows this image already (for the gallery: any of its images), by
        what it shows: for a line whose upload a restart may have cut short. Ecwid may serve
        its own re-encoded copy under another URL, so the link alone does not decide."""
        shown = await self._ecwid.slot_images(change.target.slot)
        if not shown:
            return False
        link = change.source.url if isinstance(change.source, FromLink) else None
        if data is None and link in [image.url for image in shown]:
            return True  # Ecwid still serves the link itself
        try:
            if data is None:
                assert link is not None
                wanted = await self._recognise.of_link(link)
            else:
                wanted = await self._recognise.of_bytes(data)
        except NoIdentity as exc:  # in doubt, not sent again: the line says why
            raise UserFacingError(texts.CANNOT_TELL) from exc
        unreadable = False
        for image in shown:
            try:
                there = await self._recognise.of_shown(image)
            except (UserFacingError, NoIdentity) as exc:
                log.info("a slot's image could not be compared: %s", exc)
                unreadable = True
                continue
            if wanted.same_image(there):
                return True
        if unreadable:
            raise UserFacingError(texts.CANNOT_TELL)
        return False

    # ---- the records: a job line's, a single upload's ---------------------------------------

    async def _line_entry(
        self,
        change: SlotChange,
        telling: Telling,
        before: Before,
        sent: Sent,
        data: bytes | None,
        *,
        change_id: str | None = None,
    ) -> Applied:
        """A job line's entry: the replaced image's bytes go with it into the history (what
        they show is had from them at undo). A link's image is left to an undo to fetch and
        compare, if one is ever asked for (a download a line otherwise)."""
        after_image = await self._identity(None, data) if data else None
        entry = await self._entry(
            change,
            telling,
            before,
            sent,
            after_image,
            _link(change),
            in_store=True,
            undo=None,
            change_id=change_id,
        )
        kept = before[1].data if isinstance(before[1], ImageInfo) else None
        return Applied(sent, entry, kept)

    async def _upload_entry(
        self,
        change: SlotChange,
        telling: Telling,
        before: Before,
        sent: Sent,
        data: bytes | None,
        keep_in_chat: KeepInChat,
    ) -> Applied:
        undo, undo_missing = await self._undo_record(change, before, sent, data, keep_in_chat)
        link = change.source.url if isinstance(change.source, FromLink) and data is None else None
        entry = await self._entry(
            change,
            telling,
            before,
            sent,
            undo.after_image if undo else None,
            link,
            in_store=False,
            undo=undo,
        )
        return Applied(sent, entry, None, undo, undo_missing)

    async def _entry(
        self,
        change: SlotChange,
        telling: Telling,
        before: Before,
        sent: Sent,
        after_image: str | None,
        after_link: str | None,
        *,
        in_store: bool,
        undo: UndoRecord | None,
        swapped: Swapped | None = None,
        change_id: str | None = None,
    ) -> Change:
        """`swapped`: a gallery image put in another's place, and the gallery's orders;
        `change_id`: the entry's id, when it is known ahead (a square line's)."""
        current, kept = before
        data = kept.data if isinstance(kept, ImageInfo) else None
        before_image = None
        if data is not None and not in_store:  # a line's is had from its kept bytes, at undo
            with contextlib.suppress(NoIdentity):
                before_image = (await self._recognise.of_bytes(data)).text
        slot = change.target.slot
        if swapped is not None:
            action = Action.SWAPPED
        elif slot.kind == "gallery":
            action = Action.ADDED
        else:
            # A slot that could not be read may have shown an image: never recorded as one that
            # had none, whose undo would take the new image away and leave the slot empty.
            unread = current is None and isinstance(kept, str)
            action = Action.REPLACED if current is not None or unread else Action.SET
        job = telling.job
        return history_entry(
            tenant=self._history.tenant,
            user_id=change.asker.user_id,
            product_id=slot.product_id,
            slot=slot.kind,
            action=action,
            channel_id=change.asker.channel_id,
            message_ts=telling.message_ts or telling.thread_ts,
            thread_ts=telling.thread_ts,
            product_name=telling.product_name or None,
            variation_id=slot.variation_id,
            variation_label=telling.variation_label,
            image_id=sent.result.image_id,
            before_fp=before_image,
            after_fp=after_image,
            before_url=current.url if current else None,
            after_url=after_link,
            after_url_fp=undo.after if undo else None,
            kept_file=undo.kept_file if undo else None,
            kept_in_store=in_store and data is not None,
            alt_main=current.alt_main if current else None,
            alt_translated=current.alt_translated if current else (),
            job_id=job[0] if job else None,
            line=job[1] if job else None,
            before_order=(swapped.before_order or None) if swapped else None,
            after_order=(swapped.after_order or None) if swapped else None,
            change_id=change_id,
        )

    async def _undo_record(
        self,
        change: SlotChange,
        before: Before,
        sent: Sent,
        data: bytes | None,
        keep_in_chat: KeepInChat,
    ) -> tuple[UndoRecord | None, str | None]:
        current, kept = before
        if isinstance(kept, str):
            return None, kept
        slot = change.target.slot
        result = sent.result
        if slot.kind == "gallery":
            if result.image_id is None:
                return None, texts.NO_ID_RETURNED
            # Undo finds the image by what it shows: gallery ids may be places that shift.
            added = await self._identity(change, data or _read_whole(sent.image))
            return UndoRecord(slot, result.image_id, None, None, after_image=added), None
        # The read-back, the new image's identity and the kept copy do not wait on each other.
        read_back, new_image, kept_file = await asyncio.gather(
            self._ecwid.current_image(slot),
            self._identity(change, data or _read_whole(sent.image)),
            _keep(keep_in_chat, current, kept),
            return_exceptions=True,
        )
        if isinstance(read_back, EcwidError):
            return None, f"the new image could not be read back ({read_back})"
        for result_or_error in (read_back, new_image, kept_file):
            if isinstance(result_or_error, BaseException):
                raise result_or_error
        if kept_file == "":
            return None, "the previous image could not be kept in the thread"
        after = read_back if isinstance(read_back, CurrentImage) else None
        record = UndoRecord(
            slot,
            result.image_id,
            url_fingerprint(after.url) if after else None,
            kept_file if isinstance(kept_file, str) else None,
            current.alt_main if current else None,
            current.alt_translated if current else (),
            after_image=new_image if isinstance(new_image, str) else None,
        )
        return record, None

    async def _identity(self, change: SlotChange | None, data: bytes | None) -> str | None:
        """What the new image shows, for undo to recognise it wherever Ecwid serves it from.
        None when it cannot be had: undo then compares the URL only."""
        try:
            if data is None:
                assert change is not None and isinstance(change.source, FromLink)
                return (await self._recognise.of_link(change.source.url)).text
            return (await self._recognise.of_bytes(data)).text
        except (UserFacingError, NoIdentity) as exc:
            log.info("no identity of the new image: %s", exc)
            return None


async def _keep(
    keep_in_chat: KeepInChat, current: CurrentImage | None, kept: ImageInfo | None
) -> str | None:
    """The kept copy's file id; None when there was no image, "" when it could not be kept."""
    if current is None or kept is None:
        return None
    return await keep_in_chat(kept) or ""


def _read_whole(image: NewImage | None) -> bytes | None:
    """A link's bytes when its check read the file whole (a small image): what it shows is had
    from them, not from a second download."""
    return (image.data or None) if isinstance(image, ImageInfo) else None


async def _no_wait() -> None:
    return None


def _planned_link(change: SlotChange) -> bool:
    """A link whose plan checked it and found it ready, with its size: sent as it is, unread."""
    known = change.known
    return isinstance(change.source, FromLink) and known.size is not None and not known.convert


def _size_of(change: SlotChange, image: NewImage | None) -> Size:
    """What Ecwid is told: a converted image's size is what it became (its bytes go up, no
    size is sent); else the size given, or read from the image."""
    if isinstance(image, FileImage):
        if image.prepared is None and change.known.size is not None:
            return change.known.size
        return check_size(image.info.width or 0, image.info.height or 0)
    if change.known.size is not None:
        return change.known.size
    if image is None:
        raise UserFacingError(texts.SIZE_UNKNOWN)
    return check_size(image.width or 0, image.height or 0)


def _link(change: SlotChange) -> str | None:
    """The link a job's line gave (sent as it is, or converted from it)."""
    return change.source.url if isinstance(change.source, FromLink) else None


def _padded(prepared: Prepared, original_url: str) -> FileImage:
    """A padded image, as the runner sends it."""
    data = prepared.data
    info = ImageInfo(
        prepared.format,
        prepared.width,
        prepared.height,
        len(data),
        original_url,
        file_bytes=len(data),
    )
    return FileImage(data, info, prepared)


def _file_name(change: SlotChange, data: bytes) -> str:
    """The name the bytes go up under, with the extension of what they are now (IMG_1.HEIC,
    converted, goes up as IMG_1.jpg)."""
    source = change.source
    if isinstance(source, FromSlackFile):
        name = source.file.name
    else:  # a converted link or a padded image: the last part of its path (photo.webp goes
        # up as photo.png)
        url = source.url if isinstance(source, FromLink) else ""
        url = source.image_url if isinstance(source, ToSquare) else url
        name = unquote(urlsplit(url).path.rpartition("/")[2])
    extension = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}.get(sniff(data[:64]) or "")
    if not name or extension is None:
        return name
    stem, dot, old = name.rpartition(".")
    if dot and old.lower() in ("jpg", "jpeg") and extension == "jpg":
        return name
    return f"{stem if dot else name}.{extension}"
