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
from urllib.parse import urlsplit

from bot.domain.requests import SharedFile
from bot.images.probe import (
    MAX_FILE_SIZE,
    ImageInfo,
    ImageProbe,
    ProbeError,
    origin_of,
    pixel_size,
    sniff_format,
    too_large,
)

log = logging.getLogger(__name__)

SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com", "slack-files.com")
NO_FILE_ACCESS = (
    "The bot cannot read files shared in Slack: Slack answered with its sign-in page. The app "
    "needs the files:read scope: add it (it is in manifest.yml) and reinstall the app."
)

Describe = Callable[[str], Awaitable[SharedFile]]


@dataclass(frozen=True)
class FileImage:
    data: bytes
    info: ImageInfo


def is_slack_file_host(host: str) -> bool:
    return any(host == name or host.endswith("." + name) for name in SLACK_FILE_HOSTS)


class SharedFileReader:
    def __init__(
        self, probe: ImageProbe, token: str, *, describe: Describe, slack_api_url: str
    ) -> None:
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
        file = await self.describe(file)
        if file.download_url is not None and not self._hosted_by_slack(file.download_url):
            # A remote file (Drive, files.remote.add…): read like a link, with no token.
            log.info("file %s is not hosted by Slack: read as a link", file.id)
            image = await self._probe.download(file.download_url)
            return FileImage(image.data, image)
        data, content_type, name = await self._download(file)
        return FileImage(data, _check(data, content_type, name))

    async def read_bytes(self, file: SharedFile) -> bytes:
        """Any file's bytes (a CSV…), up to the same 20 MB; Slack's sign-in page is refused."""
        data, content_type, _ = await self._download(await self.describe(file))
        _check_not_sign_in(data, content_type)
        return data

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
            return f"Bearer {self._token}"
        return None

    async def _download(self, file: SharedFile) -> tuple[bytes, str, str]:
        name = file.name or "the file"
        if file.size is not None and file.size > MAX_FILE_SIZE:
            raise ProbeError(too_large(file.size))
        if file.download_url is None:
            raise ProbeError(f"Slack did not say where to download {name}.")
        if not self._hosted_by_slack(file.download_url):
            raise ProbeError(
                f"{name} is not stored in Slack but elsewhere (a linked file): upload the file "
                "itself to Slack."
            )
        raw = await self._probe.download_file(
            file.download_url, authorization=self._authorization, trusted_origin=self._api_origin
        )
        return raw.data, raw.content_type, name


def _check(data: bytes, content_type: str, name: str) -> ImageInfo:
    """Decided from the bytes, not the name: JPG, PNG or GIF, and its pixel size."""
    _check_not_sign_in(data, content_type)
    kind = sniff_format(data, "", final=True, what="file")  # the bytes decide, not the label
    if kind is None:
        raise ProbeError("The file is empty.")
    size = pixel_size(data, kind)
    if size is None:
        raise ProbeError("The file is cut short or damaged.")
    return ImageInfo(kind, size[0], size[1], len(data), url=name)


def _check_not_sign_in(data: bytes, content_type: str) -> None:
    start = data[:64].lstrip().lower()
    if "text/html" in content_type or start.startswith((b"<!doctype", b"<html")):
        raise ProbeError(NO_FILE_ACCESS)
