"""The audit's square fix (#37): an image padded to a square canvas, never cropped and never
enlarged past its long side, in a worker of the conversion pool (`ImagePreparer.square`).

The padding takes the colour of the image's border when the border is nearly uniform (a studio
backdrop, a transparent PNG's nothing), and white otherwise. The optional white background
turns a light studio sweep white: a flood fill from each light corner, within a tolerance of
that corner's colour, so that the product and its darker contact shadow stay. The fill is found
on a copy of at most FILL_SIDE pixels (Pillow's flood fill walks pixels in Python), then
applied to the full image through a mask drawn in a little from the product's edge.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

from bot.domain.audit import SHAPE_TOLERANCE
from bot.images.convert import (
    ConversionError,
    ImagePolicy,
    Prepared,
    _count_decode,
    _has_alpha,
    _header,
    _open,
    _resize,
    _to_output_mode,
    check_header,
    encode_within_limit,
)

BORDER_TOLERANCE = 36  # a border pixel this far (summed over channels) from the median is off
UNIFORM_SHARE = 0.95  # at least this share of the border near its median: "nearly uniform"
FILL_TOLERANCE = 60  # the flood fill's reach from a corner's colour (summed over channels)
LIGHT = 200  # a corner whose every channel is at least this is a light sweep, turned white
FILL_SIDE = 480  # the copy the fill is found on
WHITE = (255, 255, 255)


@dataclass(frozen=True)
class Squared:
    """The padded image, and what it was padded with (for the report)."""

    prepared: Prepared
    background: tuple[int, ...]
    whitened: bool  # the white background was applied to some of it


def is_square(width: int, height: int) -> bool:
    """As the audit's card counts it: sides within SHAPE_TOLERANCE of each other."""
    return abs(width / height - 1) <= SHAPE_TOLERANCE


def check_canvas(width: int, height: int, policy: ImagePolicy) -> None:
    """The padded canvas is held to the store's pixel limit too, before anything is decoded
    (a 10000×5000 image, within 50 megapixels, pads to 100)."""
    side = max(width, height)
    if side * side > policy.max_megapixels * 1_000_000:
        raise ConversionError(
            f"Padded to a square, the image would be {side}×{side} px, over the "
            f"{policy.max_megapixels} megapixels the bot decodes (IMAGE_MAX_MEGAPIXELS)."
        )


def square(data: bytes, white: bool, policy: ImagePolicy) -> Squared | None:
    """`data` padded to a square (and its light backdrop made white, when `white`); None when
    it is square already (left as it is: the white background goes with the padding). ConversionError when it is no
    image the bot can use, or over the store's pixel limit (checked before decoding)."""
    stream = io.BytesIO(data)
    header = _header(stream)
    check_header(header, policy, len(data))
    check_canvas(header.width, header.height, policy)
    if header.frames > 1:
        raise ConversionError("An animated image is not padded: it would lose its animation.")
    Image.MAX_IMAGE_PIXELS = policy.max_megapixels * 1_000_000
    stream.seek(0)
    image = _open(stream, header.format)
    image.load()
    _count_decode(image, header)
    icc = image.info.get("icc_profile")
    cmyk = image.mode == "CMYK"
    if header.orientation != 1 and header.format != "HEIF":
        image = ImageOps.exif_transpose(image)
    alpha = _has_alpha(image)
    ready = _to_output_mode(image, alpha)
    del image
    if cmyk:  # converted through its profile to sRGB: the CMYK profile no longer applies
        icc = ready.info.get("icc_profile")
    width, height = ready.size
    if is_square(width, height):
        return None
    whitened = False
    if white:
        ready, whitened = _whiten(ready)
    background = _border_colour(ready)
    side = max(width, height)
    canvas = Image.new(ready.mode, (side, side), background)
    canvas.paste(ready, ((side - width) // 2, (side - height) // 2))
    fmt = "PNG" if alpha else "JPEG"
    profile = icc if isinstance(icc, bytes) else None
    if policy.max_side and side > policy.max_side:  # IMAGE_MAX_SIDE, as every upload
        canvas = _resize(canvas, policy.max_side / side)
    canvas, encoded = encode_within_limit(canvas, fmt, profile, None)
    prepared = Prepared(
        data=encoded,
        format=fmt,
        width=canvas.width,
        height=canvas.height,
        source_format=header.format,
        bytes_before=len(data),
        turned_upright=header.orientation != 1,
        scaled=canvas.width < side,
        colours_converted=cmyk,
        padded_from=(width, height),
        whitened=whitened,
    )
    return Squared(prepared, background, whitened)


def _small(image: Image.Image) -> Image.Image:
    small = image.copy()
    small.thumbnail((FILL_SIDE, FILL_SIDE), Image.Resampling.BOX)
    return small


def _border_colour(image: Image.Image) -> tuple[int, ...]:
    """The median colour of the image's outermost pixels when nearly all are close to it;
    white (opaque) otherwise."""
    small = _small(image)
    w, h = small.size
    pixels = small.load()
    assert pixels is not None
    border: list[tuple[int, ...]] = []
    for x in range(w):
        border += [_channels(pixels[x, 0]), _channels(pixels[x, h - 1])]
    for y in range(1, h - 1):
        border += [_channels(pixels[0, y]), _channels(pixels[w - 1, y])]
    median = tuple(sorted(p[c] for p in border)[len(border) // 2] for c in range(len(border[0])))
    near = sum(
        sum(abs(a - b) for a, b in zip(p, median, strict=True)) <= BORDER_TOLERANCE for p in border
    )
    if near >= UNIFORM_SHARE * len(border):
        return median
    return (*WHITE, 255) if image.mode == "RGBA" else WHITE


def _channels(value: object) -> tuple[int, ...]:
    if isinstance(value, tuple):
        return tuple(int(v) for v in value)
    return (int(value),) if isinstance(value, int | float) else (0,)


def _whiten(image: Image.Image) -> tuple[Image.Image, bool]:
    """The light backdrop connected to a corner made white; the product, its shadow and any
    dark backdrop stay. Whether anything was."""
    rgb = image.convert("RGB") if image.mode != "RGB" else image
    small = _small(rgb)
    filled = small.copy()
    w, h = small.size
    for corner in ((0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)):
        seed = _channels(small.getpixel(corner))
        if min(seed) >= LIGHT:
            ImageDraw.floodfill(filled, corner, WHITE, thresh=FILL_TOLERANCE)
    if ImageChops.difference(small, filled).getbbox() is None:
        return image, False
    # The filled region (and white that was white already: painting it white changes nothing),
    # drawn in by a pixel of the copy, so that the product's own edge pixels stay its own.
    r, g, b = (band.point(lambda v: 255 if v == 255 else 0) for band in filled.split())
    region = ImageChops.multiply(ImageChops.multiply(r, g), b)
    mask = region.filter(ImageFilter.MinFilter(3)).resize(image.size, Image.Resampling.BILINEAR)
    white = Image.new(image.mode, image.size, (*WHITE, 255) if image.mode == "RGBA" else WHITE)
    return Image.composite(white, image, mask), True
