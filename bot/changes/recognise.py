"""Recognising an image (bot.images.identity) wherever it is: bytes at hand, a link, or what an
Ecwid slot shows now.

For Ecwid's own images, which may be of any size, the bot decodes a smaller rendition Ecwid
serves and takes the original's size from Ecwid's metadata; where Ecwid gives neither, the
original is downloaded (20 MB at most) and its header checked before a pixel is decoded.
"""

from __future__ import annotations

import logging

from bot.domain.errors import UserFacingError
from bot.ecwid.client import EcwidClient
from bot.ecwid.models import CurrentImage, Gallery, GalleryImage
from bot.images.convert import ImagePreparer
from bot.images.identity import Identity, NoIdentity
from bot.images.probe import ImageProbe

log = logging.getLogger(__name__)


class Recogniser:
    def __init__(self, probe: ImageProbe, images: ImagePreparer) -> None:
        self._probe = probe
        self._images = images

    async def of_bytes(self, data: bytes) -> Identity:
        """NoIdentity when the bytes are no image that can be recognised."""
        return await self._images.identify(data)

    async def of_link(self, url: str) -> Identity:
        """UserFacingError when the link cannot be fetched; NoIdentity as of_bytes."""
        return await self.of_bytes((await self._probe.download(url)).data)

    async def of_shown(self, image: CurrentImage) -> Identity:
        """What a slot shows: its rendition with the original's size from the metadata, else
        the original itself."""
        if image.rendition and image.width and image.height:
            return (await self.of_link(image.rendition)).sized(image.width, image.height)
        return await self.of_link(image.url)

    async def find_added(
        self, gallery: Gallery, added: Identity, answered_id: int | None
    ) -> GalleryImage | None:
        """The image the bot has just added to the gallery (`added`: what it shows), in the
        gallery as read just after, found by what it shows. Ecwid's reference numbers media
        images by place ("starts with 0 and iterates by 1") while its client's test shows ids
        equal to the upload's answer (ProductsTest.testManipulateProductGalleryImages): the
        answered id is only where to look first, then from the last image (where a new one is
        appended), the main image last (a first gallery image may become the main image: same
        test). None when no image shows it, or none could be read."""
        shown = [image for image in gallery.images if image.url]
        wanted = str(answered_id) if answered_id is not None else None
        order = sorted(reversed(shown), key=lambda image: (image.is_main, image.id != wanted))
        for image in order:
            try:
                if (await self.of_shown(image.shown)).same_image(added):
                    return image
            except (UserFacingError, NoIdentity) as exc:
                log.info("a gallery image could not be compared: %s", exc)
        return None


async def added_to_gallery(
    ecwid: EcwidClient, recognise: Recogniser, product_id: int, data: bytes, answered_id: int | None
) -> str | None:
    """Where Ecwid serves the gallery image the bot has just uploaded from `data`: the product
    read back and the image recognised (`Recogniser.find_added`); None when Ecwid does not show
    it, or the bytes are no image that can be recognised."""
    gallery = await ecwid.gallery(product_id)
    try:
        added = await recognise.of_bytes(data)
    except NoIdentity:
        return None
    image = await recognise.find_added(gallery, added, answered_id)
    return image.url if image is not None else None
