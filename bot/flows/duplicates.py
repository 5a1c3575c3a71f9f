"""Duplicates, caught before a plan runs: each line's image against the images its product shows
now (main and gallery) and against the plan's other images for that product, by fingerprint
(bot.images.fingerprint: what the image shows, whatever its size, encoding or URL).

It needs every image whole (a link's too), so it runs for plans of up to
DUPLICATE_CHECK_MAX_LINES lines; past that the plan says it was skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass

from bot.domain.errors import UserFacingError
from bot.domain.requests import UploadRequest
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot
from bot.flows.upload import UploadFlow
from bot.images.fingerprint import Fingerprint, NoFingerprint, fingerprint

log = logging.getLogger(__name__)

READS_AT_ONCE = 4  # whole images read at once (each up to 20 MB)


@dataclass(frozen=True)
class Candidate:
    """A line about to run: its place in the plan, where it goes and what it sends."""

    index: int
    number: int
    slot: ImageSlot
    request: UploadRequest


class DuplicateCheck:
    def __init__(self, ecwid: EcwidClient, uploads: UploadFlow) -> None:
        self._ecwid = ecwid
        self._uploads = uploads
        self._reading = asyncio.Semaphore(READS_AT_ONCE)

    async def _print(self, read: Awaitable[bytes]) -> Fingerprint | None:
        async with self._reading:
            try:
                return await fingerprint(await read)
            except (UserFacingError, NoFingerprint) as exc:
                log.info("duplicate check: an image could not be compared: %s", exc)
                return None

    async def find(self, candidates: Sequence[Candidate]) -> dict[int, str]:
        """Each duplicate line (by its index) and why: already on the product, or the same
        photo as an earlier line of the plan."""
        prints = await asyncio.gather(
            *(self._print(self._uploads.image_bytes(c.request)) for c in candidates)
        )
        products = sorted({c.slot.product_id for c in candidates if c.slot.kind != "variation"})
        try:
            galleries = await self._ecwid.galleries(products) if products else {}
        except EcwidError as exc:
            log.info("duplicate check: the products' images could not be read: %s", exc)
            galleries = {}
        shown: list[tuple[int, str, str]] = [  # (product, where, url), places as its card shows
            (
                product_id,
                "as its main image" if image.is_main else f"in the gallery as image {place}",
                image.url,
            )
            for product_id, gallery in galleries.items()
            for place, image in enumerate(gallery.images, 1)
            if image.url
        ]
        existing = await asyncio.gather(
            *(self._print(self._uploads.read_url(url)) for _, _, url in shown)
        )
        found: dict[int, str] = {}
        # Earlier lines of the plan, by product: one photo on two products is often meant (a size
        # chart); twice on one product, never.
        seen: list[tuple[int, Fingerprint, int]] = []
        for candidate, made in zip(candidates, prints, strict=True):
            if made is None:
                continue
            for (product_id, where, _), there in zip(shown, existing, strict=True):
                if product_id == candidate.slot.product_id and there and made.same_image(there):
                    found[candidate.index] = f"Already on the product, {where}."
                    break
            else:
                earlier = next(
                    (
                        n
                        for product_id, p, n in seen
                        if product_id == candidate.slot.product_id and made.same_image(p)
                    ),
                    None,
                )
                if earlier is not None:
                    found[candidate.index] = f"The same photo as line {earlier}."
            seen.append((candidate.slot.product_id, made, candidate.number))
        return found
