"""An image's fingerprint: what it shows, not where it is served from or how it is encoded.

Ecwid copies an image given by link to its CDN some time after the upload, under another URL, and
may re-encode it; undo, the check before a bulk line is re-sent and duplicate detection must still
recognise it. A difference hash (imagehash's `dhash`: 64 bits from the brightness gradients of a
9×8 grey thumbnail) survives re-encoding, resizing and small colour shifts, and two different
photos rarely come within a few bits of each other. (`phash` would need scipy: 40 MB more memory.)
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import imagehash
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PIXELS = 100_000_000  # checked from the header, before any pixel is decoded
SAME_IMAGE_BITS = 10  # of 64: re-encoded copies measured 0–4 bits apart, other photos 20 and more
_THUMBNAIL = (64, 64)


class NoFingerprint(ValueError):
    """The bytes are not an image that can be fingerprinted (or too large to decode)."""


@dataclass(frozen=True)
class Fingerprint:
    bits: int  # the 64-bit difference hash

    @classmethod
    def from_hex(cls, text: str) -> Fingerprint:
        return cls(int(text, 16))

    @property
    def hex(self) -> str:
        return f"{self.bits:016x}"

    def distance(self, other: Fingerprint) -> int:
        return (self.bits ^ other.bits).bit_count()

    def same_image(self, other: Fingerprint) -> bool:
        """Whether both are one picture, whatever its encoding, size or URL."""
        return self.distance(other) <= SAME_IMAGE_BITS


def fingerprint_now(data: bytes) -> Fingerprint:
    """The fingerprint, computed here (CPU: call it off the event loop)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise NoFingerprint(f"{image.width}×{image.height} px is too large")
            image.draft("L", _THUMBNAIL)  # JPEG: decode at a fraction of the size, much faster
            upright = ImageOps.exif_transpose(image)
            return Fingerprint(int(str(imagehash.dhash(upright)), 16))
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError, ValueError) as exc:
        if isinstance(exc, NoFingerprint):
            raise
        raise NoFingerprint(str(exc)) from exc


async def fingerprint(data: bytes) -> Fingerprint:
    """The fingerprint, computed in a worker thread so that acks are not held up."""
    return await asyncio.to_thread(fingerprint_now, data)
