"""A loopback HTTPS image host with real JPEG, PNG, GIF and WebP files, and the usual trouble."""

from __future__ import annotations

import asyncio
import io
import os
import random
import re
import ssl
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import trustme
from aiohttp import web
from PIL import Image, ImageDraw

from tests.fakes.recorder import LoopbackServer

CHUNK = 64 * 1024


def picture(seed: str, size: tuple[int, int]) -> Image.Image:
    """A picture of its own for each seed: shapes where a fingerprint sees them, so that two
    test images are told apart as a person would, and one image is recognised when re-encoded."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (200, 30, 40))
    draw = ImageDraw.Draw(image)
    width, height = size
    for _ in range(8):
        x, y = rng.randrange(width), rng.randrange(height)
        w, h = (
            rng.randrange(width // 4 + 1, width // 2 + 2),
            rng.randrange(height // 4 + 1, height // 2 + 2),
        )
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.rectangle((x - w // 2, y - h // 2, x + w // 2, y + h // 2), fill=colour)
    return image


@cache
def image_bytes(kind: str, width: int, height: int, *, noise: bool = False) -> bytes:
    """A real image file; `noise` makes it incompressible (a multi-megabyte JPEG)."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = picture(f"{kind}{width}x{height}", (width, height))
    out = io.BytesIO()
    image.save(out, format=kind, **({"quality": 100} if kind == "JPEG" else {}))
    return out.getvalue()


@dataclass
class Served:
    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] | None = None
    claimed_total: int | None = None  # a Content-Range total that overstates the file
    delay: float = 0.0
    reason: str | None = None  # the status line's text, as the host chooses it
    chunked: bool = False  # no Content-Length: the size is not said


@dataclass
class Hit:
    path: str
    range: str | None
    host: str | None
    authorization: str | None = None


class TlsAuthority:
    """A throw-away CA and a certificate for localhost, as files the bot can be pointed at."""

    def __init__(self, folder: Path) -> None:
        self._ca = trustme.CA()
        # images.test: a name only the tests' own resolver knows
        self._cert = self._ca.issue_cert("localhost", "images.test", "127.0.0.1", "::1")
        self.ca_file = folder / "test-ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_file))

    def client_context(self) -> ssl.SSLContext:
        """A client's trust in the test CA (for a fake that fetches from another)."""
        return ssl.create_default_context(cafile=str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context


class FakeImageHost(LoopbackServer):
    def __init__(self, tls: TlsAuthority) -> None:
        super().__init__()
        self._tls = tls
        self.hits: list[Hit] = []
        self.honor_range = True
        self.pace = 0.0  # seconds between chunks, as a slow or distant host
        self.sent_bytes: dict[str, int] = {}
        self.files: dict[str, Served] = {
            "shoe.png": Served(image_bytes("PNG", 800, 600), "image/png"),
            "photo.jpg": Served(image_bytes("JPEG", 640, 480), "image/jpeg"),
            "anim.gif": Served(image_bytes("GIF", 320, 200), "image/gif"),
            "modern.webp": Served(image_bytes("WEBP", 64, 64), "image/webp"),
            "page.html": Served(b"<!doctype html><title>Shoe</title>", "text/html; charset=utf-8"),
        }
        self.default: Served | None = None  # served for names not in `files`
        self.held: dict[str, asyncio.Event] = {}
        self.web_app.router.add_get("/{name:.*}", self._serve)

    def hold(self, name: str) -> asyncio.Event:
        """Requests for `name` wait, once recorded in `hits`, until the returned event is set."""
        self.held[name] = asyncio.Event()
        return self.held[name]

    async def start(self, tls: ssl.SSLContext | None = None) -> None:
        await super().start(tls or self._tls.server_context())

    def link(self, name: str, host: str = "localhost") -> str:
        return f"https://{host}:{self.port}/{name}"

    def redirect(self, name: str, to: str) -> None:
        self.files[name] = Served(b"", "text/plain", 302, {"Location": to})

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits.append(
            Hit(
                name,
                request.headers.get("Range"),
                request.headers.get("Host"),
                request.headers.get("Authorization"),
            )
        )
        await self.notify()
        if (held := self.held.get(name)) is not None:
            await held.wait()
        served = self.files.get(name, self.default)
        if served is None:
            return web.Response(status=404, text="Not here")
        await asyncio.sleep(served.delay)
        if served.status != 200:
            return web.Response(status=served.status, headers=served.headers, reason=served.reason)
        body, status, headers = served.body, 200, {"Content-Type": served.content_type}
        match = re.fullmatch(r"bytes=0-(\d+)", request.headers.get("Range", ""))
        if match and self.honor_range:
            end = min(int(match.group(1)), len(body) - 1)
            headers["Content-Range"] = f"bytes 0-{end}/{served.claimed_total or len(served.body)}"
            body, status = body[: end + 1], 206
        if not served.chunked:
            headers["Content-Length"] = str(len(body))
        response = web.StreamResponse(status=status, headers=headers)
        if served.chunked:
            response.enable_chunked_encoding()
        await response.prepare(request)
        sent = 0
        try:
            for start in range(0, len(body), CHUNK):
                await response.write(body[start : start + CHUNK])
                await asyncio.sleep(self.pace)
                sent += len(body[start : start + CHUNK])
        except (ConnectionError, RuntimeError):
            pass  # the client hung up: it had read enough
        finally:
            self.sent_bytes[name] = sent
        return response


def jpeg_with_padding(padding: int) -> bytes:
    """A real 640×480 JPEG whose size (SOF marker) comes after `padding` bytes of APP15 segments."""
    plain = image_bytes("JPEG", 640, 480)
    segments = bytearray()
    while len(segments) < padding:
        size = min(65533, padding - len(segments))
        segments += b"\xff\xef" + (size + 2).to_bytes(2, "big") + b"\0" * size
    return plain[:2] + bytes(segments) + plain[2:]
