"""The one upload flow every way in shares: look up and probe → announce → upload → report.

The flow decides the order of steps and what each outcome is; how an outcome is shown (in Slack:
a parent message, the result in its thread, private answers as the fallback) is the reporter's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Protocol
from urllib.parse import unquote, urlsplit

from bot.changes.events import ChangeEvents
from bot.changes.records import UndoRecord, history_entry, url_fingerprint
from bot.domain.advice import image_advice
from bot.domain.errors import UserFacingError
from bot.domain.requests import (
    CategoryId,
    ProductId,
    ProductRef,
    Requester,
    SharedFile,
    Size,
    UploadRequest,
    ValidationError,
    check_languages,
    check_size,
)
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError, ProductNotFound
from bot.ecwid.models import (
    CurrentImage,
    ImageSlot,
    ImageUpload,
    Product,
    ProductState,
    UploadResult,
)
from bot.ecwid.store import StoreInfo
from bot.flows.recognise import Recogniser, added_to_gallery
from bot.images.convert import MAX_DOWNLOAD_BYTES, ImagePreparer, Prepared, sniff
from bot.images.identity import NoIdentity
from bot.images.probe import ImageInfo, ImageProbe, no_authorization
from bot.images.shared_files import FileImage, SharedFileReader
from bot.jobs.history import Action, Change, History

log = logging.getLogger(__name__)

CANNOT_TELL = (
    "The bot restarted during this line's upload and could not tell whether Ecwid has the image "
    "already, so it was not sent again (sending it could make it appear twice). Check the "
    "product, and send this line again if the image is missing."
)

INTERRUPTED_NOTICE_SECONDS = 2.0  # of the shutdown grace, to tell a user their upload was cut off
# What a slot showed before a change: its image, and that image's bytes (or why they are missing).
Before = tuple[CurrentImage | None, ImageInfo | str | None]

# Whole files read and made ready at once (each up to 100 MB before it is converted): a bulk job's
# lines in flight and single uploads take turns, so that memory stays bounded.
FILES_AT_ONCE = 4
NOT_FOUND_IN_GALLERY = (
    "Ecwid does not show the new image in the gallery yet, so its alt text was not set: set it "
    "in the Ecwid admin."
)


@dataclass(frozen=True)
class Uploaded:
    request: UploadRequest
    image: ImageInfo
    size: Size  # what Ecwid was told
    slot: ImageSlot
    result: UploadResult
    alt_error: EcwidError | None = None  # a file's bytes went up, but its alt text did not
    undo: UndoRecord | None = None
    undo_missing: str | None = None  # why undo is not offered
    prepared: Prepared | None = None  # what was done to make the image ready (sent as bytes)
    advice: tuple[str, ...] = ()  # plain-text notes: uploaded, but worth a look


@dataclass(frozen=True)
class UploadFailed:
    slot: ImageSlot
    error: EcwidError


class UploadReport(Protocol):
    """Where an upload's story is told. `announce` returns a handle for `finish`, or None when
    the announcement could not be made (the result then goes to the user privately)."""

    async def refused(self, who: Requester, problems: Sequence[UserFacingError]) -> None: ...

    async def announce(
        self, who: Requester, product: Product, slot: ImageSlot
    ) -> object | None: ...

    async def finish(
        self,
        who: Requester,
        product: Product,
        handle: object | None,
        outcome: Uploaded | UploadFailed,
    ) -> object | None:
        """The result, in the announcement's thread (or privately); a handle of the reply."""
        ...

    async def offer_undo(
        self, who: Requester, product: Product, reply: object | None, uploaded: Uploaded
    ) -> None:
        """Add Undo to the reported result (or say why it is not offered)."""
        ...

    async def keep_previous(
        self, who: Requester, handle: object | None, product: Product, image: ImageInfo
    ) -> str | None:
        """Keep a copy of the image about to be replaced where it outlives the bot; its id."""
        ...

    async def interrupted(self, who: Requester, slot_kind: str | None) -> None:
        """Cut short by a restart; `slot_kind` when it is known from the request itself."""
        ...

    async def failed_unexpectedly(self, who: Requester) -> None: ...


@dataclass(frozen=True)
class Outcome:
    """How one upload ended, for its log line."""

    name: str
    ecwid_status: int | None = None
    slot: str = "-"  # main, gallery or variation, once the product is known


class UploadFlow:
    def __init__(
        self,
        ecwid: EcwidClient,
        store: StoreInfo,
        probe: ImageProbe,
        files: SharedFileReader,
        report: UploadReport,
        images: ImagePreparer,
        history: History,
        recognise: Recogniser,
        events: ChangeEvents,
    ) -> None:
        self._events = events
        self._history = history
        self._recognise = recognise
        self._ecwid = ecwid
        self._store = store
        self._probe = probe
        self._files = files
        self._report = report
        self._images = images
        self._reading = asyncio.Semaphore(FILES_AT_ONCE)

    @property
    def ecwid(self) -> EcwidClient:
        return self._ecwid

    @property
    def recognise(self) -> Recogniser:
        return self._recognise

    async def run(self, request: UploadRequest, who: Requester) -> None:
        """Carry one request to its single final answer; never raises."""
        started = time.monotonic()
        outcome = Outcome("error")
        try:
            outcome = await self._run(request, who)
        except asyncio.CancelledError:  # shut down before it finished: say so, then stop
            outcome = Outcome("interrupted")
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(
                    self._report.interrupted(who, _slot_kind_asked(request)),
                    INTERRUPTED_NOTICE_SECONDS,
                )
            raise
        except Exception:
            log.exception("upload flow failed unexpectedly")
            await self._report.failed_unexpectedly(who)
        finally:
            if outcome.name.startswith("uploaded"):
                self._events.person_changed(who.user_id)
            log.info(
                "upload user=%s channel=%s product=%s slot=%s outcome=%s ecwid_status=%s "
                "duration_ms=%d",
                who.user_id,
                who.channel_id,
                describe_ref(request.product),
                outcome.slot,
                outcome.name,
                outcome.ecwid_status,
                (time.monotonic() - started) * 1000,
            )

    async def _run(self, request: UploadRequest, who: Requester) -> Outcome:
        # The reads are independent: do them at once. A product given by id is read once, fresh:
        # that one read is the look-up and what its slots show now (needed before it is replaced,
        # for undo). A SKU is looked up (bot.ecwid.catalog), then its slot read.
        ref = request.product
        lookup = (
            self._state(ref)
            if isinstance(ref, ProductId | CategoryId)
            else self._store.product(ref)
        )
        found, probed, languages = await asyncio.gather(
            lookup,
            self.read_image(request),
            self.translated_alt(request),
            return_exceptions=True,
        )
        results = (found, probed, languages)
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, UserFacingError):
                raise result
        refusals = [r for r in results if isinstance(r, UserFacingError)]
        if refusals:
            await self._report.refused(who, refusals)
            return Outcome("refused", getattr(found, "status", None))
        if not (
            isinstance(found, Product | ProductState)
            and isinstance(probed, ImageInfo | FileImage)
            and isinstance(languages, dict)
        ):
            raise TypeError("the look-ups answered something unexpected")
        state = found if isinstance(found, ProductState) else None
        product = found.product if isinstance(found, ProductState) else found
        image = probed.info if isinstance(probed, FileImage) else probed
        data = probed.data if isinstance(probed, FileImage) else None
        prepared = probed.prepared if isinstance(probed, FileImage) else None
        try:
            slot = slot_for(product, request.target)
        except ValidationError as problem:
            await self._report.refused(who, [problem])
            return Outcome("refused", slot="variation")
        try:
            # A converted image's size is what it became (the bytes go up, no size is sent).
            given = None if prepared is not None else request.size
            size = given or check_size(image.width or 0, image.height or 0)
        except ValidationError as problem:
            await self._report.refused(who, [problem])
            return Outcome("refused", slot=slot.kind)
        main = state.main if state is not None else None
        advice = image_advice(
            size,
            min_side=self._images.policy.min_side,
            slot_kind=slot.kind,
            main=Size(main.width, main.height) if main and main.width and main.height else None,
        )
        # The announcement need not hold the upload up; the slot's current image (and its bytes)
        # must be had before it is replaced, so that undo can put it back.
        before_read = self._kept(state.current(slot)) if state else self._before(slot)
        handle, before = await asyncio.gather(
            self._report.announce(who, product, slot), before_read
        )
        answer = await self.send(slot, request, size, languages, data)
        if isinstance(answer, EcwidError):
            await self._report.finish(who, product, handle, UploadFailed(slot, answer))
            return Outcome("upload-failed", answer.status, slot.kind)
        upload_result, alt_error = answer
        uploaded = Uploaded(
            request,
            image,
            size,
            slot,
            upload_result,
            alt_error,
            prepared=prepared,
            advice=advice,
        )
        # The result first; keeping the previous image and offering Undo follow at once.
        reply = await self._report.finish(who, product, handle, uploaded)
        undo, undo_missing = await self._undo_record(
            who, handle, product, slot, before, upload_result, request, data
        )
        undo = await self._remember(
            who, handle, reply, product, slot, before, upload_result, undo, request, prepared
        )
        await self._report.offer_undo(
            who, product, reply, replace(uploaded, undo=undo, undo_missing=undo_missing)
        )
        name = "uploaded" if alt_error is None else "uploaded-without-alt"
        return Outcome(name, upload_result.status, slot.kind)

    async def _state(self, ref: ProductId | CategoryId) -> ProductState:
        """The product given by id (and its variation, if one was chosen), or the category, as
        one read shows it."""
        if isinstance(ref, CategoryId):
            return await self._ecwid.category_state(ref.id)
        state = await self._ecwid.product_state(ref.id)
        if ref.variation is None:
            return state
        for variation in state.product.variations:
            if variation.id == ref.variation:
                return replace(state, product=replace(state.product, variation=variation))
        raise ProductNotFound(
            f"Product {ref.id} has no variation with id {ref.variation}.", status=404
        )

    async def _remember(
        self,
        who: Requester,
        handle: object | None,
        reply: object | None,
        product: Product,
        slot: ImageSlot,
        before: Before,
        result: UploadResult,
        undo: UndoRecord | None,
        request: UploadRequest,
        prepared: Prepared | None,
    ) -> UndoRecord | None:
        """The upload in the history; the undo record then names its entry. When the history
        cannot be written the upload stands, and its Undo works from the button alone."""
        change, _ = await self.change_of(
            user_id=who.user_id,
            channel_id=who.channel_id,
            # the result reply in the announcement's thread (either may be missing)
            message_ts=reply if isinstance(reply, str) else None,
            thread_ts=handle if isinstance(handle, str) else None,
            product_name=product.name,
            variation_label=product.variation.describe() if product.variation else None,
            slot=slot,
            before=before,
            result=result,
            after_image=undo.after_image if undo else None,
            after_url=None if prepared else request.image_url,
            undo=undo,
        )
        try:
            await self._history.add(change)
        except Exception as exc:
            log.warning("the upload is not in the history: %s", type(exc).__name__)
            return undo
        if undo is None:
            return None
        return replace(undo, change_id=change.id, before_image=change.before_fp)

    async def change_of(
        self,
        *,
        user_id: str,
        channel_id: str | None,
        message_ts: str | None,
        product_name: str | None,
        thread_ts: str | None = None,
        variation_label: str | None,
        slot: ImageSlot,
        before: Before,
        result: UploadResult,
        after_image: str | None,
        after_url: str | None,
        undo: UndoRecord | None = None,
        job: tuple[str, int] | None = None,
    ) -> tuple[Change, bytes | None]:
        """The history's entry for an upload (a command's or a bulk line's), and the previous
        image's bytes, when there was one and they could be had."""
        current, kept = before
        data = kept.data if isinstance(kept, ImageInfo) else None
        before_image = None
        if data is not None and job is None:  # a line's is had from its kept bytes, at undo
            with contextlib.suppress(NoIdentity):
                before_image = (await self._recognise.of_bytes(data)).text
        if slot.kind == "gallery":
            action = Action.ADDED
        else:
            action = Action.REPLACED if current is not None else Action.SET
        change = history_entry(
            user_id=user_id,
            product_id=slot.product_id,
            slot=slot.kind,
            action=action,
            channel_id=channel_id,
            message_ts=message_ts or thread_ts,
            thread_ts=thread_ts,
            product_name=product_name or None,
            variation_id=slot.variation_id,
            variation_label=variation_label,
            image_id=result.image_id,
            before_fp=before_image,
            after_fp=after_image,
            before_url=current.url if current else None,
            after_url=after_url,
            after_url_fp=undo.after if undo else None,
            kept_file=undo.kept_file if undo else None,
            kept_in_store=job is not None and data is not None,
            alt_main=current.alt_main if current else None,
            alt_translated=current.alt_translated if current else (),
            job_id=job[0] if job else None,
            line=job[1] if job else None,
        )
        return change, data if job is not None else None

    async def image_fingerprint(self, request: UploadRequest, data: bytes | None) -> str | None:
        return await self._fingerprint(request, data)

    async def before(self, slot: ImageSlot) -> Before:
        """The slot's current image and its bytes (or why they could not be had)."""
        return await self._before(slot)

    async def slot_states(self, product_ids: Sequence[int]) -> dict[int, ProductState]:
        """What many products' slots show now: a hundred products a call."""
        return await self._ecwid.product_states(product_ids)

    async def keep(self, current: CurrentImage | None) -> Before:
        """A current image, as read already, with its bytes (or why they could not be had)."""
        return await self._kept(current)

    async def _before(self, slot: ImageSlot) -> tuple[CurrentImage | None, ImageInfo | str | None]:
        """The slot's current image and its bytes (or why they could not be had)."""
        try:
            current = await self._ecwid.current_image(slot)
        except EcwidError as exc:
            return None, f"the current image could not be read ({exc})"
        return await self._kept(current)

    async def _kept(
        self, current: CurrentImage | None
    ) -> tuple[CurrentImage | None, ImageInfo | str | None]:
        """The current image's bytes, to keep for undo (or why they could not be had)."""
        if current is None:
            return None, None
        try:
            return current, await self._probe.download(current.url)
        except UserFacingError as exc:
            return current, f"the current image could not be kept ({exc})"

    async def _undo_record(
        self,
        who: Requester,
        handle: object | None,
        product: Product,
        slot: ImageSlot,
        before: tuple[CurrentImage | None, ImageInfo | str | None],
        result: UploadResult,
        request: UploadRequest,
        data: bytes | None,
    ) -> tuple[UndoRecord | None, str | None]:
        current, kept = before
        if isinstance(kept, str):
            return None, kept
        if slot.kind == "gallery":
            if result.image_id is None:
                return None, "Ecwid returned no id for the new image"
            # Undo finds the image by what it shows: gallery ids may be places that shift.
            added = await self._fingerprint(request, data)
            return UndoRecord(slot, result.image_id, None, None, after_image=added), None
        # The read-back, the new image's fingerprint and the kept copy do not wait on each other.
        read_back, new_image, kept_file = await asyncio.gather(
            self._ecwid.current_image(slot),
            self._fingerprint(request, data),
            self._keep(who, handle, product, current, kept),
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

    async def _keep(
        self,
        who: Requester,
        handle: object | None,
        product: Product,
        current: CurrentImage | None,
        kept: ImageInfo | None,
    ) -> str | None:
        """The kept copy's file id; None when there was no image, "" when it could not be kept."""
        if current is None or kept is None:
            return None
        return await self._report.keep_previous(who, handle, product, kept) or ""

    async def already_there(
        self, slot: ImageSlot, request: UploadRequest, data: bytes | None
    ) -> bool:
        """Whether the slot shows this image already (for the gallery: any of its images), by
        what it shows: for a line whose upload a restart may have cut short. Ecwid may serve
        its own re-encoded copy under another URL, so the link alone does not decide."""
        shown = await self._ecwid.slot_images(slot)
        if not shown:
            return False
        if data is None and request.image_url in [image.url for image in shown]:
            return True  # Ecwid still serves the link itself
        try:
            if data is None:
                assert request.image_url is not None
                wanted = await self._recognise.of_link(request.image_url)
            else:
                wanted = await self._recognise.of_bytes(data)
        except NoIdentity as exc:  # in doubt, not sent again: the line says why
            raise UserFacingError(CANNOT_TELL) from exc
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
            raise UserFacingError(CANNOT_TELL)
        return False

    async def _fingerprint(self, request: UploadRequest, data: bytes | None) -> str | None:
        """What the new image shows, for undo to recognise it wherever Ecwid serves it from.
        None when it cannot be had: undo then compares the URL only."""
        try:
            if data is None:
                assert request.image_url is not None
                return (await self._recognise.of_link(request.image_url)).text
            return (await self._recognise.of_bytes(data)).text
        except (UserFacingError, NoIdentity) as exc:
            log.info("no fingerprint of the new image: %s", exc)
            return None

    async def read_image(self, request: UploadRequest) -> ImageInfo | FileImage:
        """A link is checked, and Ecwid fetches it when it is ready as it is (JPG, PNG or GIF,
        upright, at most 20 MB); any other is downloaded and made ready. A shared file is read
        whole and made ready (upright, no location): the bot sends the bytes."""
        if request.file is None:
            info = await self.check_link(request)
            if info.ready_for_ecwid:
                return info
        async with self._reading:
            with _spool() as spool:
                if request.file is not None:
                    info = await self._files.spool(request.file, spool)
                else:
                    assert request.image_url is not None
                    await self._probe.download_file(
                        request.image_url,
                        authorization=no_authorization,
                        limit=MAX_DOWNLOAD_BYTES,
                        spool=spool,
                    )
                prepared = await self._images.prepare(Path(spool.name))
        ready = ImageInfo(
            prepared.format,
            prepared.width,
            prepared.height,
            len(prepared.data),
            info.url,
            file_bytes=len(prepared.data),
        )
        return FileImage(prepared.data, ready, prepared)

    async def check_link(self, request: UploadRequest) -> ImageInfo:
        """A link's header only (a bulk plan's check): its format and size, and whether it must
        be converted before Ecwid can have it."""
        assert request.image_url is not None  # UploadRequest holds exactly one of the two
        return await self._probe.probe(request.image_url, need_size=request.size is None)

    async def describe_file(self, file: SharedFile) -> SharedFile:
        """A Slack Connect stub's name and whereabouts (from Slack), before its name is read."""
        return await self._files.describe(file)

    async def image_bytes(self, request: UploadRequest) -> bytes:
        """The request's image whole, as it is (at most 20 MB): to compare it with others."""
        if request.file is not None:
            return (await self._files.read(request.file)).data
        assert request.image_url is not None
        return (await self._probe.download(request.image_url)).data

    async def read_url(self, url: str) -> bytes:
        """An image at a public URL (e.g. Ecwid's CDN), whole: to compare it with others."""
        return (await self._probe.download(url)).data

    async def read_file(self, file: SharedFile) -> bytes:
        """Any file shared in the chat workspace (a bulk job's CSV), with the same care."""
        return await self._files.read_bytes(file)

    async def send(
        self,
        slot: ImageSlot,
        request: UploadRequest,
        size: Size,
        translated: dict[str, str],
        data: bytes | None,
    ) -> tuple[UploadResult, EcwidError | None] | EcwidError:
        """The image to the slot, and its alt text; an error when it did not go up, or the
        result and the alt text's error when only that failed."""
        try:
            if data is None:
                assert request.image_url is not None
                upload = ImageUpload(
                    url=request.image_url,
                    size=size,
                    alt_main=request.alt_main,
                    alt_translated=tuple(translated.items()),
                    external_id=request.external_id,
                )
                return await self._ecwid.upload_image(slot, upload), None
            result = await self._ecwid.upload_image_bytes(
                slot, data, file_name=_file_name(request, data)
            )
        except EcwidError as exc:
            return exc
        # The bytes calls take no alt text: it is set on the new image afterwards.
        if not (request.alt_main or translated):
            return result, None
        try:
            target = None
            if slot.kind == "gallery":
                target = await self.find_added(slot.product_id, data, result.image_id)
            await self._ecwid.set_alt(slot, target, request.alt_main, translated)
        except EcwidError as exc:
            return result, exc
        return result, None

    async def find_added(self, product_id: int, data: bytes, answered_id: int | None) -> str:
        """Where Ecwid serves the gallery image just uploaded from these bytes, found by what it
        shows (gallery ids may be places, not the id the upload answered); an EcwidError when
        Ecwid does not show it."""
        url = await added_to_gallery(self._ecwid, self._recognise, product_id, data, answered_id)
        if url is None:
            raise EcwidError(NOT_FOUND_IN_GALLERY)
        return url

    async def translated_alt(self, request: UploadRequest) -> dict[str, str]:
        """The translated alt texts keyed as the store spells its language codes."""
        if not request.alt_translated:
            return {}
        try:
            languages = await self._store.languages()
        except EcwidError as exc:  # Ecwid itself refuses unknown languages, with its own message
            log.warning("cannot check alt languages: %s", exc)
            return dict(request.alt_translated)
        return check_languages(
            request.alt_translated, default=languages.default, enabled=languages.enabled
        )


def _spool() -> contextlib.AbstractContextManager[IO[bytes]]:
    """A file the image is written to as it downloads, deleted afterwards (the converter's
    worker reads it from there)."""
    return tempfile.NamedTemporaryFile(prefix="ecwid-image-", suffix=".download")


def _file_name(request: UploadRequest, data: bytes) -> str:
    """The name the bytes go up under, with the extension of what they are now (IMG_1.HEIC,
    converted, goes up as IMG_1.jpg)."""
    if request.file is not None:
        name = request.file.name
    else:  # a converted link: the last part of its path (photo.webp goes up as photo.png)
        name = unquote(urlsplit(request.image_url or "").path.rpartition("/")[2])
    extension = {"JPEG": "jpg", "PNG": "png", "GIF": "gif"}.get(sniff(data[:64]) or "")
    if not name or extension is None:
        return name
    stem, dot, old = name.rpartition(".")
    if dot and old.lower() in ("jpg", "jpeg") and extension == "jpg":
        return name
    return f"{stem if dot else name}.{extension}"


def slot_for(product: Product, target: str) -> ImageSlot:
    """Where the image goes: a variation has only its own image, no gallery; a category has
    one image."""
    if product.kind == "category":
        if target == "gallery":
            raise ValidationError(
                "A category has one image, not a gallery: leave out `to=gallery`."
            )
        return ImageSlot(product.id, "category")
    if product.variation is None:
        return ImageSlot(product.id, target)
    if target == "gallery":
        raise ValidationError(
            "A variation has one image of its own, not a gallery: leave out `to=gallery`, "
            "or give the product itself."
        )
    return ImageSlot(product.id, "variation", product.variation.id)


def _slot_from_request(request: UploadRequest) -> ImageSlot | None:
    """The slot, when the request names it without a look-up (a product id, not a SKU)."""
    ref = request.product
    if isinstance(ref, CategoryId):
        return ImageSlot(ref.id, "category")
    if isinstance(ref, ProductId) and ref.variation is None:
        return ImageSlot(ref.id, request.target)
    if isinstance(ref, ProductId) and ref.variation is not None and request.target == "main":
        return ImageSlot(ref.id, "variation", ref.variation)
    return None


def _slot_kind_asked(request: UploadRequest) -> str | None:
    """The slot, as far as the request says it without a look-up (a SKU may be a variation's)."""
    slot = _slot_from_request(request)
    if slot is not None:
        return slot.kind
    return "gallery" if request.target == "gallery" else None


def describe_ref(ref: ProductRef) -> str:
    if isinstance(ref, CategoryId):
        return f"category:{ref.id}"
    return str(ref.id) if isinstance(ref, ProductId) else f"sku:{ref.sku}"
