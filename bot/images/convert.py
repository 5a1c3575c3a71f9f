"""Photos as people have them, made ready for Ecwid (JPG, PNG or GIF, at most 20 MB).

HEIC/HEIF (pillow-heif), WebP, AVIF, TIFF and BMP (Pillow) are converted to JPEG, or to PNG when
they have transparency; the EXIF orientation is applied to the pixels; GPS and other personal
metadata (EXIF, XMP, maker notes, comments) are removed unless the store keeps them; colour
profiles stay. An image over 20 MB is re-encoded, and scaled down only as far as it must be.

Pixels are decoded only in a process pool, never on the event loop (one conversion in a thread
was measured to raise the loop's lag p99 from 1.3 ms to 21 ms). A JPEG or PNG that is upright and
small enough is not decoded at all: its metadata segments are dropped from the bytes, so that it
is not re-compressed. Sizes are read from the header and checked against IMAGE_MAX_MEGAPIXELS
before any pixel is decoded: a decompression bomb is refused in plain words.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import io
import logging
import math
import multiprocessing
import os
import signal
import struct
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from multiprocessing.sharedctypes import SynchronizedArray
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

import pillow_heif
from PIL import (
    AvifImagePlugin,
    BmpImagePlugin,
    GifImagePlugin,
    Image,
    ImageCms,
    ImageFile,
    ImageOps,
    JpegImagePlugin,
    PngImagePlugin,
    TiffImagePlugin,
    WebPImagePlugin,
)

from bot.domain.errors import UserFacingError
from bot.images.identity import Identity, NoIdentity, Unusable, identity_of

if TYPE_CHECKING:
    from bot.images.square import Squared

log = logging.getLogger(__name__)
_T = TypeVar("_T")

ECWID_MAX_BYTES = 20 * 1024 * 1024  # Ecwid's limit
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024  # what the bot downloads to convert
LARGE_PIXELS = 20_000_000  # full decodes above this run one at a time (memory)
# Time limits of the work done in the pool; a worker past its limit is killed (a thread could not
# be stopped). A TIFF's header is read there: its cost grows with the file (pages, tags).
CONVERT_SECONDS = 120.0
IDENTIFY_SECONDS = 30.0
HEADER_SECONDS = 10.0
# TIFF's cost grows with its pages and tags; Pillow's WebP and AVIF readers and pillow-heif read
# the whole file to give the header (up to 100 MB: not in the bot's own memory).
_HEADERS_IN_POOL = frozenset({"TIFF", "WEBP", "AVIF", "HEIF"})
JPEG_QUALITY = 90
_PR_SET_PDEATHSIG = 1  # prctl(2)
CONVERTER_NICENESS = 10  # the pool's workers yield the CPU to the bot's event loop (acks first)
SHRINK_MARGIN = 0.92  # a re-encoded image over 20 MB is scaled by a little more than the ratio
ORIENTATION = 0x0112
GPS_IFD = 0x8825
READY = frozenset({"JPEG", "PNG", "GIF"})  # what Ecwid takes
# The names people know the formats by, for messages and the thread.
FORMAT_NAMES = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "GIF": "GIF",
    "HEIF": "HEIC",
    "AVIF": "AVIF",
    "WEBP": "WebP",
    "TIFF": "TIFF",
    "BMP": "BMP",
}
ACCEPTED = "JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP"

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs", b"mif1"}
_AVIF_BRANDS = {b"avif", b"avis"}


class ConversionError(UserFacingError):
    """The image cannot be made ready for Ecwid; the message says why, in plain words."""


@dataclass(frozen=True)
class ImagePolicy:
    """The store's choices: KEEP_IMAGE_METADATA, IMAGE_MAX_SIDE, IMAGE_MAX_MEGAPIXELS and
    IMAGE_MIN_SIDE."""

    keep_metadata: bool = False
    max_side: int | None = None
    max_megapixels: int = 50
    min_side: int = 800  # IMAGE_MIN_SIDE: smaller images are uploaded with a warning


@dataclass(frozen=True)
class Header:
    """What an image's header says, read without decoding a pixel."""

    format: str
    width: int
    height: int
    orientation: int  # EXIF orientation: 1 is upright
    frames: int
    has_location: bool
    cmyk: bool = False  # print colours (CMYK, YCCK): converted to sRGB, whatever the format

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1_000_000


@dataclass(frozen=True)
class Prepared:
    """An image ready for Ecwid, and what was done to it (for the thread and the report)."""

    data: bytes = field(repr=False)
    format: str  # JPEG, PNG or GIF
    width: int
    height: int
    source_format: str
    bytes_before: int
    turned_upright: bool = False
    location_removed: bool = False
    scaled: bool = False
    colours_converted: bool = False  # from CMYK (print) to sRGB (screens)
    range_scaled: bool = False  # 16-bit, 32-bit or float grey: spread from its own range
    padded_from: tuple[int, int] | None = None  # the square fix: its size before the padding
    whitened: bool = False  # the square fix: its light backdrop made white

    @property
    def converted(self) -> bool:
        return self.format != self.source_format

    @property
    def re_encoded(self) -> bool:
        return (
            self.converted
            or self.scaled
            or self.colours_converted
            or self.bytes_before > ECWID_MAX_BYTES
        )

    @property
    def changed(self) -> bool:
        return (
            self.re_encoded
            or self.turned_upright
            or self.location_removed
            or self.padded_from is not None
        )

    def summary(self) -> str:
        """What was done, in one line of plain text ("" when nothing worth saying): e.g.
        "Converted from HEIC to JPEG · turned upright · location data removed · 5.1 MB → 1.2 MB"."""
        if not self.changed:
            return ""
        parts = []
        if self.converted:
            parts.append(
                f"converted from {format_name(self.source_format)} to {format_name(self.format)}"
            )
        elif self.scaled or self.bytes_before > ECWID_MAX_BYTES:
            parts.append(f"re-encoded as {format_name(self.format)}")
        if self.colours_converted:
            parts.append("colours converted from CMYK (print) to sRGB (screens)")
        if self.range_scaled:
            parts.append("brightness scaled from the image's own range")
        if self.turned_upright:
            parts.append("turned upright")
        if self.location_removed:
            parts.append("location data removed")
        if self.scaled:
            parts.append(f"scaled to {self.width}×{self.height}")
        if self.padded_from is not None:
            width, height = self.padded_from
            parts.append(f"padded from {width}×{height} to {self.width}×{self.height}")
        if self.whitened:
            parts.append("backdrop made white")
        if self.re_encoded:
            parts.append(f"{_megabytes(self.bytes_before)} → {_megabytes(len(self.data))}")
        text = " · ".join(parts)
        return text[:1].upper() + text[1:]


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 100 * 1024 else f"{size / 1024:.0f} KB"


def sniff(data: bytes) -> str | None:
    """The format from the first bytes (at least 16), whatever the name or label says."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "TIFF"
    if data.startswith(b"BM") and len(data) >= 18:
        return "BMP"
    if data[4:8] == b"ftyp":  # ISO base media: the brands say HEIF or AVIF
        size = int.from_bytes(data[:4], "big")
        brands = {data[8:12]} | {data[i : i + 4] for i in range(16, min(size, len(data), 64), 4)}
        if brands & _AVIF_BRANDS:
            return "AVIF"
        if brands & _HEIF_BRANDS:
            return "HEIF"
    return None


def format_name(kind: str) -> str:
    return FORMAT_NAMES.get(kind, kind)


_BY_LABEL = {
    "image/heic": "HEIF",
    "image/heif": "HEIF",
    "image/webp": "WEBP",
    "image/avif": "AVIF",
    "image/tiff": "TIFF",
    "image/bmp": "BMP",
    "heic": "HEIF",
    "heif": "HEIF",
    "webp": "WEBP",
    "avif": "AVIF",
    "tif": "TIFF",
    "tiff": "TIFF",
    "bmp": "BMP",
}


def format_to_convert(name: str, mimetype: str) -> str | None:
    """The format a file will be converted from, as its type or name says (a plan's guess
    before the bytes are read; they decide)."""
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    return _BY_LABEL.get(mimetype.lower()) or _BY_LABEL.get(extension)


# An image to make ready: its bytes, or the file it was spooled to (a download, up to 100 MB, is
# never held whole in the bot's memory; the worker reads it as it decodes).
Source = bytes | Path


@contextlib.contextmanager
def _stream(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with source.open("rb") as file:
            yield file


def _size(source: Source) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


_PARSERS: dict[str, type[ImageFile.ImageFile]] = {
    "JPEG": JpegImagePlugin.JpegImageFile,
    "PNG": PngImagePlugin.PngImageFile,
    "GIF": GifImagePlugin.GifImageFile,
    "WEBP": WebPImagePlugin.WebPImageFile,
    "AVIF": AvifImagePlugin.AvifImageFile,
    "TIFF": TiffImagePlugin.TiffImageFile,
    "BMP": BmpImagePlugin.BmpImageFile,
}


def _open(stream: BinaryIO, kind: str) -> Image.Image:
    """The format's own parser (the bytes chose it), not Image.open(): its decompression-bomb
    guard is Pillow's, not the store's IMAGE_MAX_MEGAPIXELS, which is checked instead."""
    if kind == "HEIF":
        return pillow_heif.HeifImageFile(stream)  # type: ignore[no-untyped-call]
    return _PARSERS[kind](stream)


def read_header(source: Source) -> Header:
    """The format, size and orientation, and whether there is metadata to remove; nothing is
    decoded. A ConversionError when the bytes are no image the bot can use."""
    with _stream(source) as stream:
        return _header(stream)


def _header(stream: BinaryIO) -> Header:
    kind = sniff(stream.read(64))
    stream.seek(0)
    if kind is None:
        raise ConversionError(f"The file is not an image the bot can use ({ACCEPTED}).")
    try:
        image = _open(stream, kind)
    except Exception as exc:
        raise ConversionError(
            f"The {format_name(kind)} image is cut short or damaged: it could not be read."
        ) from exc
    with image:
        exif = _exif(image)
        xmp = image.info.get("xmp") or b""
        xmp_text = xmp if isinstance(xmp, bytes) else str(xmp).encode()
        has_location = bool(exif.get_ifd(GPS_IFD)) or b"GPSLatitude" in xmp_text
        width, height = image.size
        # libheif turns a HEIF upright as it decodes; pillow-heif keeps what the EXIF said.
        orientation = image.info.get("original_orientation") or exif.get(ORIENTATION) or 1
        return Header(
            format=kind,
            width=width,
            height=height,
            orientation=int(orientation),
            # Two at most: `n_frames` walks every page of a TIFF (64,000 tiny pages: 26 s of
            # CPU); `is_animated` reads only the next page's offset.
            frames=2 if getattr(image, "is_animated", False) else 1,
            has_location=has_location,
            cmyk=image.mode == "CMYK",
        )


def _exif(image: Image.Image) -> Image.Exif:
    """The EXIF the header holds. Not PNG's `getexif()`: it decodes the whole image to look for
    an eXIf chunk after the pixels (a 48-megapixel PNG: 184 MB, in the bot's own process)."""
    if not isinstance(image, PngImagePlugin.PngImageFile):
        return image.getexif()
    exif = Image.Exif()
    raw = image.info.get("exif")
    if isinstance(raw, bytes):
        exif.load(raw)
    return exif


def check_header(header: Header, policy: ImagePolicy, size: int) -> None:
    """Refuse what cannot be made ready, before any pixel is decoded."""
    name = format_name(header.format)
    if header.width <= 0 or header.height <= 0:
        raise ConversionError(f"The {name} image says it has no pixels.")
    if header.megapixels > policy.max_megapixels:
        raise ConversionError(
            f"The image is {header.megapixels:,.0f} megapixels; the bot converts up to "
            f"{policy.max_megapixels}."
        )
    if header.frames > 1 and header.format == "TIFF":
        raise ConversionError(
            "The TIFF has several pages; Ecwid shows one picture: send the page you want as "
            "a JPG or PNG."
        )
    if header.frames > 1 and header.format != "GIF":
        raise ConversionError(
            f"The image is an animated {name}; Ecwid shows only still images (or GIF): "
            "send one frame as JPG or PNG, or the animation as a GIF."
        )
    if header.format == "GIF" and size > ECWID_MAX_BYTES:
        raise ConversionError(
            f"The GIF is {size / 1024 / 1024:.1f} MB; Ecwid takes at most 20 MB, and an "
            "animation cannot be made smaller without changing it."
        )


def needs_pixels(header: Header, policy: ImagePolicy, size: int) -> bool:
    """Whether the image must be decoded (converted, turned, scaled); else only its metadata is
    removed from the bytes."""
    too_long = policy.max_side is not None and max(header.width, header.height) > policy.max_side
    return (
        header.format not in READY
        or header.orientation != 1
        or header.cmyk
        or size > ECWID_MAX_BYTES
        or too_long
    )


# ---- without decoding: metadata out of the bytes ------------------------------------------

# JPEG segments kept: JFIF/JFXX (APP0), the ICC profile (APP2 "ICC_PROFILE"), Adobe's colour
# transform (APP14); everything else before the image data goes (EXIF and XMP in APP1, IPTC in
# APP13, comments). Trailing data after the end of the image (a phone's second pictures, with
# their own EXIF) goes too.
_ICC = b"ICC_PROFILE\x00"
# PNG chunks kept: the image and how to show its colours; text (EXIF, XMP, comments) and time go.
_PNG_KEPT = {
    b"IHDR", b"PLTE", b"IDAT", b"IEND", b"tRNS", b"iCCP", b"sRGB", b"gAMA", b"cHRM",
    b"sBIT", b"pHYs", b"bKGD", b"acTL", b"fcTL", b"fdAT",
}  # fmt: skip


def strip_jpeg(data: bytes) -> bytes:
    """The JPEG without its metadata segments, its pixels untouched."""
    out = [data[:2]]
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise ConversionError("The JPEG image is cut short or damaged.")
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker == 0xD9:  # end of image: nothing after it is kept
            out.append(data[i : i + 2])
            return b"".join(out)
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # no length
            out.append(data[i : i + 2])
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        end = i + 2 + length
        segment = data[i:end]
        keep = (
            marker == 0xE0
            or marker == 0xEE
            or (marker == 0xE2 and segment[4:16] == _ICC)
            or not (0xE0 <= marker <= 0xEF or marker == 0xFE)
        )
        if keep:
            out.append(segment)
        i = end
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            j = i
            while True:
                j = data.find(b"\xff", j)
                if j < 0 or j + 1 >= len(data):
                    out.append(data[i:])
                    return b"".join(out)
                following = data[j + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    j += 2
                    continue
                out.append(data[i:j])
                i = j
                break
    out.append(data[i:])
    return b"".join(out)


def strip_png(data: bytes) -> bytes:
    """The PNG without its text, EXIF and time chunks, its pixels untouched."""
    out = [data[:8]]
    i = 8
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if kind in _PNG_KEPT:
            out.append(data[i:end])
        i = end
        if kind == b"IEND":
            break
    return b"".join(out)


def strip_metadata(data: bytes, kind: str) -> bytes:
    if kind == "JPEG":
        return strip_jpeg(data)
    if kind == "PNG":
        return strip_png(data)
    return data  # GIF: no EXIF; it goes as it is


# ---- with decoding: in the process pool ---------------------------------------------------


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        return True
    return image.mode == "P" and "transparency" in image.info


def _to_output_mode(image: Image.Image, alpha: bool) -> Image.Image:
    """RGB or RGBA; a CMYK image is converted through its own profile to sRGB."""
    if image.mode == "CMYK":
        profile = image.info.get("icc_profile")
        if profile:
            try:
                source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
                converted = ImageCms.profileToProfile(
                    image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
                )
                if converted is not None:
                    converted.info.pop("icc_profile", None)
                    return converted
            except ImageCms.PyCMSError:
                log.info("a CMYK image's profile could not be applied; converted plainly")
        converted = image.convert("RGB")
        converted.info.pop("icc_profile", None)
        return converted
    mode = "RGBA" if alpha else "RGB"
    if image.mode == mode:
        return image
    if image.mode in ("I;16", "I;16B", "I;16L"):  # 16-bit grey: its range is the format's
        image = image.point(lambda v: v / 256).convert("L")
    elif image.mode in WIDE_GREY:
        image = _spread(image)
    converted = image.convert(mode)
    if "icc_profile" in image.info:
        converted.info["icc_profile"] = image.info["icc_profile"]
    return converted


# Grey in 32-bit integers or floats: no range is implied (a float scan may run 0..1, a camera's
# counts 0..4000), so the values are spread from their own lowest to their highest.
WIDE_GREY = frozenset({"I", "F"})
RANGE_SAMPLE_PIXELS = 1_000_000  # NaN or infinity in the values: the range read from a sample


def _spread(image: Image.Image) -> Image.Image:
    """8-bit grey from 32-bit integer or float grey, its lowest value black and its highest
    white (NaN shows black, infinities black or white)."""
    low, high = _finite_range(image)
    if high <= low:  # one value throughout: black for nothing, white for anything brighter
        return Image.new("L", image.size, 0 if high <= 0 else 255)
    scale = 255 / (high - low)
    offset = -low * scale
    return image.point(lambda v: v * scale + offset).convert("L")  # clipped to 0..255


def _finite_range(image: Image.Image) -> tuple[float, float]:
    extrema = image.getextrema()
    assert isinstance(extrema[0], int | float) and isinstance(extrema[1], int | float)
    low, high = float(extrema[0]), float(extrema[1])
    if math.isfinite(low) and math.isfinite(high):
        return low, high
    # A float image with NaN or infinite values: the finite ones, from at most a megapixel.
    step = max(1, math.ceil(math.sqrt(image.width * image.height / RANGE_SAMPLE_PIXELS)))
    sample = image.resize(
        (max(1, image.width // step), max(1, image.height // step)), Image.Resampling.NEAREST
    )
    values = [v for v in sample.get_flattened_data() if isinstance(v, int | float)]
    finite = [float(v) for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else (0.0, 0.0)


def _encode(image: Image.Image, fmt: str, icc: bytes | None, exif: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {}
    if icc:
        options["icc_profile"] = icc
    if exif:
        options["exif"] = exif
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=JPEG_QUALITY, **options)
    else:
        image.save(out, "PNG", compress_level=6, **options)
    return out.getvalue()


def encode_within_limit(
    image: Image.Image, fmt: str, icc: bytes | None, exif: bytes | None
) -> tuple[Image.Image, bytes]:
    """The image encoded, scaled down only as far as it must be to fit in Ecwid's 20 MB (and
    the image as encoded); a ConversionError when it cannot be."""
    encoded = _encode(image, fmt, icc, exif)
    for _ in range(6):
        if len(encoded) <= ECWID_MAX_BYTES:
            return image, encoded
        image = _resize(image, math.sqrt(ECWID_MAX_BYTES / len(encoded)) * SHRINK_MARGIN)
        encoded = _encode(image, fmt, icc, exif)
    raise ConversionError("The image could not be made smaller than Ecwid's 20 MB.")


def convert(source: Source, policy: ImagePolicy) -> Prepared:
    """Decode, turn upright, clean and encode for Ecwid (in a worker process)."""
    with _stream(source) as stream:
        return _convert(stream, _size(source), policy)


def _convert(stream: BinaryIO, size: int, policy: ImagePolicy) -> Prepared:
    header = _header(stream)
    check_header(header, policy, size)
    # The worker is the bot's own: Pillow's guard follows the store's limit, checked above.
    Image.MAX_IMAGE_PIXELS = policy.max_megapixels * 1_000_000
    stream.seek(0)
    image = _open(stream, header.format)
    long_side = max(header.width, header.height)
    target = min(long_side, policy.max_side or long_side)
    if header.format == "JPEG" and target < long_side:
        # Decoded at a reduced size (1/2, 1/4, 1/8) when the result is smaller anyway.
        scale = target / long_side
        image.draft("RGB", (math.ceil(header.width * scale), math.ceil(header.height * scale)))
    image.load()
    _count_decode(image, header)
    exif = image.getexif()
    icc = image.info.get("icc_profile")
    cmyk = image.mode == "CMYK"
    spread = image.mode in WIDE_GREY
    if header.orientation != 1:  # the original is let go at once: a 48-MP photo is 184 MB
        image = ImageOps.exif_transpose(image)
    alpha = _has_alpha(image)
    ready = _to_output_mode(image, alpha)
    del image
    if cmyk:  # converted through its profile to sRGB: the profile no longer applies
        icc = ready.info.get("icc_profile")
    fmt = "PNG" if alpha else "JPEG"
    kept_exif: bytes | None = None
    if policy.keep_metadata and exif:
        exif[ORIENTATION] = 1
        kept_exif = exif.tobytes()
    if max(ready.size) > target:
        ready = _resize(ready, target / max(ready.size))
    ready, encoded = encode_within_limit(ready, fmt, icc, kept_exif)
    return Prepared(
        data=encoded,
        format=fmt,
        width=ready.width,
        height=ready.height,
        source_format=header.format,
        bytes_before=size,
        turned_upright=header.orientation != 1,
        location_removed=header.has_location and not policy.keep_metadata,
        scaled=max(ready.size) < long_side,  # by the draft, the cap or to fit in 20 MB
        colours_converted=cmyk,
        range_scaled=spread,
    )


def identify(source: Source, max_megapixels: int) -> Identity:
    """The image's identity (bot.images.identity), in a worker process: the header is checked
    against the pixel limit before one reduced decode."""
    try:
        with _stream(source) as stream:
            header = _header(stream)
            if header.megapixels > max_megapixels:
                raise NoIdentity(
                    f"{header.width}×{header.height} px is over {max_megapixels} megapixels"
                )
            Image.MAX_IMAGE_PIXELS = max_megapixels * 1_000_000
            stream.seek(0)
            image = _open(stream, header.format)
            # libheif turns a HEIF upright as it decodes (its size is the upright one already).
            turn = 1 if header.format == "HEIF" else header.orientation
            identity = identity_of(image, header.width, header.height, turn)
            _count_decode(image, header)  # its size is what was decoded (it stays once closed)
            return identity
    except ConversionError as exc:
        raise NoIdentity(exc.message) from exc
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        if isinstance(exc, NoIdentity):
            raise
        raise NoIdentity(f"the image could not be decoded ({type(exc).__name__})") from exc


def _resize(image: Image.Image, factor: float) -> Image.Image:
    size = (max(1, round(image.width * factor)), max(1, round(image.height * factor)))
    return image.resize(size, Image.Resampling.LANCZOS)


def clean(data: bytes, header: Header, policy: ImagePolicy) -> Prepared:
    """An upright JPG, PNG or GIF small enough for Ecwid: only its metadata removed."""
    kept = data if policy.keep_metadata else strip_metadata(data, header.format)
    return Prepared(
        data=kept,
        format=header.format,
        width=header.width,
        height=header.height,
        source_format=header.format,
        bytes_before=len(data),
        location_removed=header.has_location and not policy.keep_metadata,
    )


# What the pool's workers decoded: [at full size, reduced (a JPEG's draft)], shared with the bot
# (ImagePreparer.decodes). None outside a worker of the bot's pool (a test calling convert()).
_decodes: SynchronizedArray[int] | None = None
FULL, REDUCED = 0, 1


def _count_decode(image: Image.Image, header: Header) -> None:
    """One decode counted, at full size when its pixels are the header's size (a draft decodes a
    JPEG at 1/2, 1/4 or 1/8 of it)."""
    if _decodes is None:
        return
    at = FULL if image.size == (header.width, header.height) else REDUCED
    with _decodes.get_lock():
        _decodes[at] += 1


def _start_worker(parent: int, decodes: SynchronizedArray[int] | None = None) -> None:
    """In each worker: it ends with the bot (Linux: a parent-death signal), or a bot killed
    with `kill -9` leaves its workers running, holding its output open; and it yields the CPU
    to the process answering Slack (conversions are background work). `decodes`: where it counts
    what it decodes."""
    global _decodes
    _decodes = decodes
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the bot died before the signal was asked for
            os._exit(1)
    if hasattr(os, "nice"):
        os.nice(CONVERTER_NICENESS)
    # libheif decodes with 4 threads by default: the pool would take every core, the one left
    # for the bot too (acks slowed 2.8 times while four HEICs converted, benchmarks/convert.py).
    pillow_heif.options.DECODE_THREADS = 1


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) - 1)


def start_pool(workers: int, decodes: SynchronizedArray[int] | None = None) -> ProcessPoolExecutor:
    """The conversion pool of this process; its workers start with its first tasks (`decodes`:
    where they count what they decode)."""
    # spawn: a fork would copy the loop, its threads and their locks into the worker.
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(os.getpid(), decodes),
    )


class ImagePreparer:
    """Makes images ready for Ecwid and tells what they show: metadata out in a thread, pixels in
    a process pool of at most `cores − 1` workers (at least one), a large image (over 20
    megapixels, decoded whole) at a time, each task under a time limit."""

    def __init__(
        self,
        policy: ImagePolicy,
        *,
        workers: int | None = None,
        convert_seconds: float = CONVERT_SECONDS,
        identify_seconds: float = IDENTIFY_SECONDS,
        header_seconds: float = HEADER_SECONDS,
        pool: ProcessPoolExecutor | None = None,
    ) -> None:
        """`pool`: a running pool to use instead of starting one, that outlives this preparer
        (the tests' bots share one: a pool's start costs about 0.5 s of CPU). It is never shut
        down here, unless a task runs past its limit (its workers are killed); after that, or
        once it broke, this preparer starts a pool of its own."""
        self.policy = policy
        self._workers = workers or default_workers()
        self._given = pool
        self._pool: ProcessPoolExecutor | None = pool
        self._large = asyncio.Semaphore(1)
        # A task's time limit counts from when a worker takes it, not while it waits its turn
        # (an identity queued behind a long conversion is not slow itself).
        self._running = asyncio.Semaphore(self._workers)
        self._seconds = (convert_seconds, identify_seconds, header_seconds)
        self._decodes: SynchronizedArray[int] | None = None  # with the first pool

    @property
    def decodes(self) -> tuple[int, int]:
        """How many images the pool's workers decoded since the bot started: at full size, and
        reduced (a JPEG's draft, for its identity or a smaller copy)."""
        if self._decodes is None:
            return 0, 0
        with self._decodes.get_lock():
            return self._decodes[FULL], self._decodes[REDUCED]

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            if self._decodes is None:  # kept across pools: a count since the bot started
                self._decodes = multiprocessing.get_context("spawn").Array(ctypes.c_uint64, 2)
            self._pool = start_pool(self._workers, self._decodes)
        return self._pool

    async def header(self, source: Source) -> Header:
        """The header (ConversionError when it is no usable image): read in a thread, or in the
        pool under a time limit for the formats whose header can cost more as the file grows."""
        with _stream(source) as stream:
            kind = sniff(stream.read(64))
        if kind in _HEADERS_IN_POOL:
            return await self._in_pool(read_header, source, seconds=self._seconds[2])
        return await asyncio.to_thread(read_header, source)

    async def prepare(self, source: Source) -> Prepared:
        """The image (its bytes, or the file it was spooled to) made ready, or a
        ConversionError that says why it cannot be."""
        header = await self.header(source)
        size = _size(source)
        check_header(header, self.policy, size)
        if not needs_pixels(header, self.policy, size):  # at most 20 MB: read whole
            data = (
                source if isinstance(source, bytes) else await asyncio.to_thread(source.read_bytes)
            )
            return await asyncio.to_thread(clean, data, header, self.policy)
        async with self._one_at_a_time(header):
            return await self._convert(source)

    async def identify(self, source: Source) -> Identity:
        """What the image shows (bot.images.identity); NoIdentity when that cannot be had: not
        an image, over IMAGE_MAX_MEGAPIXELS (checked from the header, before any decode), or
        too slow to decode."""
        try:
            header = await self.header(source)
            check_header(header, self.policy, _size(source))
        except ConversionError as exc:
            raise Unusable(exc.message) from exc
        try:
            async with self._one_at_a_time(header):
                return await self._in_pool(
                    identify, source, self.policy.max_megapixels, seconds=self._seconds[1]
                )
        except ConversionError as exc:
            raise NoIdentity(exc.message) from exc

    async def square(self, data: bytes, white: bool) -> Squared | None:
        """The image padded to a square (bot.images.square), in the pool under the conversion's
        time limit; None when it is square already."""
        from bot.images.square import check_canvas, square  # it builds on this module's decoding

        header = await self.header(data)
        check_header(header, self.policy, len(data))
        check_canvas(header.width, header.height, self.policy)
        side = max(header.width, header.height)
        async with self._one_at_a_time(replace(header, width=side, height=side)):
            try:
                return await self._in_pool(
                    square, data, white, self.policy, seconds=self._seconds[0]
                )
            except ConversionError:
                raise
            except Exception as exc:
                log.warning("an image could not be padded: %s", type(exc).__name__)
                raise ConversionError(
                    "The image could not be padded: it may be damaged, or use a variant of its "
                    "format the bot cannot read."
                ) from exc

    def _one_at_a_time(self, header: Header) -> contextlib.AbstractAsyncContextManager[object]:
        """Large images are decoded whole one at a time (a JPEG's reduced decode is small, but
        its conversion is not)."""
        if header.width * header.height > LARGE_PIXELS:
            return self._large
        return contextlib.nullcontext()

    async def _in_pool(self, work: Callable[..., _T], *args: object, seconds: float) -> _T:
        async with self._running:
            return await self._run_in(work, args, seconds)

    async def _run_in(
        self, work: Callable[..., _T], args: tuple[object, ...], seconds: float
    ) -> _T:
        loop = asyncio.get_running_loop()
        pool = self._executor()  # taken once a worker is free: a stopped pool is not reused
        try:
            return await asyncio.wait_for(loop.run_in_executor(pool, work, *args), seconds)
        except TimeoutError as exc:
            log.warning("an image task ran past %.0f s: its worker is stopped", seconds)
            self._stop(pool)
            raise ConversionError(
                "The image took too long to read; the bot stopped trying. Send it as a JPG or "
                "PNG, or a smaller file."
            ) from exc
        except BrokenProcessPool as exc:  # a worker died (out of memory…): a new pool next time
            log.error("the image converter stopped: %s", exc)
            self._forget(pool)
            raise ConversionError(
                "The image could not be converted: the converter stopped. Try again, or send "
                "a smaller photo."
            ) from exc

    def _stop(self, pool: ProcessPoolExecutor) -> None:
        """Kill the pool's workers (the only way to stop a decode in progress); the next task
        starts a new pool."""
        # ProcessPoolExecutor offers no way to stop one task; its worker processes are killed.
        for process in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self._forget(pool)

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        """A stopped or broken pool is not used again: the next task starts a new one."""
        if self._pool is pool:
            self._pool = None
        if self._given is pool:
            self._given = None

    async def _convert(self, source: Source) -> Prepared:
        try:
            return await self._in_pool(convert, source, self.policy, seconds=self._seconds[0])
        except ConversionError:
            raise
        except Exception as exc:
            log.warning("an image could not be converted: %s", type(exc).__name__)
            raise ConversionError(
                "The image could not be converted: it may be damaged, or use a variant of its "
                "format the bot cannot read."
            ) from exc

    def close(self, *, wait: bool = False) -> None:
        if self._decodes is not None:  # the pool was started: what it decoded (benchmarks/burst.py)
            full, reduced = self.decodes
            log.info("images decoded in the pool: %d at full size, %d reduced", full, reduced)
        if self._pool is not None and self._pool is not self._given:  # a given pool lives on
            self._pool.shutdown(wait=wait, cancel_futures=True)
        self._pool = None
