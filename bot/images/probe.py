"""Read the start of an image before Ecwid gets its URL: format, pixel size, reachability.

The URLs are typed by users, so they are treated as hostile (SSRF): only https, every address the
host resolves to must be globally routable, the connection goes to the address that was checked
(no second lookup for DNS rebinding to change) while TLS still verifies the host name, redirects
are followed by hand with every rule applied to each hop, proxies are ignored, only the standard
HTTPS ports are used, and at most 1 MiB is kept. Pixels are never decoded: Pillow only reads the
header. Every way a connection can fail gets one neutral message, so that the check cannot be used
to tell closed, open and TLS ports apart.
"""

from __future__ import annotations

import asyncio
import functools
import io
import ipaddress
import logging
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from typing import IO
from urllib.parse import urljoin, urlsplit

import aiohttp
import certifi
from PIL import GifImagePlugin, ImageFile, JpegImagePlugin, PngImagePlugin
from yarl import URL

from bot.domain.errors import UserFacingError
from bot.images.convert import ACCEPTED, MAX_DOWNLOAD_BYTES, READY, sniff

log = logging.getLogger(__name__)

MAX_BYTES_READ = 1024 * 1024  # hard cap on what is kept, even when the server ignores Range
MAX_FILE_SIZE = 20 * 1024 * 1024  # Ecwid's limit: a larger image is converted (up to 100 MB)
HTTPS_PORTS = frozenset({443, 8443})
MAX_REDIRECTS = 3
MAX_CONNECTIONS = 256
CONNECTIONS_PER_HOST = 8
DNS_CACHE_SECONDS = 10.0
PARSE_STEP = 16 * 1024  # bytes to wait for between two attempts at parsing the header
CONNECT_TIMEOUT_SECONDS = 3.0
FETCH_TIMEOUT_SECONDS = 8.0
DOWNLOAD_TIMEOUT_SECONDS = 30.0  # a whole image of up to 20 MB

CANNOT_CONNECT = (
    "Could not connect to the image host, or it did not answer: check that the link opens "
    "in a browser."
)

# The parsers themselves, not Image.open(): its decompression-bomb guard refuses sizes that
# Ecwid takes (15000×15000), and the bot never decodes pixels. Sizes are checked against
# Ecwid's own limits where the size is used.
_PARSERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "GIF": GifImagePlugin.GifImageFile,
}
_MEDIA_TYPE = re.compile(r"[a-z0-9][a-z0-9.+-]{0,40}/[a-z0-9][a-z0-9.+-]{0,60}")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = {301, 302, 303, 307, 308}


class ProbeError(UserFacingError):
    """The image cannot be used; the message says why, in plain words."""


@dataclass(frozen=True)
class ImageInfo:
    format: str  # "JPEG", "PNG", "GIF"; or HEIF, WEBP, AVIF, TIFF, BMP (converted first)
    width: int | None  # None: not within the first 1 MiB (only when the size was given)
    height: int | None
    bytes_read: int
    url: str  # after redirects
    data: bytes = field(default=b"", repr=False, compare=False)  # the whole file, from download()
    orientation: int = 1  # a JPEG's EXIF orientation, from its header
    file_bytes: int | None = None  # the whole file's size, when the host said or it was counted
    cmyk: bool = False  # a JPEG in print colours (CMYK or YCCK), from its header

    @property
    def ready_for_ecwid(self) -> bool:
        """Ecwid can take it by its link as it is: JPG, PNG or GIF in screen colours, upright, at
        most 20 MB. A CMYK JPEG is converted to sRGB first: Ecwid would pass it on as it is."""
        return (
            self.format in READY
            and self.orientation == 1
            and not self.cmyk
            and (self.file_bytes or 0) <= MAX_FILE_SIZE
        )


IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]


@dataclass(frozen=True)
class RawFile:
    """A downloaded file's bytes (none when it was spooled to a file) and declared type, not
    yet judged."""

    data: bytes = field(repr=False)
    content_type: str
    size: int = 0


@dataclass(frozen=True)
class _Hop:
    authorization: str | None  # the Authorization header this hop gets, if any
    trusted: bool  # the configured Slack API: plain http allowed, address rules not applied


def no_authorization(_url: str) -> str | None:
    """For `download_file`: no hop gets an Authorization header (a link's host, a remote file)."""
    return None


def origin_of(url: str) -> str:
    """scheme://host:port, lower-cased, with the default port spelt out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme, 0)
    except ValueError:
        port = 0
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class _Progress:
    """How far one probe got: a time-out before any answer is a failure to connect."""

    answered = False


def is_public_address(ip: IpAddress) -> bool:
    """Globally routable, also through the IPv6 forms that embed an IPv4 address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None and not is_public_address(ip.sixtofour):
            return False
        if ip.teredo is not None:
            return False
    return ip.is_global and not (
        ip.is_multicast
        or ip.is_unspecified
        or ip.is_reserved
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_private
    )


@functools.cache
def ssl_context(ca_file: str | None) -> ssl.SSLContext:
    """The standard CA bundle, plus `ca_file` when given (SSL_CERT_FILE adds, never replaces).

    Made once a process: reading the bundle takes about 20 ms, and the context is not changed
    after."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def pixel_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """The pixel size from the header, or None while more bytes are needed (or for a format the
    bot converts: its size is known once it is)."""
    header = _header(data, kind)
    return (header.width, header.height) if header else None


@dataclass(frozen=True)
class _Parsed:
    width: int
    height: int
    orientation: int
    cmyk: bool


def _header(data: bytes, kind: str) -> _Parsed | None:
    """Width, height, EXIF orientation and print colours (CMYK) from a JPG, PNG or GIF
    header."""
    if kind not in _PARSERS:
        return None
    try:
        with _PARSERS[kind](io.BytesIO(data)) as image:
            width, height = image.size
            if width <= 0 or height <= 0:
                return None
            orientation = image.getexif().get(0x0112, 1) if kind == "JPEG" else 1
            return _Parsed(width, height, int(orientation or 1), image.mode == "CMYK")
    except Exception:  # a truncated header fails in parser-specific ways
        return None


def sniff_format(data: bytes, content_type: str, *, final: bool, what: str = "link") -> str | None:
    """The format from the first bytes (None: need more); a ProbeError for anything else.

    `what` names the image's source in the messages: "link" or "file"."""
    if kind := sniff(data[:64]):
        return kind
    if len(data) < 32 and not final:
        return None
    if "html" in content_type:
        raise ProbeError(f"The {what} leads to a web page, not an image file ({ACCEPTED}).")
    # The host's words, shown only when they are a plain media type (never as formatting).
    kind = content_type.split(";")[0].strip()
    sent = f" (it sent {kind})" if _MEDIA_TYPE.fullmatch(kind) else ""
    raise ProbeError(f"The {what} is not a {ACCEPTED} image{sent}.")


def _declared_size(response: aiohttp.ClientResponse) -> int | None:
    content_range = response.headers.get("content-range", "")
    total = content_range.rpartition("/")[2]
    if response.status == 206 and total.isdigit():
        return int(total)
    length = response.headers.get("content-length", "")
    return int(length) if response.status == 200 and length.isdigit() else None


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


class ImageProbe:
    def __init__(
        self,
        *,
        allow_private_networks: bool,
        ca_file: str | None,
        fetch_timeout: float = FETCH_TIMEOUT_SECONDS,
        resolver: Resolver | None = None,
    ) -> None:
        self._allow_private = allow_private_networks
        self._fetch_timeout = fetch_timeout
        self._resolver = resolver or _system_resolve
        # (host, port) → (when, addresses): the addresses are checked on every use.
        self._resolved: dict[tuple[str, int], tuple[float, list[str]]] = {}
        # aiohttp directly, not the shared httpx client: this fetch needs its own pool, TLS trust,
        # SNI for a pinned address and no proxy, and is the hottest call of a burst (httpx's
        # models cost about 0.5 ms a request more). trust_env=False: proxy settings are ignored.
        self._session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                ssl=ssl_context(ca_file),
                limit=MAX_CONNECTIONS,
                # A burst of images from one host reuses a few TLS connections, as browsers do,
                # instead of a handshake for every image (measured: the largest CPU cost).
                limit_per_host=CONNECTIONS_PER_HOST,
            ),
            timeout=aiohttp.ClientTimeout(
                sock_connect=min(CONNECT_TIMEOUT_SECONDS, fetch_timeout), sock_read=fetch_timeout
            ),
            headers={"User-Agent": "ecwid-image-slack-bot"},
            auto_decompress=False,  # the byte cap must count what the image really is
            trust_env=False,
        )

    async def aclose(self) -> None:
        await self._session.close()

    async def probe(self, url: str, *, need_size: bool = True) -> ImageInfo:
        """The image's format and (when `need_size`, or when found) its pixel size.

        With the size given by the user, an image whose size marker lies beyond the first MiB
        (a JPEG with much metadata) is still usable: only its format must be known.
        """
        return _image(
            await self._get(
                url,
                need_size=need_size,
                whole=False,
                seconds=self._fetch_timeout,
                limit=MAX_DOWNLOAD_BYTES,
            )
        )

    async def download(self, url: str) -> ImageInfo:
        """The whole image (at most 20 MB) in `data`, with the same rules as the check: e.g. a
        product's current image, kept before it is replaced."""
        return _image(
            await self._get(
                url,
                need_size=True,
                whole=True,
                seconds=DOWNLOAD_TIMEOUT_SECONDS,
                limit=MAX_FILE_SIZE,
            )
        )

    async def download_file(
        self,
        url: str,
        *,
        authorization: Callable[[str], str | None],
        trusted_origin: str | None = None,
        limit: int = MAX_FILE_SIZE,
        spool: IO[bytes] | None = None,
    ) -> RawFile:
        """Any file's bytes (at most `limit`: 20 MB, or 100 MB for an image to convert), with
        the image check's address and port rules on every hop. `authorization(url)` decides, for
        each hop, whether it gets an Authorization header; `trusted_origin` (the configured Slack
        API, e.g. the tests' loopback Slack) may be plain http and is exempt from the address
        rules. With `spool`, the bytes are written there as they come (a file to convert is
        never held whole in memory), and `data` is empty."""

        def hop(hop_url: str) -> _Hop:
            return _Hop(authorization(hop_url), origin_of(hop_url) == trusted_origin)

        result = await self._get(
            url,
            need_size=True,
            whole=True,
            seconds=DOWNLOAD_TIMEOUT_SECONDS,
            hop=hop,
            limit=limit,
            spool=spool,
        )
        if not isinstance(result, RawFile):  # unreachable: each hop answers the raw bytes
            raise TypeError("an image where a file was asked for")
        return result

    async def _get(
        self,
        url: str,
        *,
        need_size: bool,
        whole: bool,
        seconds: float,
        limit: int,
        hop: Callable[[str], _Hop] | None = None,
        spool: IO[bytes] | None = None,
    ) -> ImageInfo | RawFile:
        """Hop by hop (redirects are followed by hand, each checked), the image or the file."""
        progress = _Progress()
        what = "file's download" if hop else "link"
        try:
            async with asyncio.timeout(seconds):
                for _ in range(MAX_REDIRECTS + 1):
                    result = await self._fetch(
                        url, progress, need_size, whole, limit, hop(url) if hop else None, spool
                    )
                    if not isinstance(result, str):
                        return result
                    url = result
                raise ProbeError(f"The {what} redirects more than {MAX_REDIRECTS} times.")
        except TimeoutError as exc:
            if not progress.answered:
                raise ProbeError(CANNOT_CONNECT) from exc
            host, thing = ("The file's host", "file") if hop else ("The image host", "image")
            raise ProbeError(f"{host} did not send the {thing} within {seconds:g} s.") from exc

    async def _addresses(self, host: str, port: int, *, checked: bool = True) -> list[str]:
        """The host's addresses, each checked; a batch from one host resolves it once."""
        cached = self._resolved.get((host, port))
        if cached and time.monotonic() - cached[0] < DNS_CACHE_SECONDS:
            addresses = cached[1]
        else:
            addresses = await self._resolver(host, port)
            if len(self._resolved) > 1000:
                self._resolved.clear()
            self._resolved[(host, port)] = (time.monotonic(), addresses)
        if not addresses:
            raise ProbeError(f"The image host {host} could not be found.")
        if checked and not self._allow_private:
            for address in addresses:
                if not is_public_address(ipaddress.ip_address(address.split("%")[0])):
                    log.warning("refused image host %s: resolves to %s", host, address)
                    raise ProbeError(
                        "The link points to a private or local network address; "
                        "only public https:// links can be used."
                    )
        return addresses

    async def _fetch(
        self,
        url: str,
        progress: _Progress,
        need_size: bool,
        whole: bool,
        limit: int,
        hop: _Hop | None = None,
        spool: IO[bytes] | None = None,
    ) -> ImageInfo | RawFile | str:
        """One hop: the image's details (or with `hop`, the file's bytes), or the URL a
        redirect points to."""
        parts = urlsplit(url)
        trusted = hop is not None and hop.trusted
        if not parts.hostname or (parts.scheme.lower() != "https" and not trusted):
            raise ProbeError(
                "The link (or a redirect) is not https://; only HTTPS images can be used."
            )
        if parts.username or parts.password:
            raise ProbeError("Links with a user name or password cannot be used.")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
            host = parts.hostname.encode("idna").decode("ascii")
        except (ValueError, UnicodeError) as exc:
            raise ProbeError("The link is not a valid https:// address.") from exc
        # Checked before anything is sent (the configured Slack API is the operator's choice).
        addresses = await self._addresses(host, port, checked=not trusted)
        if re.fullmatch(r"[0-9.]+", host) and not _is_ipv4(host):
            raise ProbeError("The link is not a valid https:// address.")  # e.g. 0177.0.0.1
        try:
            target = URL(url)
        except ValueError as exc:
            raise ProbeError("The link is not a valid https:// address.") from exc
        if port not in HTTPS_PORTS and not self._allow_private and not trusted:
            raise ProbeError(
                f"The link uses port {port}; image links must use the standard HTTPS port "
                "(443, or 8443)."
            )
        for address in addresses:
            try:
                return await self._read(
                    url,
                    target.with_host(address),
                    host,
                    parts.netloc,
                    progress,
                    need_size,
                    whole,
                    limit,
                    hop,
                    spool,
                )
            except aiohttp.ClientConnectorError:  # refused, unreachable, TLS: the next address
                continue
            except (aiohttp.ClientError, TimeoutError) as exc:
                if progress.answered:
                    raise ProbeError(
                        "The image host broke off while sending the image; try again."
                    ) from exc
                log.info("image host %s: %s", host, type(exc).__name__)
                raise ProbeError(CANNOT_CONNECT) from exc
        raise ProbeError(CANNOT_CONNECT)

    async def _read(
        self,
        url: str,
        target: URL,
        host: str,
        netloc: str,
        progress: _Progress,
        need_size: bool,
        whole: bool,
        limit: int,
        hop: _Hop | None = None,
        spool: IO[bytes] | None = None,
    ) -> ImageInfo | RawFile | str:
        headers = {
            "Host": netloc.rpartition("@")[2],
            "Accept": "*/*" if hop else "image/*",
            "Accept-Encoding": "identity",
        }
        if hop is not None and hop.authorization:
            headers["Authorization"] = hop.authorization
        if not whole:
            headers["Range"] = f"bytes=0-{MAX_BYTES_READ - 1}"
        # TLS verifies the name, not the address (plain http only for the trusted Slack API).
        async with self._session.get(
            target,
            headers=headers,
            allow_redirects=False,
            server_hostname=host if target.scheme == "https" else None,
        ) as response:
            progress.answered = True
            if response.status in _REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise ProbeError("The link redirects without saying where.")
                return urljoin(url, location)
            if response.status not in (200, 206):
                # The status line's own text is the host's to choose: only the standard name.
                try:
                    name = f" {HTTPStatus(response.status).phrase}"
                except ValueError:
                    name = ""
                what = "The file's download" if hop else "The image link"
                raise ProbeError(f"{what} answered HTTP {response.status}{name}.")
            declared = _declared_size(response)
            if declared is not None and declared > limit:
                raise ProbeError(too_large(declared, limit))
            if hop is not None:
                return await _raw(response, limit, spool)
            if whole:
                return await _whole(response, url)
            head = bytearray()
            info = await self._identify_stream(response, url, need_size, head)
            if declared is None or declared <= MAX_BYTES_READ:
                # The rest is read anyway (to count it, or it is small): a file within what the
                # check asked for is kept whole, so that what it shows is had without a second
                # download (bot.changes.runner).
                declared = await _read_rest(response, head, limit)
                if declared == len(head) < MAX_BYTES_READ:
                    info = replace(info, data=bytes(head))
            return replace(info, file_bytes=declared)

    async def _identify_stream(
        self, response: aiohttp.ClientResponse, url: str, need_size: bool, data: bytearray
    ) -> ImageInfo:
        """What the first bytes say the image is; `data`: the bytes read, for the caller."""
        content_type = response.headers.get("content-type", "").lower()
        kind: str | None = None
        tried_at = -PARSE_STEP
        async for chunk in response.content.iter_any():
            data += chunk[: MAX_BYTES_READ - len(data)]
            kind = kind or sniff_format(bytes(data), content_type, final=False)
            if kind and kind not in READY:  # converted first: its size is known once it is
                return ImageInfo(kind, None, None, len(data), url)
            # Parse again only once enough new bytes have arrived: keeps CPU work small.
            if kind and (len(data) - tried_at >= PARSE_STEP or len(data) >= MAX_BYTES_READ):
                tried_at = len(data)
                if header := _header(bytes(data), kind):
                    return _info(kind, header, len(data), url)
            if len(data) >= MAX_BYTES_READ:
                break
        kind = kind or sniff_format(bytes(data), content_type, final=True)
        if kind and kind not in READY:
            return ImageInfo(kind, None, None, len(data), url)
        if kind and (header := _header(bytes(data), kind)):
            return _info(kind, header, len(data), url)
        if len(data) >= MAX_BYTES_READ:
            if kind and not need_size:
                return ImageInfo(kind, None, None, len(data), url)
            raise ProbeError(
                "The image's size is not within its first 1 MiB; give the size in the command "
                "(e.g. `800x600`) or the form."
            )
        raise ProbeError("The image file is cut short or damaged.")


def _info(kind: str, header: _Parsed, read: int, url: str) -> ImageInfo:
    return ImageInfo(
        kind,
        header.width,
        header.height,
        read,
        url,
        orientation=header.orientation,
        cmyk=header.cmyk,
    )


def _image(result: ImageInfo | RawFile) -> ImageInfo:
    if not isinstance(result, ImageInfo):  # unreachable: a link's hops answer images
        raise TypeError("raw bytes where an image was asked for")
    return result


async def _raw(response: aiohttp.ClientResponse, limit: int, spool: IO[bytes] | None) -> RawFile:
    content_type = response.headers.get("content-type", "").lower()
    if spool is not None:  # written as it comes (to the page cache: cheap on the loop)
        spool.seek(0)
        spool.truncate()
        size = 0
        async for chunk in response.content.iter_any():
            size += len(chunk)
            if size > limit:
                raise ProbeError(too_large(size, limit))
            spool.write(chunk)
        spool.flush()
        return RawFile(b"", content_type, size)
    data = bytearray()
    async for chunk in response.content.iter_any():
        data += chunk
        if len(data) > limit:  # stop reading: the file is too large anyway
            raise ProbeError(too_large(len(data), limit))
    return RawFile(bytes(data), content_type, len(data))


async def _whole(response: aiohttp.ClientResponse, url: str) -> ImageInfo:
    data = bytearray()
    async for chunk in response.content.iter_any():
        data += chunk
        if len(data) > MAX_FILE_SIZE:
            raise ProbeError(too_large(len(data), MAX_FILE_SIZE))
    kind = sniff_format(bytes(data), response.headers.get("content-type", "").lower(), final=True)
    size = pixel_size(bytes(data), kind) if kind else None
    if kind is None or size is None:
        raise ProbeError("The image file is cut short or damaged.")
    return ImageInfo(kind, size[0], size[1], len(data), url, bytes(data))


def too_large(size: int, limit: int = MAX_FILE_SIZE) -> str:
    if limit > MAX_FILE_SIZE:
        return (
            f"The image is {size / 1024 / 1024:.1f} MB; the bot converts images of up to "
            f"{limit // 1024 // 1024} MB."
        )
    return f"The image is {size / 1024 / 1024:.1f} MB; Ecwid takes at most 20 MB."


async def _read_rest(response: aiohttp.ClientResponse, head: bytearray, limit: int) -> int:
    """The rest of the answer, counted; kept in `head` while the whole is within the first
    MAX_BYTES_READ bytes (past them, counted only: a host need not say how big a file is)."""
    counted = len(head)
    async for chunk in response.content.iter_any():
        counted += len(chunk)
        if counted < MAX_BYTES_READ:
            head += chunk
        if counted > limit:
            raise ProbeError(
                f"The image is larger than {limit // 1024 // 1024} MB; the bot converts images "
                f"of up to {limit // 1024 // 1024} MB."
            )
    return counted


async def _system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ProbeError(f"The image host {host} could not be found.") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))
