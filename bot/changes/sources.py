"""Where a change's new image comes from, read once: a link (its header, and the whole image only
when it must be made ready), or a file shared in Slack (whole, made ready). The plans read
through here too (a bulk file, a link's header, an image to compare), with the same bounds.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from pathlib import Path
from typing import IO

from bot.changes.slot_change import FromLink, FromSlackFile
from bot.domain.requests import SharedFile
from bot.images.convert import MAX_DOWNLOAD_BYTES, ImagePolicy, ImagePreparer
from bot.images.probe import ImageInfo, ImageProbe, no_authorization
from bot.images.shared_files import FileImage, SharedFileReader
from bot.images.square import Squared

# Whole files read and made ready at once (each up to 100 MB before it is converted): a bulk job's
# lines in flight and single uploads take turns, so that memory stays bounded.
FILES_AT_ONCE = 4

NewImage = ImageInfo | FileImage  # a link Ecwid fetches as it is, or bytes made ready to send


class ImageSources:
    def __init__(self, probe: ImageProbe, files: SharedFileReader, images: ImagePreparer) -> None:
        self._probe = probe
        self._files = files
        self._images = images
        self._reading = asyncio.Semaphore(FILES_AT_ONCE)

    @property
    def policy(self) -> ImagePolicy:
        return self._images.policy

    async def read(
        self, source: FromLink | FromSlackFile, *, need_size: bool, convert: bool = False
    ) -> NewImage:
        """A link is checked, and Ecwid fetches it when it is ready as it is (JPG, PNG or GIF,
        upright, at most 20 MB); any other is downloaded and made ready. A shared file is read
        whole and made ready (upright, no location): the bot sends the bytes. `convert`: the
        plan found the link must be made ready, so its header is not read again."""
        if isinstance(source, FromLink) and not convert:
            info = await self.check_link(source.url, need_size=need_size)
            if info.ready_for_ecwid:
                return info
        async with self._reading:
            with _spool() as spool:
                if isinstance(source, FromSlackFile):
                    url = (await self._files.spool(source.file, spool)).url
                else:
                    url = source.url
                    await self._probe.download_file(
                        url, authorization=no_authorization, limit=MAX_DOWNLOAD_BYTES, spool=spool
                    )
                prepared = await self._images.prepare(Path(spool.name))
        size = len(prepared.data)
        ready = ImageInfo(
            prepared.format, prepared.width, prepared.height, size, url, file_bytes=size
        )
        return FileImage(prepared.data, ready, prepared)

    async def check_link(self, url: str, *, need_size: bool) -> ImageInfo:
        """A link's header only: its format and size, and whether it must be made ready before
        Ecwid can have it."""
        return await self._probe.probe(url, need_size=need_size)

    async def describe_file(self, file: SharedFile) -> SharedFile:
        """A Slack Connect stub's name and whereabouts (from Slack), before its name is read."""
        return await self._files.describe(file)

    async def whole(self, source: FromLink | FromSlackFile) -> bytes:
        """The image whole, as it is (at most 20 MB): to compare it with others."""
        if isinstance(source, FromSlackFile):
            return (await self._files.read(source.file)).data
        return await self.read_url(source.url)

    async def read_url(self, url: str) -> bytes:
        """An image at a public URL (e.g. Ecwid's CDN), whole: to compare it with others."""
        return (await self._probe.download(url)).data

    async def read_file(self, file: SharedFile) -> bytes:
        """Any file shared in the chat workspace (a bulk job's CSV), with the same care."""
        return await self._files.read_bytes(file)

    async def square(self, data: bytes, *, white: bool) -> Squared | None:
        """The image padded to a square in the conversion pool (bot.images.square); None when
        it is square already."""
        async with self._reading:
            return await self._images.square(data, white)

    async def download(self, url: str) -> ImageInfo:
        """A slot's current image whole (at most 20 MB), to keep for Undo."""
        return await self._probe.download(url)


def _spool() -> contextlib.AbstractContextManager[IO[bytes]]:
    """A file the image is written to as it downloads, deleted afterwards (the converter's
    worker reads it from there)."""
    return tempfile.NamedTemporaryFile(prefix="ecwid-image-", suffix=".download")
