"""Undo: put back what an upload replaced, or take away what it added.

Ecwid keeps no history of a product's images and cannot make an old image current again, so an
upload keeps what undo needs: a copy of the previous image's bytes (kept where it outlives the bot:
in the chat, beside the result) with its alt text, and how the slot looked right after the upload,
so that undo can refuse to overwrite a newer change.

"How it looked" is the image's fingerprint (bot.images.fingerprint), not its URL: Ecwid serves an
image given by link from that link at first and from its own CDN copy later, maybe re-encoded.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Protocol

from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester, SharedFile
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot
from bot.images.fingerprint import Fingerprint, NoFingerprint, fingerprint
from bot.images.probe import ImageProbe
from bot.images.shared_files import SharedFileReader
from bot.jobs.store import JobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UndoRecord:
    """What one upload did, and what undoing it takes."""

    slot: ImageSlot
    new_image_id: int | None  # for the gallery: the image to remove
    after: str | None  # the slot's image URL right after the upload (see url_fingerprint)
    kept_file: str | None  # the kept copy of the previous image; None: there was no image
    alt_main: str | None = None  # the previous image's alt text
    alt_translated: tuple[tuple[str, str], ...] = ()
    after_image: str | None = None  # the new image's Fingerprint (hex): what it shows


@dataclass(frozen=True)
class UndoPlace:
    """Where the upload was reported (the message with the button), to report the undo there."""

    channel_id: str
    message_ts: str
    thread_ts: str | None
    message: object = None  # the message as the chat has it now, for the reporter to update


STORE_AWAY = (
    "The bot's database could not be reached to check that nobody undid this already; nothing "
    "was changed. Try again in a minute."
)


def change_key(record: UndoRecord) -> str:
    """The change itself: its product, slot, and the image it put there (Ecwid's id for it,
    and what it shows), whatever message or button undo is pressed on."""
    slot = record.slot
    image = record.after_image or record.after or "-"
    return f"{slot.product_id}/{slot.kind}/{slot.variation_id or '-'}/{record.new_image_id or '-'}/{image}"[
        :200
    ]


def url_fingerprint(url: str) -> str:
    """A short stand-in for an image URL (which may be 2 KB long): enough to tell it changed."""
    return hashlib.sha256(url.encode()).hexdigest()[:20]


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
        ecwid: EcwidClient,
        files: SharedFileReader,
        probe: ImageProbe,
        claims: JobStore,
        report: UndoReport,
    ) -> None:
        self._ecwid = ecwid
        self._files = files
        self._probe = probe
        self._claims = claims
        self._report = report

    async def run(self, record: UndoRecord, who: Requester, place: UndoPlace) -> None:
        """Carry one press to its single answer; never raises. A change is undone once,
        wherever the press comes from (any process, message or button): the claim is in the
        shared store, keyed by the change itself."""
        change = change_key(record)
        outcome = "error"
        claimed = False
        try:
            if by := await self._undone_by(change):
                outcome = "already-undone"
                await self._report.already_undone(who, by)
                return
            problem = await self._changed_since(record)
            if problem:
                outcome = "refused"
                await self._report.refused(who, place, problem)
                return
            if by := await self._claim(change, who.user_id):
                outcome = "already-undone"
                await self._report.already_undone(who, by)
                return
            claimed = True
            warning = await self._restore(record)
            claimed = False  # done: the claim stays
            outcome = "undone"
            await self._report.undone(who, place, record, warning)
        except UserFacingError as exc:
            outcome = "failed"
            await self._report.failed(who, exc)
        except Exception as exc:
            log.exception("undo failed unexpectedly")
            await self._report.failed(who, UserFacingError(f"Undo failed ({type(exc).__name__})."))
        finally:
            if claimed:  # the restore failed: it may be tried again
                try:
                    await self._claims.release_undo(change)
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

    async def _undone_by(self, change: str) -> str | None:
        try:
            return await self._claims.undone_by(change)
        except Exception as exc:
            log.warning("undo claims cannot be read: %s", type(exc).__name__)
            raise UserFacingError(STORE_AWAY) from exc

    async def _claim(self, change: str, user_id: str) -> str | None:
        try:
            return await self._claims.claim_undo(change, user_id)
        except Exception as exc:
            log.warning("undo cannot be claimed: %s", type(exc).__name__)
            raise UserFacingError(STORE_AWAY) from exc

    async def _changed_since(self, record: UndoRecord) -> str | None:
        slot = record.slot
        if slot.kind == "gallery":
            if record.new_image_id is None or not await self._ecwid.gallery_has(
                slot.product_id, record.new_image_id
            ):
                return "That image is no longer in the gallery: nothing to remove."
            return None
        now = await self._ecwid.current_image(slot)
        if record.after is None and record.after_image is None:
            return None  # nothing was read back after the upload: nothing to compare
        if now is not None and record.after == url_fingerprint(now.url):
            return None  # still served from where it was right after the upload
        if now is not None and record.after_image is not None:
            try:
                shown = await fingerprint((await self._probe.download(now.url)).data)
            except (UserFacingError, NoFingerprint) as exc:
                log.info("undo: the current image could not be compared: %s", exc)
                return (
                    "The image the product shows now could not be read to compare it with this "
                    "upload, so nothing was changed. Try again in a minute."
                )
            if shown.same_image(Fingerprint.from_hex(record.after_image)):
                return None  # the same picture, e.g. Ecwid's CDN copy of it
        return (
            "The image has changed since this upload (someone uploaded again or edited it): "
            "undo would overwrite the newer change, so nothing was changed."
        )

    async def _restore(self, record: UndoRecord) -> str | None:
        """Put the slot back; a warning when something of it could not be."""
        slot = record.slot
        if slot.kind == "gallery":
            await self._ecwid.delete_image(slot, record.new_image_id)
            return None
        if record.kept_file is None:  # the slot had no image: take the new one away
            await self._ecwid.delete_image(slot)
            return None
        previous = await self._files.read(SharedFile(id=record.kept_file))
        await self._ecwid.upload_image_bytes(slot, previous.data)
        translated = dict(record.alt_translated)
        if record.alt_main or translated:
            try:
                await self._ecwid.set_alt(slot, None, record.alt_main, translated)
            except EcwidError as exc:  # the image is back; say what is missing
                return f"its alt text could not be set again: {exc}"
        return None
