"""Reading an image file shared in Slack: its bytes, with the same checks a link gets.

Slack serves a file only with the bot token (scope files:read); without a usable one it answers
its HTML sign-in page, often with status 200, so what came back is checked, never trusted. The
token goes only to the file's own origin and to Slack's file hosts: redirects are followed by
hand, and a hop anywhere else gets no token.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import aiohttp

from bot.domain.requests import SharedFile
from bot.images.probe import (
    MAX_FILE_SIZE,
    MAX_REDIRECTS,
    ImageInfo,
    ProbeError,
    pixel_size,
    sniff_format,
    too_large,
)

log = logging.getLogger(__name__)

DOWNLOAD_TIMEOUT_SECONDS = 30.0  # 20 MB at a modest speed
SLACK_FILE_HOSTS = ("slack.com", "slack-edge.com", "slack-files.com")
NO_FILE_ACCESS = (
    "The bot cannot read files shared in Slack: Slack answered with its sign-in page. The app "
    "needs the files:read scope: add it (it is in manifest.yml) and reinstall the app."
)
_REDIRECTS = {301, 302, 303, 307, 308}

Describe = Callable[[str], Awaitable[SharedFile]]


@dataclass(frozen=True)
class FileImage:
    data: bytes
    info: ImageInfo


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def is_slack_file_host(host: str) -> bool:
    return any(host == name or host.endswith("." + name) for name in SLACK_FILE_HOSTS)


class SharedFileReader:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        token: str,
        *,
        describe: Describe,
        slack_api_url: str,
        ssl: ssl.SSLContext,
    ) -> None:
        self._session = session
        self._ssl = ssl
        self._token = token
        self._describe = describe
        # Plain http only where the Slack API itself is (the tests' loopback Slack).
        self._api_origin = _origin(slack_api_url)

    async def read(self, file: SharedFile) -> FileImage:
        data, content_type, name = await self._download(file)
        return FileImage(data, _check(data, content_type, name))

    async def read_bytes(self, file: SharedFile) -> bytes:
        """Any file's bytes (a CSV…), up to the same 20 MB; Slack's sign-in page is refused."""
        data, content_type, _ = await self._download(file)
        _check_not_sign_in(data, content_type)
        return data

    async def _download(self, file: SharedFile) -> tuple[bytes, str, str]:
        if file.download_url is None:  # a Slack Connect stub: ask Slack for the details
            file = await self._describe(file.id)
        name = file.name or "the file"
        if file.size is not None and file.size > MAX_FILE_SIZE:
            raise ProbeError(too_large(file.size))
        if file.download_url is None:
            raise ProbeError(f"Slack did not say where to download {name}.")
        url = file.download_url
        home = _origin(url)
        for _ in range(MAX_REDIRECTS + 1):
            origin = _origin(url)
            scheme, host = origin[0], origin[1]
            if scheme != "https" and origin != self._api_origin:
                raise ProbeError(f"Slack sent a download link for {name} that is not https://.")
            trusted = origin == home or (scheme == "https" and is_slack_file_host(host))
            headers = {"Authorization": f"Bearer {self._token}"} if trusted else {}
            try:
                result = await self._fetch(url, headers)
            except (aiohttp.ClientError, TimeoutError) as exc:
                log.info("download of %s failed: %s", file.id, type(exc).__name__)
                raise ProbeError(f"Could not download {name} from Slack; try again.") from exc
            if isinstance(result, str):
                url = result
                continue
            data, content_type = result
            return data, content_type, name
        raise ProbeError(
            f"Slack redirected the download of {name} more than {MAX_REDIRECTS} times."
        )

    async def _fetch(self, url: str, headers: dict[str, str]) -> tuple[bytes, str] | str:
        """The body and its content type, or where a redirect points."""
        async with self._session.get(
            url,
            headers=headers,
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_SECONDS),
            ssl=self._ssl,
        ) as response:
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise ProbeError("Slack redirected the download without saying where.")
                return urljoin(url, location)
            if response.status >= 400:
                raise ProbeError(f"Slack answered HTTP {response.status} for the file.")
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > MAX_FILE_SIZE:
                raise ProbeError(too_large(int(length)))
            data = bytearray()
            async for chunk in response.content.iter_any():
                data += chunk
                if len(data) > MAX_FILE_SIZE:  # stop reading: the file is too large anyway
                    raise ProbeError(too_large(len(data)))
            return bytes(data), response.headers.get("content-type", "").lower()


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
