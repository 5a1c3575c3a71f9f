"""A single upload (a command, the form, a shortcut): look up and read → announce → apply → report.

The flow decides the order of steps and what each outcome is; how an outcome is shown (in Slack:
a parent message, the result in its thread, private answers as the fallback) is the reporter's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from bot.changes.context import StoreContext
from bot.changes.events import ChangeEvents
from bot.changes.records import UndoRecord
from bot.changes.runner import (
    UNREAD,
    Applied,
    ChangeRunner,
    Current,
    NotSent,
    Sent,
    Telling,
)
from bot.changes.slot_change import (
    AltText,
    Asker,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    SlotChange,
    Target,
)
from bot.changes.sources import NewImage
from bot.domain import texts
from bot.domain.advice import image_advice
from bot.domain.errors import UserFacingError
from bot.domain.requests import (
    CategoryId,
    ProductId,
    ProductRef,
    Requester,
    Size,
    UploadRequest,
    ValidationError,
    check_languages,
    check_size,
)
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError, ProductNotFound
from bot.ecwid.models import ImageSlot, Product, ProductState, UploadResult
from bot.ecwid.store import StoreInfo
from bot.images.convert import Prepared
from bot.images.probe import ImageInfo
from bot.images.shared_files import FileImage

log = logging.getLogger(__name__)

INTERRUPTED_NOTICE_SECONDS = 2.0  # of the shutdown grace, to tell a user their upload was cut off


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
    """A single upload's story: look the product up and read the image (at once), announce,
    apply the change (bot.changes.runner), report the result, then offer Undo."""

    def __init__(self, report: UploadReport, events: ChangeEvents) -> None:
        self._report = report
        self._events = events

    async def run(
        self,
        store: StoreContext,
        request: UploadRequest,
        who: Requester,
        origin: Origin = Origin.COMMAND,
    ) -> None:
        """Carry one request to its single final answer; never raises."""
        started = time.monotonic()
        outcome = Outcome("error")
        try:
            outcome = await self._run(request, who, store, origin)
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

    async def _run(
        self, request: UploadRequest, who: Requester, store: StoreContext, origin: Origin
    ) -> Outcome:
        # The reads are independent: do them at once. A product given by id is read once, fresh:
        # that one read is the look-up and what its slots show now (needed before it is replaced,
        # for undo). A SKU is looked up (bot.ecwid.catalog), then its slot read.
        ref = request.product
        lookup = (
            _state(store.ecwid, ref)
            if isinstance(ref, ProductId | CategoryId)
            else store.catalog.product(ref)
        )
        source = source_of(request)
        runner = store.runner
        found, probed, languages = await asyncio.gather(
            lookup,
            runner.sources.read(source, need_size=request.size is None),
            checked_translations(store.catalog, request.alt_translated),
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
        try:
            slot = slot_for(product, request.target)
        except ValidationError as problem:
            await self._report.refused(who, [problem])
            return Outcome("refused", slot="variation")
        try:
            size = _size_to_send(request, probed)
        except ValidationError as problem:
            await self._report.refused(who, [problem])
            return Outcome("refused", slot=slot.kind)
        change = SlotChange(
            store_id=store.store_id,
            target=Target.of_slot(slot),
            source=source,
            asker=Asker(who.user_id, who.channel_id),
            origin=origin,
            alt=AltText.of(request.alt_main, languages),
            known=Known(size=size),
            external_id=request.external_id,
        )
        current = state.current(slot) if state is not None else UNREAD
        advice = _advice(state, slot, size, runner.sources.policy.min_side)
        story = _Story(self._report, who, product, request, slot, probed, advice)
        return await story.tell(runner, change, current)


def _advice(
    state: ProductState | None, slot: ImageSlot, size: Size, min_side: int
) -> tuple[str, ...]:
    main = state.main if state is not None else None
    return image_advice(
        size,
        min_side=min_side,
        slot_kind=slot.kind,
        main=Size(main.width, main.height) if main and main.width and main.height else None,
    )


async def _state(ecwid: EcwidClient, ref: ProductId | CategoryId) -> ProductState:
    """The product given by id (and its variation, if one was chosen), or the category, as one
    read shows it."""
    if isinstance(ref, CategoryId):
        return await ecwid.category_state(ref.id)
    state = await ecwid.product_state(ref.id)
    if ref.variation is None:
        return state
    for variation in state.product.variations:
        if variation.id == ref.variation:
            return replace(state, product=replace(state.product, variation=variation))
    raise ProductNotFound(texts.no_such_variation(ref.id, ref.variation), status=404)


@dataclass
class _Story:
    """One upload told: announced while the change is applied, its result as soon as the image
    is up, then Undo (once the replaced image is kept)."""

    report: UploadReport
    who: Requester
    product: Product
    request: UploadRequest
    slot: ImageSlot
    image: NewImage
    advice: tuple[str, ...]
    reply: object | None = None

    async def tell(self, runner: ChangeRunner, change: SlotChange, current: Current) -> Outcome:
        who, product, slot = self.who, self.product, self.slot
        # The announcement need not hold the upload up; the slot's current image (and its
        # bytes) are read meanwhile, before it is replaced, so that undo can put it back.
        announcing = asyncio.ensure_future(self.report.announce(who, product, slot))
        try:
            outcome = await runner.apply(
                change,
                telling=Telling(product.name, self._variation_label()),
                image=self.image,
                current=current,
                keep_in_chat=lambda kept: self._keep(announcing, kept),
                on_sent=lambda sent: self._sent(announcing, sent),
            )
        except BaseException:
            announcing.cancel()  # no result to thread under it
            raise
        if isinstance(outcome, NotSent):
            failed = UploadFailed(slot, outcome.error)
            await self.report.finish(who, product, await announcing, failed)
            return Outcome("upload-failed", outcome.error.status, slot.kind)
        if not isinstance(outcome, Applied):
            raise TypeError("a single upload is never found there already")
        undo = await runner.remember(outcome)
        uploaded = replace(
            self._uploaded(outcome.sent), undo=undo, undo_missing=outcome.undo_missing
        )
        await self.report.offer_undo(who, product, self.reply, uploaded)
        sent = outcome.sent
        name = "uploaded" if sent.alt_error is None else "uploaded-without-alt"
        return Outcome(name, sent.result.status, slot.kind)

    def _variation_label(self) -> str | None:
        variation = self.product.variation
        return variation.describe() if variation else None

    def _uploaded(self, sent: Sent) -> Uploaded:
        image = self.image
        return Uploaded(
            self.request,
            image.info if isinstance(image, FileImage) else image,
            sent.size,
            self.slot,
            sent.result,
            sent.alt_error,
            prepared=image.prepared if isinstance(image, FileImage) else None,
            advice=self.advice,
        )

    async def _sent(self, announcing: asyncio.Future[object | None], sent: Sent) -> Telling:
        """The result first; keeping the previous image and offering Undo follow at once."""
        handle = await announcing
        self.reply = await self.report.finish(self.who, self.product, handle, self._uploaded(sent))
        return Telling(
            self.product.name,
            self._variation_label(),
            # the result reply in the announcement's thread (either may be missing)
            message_ts=self.reply if isinstance(self.reply, str) else None,
            thread_ts=handle if isinstance(handle, str) else None,
        )

    async def _keep(self, announcing: asyncio.Future[object | None], kept: ImageInfo) -> str | None:
        return await self.report.keep_previous(self.who, await announcing, self.product, kept)


def source_of(request: UploadRequest) -> FromLink | FromSlackFile:
    if request.file is not None:
        return FromSlackFile(request.file)
    assert request.image_url is not None  # UploadRequest holds exactly one of the two
    return FromLink(request.image_url)


def _size_to_send(request: UploadRequest, image: NewImage) -> Size:
    """A converted image's size is what it became (the bytes go up, no size is sent)."""
    info = image.info if isinstance(image, FileImage) else image
    given = None if isinstance(image, FileImage) and image.prepared is not None else request.size
    return given or check_size(info.width or 0, info.height or 0)


async def checked_translations(store: StoreInfo, translated: dict[str, str]) -> dict[str, str]:
    """The translated alt texts keyed as the store spells its language codes."""
    if not translated:
        return {}
    try:
        languages = await store.languages()
    except EcwidError as exc:  # Ecwid itself refuses unknown languages, with its own message
        log.warning("cannot check alt languages: %s", exc)
        return dict(translated)
    return check_languages(translated, default=languages.default, enabled=languages.enabled)


def slot_for(product: Product, target: str) -> ImageSlot:
    """Where the image goes: a variation has only its own image, no gallery; a category has
    one image."""
    if product.kind == "category":
        if target == "gallery":
            raise ValidationError(texts.CATEGORY_NO_GALLERY_TO)
        return ImageSlot(product.id, "category")
    if product.variation is None:
        return ImageSlot(product.id, target)
    if target == "gallery":
        raise ValidationError(texts.VARIATION_NO_GALLERY)
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
