"""Recognising an image (bot.images.identity) wherever it is: bytes at hand, a link, or what an
Ecwid slot shows now.

For Ecwid's own images, which may be of any size, the bot decodes a smaller rendition Ecwid
serves and takes the original's size from Ecwid's metadata; where Ecwid gives neither, the
original is downloaded (20 MB at most) and its header checked before a pixel is decoded.
"""

from __future__ import annotations

from bot.ecwid.models import CurrentImage
from bot.images.convert import ImagePreparer
from bot.images.identity import Identity
from bot.images.probe import ImageProbe


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
