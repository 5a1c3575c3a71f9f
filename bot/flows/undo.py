"""Undo: put back what an upload replaced, or take away what it added.

Ecwid keeps no history of a product's images and cannot make an old image current again, so an
upload keeps what undo needs: a copy of the previous image's bytes (kept where it outlives the bot:
in the chat, beside the result) with its alt text, and how the slot looked right after the upload,
so that undo can refuse to overwrite a newer change.

"How it looked" is the image's identity (bot.images.identity), not its URL: Ecwid serves an
image given by link from that link at first and from its own CDN copy later, maybe re-encoded.

Every change is in the history (bot.jobs.history); a bulk line's previous image is kept there as
bytes. One press undoes one change (`run`, from the thread, the history or the App Home); an
undo job undoes a bulk job's lines one by one (`undo_line`). Either way a change is undone once:
the claim is in the shared store, keyed by the change itself.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import replace
from enum import StrEnum
from typing import Protocol

from bot.changes.context import StoreContext
from bot.changes.edits import Restored, Undoing, alt_fingerprint, inverse, own_translations
from bot.changes.events import ChangeEvents
from bot.changes.recognise import Recogniser
from bot.changes.records import (
    UndoPlace,
    UndoRecord,
    change_key,
    record_of,
    url_fingerprint,
)
from bot.changes.runner import Telling
from bot.changes.slot_change import AltText, Asker, Delete, Origin, SlotChange, Target
from bot.domain import texts
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import CurrentImage, ImageSlot
from bot.images.identity import Identity, NoIdentity
from bot.jobs.history import Action, Change
from bot.jobs.store import JobStore, LineState, Outcome

log = logging.getLogger(__name__)


class Shown(StrEnum):
    """What a slot shows, compared with a change."""

    AFTER = "after"  # what the change put there: it may be undone
    BEFORE = "before"  # what was there before it: undone already (or put back by hand)
    CHANGED = "changed"  # something else: a newer change
    UNKNOWN = "unknown"  # the change's image cannot be fetched from its link any more
    UNTOLD = "untold"  # nothing was recorded to tell the change's image by


class UndoReport(Protocol):
    async def refused(self, who: Requester, place: UndoPlace, reason: str) -> None: ...

    async def already_undone(self, who: Requester, by_user: str) -> None: ...

    async def undone(
        self, who: Requester, place: UndoPlace, record: UndoRecord, warning: str | None
    ) -> None: ...

    async def failed(self, who: Requester, error: UserFacingError) -> None: ...


class UndoFlow:
    def __init__(
        self,
        claims: JobStore,
        report: UndoReport,
        recognise: Recogniser,
        events: ChangeEvents,
    ) -> None:
        self._events = events
        self._recognise = recognise
        self._claims = claims
        self._report = report

    async def run(
        self, store: StoreContext, record: UndoRecord, who: Requester, place: UndoPlace | None
    ) -> None:
        """Carry one press to its single answer; never raises. A change is undone once,
        wherever the press comes from (any process, message or button): the claim is in the
        shared store, keyed by the change itself. `place` None: pressed in the history or the
        App Home; the undo is then reported where the change was."""
        record = await self._authoritative(store, record)
        if place is None:
            place = await self._place_of(store, record)
        try:
            await self._run(store, record, who, place)
        finally:
            self._events.person_changed(who.user_id)

    async def _authoritative(self, store: StoreContext, record: UndoRecord) -> UndoRecord:
        """The change as the history has it (a button carries only what fits in its value);
        the button's record when the history cannot be read."""
        if record.change_id is None:
            return record
        try:
            change = await store.history.change(record.change_id)
        except Exception as exc:
            log.warning("the change cannot be read: %s", type(exc).__name__)
            return record
        if change is None:
            return record
        kept = record.kept_file or change.kept_file
        return replace(record_of(change), kept_file=kept, on_card=record.on_card)

    async def _place_of(self, store: StoreContext, record: UndoRecord) -> UndoPlace:
        change = None
        if record.change_id:
            try:
                change = await store.history.change(record.change_id)
            except Exception as exc:
                log.warning("the change's place cannot be read: %s", type(exc).__name__)
        if change is None or not change.channel_id or not change.message_ts:
            return UndoPlace(channel_id="", message_ts="", thread_ts=None)
        return UndoPlace(change.channel_id, change.message_ts, change.thread_ts)

    async def _run(
        self, store: StoreContext, record: UndoRecord, who: Requester, place: UndoPlace
    ) -> None:
        change = change_key(record)
        outcome = "error"
        claimed = False
        try:
            if by := await self._undone_by(store.store_id, change):
                outcome = "already-undone"
                await self._report.already_undone(who, by)
                return
            problem, record = await self._changed_since(store, record)
            previous = None
            if problem is None and record.kept_in_store:
                previous = await self._kept_copy(store, record)
                if previous is None:
                    problem = texts.COPY_GONE
            if problem:
                outcome = "refused"
                await self._report.refused(who, place, problem)
                return
            if by := await self._claim(store.store_id, change, who.user_id):
                outcome = "already-undone"
                await self._report.already_undone(who, by)
                return
            claimed = True
            undoing = Undoing(
                record,
                await self._original(store, record),
                previous,
                message_ts=place.message_ts,
                thread_ts=place.thread_ts,
            )
            warning = await self._put_back(
                store, record, undoing, Asker(who.user_id, place.channel_id)
            )
            claimed = False  # done: the claim stays
            outcome = "undone"
            await self._report.undone(who, place, record, warning)
            if record.on_card:  # undone from under a gallery card: the card is drawn again
                await self._events.card_undone(store, record, place)
        except UserFacingError as exc:
            outcome = "failed"
            await self._report.failed(who, exc)
        except Exception as exc:
            log.exception("undo failed unexpectedly")
            await self._report.failed(who, UserFacingError(texts.undo_failed(type(exc).__name__)))
        finally:
            if claimed:  # the restore failed: it may be tried again
                try:
                    await self._claims.release_undo(store.store_id, change)
                except Exception as exc:
                    log.warning("undo claim not released: %s", type(exc).__name__)
            log.info(
                "undo user=%s channel=%s product=%s slot=%s outcome=%s",
                who.user_id,
                place.channel_id,
                record.slot.product_id,
                record.slot.kind,
                outcome,
            )

    async def _undone_by(self, store_id: int, change: str) -> str | None:
        try:
            return await self._claims.undone_by(store_id, change)
        except Exception as exc:
            log.warning("undo claims cannot be read: %s", type(exc).__name__)
            raise UserFacingError(texts.UNDO_STORE_AWAY) from exc

    async def _claim(self, store_id: int, change: str, user_id: str) -> str | None:
        try:
            return await self._claims.claim_undo(store_id, change, user_id)
        except Exception as exc:
            log.warning("undo cannot be claimed: %s", type(exc).__name__)
            raise UserFacingError(texts.UNDO_STORE_AWAY) from exc

    async def _kept_copy(self, store: StoreContext, record: UndoRecord) -> bytes | None:
        assert record.change_id is not None
        try:
            return await store.history.kept_copy(record.change_id)
        except Exception as exc:
            log.warning("kept copy cannot be read: %s", type(exc).__name__)
            raise UserFacingError(texts.UNDO_STORE_AWAY) from exc

    async def _changed_since(
        self, store: StoreContext, record: UndoRecord
    ) -> tuple[str | None, UndoRecord]:
        """Why the change cannot be undone as things are now (None when it can), and the
        record as the slot is now (a gallery image's id, read just now)."""
        if record.action is not None:
            return await self._edit_problem(store, record), record
        shown, record = await self.compare(store, record)
        if shown is Shown.AFTER:
            return None, record
        if shown is Shown.UNKNOWN:
            return texts.LINK_GONE, record
        if shown is Shown.UNTOLD:
            return texts.UNTOLD, record
        if record.slot.kind == "gallery":
            return texts.NOT_IN_GALLERY, record
        return texts.CHANGED_SINCE, record

    async def compare(self, store: StoreContext, record: UndoRecord) -> tuple[Shown, UndoRecord]:
        """What the slot shows now, next to what the change put there and what it replaced;
        by identity, not URL: Ecwid serves its own re-encoded copy under another URL. For the
        gallery, the record comes back with the id the added image has now."""
        if record.slot.kind == "gallery":
            return await self._find_added(store, record)
        return await self._compare_slot(store, record), record

    async def _find_added(
        self, store: StoreContext, record: UndoRecord
    ) -> tuple[Shown, UndoRecord]:
        """The gallery image the change added, found by what it shows in the gallery as read
        just now: ids may be places that shift on a delete or a reorder (ref: media ids "start
        with 0 and iterate by 1"), so the recorded id is only where to look first. The record
        comes back with where Ecwid serves it from (`found_url`); it is deleted by that, with
        an id read again just before. Shown.BEFORE when none is it (the addition is gone)."""
        slot = record.slot
        after = record.after_image
        if after is None and record.after_link:
            after = await self._link_identity(record.after_link)
        gallery = await store.ecwid.gallery(slot.product_id)
        recorded = str(record.new_image_id)
        images = sorted(
            (image for image in gallery.images if not image.is_main and image.url),
            key=lambda image: image.id != recorded,
        )
        unreadable = False
        for image in images:
            found = replace(record, found_url=image.url)
            if record.after_link is not None and image.url == record.after_link:
                return Shown.AFTER, found
            if after is None:
                continue
            try:
                if await self._shows(image.shown, after):
                    return Shown.AFTER, found
            except UserFacingError:
                unreadable = True
        if after is None and record.after_link:
            return Shown.UNKNOWN, record
        if unreadable:
            raise UserFacingError(texts.UNREADABLE)
        return Shown.BEFORE, record

    async def _compare_slot(self, store: StoreContext, record: UndoRecord) -> Shown:
        slot = record.slot
        after = record.after_image
        now = await store.ecwid.current_image(slot)
        if now is None:
            return Shown.CHANGED if record.had_previous else Shown.BEFORE
        if record.after_link is not None and now.url == record.after_link:
            return Shown.AFTER  # still served from the link it was given by
        if after is None and record.after_link:
            after = await self._link_identity(record.after_link)
            if after is None:  # what it showed cannot be told; what it replaced can
                shown_before = record.before_image is not None and await self._shows(
                    now, record.before_image
                )
                return Shown.BEFORE if shown_before else Shown.UNKNOWN
        if record.after is None and after is None:
            return Shown.UNTOLD  # in doubt, nothing is overwritten
        if record.after == url_fingerprint(now.url):
            return Shown.AFTER  # still served from where it was right after the upload
        if record.after is not None and record.after_link is None:
            # Sent as bytes: Ecwid served its own copy at once, so another URL is another image
            # (an edited copy of the same shot at the same size, too).
            if record.before_image is not None and await self._shows(now, record.before_image):
                return Shown.BEFORE
            return Shown.CHANGED
        if after is not None and await self._shows(now, after):
            return Shown.AFTER  # the same picture, e.g. Ecwid's CDN copy of it
        if record.before_image is not None and await self._shows(now, record.before_image):
            return Shown.BEFORE
        return Shown.CHANGED

    async def _link_identity(self, link: str) -> str | None:
        """What the image at a link shows; None when it cannot be fetched or read any more."""
        try:
            return (await self._recognise.of_link(link)).text
        except (UserFacingError, NoIdentity) as exc:
            log.info("undo: the change's link could not be compared: %s", exc)
            return None

    async def _shows(self, now: CurrentImage, image: str) -> bool:
        """Whether the slot shows that image (its stored identity). An identity an older bot
        stored (a bare hash: no size, no colours) never matches: in doubt, nothing is undone."""
        wanted = Identity.parse(image)
        if wanted is None or wanted.legacy:
            return False
        try:
            shown = await self._recognise.of_shown(now)
        except (UserFacingError, NoIdentity) as exc:
            log.info("undo: the current image could not be compared: %s", exc)
            raise UserFacingError(texts.UNREADABLE) from exc
        return shown.same_image(wanted)

    async def _put_back(
        self, store: StoreContext, record: UndoRecord, undoing: Undoing, asker: Asker
    ) -> str | None:
        """The inverse change applied (bot.changes.edits); a warning when part of it could not
        be done."""
        base = SlotChange(
            store_id=store.runner.store_id,
            target=Target.of_slot(record.slot),
            source=Delete(),
            asker=asker,
            origin=Origin.UNDO,
        )
        change = inverse(record, undoing.original, base)
        outcome = await store.runner.apply(change, telling=Telling(None, None), undoing=undoing)
        if not isinstance(outcome, Restored):
            raise TypeError(f"an undo ended {type(outcome).__name__}")
        return outcome.warning

    async def _original(self, store: StoreContext, record: UndoRecord) -> Change | None:
        """The change's entry in the history: a gallery card's edit is undone from it; any
        other undo only names it (None when it cannot be read: the undo goes on)."""
        if record.change_id is None:
            return None
        try:
            return await store.history.change(record.change_id)
        except Exception as exc:
            if record.action is not None:
                raise
            log.warning("the change cannot be read: %s", type(exc).__name__)
            return None

    async def undo_line(
        self,
        store: StoreContext,
        change: Change,
        *,
        started: bool,
        user_id: str,
        job_id: str,
        message_ts: str | None,
    ) -> Outcome:
        """One line of an undo job: the change put back, or skipped saying why. A line begun
        before a restart finds the previous image back, and is not sent again."""
        number = change.line or 0
        record = record_of(change)
        key = change_key(record)

        def skipped(reason: str) -> Outcome:
            return Outcome(number, LineState.SKIPPED, reason=reason)

        try:
            if not started and (by := await self._claims.undone_by(store.store_id, key)):
                return skipped(texts.ALREADY_UNDONE)
            kept = None
            if record.kept_in_store:
                kept = await store.history.kept_copy(change.id)
                if kept is None:
                    return skipped(texts.COPY_GONE)
                if record.before_image is None:  # what it showed: from the kept bytes
                    with contextlib.suppress(NoIdentity):
                        before = (await self._recognise.of_bytes(kept)).text
                        record = replace(record, before_image=before)
            if record.action is not None:  # an edit (the audit fix's alt texts): as a card's
                if (problem := await self._edit_problem(store, record)) is not None:
                    return skipped(problem)
            else:
                shown, record = await self.compare(store, record)
                if shown is Shown.BEFORE and change.action == Action.SWAPPED:
                    # The padded image is gone: is the original back in the gallery?
                    back, _ = await self._find_added(
                        store, replace(record, after_image=record.before_image, after_link=None)
                    )
                    if back is not Shown.AFTER:
                        return skipped(texts.SWAP_GONE)
                if shown is Shown.BEFORE:
                    if started:
                        reason = texts.FOUND_BACK_AFTER_RESTART
                        return Outcome(number, LineState.DONE, reason=reason)
                    return skipped(texts.BEFORE_ALREADY)
                if shown is Shown.UNKNOWN:
                    return skipped(texts.LINK_GONE)
                if shown is Shown.UNTOLD:
                    return skipped(texts.UNTOLD)
                if shown is Shown.CHANGED:
                    return skipped(texts.CHANGED_SINCE_JOB)
            by = await self._claims.claim_undo(store.store_id, key, user_id)
            if by is not None and not started:  # someone undid it meanwhile
                return skipped(texts.ALREADY_UNDONE)
            undoing = Undoing(
                record, change, kept, message_ts=message_ts, job=(job_id, number), resumed=started
            )
            try:
                warning = await self._put_back(store, record, undoing, Asker(user_id))
            except BaseException:
                if by is None:
                    await self._claims.release_undo(store.store_id, key)
                raise
        except EcwidError as error:
            return Outcome(number, LineState.FAILED, reason=error.message, quoted=error.quoted)
        except UserFacingError as error:
            return Outcome(number, LineState.FAILED, reason=error.message, quoted=error.quoted)
        return Outcome(number, LineState.DONE, reason=warning and texts.put_back_but(warning))

    async def _edit(self, store: StoreContext, record: UndoRecord) -> Change:
        """A gallery card's edit, as the history has it (its details are there only)."""
        change = await store.history.change(record.change_id) if record.change_id else None
        if change is None:
            raise UserFacingError(texts.EDIT_GONE)
        return change

    async def _alt_problem(self, store: StoreContext, change: Change) -> str | None:
        """An alt-text fix's line: undone only while its image is there and shows the alt texts
        the job left (a newer text is never overwritten)."""
        slot = ImageSlot(
            change.product_id,
            change.slot,
            change.variation_id if change.slot == "variation" else None,
        )
        if slot.kind in ("main", "gallery"):
            gallery = await store.ecwid.gallery(slot.product_id)
            image = next((i for i in gallery.images if i.url == change.before_url), None)
            shown = image.shown if image is not None else None
        else:
            state = (
                await store.ecwid.category_state(slot.product_id)
                if slot.kind == "category"
                else await store.ecwid.product_state(slot.product_id)
            )
            shown = state.current(slot)
        if shown is None or shown.url != change.before_url:
            return texts.GONE
        now = AltText.of(shown.alt_main, own_translations(shown.alt_main, shown.alt_translated))
        if alt_fingerprint(now) != change.after_fp:
            return texts.ALT_CHANGED_SINCE
        return None

    async def _edit_problem(self, store: StoreContext, record: UndoRecord) -> str | None:
        """Why a gallery card's edit cannot be undone as the gallery is now; None when it can."""
        change = await self._edit(store, record)
        slot = record.slot
        if change.action == Action.ALT and (change.after_fp or "").startswith("alt:"):
            return await self._alt_problem(store, change)
        if slot.kind in ("variation", "category"):  # an alt-text fix's: its image still there
            state = (
                await store.ecwid.category_state(slot.product_id)
                if slot.kind == "category"
                else await store.ecwid.product_state(slot.product_id)
            )
            shown = state.current(slot)
            return None if shown is not None and shown.url == change.before_url else texts.GONE
        gallery = await store.ecwid.gallery(record.slot.product_id)
        urls = [image.url for image in gallery.images]
        if change.action == Action.REORDERED:
            if urls != list(change.after_order or ()):
                return texts.REORDERED_SINCE
        elif change.action == Action.REMOVED:
            if record.slot.kind == "main" and any(image.is_main for image in gallery.images):
                return texts.MAIN_AGAIN
        elif change.before_url not in urls:
            return texts.GONE_FROM_GALLERY
        return None
