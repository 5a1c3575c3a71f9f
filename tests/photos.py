"""Real image files as phones, cameras, scanners and the web make them (Pillow and pillow-heif
write them), and checks of what reached Ecwid: the pixels, not only the size."""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import struct
from pathlib import Path

import pillow_heif
from PIL import Image

ORIENTATION = 0x0112
GPS_IFD = 0x8825
TOP = (0, 0, 255)  # the upright picture: blue above, red below
BOTTOM = (255, 0, 0)


def upright(width: int, height: int) -> Image.Image:
    """A picture whose top half is blue and bottom half red: upright is checkable by pixels."""
    image = Image.new("RGB", (width, height), BOTTOM)
    image.paste(TOP, (0, 0, width, height // 2))
    return image


def located_exif(orientation: int = 1) -> Image.Exif:
    """EXIF as a phone writes it: a camera, an orientation, and where the photo was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhonyPhone"
    exif[ORIENTATION] = orientation
    exif[GPS_IFD] = {1: "N", 2: (52.0, 22.0, 7.5), 3: "E", 4: (4.0, 53.0, 40.0)}
    return exif


def sideways_jpeg(width: int = 600, height: int = 400) -> bytes:
    """A phone JPEG stored on its side, with EXIF orientation 6 (turn 90° clockwise to show it)
    and a GPS position; shown upright it is `width`×`height`."""
    stored = upright(width, height).rotate(90, expand=True)  # counter-clockwise: 6 undoes it
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=92, exif=located_exif(6).tobytes())
    return out.getvalue()


def located_jpeg(width: int = 600, height: int = 400) -> bytes:
    """An upright phone JPEG with a GPS position and a comment."""
    out = io.BytesIO()
    upright(width, height).save(
        out, "JPEG", quality=92, exif=located_exif(1).tobytes(), comment=b"holiday"
    )
    return out.getvalue()


def heic_photo(width: int = 640, height: int = 480) -> bytes:
    """A HEIC as an iPhone makes it: with EXIF and a GPS position."""
    out = io.BytesIO()
    pillow_heif.from_pillow(upright(width, height)).save(
        out, quality=80, exif=located_exif(1).tobytes()
    )
    return out.getvalue()


def webp_photo(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    upright(width, height).save(out, "WEBP", quality=80)
    return out.getvalue()


def webp_with_alpha(width: int = 300, height: int = 300) -> bytes:
    """A lossless WebP whose left half is transparent."""
    image = upright(width, height).convert("RGBA")
    image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True)
    return out.getvalue()


def animated_webp() -> bytes:
    frames = [upright(64, 64), upright(64, 64).rotate(180)]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], duration=100)
    return out.getvalue()


def avif_photo(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    upright(width, height).save(out, "AVIF", quality=70)
    return out.getvalue()


def tiff_scan(width: int = 800, height: int = 600) -> bytes:
    out = io.BytesIO()
    upright(width, height).save(out, "TIFF", compression="tiff_lzw")
    return out.getvalue()


def cmyk_jpeg(width: int = 600, height: int = 400) -> bytes:
    """A print shop's JPEG: CMYK, no colour profile, stored inverted as Adobe writes it (Pillow
    writes the Adobe APP14 marker, as Photoshop does)."""
    out = io.BytesIO()
    upright(width, height).convert("CMYK").save(out, "JPEG", quality=92)
    data = out.getvalue()
    assert b"Adobe" in data and b"ICC_PROFILE" not in data
    return data


def grey_tiff(mode: str, bright: float, dark: float, width: int = 400, height: int = 300) -> bytes:
    """A scientific or scanner TIFF in 32-bit float ("F"), 32-bit integer ("I") or 16-bit
    ("I;16") grey: the top half `bright`, the bottom half `dark`."""
    if mode == "I;16":  # Pillow fills 16-bit grey wrongly: the values are written as they are
        top, bottom = (int(v).to_bytes(2, "little") for v in (bright, dark))
        rows = top * width * (height // 2) + bottom * width * (height - height // 2)
        image = Image.frombytes("I;16", (width, height), rows)
    else:
        image = Image.new(mode, (width, height), dark)
        image.paste(bright, (0, 0, width, height // 2))
    out = io.BytesIO()
    image.save(out, "TIFF")
    return out.getvalue()


def is_bright_above_dark(image: Image.Image) -> bool:
    """White on top and black at the bottom, as `grey_tiff` drew it (JPEG's values are near)."""
    grey = image.convert("L")
    width, height = grey.size
    top = grey.getpixel((width // 2, height // 8))
    bottom = grey.getpixel((width // 2, height * 7 // 8))
    assert isinstance(top, int) and isinstance(bottom, int)
    return top > 215 and bottom < 40


def png_over_20_mb() -> bytes:
    """A camera PNG past Ecwid's 20 MB: noise does not compress (2,900 × 2,900 × 3 bytes)."""
    side = 2900
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    data = out.getvalue()
    assert len(data) > 20 * 1024 * 1024
    return data


@functools.cache
def tiff_bomb() -> bytes:
    """A few kilobytes that open to 300 megapixels (a blank fax-coded TIFF)."""
    out = io.BytesIO()
    Image.new("1", (20000, 15000), 1).save(out, "TIFF", compression="group4")
    return out.getvalue()


def shown(data: bytes) -> Image.Image:
    """What a browser would show of the bytes Ecwid got (EXIF orientation applied)."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def is_upright(image: Image.Image) -> bool:
    """Blue on top and red at the bottom, as `upright` drew it (JPEG's colours are near)."""
    rgb = image.convert("RGB")
    width, height = rgb.size

    def near(pixel: object, colour: tuple[int, int, int]) -> bool:
        assert isinstance(pixel, tuple)
        return all(abs(int(a) - b) < 40 for a, b in zip(pixel[:3], colour, strict=True))

    return near(rgb.getpixel((width // 2, height // 8)), TOP) and near(
        rgb.getpixel((width // 2, height * 7 // 8)), BOTTOM
    )


def has_location(data: bytes) -> bool:
    """Whether the bytes still say where the photo was taken (EXIF GPS or XMP)."""
    image = Image.open(io.BytesIO(data))
    exif = image.getexif()
    return bool(exif.get_ifd(GPS_IFD)) or b"GPS" in bytes(image.info.get("xmp") or b"")


# ---- identity: real photos and their near-misses ------------------------------------------------

# Real photographs that scikit-image ships inside its wheel (public domain or CC0; see its
# skimage/data/README.txt); read as files, scikit-image itself is never imported.
REAL_PHOTOS = (
    "astronaut.png",
    "camera.png",
    "chelsea.png",
    "coffee.png",
    "brick.png",
    "grass.png",
    "gravel.png",
    "moon.png",
    "coins.png",
    "motorcycle_left.png",
    "motorcycle_right.png",
    "hubble_deep_field.jpg",
    "retina.jpg",
    "rocket.jpg",
)


def real_photo(name: str) -> Image.Image:
    spec = importlib.util.find_spec("skimage")
    assert spec is not None and spec.submodule_search_locations, "scikit-image is a dev dependency"
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    with Image.open(folder / name) as image:
        image.load()
        return image


def encoded(image: Image.Image, kind: str = "JPEG", **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 92} if kind == "JPEG" else {}) | options)
    return out.getvalue()


def flat(colour: tuple[int, int, int], size: tuple[int, int], kind: str = "PNG") -> bytes:
    """One colour all over: a gradient hash sees nothing in it."""
    return encoded(Image.new("RGB", size, colour), kind)


def recoloured(image: Image.Image) -> Image.Image:
    """The same shot in another colour (red and blue swapped), as a product's colour variant."""
    red, green, blue = image.convert("RGB").split()
    return Image.merge("RGB", (blue, green, red))


def tiff_of_many_pages(pages: int = 64_000) -> bytes:
    """A TIFF of `pages` 8×8 grey pages sharing one strip of pixels (written by hand: Pillow's
    own writer takes minutes for this many): a few megabytes whose every page a reader that
    counts them must visit."""
    pixels = bytes(range(64))
    entries = 8
    ifd_size = 2 + entries * 12 + 4
    first_ifd = 8 + len(pixels)
    out = bytearray(b"II*\x00" + struct.pack("<I", first_ifd) + pixels)
    for page in range(pages):
        at = first_ifd + page * ifd_size
        following = at + ifd_size if page + 1 < pages else 0
        tags = [
            (256, 3, 1, 8),  # ImageWidth
            (257, 3, 1, 8),  # ImageLength
            (258, 3, 1, 8),  # BitsPerSample
            (259, 3, 1, 1),  # Compression: none
            (262, 3, 1, 1),  # PhotometricInterpretation: black is zero
            (273, 4, 1, 8),  # StripOffsets: the shared pixels
            (278, 3, 1, 8),  # RowsPerStrip
            (279, 4, 1, 64),  # StripByteCounts
        ]
        out += struct.pack("<H", entries)
        for tag, kind, count, value in tags:
            out += struct.pack("<HHII", tag, kind, count, value)
        out += struct.pack("<I", following)
    return bytes(out)


PRODUCT = (150, 20, 30)  # a dark red product
SHADOW = (120, 118, 116)  # its contact shadow on the sweep


def studio_shot(width: int = 600, height: int = 400, sweep: int = 236) -> Image.Image:
    """A product on a light studio sweep (a gradient from `sweep` at the top to `sweep` + 12 at
    the bottom, with a little noise), with its contact shadow under it: what the white
    background is for."""
    from PIL import ImageDraw

    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        level = sweep + 12 * y // max(1, height - 1) + (y % 3) - 1
        draw.line([(0, y), (width, y)], fill=(level, level, level - 2))
    cx, bottom = width // 2, height * 3 // 4
    draw.ellipse([cx - width // 5, bottom - 10, cx + width // 5, bottom + 14], fill=SHADOW)
    draw.rectangle([cx - width // 8, height // 5, cx + width // 8, bottom], fill=PRODUCT)
    return image


def busy_shot(width: int = 600, height: int = 400, seed: int = 7) -> Image.Image:
    """A photo with no backdrop: a different colour at every edge (a lifestyle shot)."""
    import random

    rng = random.Random(seed)
    image = Image.new("RGB", (width, height))
    step = 20
    for x in range(0, width, step):
        for y in range(0, height, step):
            colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            image.paste(colour, (x, y, x + step, y + step))
    return image
