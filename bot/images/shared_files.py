"""Reading an image file shared in Slack: its bytes, with the same checks a link gets.

Slack serves a file only with the bot token (scope files:read); without a usable one it answers
its HTML sign-in page, often with status 200, so what came back is checked, never trusted. The
token goes only to Slack's own file hosts (a fixed list of domain suffixes, over https), decided
for each hop on the parsed host: a file object or a redirect naming any other host gets no token.
Every hop follows the image check's address and port rules (the probe downloads it). A file Slack
does not host (a remote file) is read like a link: the image check, no token.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO
from urllib.parse import urlsplit

from bot.domain.requests import SharedFile
from bot.images.convert import MAX_DOWNLOAD_BYTES, READY, Prepared
from bot.images.probe import (
    MAX_FILE_SIZE,
    ImageInfo,
    ImageProbe,
    ProbeError,
    RawFile,
    no_authorization,
    origin_of,
    pixel_size,
    sniff_format,
    too_large,
)

log = logging.getLogger(__name__)

PARSE_START = 64  # bytes enough to tell a format, or Slack's sign-in page
SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com", "slack-files.com")
NO_FILE_ACCESS = (
    "The bot cannot read files shared in Slack: Slack answered with its sign-in page. The app "
    "needs the files:read scope: add it (it is in manifest.yml) and reinstall the app."
)

Describe = Callable[[str], Awaitable[SharedFile]]


@dataclass(frozen=True)
class FileImage:
    """An image the bot sends as bytes: a file shared in Slack, or a link that needed converting
    (`prepared` says what was done to make it ready for Ecwid)."""

    data: bytes
    info: ImageInfo
    prepared: Prepared | None = None


def is_slack_file_host(host: str) -> bool:
    return any(host == name or host.endswith("." + name) for name in SLACK_FILE_HOSTS)


class SharedFileReader:
    def __init__(
        self,
        probe: ImageProbe,
        token: str | Callable[[], str | None],
        *,
        describe: Describe,
        slack_api_url: str,
    ) -> None:
        """`token`: the bot token, or where each read finds its workspace's (many-stores
        mode: bot.changes.context.workspace_token)."""
        self._probe = probe
        self._token = token
        self._describe = describe
        # The tests' loopback Slack serves files where its API is: the token may go there too.
        self._api_origin = origin_of(slack_api_url)

    async def describe(self, file: SharedFile) -> SharedFile:
        """The file as Slack describes it: a Slack Connect stub (an id only) is asked about with
        files.info, for its name and whereabouts; any other file is described already."""
        if file.download_url is None:
            return await self._describe(file.id)
        return file

    async def read(self, file: SharedFile) -> FileImage:
        """An image file's bytes, checked (a kept copy, at most 20 MB)."""
        raw, name = await self._fetch(await self.describe(file), MAX_FILE_SIZE)
        return FileImage(raw.data, _check(raw.data, raw.content_type, name))

    async def spool(self, file: SharedFile, sink: IO[bytes]) -> ImageInfo:
        """An image file to be made ready (up to 100 MB), written to `sink` as it downloads,
        never held whole in memory; what its first bytes say it is."""
        raw, name = await self._fetch(await self.describe(file), MAX_DOWNLOAD_BYTES, sink)
        sink.seek(0)
        start = sink.read(PARSE_START)
        kind = _check_start(start, raw.content_type)
        return ImageInfo(kind, None, None, raw.size, url=name, file_bytes=raw.size)

    async def read_bytes(self, file: SharedFile) -> bytes:
        """Any file's bytes (a CSV…), up to 20 MB; Slack's sign-in page is refused."""
        raw, _ = await self._fetch(await self.describe(file), MAX_FILE_SIZE, text=True)
        return raw.data

    async def _fetch(
        self, file: SharedFile, limit: int, sink: IO[bytes] | None = None, *, text: bool = False
    ) -> tuple[RawFile, str]:
        """The file's download (Slack's sign-in page refused), and its name for messages."""
        if file.download_url is not None and not self._hosted_by_slack(file.download_url):
            if text:
                raise ProbeError(
                    f"{file.name or 'the file'} is not stored in Slack but elsewhere (a linked "
                    "file): upload the file itself to Slack."
                )
            # A remote file (Drive, files.remote.add…): read like a link, with no token.
            log.info("file %s is not hosted by Slack: read as a link", file.id)
            raw = await self._probe.download_file(
                file.download_url, authorization=no_authorization, limit=limit, spool=sink
            )
            return raw, file.download_url
        raw, name = await self._download(file, limit, sink)
        if sink is None:
            _check_not_sign_in(raw.data, raw.content_type)
        return raw, name

    def _hosted_by_slack(self, url: str) -> bool:
        return self._authorization(url) is not None

    def _authorization(self, url: str) -> str | None:
        """The bot token, for Slack's own file hosts over https (and the configured Slack API);
        None for any other host, whatever a file object or a redirect names."""
        origin = origin_of(url)
        host = urlsplit(url).hostname or ""
        if origin == self._api_origin or (
            origin.startswith("https://") and is_slack_file_host(host.lower())
        ):
            token = self._token if isinstance(self._token, str) else self._token()
            return f"Bearer {token or ''}"  # none: Slack's sign-in page, refused as such
        return None

    async def _download(
        self, file: SharedFile, limit: int, sink: IO[bytes] | None
    ) -> tuple[RawFile, str]:
        name = file.name or "the file"
        if file.size is not None and file.size > limit:
            raise ProbeError(too_large(file.size, limit))
        if file.download_url is None:
            raise ProbeError(f"Slack did not say where to download {name}.")
        raw = await self._probe.download_file(
            file.download_url,
            authorization=self._authorization,
            trusted_origin=self._api_origin,
            limit=limit,
            spool=sink,
        )
        return raw, name


def _check(data: bytes, content_type: str, name: str) -> ImageInfo:
    """Decided from the bytes, not the name: an image the bot can use, and (for JPG, PNG or
    GIF) its pixel size; the other formats are measured as they are converted."""
    kind = _check_start(data[:PARSE_START], content_type)
    if kind not in READY:
        return ImageInfo(kind, None, None, len(data), url=name, file_bytes=len(data))
    size = pixel_size(data, kind)
    if size is None:
        raise ProbeError("The file is cut short or damaged.")
    return ImageInfo(kind, size[0], size[1], len(data), url=name, file_bytes=len(data))


def _check_start(start: bytes, content_type: str) -> str:
    """A spooled file's format, from its first bytes: not Slack's sign-in page, and an image
    the bot takes (the bytes decide, not the label)."""
    _check_not_sign_in(start, content_type)
    kind = sniff_format(start, "", final=True, what="file")
    if kind is None:
        raise ProbeError("The file is empty.")
    return kind


def _check_not_sign_in(data: bytes, content_type: str) -> None:
    start = data[:64].lstrip().lower()
    if "text/html" in content_type or start.startswith((b"<!doctype", b"<html")):
        raise ProbeError(NO_FILE_ACCESS)
