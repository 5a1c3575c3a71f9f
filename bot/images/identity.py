"""An image's identity: which picture it is, whatever its encoding or the URL it is served from.

Undo, a resumed bulk line and the duplicate check ask "is this still our image?". A wrong "yes"
overwrites someone's newer work, a wrong "no" costs a click, so four signals must all agree:
- the exact pixel size of the original (Ecwid's metadata, or the header of the bytes sent);
- a 64-bit difference hash of the brightness gradients (imagehash's `dhash`, computed with Pillow
  alone, bit for bit: see tests/unit/test_identity.py), which survives re-encoding and scaling;
- a colour signature (the mean colour of each cell of a 3×3 grid), which tells apart what the
  gradients cannot: flat pictures, and one shot in another colour (a product's colour variants);
- a detail signature (the brightness of each cell of a 16×16 grid, 4 bits each), which tells apart
  an edited copy: a price label or a sticker added to the same shot at the same size.

Pixels are decoded from one reduced decode (JPEG's `draft`), in the conversion pool, after the
header has been checked against IMAGE_MAX_MEGAPIXELS (bot.images.convert.ImagePreparer.identify).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from PIL import Image

GRADIENT_BITS = 8  # of 64: re-encodings and renditions of 14 real photos measured 0–5 bits apart
# Of 255, per channel and cell: a JPEG re-encoding or a rendition moves a cell's mean by a few
# levels; a recoloured shot moves it by a hundred.
COLOUR_LEVELS = 16
GRID = 3
# A 16×16 grey thumbnail, 16 levels a cell: re-encodings and renditions of 14 real photos moved a
# cell by at most 12 of 255 before rounding; a price label added moved one by 112 or more. A
# hairline across the picture moves none by more than a few: below what this can see.
DETAIL = 16
DETAIL_STEPS = 3  # of 16 levels (48 of 255)
_REDUCED_SIDE = 128  # the reduced decode's short side, at least: enough for a 9×8 gradient
_LEGACY = re.compile(r"[0-9a-f]{16}")
_TEXT = re.compile(r"(\d{1,6})x(\d{1,6}):([0-9a-f]{16}):([0-9a-f]{54}):([0-9a-f]{256})")


class NoIdentity(ValueError):
    """The bytes are no image whose identity can be had (unreadable, or over the pixel limit)."""


class Unusable(NoIdentity):
    """An image the bot would refuse to upload too (over IMAGE_MAX_MEGAPIXELS, an animation
    Ecwid cannot show…): the message says why, to the person, as the upload would."""


@dataclass(frozen=True)
class Identity:
    width: int  # the original's pixel size, upright
    height: int
    gradient: int  # the 64-bit difference hash
    colour: bytes | None  # GRID×GRID RGB means; None: recorded as a bare hash by an older bot
    detail: str = ""  # DETAIL×DETAIL grey levels, a hex digit each ("" with an older bot's hash)

    @classmethod
    def parse(cls, text: str | None) -> Identity | None:
        """An identity as stored; a bare 16-digit hash is an older bot's, kept but never trusted
        alone (see `same_image`)."""
        if not text:
            return None
        if _LEGACY.fullmatch(text):
            return cls(0, 0, int(text, 16), None)
        if match := _TEXT.fullmatch(text):
            width, height, gradient, colour, detail = match.groups()
            return cls(int(width), int(height), int(gradient, 16), bytes.fromhex(colour), detail)
        return None

    @property
    def text(self) -> str:
        if self.colour is None:
            return f"{self.gradient:016x}"
        return f"{self.width}x{self.height}:{self.gradient:016x}:{self.colour.hex()}:{self.detail}"

    @property
    def size_known(self) -> bool:
        return self.width > 0 and self.height > 0

    @property
    def legacy(self) -> bool:
        return self.colour is None

    def sized(self, width: int | None, height: int | None) -> Identity:
        """The identity with the original's size as Ecwid's metadata gives it (for one computed
        from a smaller rendition); unchanged when the metadata has none."""
        if not width or not height:
            return self
        return replace(self, width=width, height=height)

    def looks_like(self, other: Identity) -> bool:
        """The same picture at any size: gradients, colours and details agree."""
        if self.colour is None or other.colour is None or not self.detail or not other.detail:
            return False
        if (self.gradient ^ other.gradient).bit_count() > GRADIENT_BITS:
            return False
        if any(abs(a - b) > COLOUR_LEVELS for a, b in zip(self.colour, other.colour, strict=True)):
            return False
        return all(
            abs(int(a, 16) - int(b, 16)) <= DETAIL_STEPS
            for a, b in zip(self.detail, other.detail, strict=True)
        )

    def same_image(self, other: Identity) -> bool:
        """Both are one image: the same original size, gradients and colours. An older bot's bare
        hash never decides alone: in doubt, the answer is no."""
        return (self.width, self.height) == (other.width, other.height) and self.looks_like(other)

    def larger_copy_of(self, other: Identity) -> bool:
        """This is the same picture as `other`, at a larger size of the same shape: an upgrade."""
        if self.width <= other.width or self.height <= other.height:
            return False
        same_shape = abs(self.width * other.height - self.height * other.width) <= max(
            self.width, self.height
        )
        return same_shape and self.looks_like(other)


def gradient_hash(image: Image.Image) -> int:
    """imagehash.dhash(image), bit for bit, without NumPy: a 9×8 grey thumbnail (Lanczos), one bit
    per neighbouring pair, 1 where the right one is brighter, row by row."""
    grey = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS).tobytes()
    bits = 0
    for row in range(8):
        for col in range(8):
            left = grey[row * 9 + col]
            bits = (bits << 1) | (grey[row * 9 + col + 1] > left)
    return bits


def colour_signature(image: Image.Image) -> bytes:
    """The mean colour of each cell of a GRID×GRID grid, RGB."""
    return image.convert("RGB").resize((GRID, GRID), Image.Resampling.BOX).tobytes()


def detail_signature(image: Image.Image) -> str:
    """The brightness of each cell of a DETAIL×DETAIL grid, a hex digit (16 levels) each."""
    grey = image.convert("L").resize((DETAIL, DETAIL), Image.Resampling.BOX).tobytes()
    return "".join(f"{level >> 4:x}" for level in grey)


def _reducible(image: Image.Image) -> Image.Image:
    """A mode Image.reduce takes (it refuses P, 1 and the 16-bit ones)."""
    if image.mode in ("L", "LA", "RGB", "RGBA", "I", "F", "CMYK"):
        return image
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode.startswith("I;16"):
        return image.convert("I")
    return image.convert("RGB")


def identity_of(image: Image.Image, width: int, height: int, orientation: int) -> Identity:
    """The identity of an opened image whose header was checked already: one reduced decode,
    then the small copy turned upright by its EXIF orientation (turning the full image would
    copy it)."""
    if image.format == "JPEG":
        image.draft("RGB", (min(width, _REDUCED_SIDE), min(height, _REDUCED_SIDE)))
    image.load()
    factor = max(1, min(image.size) // _REDUCED_SIDE)
    small = _reduced(image, factor)
    image.close()  # the full decode is let go before the small copy is worked on
    small = _turned(small.convert("RGBA" if "A" in small.mode else "RGB"), orientation)
    quarter_turn = orientation in (5, 6, 7, 8)  # width and height swap
    size = (height, width) if quarter_turn else (width, height)
    return Identity(
        size[0], size[1], gradient_hash(small), colour_signature(small), detail_signature(small)
    )


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """Image.reduce (after a mode change where reduce needs one), a band of rows at a time:
    either at once briefly holds a second full-size copy (a 50-megapixel RGBA PNG: 200 MB)."""
    width, height = image.size
    band = factor * 16
    small: Image.Image | None = None
    for top in range(0, height, band):
        strip = _reducible(image.crop((0, top, width, min(height, top + band))))
        if factor > 1:
            strip = strip.reduce(factor)
        if small is None:
            small = Image.new(strip.mode, (-(-width // factor), -(-height // factor)))
        small.paste(strip, (0, top // factor))
    assert small is not None  # an image has at least one row
    return small


_TURNS = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _turned(image: Image.Image, orientation: int) -> Image.Image:
    """What EXIF orientation `orientation` shows (as ImageOps.exif_transpose turns it)."""
    for turn in _TURNS.get(orientation, ()):
        image = image.transpose(turn)
    return image
