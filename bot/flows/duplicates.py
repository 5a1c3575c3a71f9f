"""Duplicates, caught before a plan runs: each line's image against the images its product shows
now (main and gallery) and against the plan's other images for that product, by identity
(bot.images.identity: what the image shows and its size, whatever its encoding or URL).

It needs every new image whole (a link's too), so it runs for plans of up to
DUPLICATE_CHECK_MAX_LINES lines; past that the plan says it was skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from bot.changes.context import StoreContext
from bot.changes.recognise import Recogniser
from bot.changes.sources import ImageSources
from bot.domain import texts
from bot.domain.bulk import PHOTO_NOTE
from bot.domain.errors import UserFacingError
from bot.domain.requests import UploadRequest
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import GalleryImage, ImageSlot
from bot.flows.upload import source_of
from bot.images.identity import Identity, NoIdentity, Unusable

log = logging.getLogger(__name__)

READS_AT_ONCE = 4  # whole images read at once (each up to 20 MB; decoded reduced, in the pool)


@dataclass(frozen=True)
class Candidate:
    """A line about to run: its place in the plan, where it goes and what it sends."""

    index: int
    number: int
    slot: ImageSlot
    request: UploadRequest


@dataclass(frozen=True)
class Findings:
    duplicates: dict[int, str]  # by a line's index: why it is left out of Start
    notes: dict[int, str]  # by a line's index: a remark that does not hold it back
    refused: dict[int, str]  # by a line's index: why its image cannot be used at all


class DuplicateCheck:
    def __init__(self, recognise: Recogniser) -> None:
        self._recognise = recognise
        self._reading = asyncio.Semaphore(READS_AT_ONCE)

    async def _identify(
        self, read: Awaitable[Identity], *, reraise: bool = False
    ) -> Identity | None:
        async with self._reading:
            try:
                return await read
            except Unusable:
                if reraise:
                    raise
                return None
            except (UserFacingError, NoIdentity) as exc:
                log.info("duplicate check: an image could not be compared: %s", exc)
                return None

    async def _of_request(self, sources: ImageSources, request: UploadRequest) -> Identity:
        return await self._recognise.of_bytes(await sources.whole(source_of(request)))

    async def find(self, store: StoreContext, candidates: Sequence[Candidate]) -> Findings:
        """Each duplicate line (by its index) and why: already on the product, or the same
        photo as an earlier line of the plan for that product. A larger copy of a photo the
        product shows is an upgrade, and one photo for several products may be meant (a size
        chart): both are remarks, not duplicates."""
        refused: dict[int, str] = {}
        reads: dict[object, asyncio.Task[Identity | None]] = {}  # one read an image, any lines

        async def identify(request: UploadRequest) -> Identity | None:
            return await self._identify(
                self._of_request(store.runner.sources, request), reraise=True
            )

        async def identity_of(candidate: Candidate) -> Identity | None:
            if candidate.index not in telling:
                return None
            source = source_of(candidate.request)
            if source not in reads:
                reads[source] = asyncio.ensure_future(identify(candidate.request))
            try:
                return await reads[source]
            except Unusable as exc:  # the run would refuse it: said now, in the plan
                refused[candidate.index] = str(exc)
                return None

        telling = _telling(candidates)
        try:
            made = await asyncio.gather(*(identity_of(c) for c in candidates))
        finally:
            for read in reads.values():  # each awaited by its lines, unless they were cut short
                read.cancel()
        products = sorted({c.slot.product_id for c in candidates if c.slot.kind != "variation"})
        try:
            galleries = await store.ecwid.galleries(products) if products else {}
        except EcwidError as exc:
            log.info("duplicate check: the products' images could not be read: %s", exc)
            galleries = {}
        shown: list[tuple[int, str, GalleryImage]] = [  # (product, where, image)
            (
                product_id,
                "as its main image" if image.is_main else f"in the gallery as image {place}",
                image,
            )
            for product_id, gallery in galleries.items()
            for place, image in enumerate(gallery.images, 1)
            if image.url
        ]
        existing = await asyncio.gather(
            *(self._identify(self._recognise.of_shown(image.shown)) for _, _, image in shown)
        )
        found = Findings({}, {}, refused)
        # Earlier lines of the plan for the same product: twice on one product, never meant;
        # but one photo for several of its variations is (an image by option value, #36).
        seen: list[tuple[tuple[int, int | None], Identity, int]] = []
        for candidate, identity in zip(candidates, made, strict=True):
            if identity is None:
                continue
            product = candidate.slot.product_id
            on_product = [
                (where, there)
                for (product_id, where, _), there in zip(shown, existing, strict=True)
                if product_id == product and there is not None
            ]
            same = next((where for where, there in on_product if identity.same_image(there)), None)
            larger = next(
                (where for where, there in on_product if identity.larger_copy_of(there)), None
            )
            place = (product, candidate.slot.variation_id)
            earlier = next(
                (n for p, other, n in seen if p == place and identity.same_image(other)), None
            )
            if same is not None:
                found.duplicates[candidate.index] = texts.already_on_product(same)
            elif earlier is not None:
                found.duplicates[candidate.index] = texts.same_as_line(earlier)
            elif larger is not None:
                found.notes[candidate.index] = (
                    f"{PHOTO_NOTE} a larger copy of the photo the product shows {larger}: an "
                    "upgrade, so it goes ahead."
                )
            seen.append((place, identity, candidate.number))
        # One photo for several products may be meant (a size chart): said, never held back.
        for candidate, identity in zip(candidates, made, strict=True):
            if identity is None or candidate.index in found.duplicates:
                continue
            targets = {
                other.slot.product_id
                for other, print_ in zip(candidates, made, strict=True)
                if print_ is not None and identity.same_image(print_)
            }
            if len(targets) > 1 and candidate.index not in found.notes:
                found.notes[candidate.index] = (
                    f"{PHOTO_NOTE} the same picture goes to {len(targets)} products in this "
                    "plan: intended?"
                )
        return found


def _telling(candidates: Sequence[Candidate]) -> set[int]:
    """The lines whose image can make a finding, by index: one compared with its product's
    images, one whose slot another line names too, and every line of a plan for several
    products (one picture for several). An image for each of a product's variations alone
    (by option value) makes none: it is not read before the run."""
    places = [(c.slot.product_id, c.slot.variation_id) for c in candidates]
    several = len({c.slot.product_id for c in candidates}) > 1
    return {
        c.index
        for c, place in zip(candidates, places, strict=True)
        if several or c.slot.kind != "variation" or places.count(place) > 1
    }
