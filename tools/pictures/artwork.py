"""The product pictures the samples point at, drawn with Pillow: a running shoe seen
from the side, in a colourway, in a setting. The settings use the real photographs scikit-image
ships in its wheel (gravel, grass, brick), read as files as tests/photos.py reads them: the
package is never imported. Deterministic: the same key draws the same picture."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageEnhance, ImageFilter, ImageOps

Point = tuple[float, float]
RGB = tuple[int, int, int]
Curve = tuple[Point, Point, Point]  # two control points and the end

WIDTH, HEIGHT = 600, 450  # the design space; drawn SCALE times larger, then scaled down
SCALE = 3


@dataclass(frozen=True)
class Shoe:
    upper: RGB
    accent: RGB  # the side stripe and the heel tab
    sole: RGB  # the midsole; the outsole is always dark rubber
    laces: RGB = (245, 245, 240)


@dataclass(frozen=True)
class Shot:
    shoe: Shoe
    setting: str  # studio, trail, grass, brick or old (a dated catalogue photo)
    mirrored: bool = False  # the other foot: toe to the left


RED = Shoe(upper=(206, 38, 46), accent=(250, 250, 250), sole=(242, 240, 235))
BLUE = Shoe(upper=(34, 94, 178), accent=(255, 196, 40), sole=(240, 240, 240))
WHITE = Shoe(upper=(238, 236, 230), accent=(24, 110, 70), sole=(190, 140, 80))
BLACK = Shoe(upper=(36, 36, 40), accent=(240, 240, 240), sole=(250, 250, 250))

SHOTS: dict[str, Shot] = {
    "red-old": Shot(RED, "old"),
    "red-studio": Shot(RED, "studio"),
    "red-trail": Shot(RED, "trail"),
    "red-grass": Shot(RED, "grass", mirrored=True),
    "red-brick": Shot(RED, "brick"),
    "blue-old": Shot(BLUE, "old"),
    "blue-studio": Shot(BLUE, "studio"),
    "white-brick": Shot(WHITE, "brick", mirrored=True),
    "black-studio": Shot(BLACK, "studio"),
}


def picture(key: str) -> Image.Image:
    """The picture called `key` (one of SHOTS), WIDTH×HEIGHT, RGB."""
    return _drawn(key).copy()


@cache
def _drawn(key: str) -> Image.Image:
    shot = SHOTS[key]
    background = _setting(shot.setting)
    shoe, mask = _shoe(shot.shoe)
    if shot.mirrored:
        shoe, mask = ImageOps.mirror(shoe), ImageOps.mirror(mask)
    shadow = _shadow()
    background.paste(shadow, (0, 0), shadow)
    background.paste(shoe, (0, 0), mask)
    shown = background.resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    if shot.setting == "old":  # a dated shot: flat, warm, a little soft
        shown = ImageEnhance.Contrast(shown).enhance(0.72)
        shown = ImageEnhance.Color(shown).enhance(0.6)
        shown = ImageChops.multiply(shown, Image.new("RGB", shown.size, (255, 238, 205)))
        shown = shown.filter(ImageFilter.GaussianBlur(0.8))
    return shown


# ---- the shoe ----------------------------------------------------------------------------------


def _bezier(p0: Point, p1: Point, p2: Point, p3: Point, steps: int = 24) -> list[Point]:
    points = []
    for i in range(steps + 1):
        t = i / steps
        u = 1 - t
        x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
        y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
        points.append((x, y))
    return points


def _path(start: Point, *segments: Curve | Point) -> list[Point]:
    """An outline from a start point: (c1, c2, end) is a curve to `end`, a lone point a line."""
    points = [start]
    for segment in segments:
        if len(segment) == 3:
            c1, c2, end = segment
            points += _bezier(points[-1], c1, c2, end)[1:]
        else:
            points.append(segment)
    return points


def _scaled(points: Sequence[Point]) -> list[Point]:
    return [(x * SCALE, y * SCALE) for x, y in points]


def _mask(points: Sequence[Point]) -> Image.Image:
    mask = Image.new("L", (WIDTH * SCALE, HEIGHT * SCALE), 0)
    ImageDraw.Draw(mask).polygon(_scaled(points), fill=255)
    return mask


def _shade(colour: RGB, factor: float) -> RGB:
    return (
        max(0, min(255, round(colour[0] * factor))),
        max(0, min(255, round(colour[1] * factor))),
        max(0, min(255, round(colour[2] * factor))),
    )


def _upper_outline() -> list[Point]:
    return _path(
        (100, 275),
        ((86, 240), (92, 205), (112, 192)),
        ((132, 176), (158, 168), (178, 172)),
        ((200, 178), (214, 190), (228, 186)),
        ((244, 172), (252, 148), (266, 140)),
        (290, 136),
        ((330, 160), (398, 196), (442, 228)),
        ((482, 248), (512, 258), (526, 282)),
        (300, 292),
    )


def _sole_outline() -> list[Point]:
    return _path(
        (96, 270),
        ((84, 290), (92, 318), (116, 324)),
        (430, 330),
        ((494, 330), (522, 318), (534, 290)),
        ((536, 280), (528, 274), (516, 276)),
        ((420, 290), (240, 286), (96, 270)),
    )


def _shoe(shoe: Shoe) -> tuple[Image.Image, Image.Image]:
    """The shoe on a transparent canvas (RGB, and its mask)."""
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    upper_mask = _mask(_upper_outline())
    sole_mask = _mask(_sole_outline())

    art = Image.new("RGB", size, shoe.upper)
    draw = ImageDraw.Draw(art)
    # Light from above: the upper darkens towards the sole.
    for y in range(0, size[1], SCALE):
        factor = 1.12 - 0.32 * (y / size[1]) ** 1.4
        draw.line([(0, y), (size[0], y)], fill=_shade(shoe.upper, factor), width=SCALE)
    # A mesh: faint dots where the upper breathes.
    for x in range(240, 440, 9):
        for y in range(200, 280, 9):
            draw.ellipse(_scaled([(x, y), (x + 2.4, y + 2.4)]), fill=_shade(shoe.upper, 0.82))
    # The toe cap and the heel counter, a shade darker, with a row of stitches.
    toe = _path((440, 300), ((452, 262), (470, 240), (492, 236)), (560, 236), (560, 300))
    draw.polygon(_scaled(toe), fill=_shade(shoe.upper, 0.8))
    stitches = _bezier((430, 300), (442, 262), (460, 246), (484, 242))
    draw.line(_scaled(stitches), fill=_shade(shoe.upper, 1.35), width=SCALE, joint="curve")
    heel = _path((80, 300), (80, 150), (128, 150), ((150, 200), (156, 250), (150, 300)))
    draw.polygon(_scaled(heel), fill=_shade(shoe.upper, 0.78))
    # The side stripe: two sweeping curves from the sole up to the laces.
    stripe = _path(
        (190, 282),
        ((240, 240), (290, 205), (330, 172)),
        (356, 186),
        ((318, 214), (270, 250), (236, 284)),
    )
    draw.polygon(_scaled(stripe), fill=shoe.accent)

    # The collar's lining, the laces with their eyelets, the heel tab.
    collar = _bezier((112, 192), (140, 172), (190, 170), (228, 186))
    draw.line(_scaled(collar), fill=_shade(shoe.upper, 0.45), width=5 * SCALE, joint="curve")
    lacing = _bezier((290, 144), (330, 166), (380, 190), (430, 222), 7)
    for lace_x, lace_y in lacing[1:-1]:
        lace = [(lace_x - 14, lace_y - 9), (lace_x + 12, lace_y + 7)]
        eyelet = [(lace_x - 17, lace_y - 12), (lace_x - 11, lace_y - 6)]
        draw.line(_scaled(lace), fill=shoe.laces, width=5 * SCALE)
        draw.ellipse(_scaled(eyelet), fill=_shade(shoe.upper, 0.4))
    tab = _path((96, 196), (112, 186), (122, 214), (100, 224))
    draw.polygon(_scaled(tab), fill=shoe.accent)

    # The sole: midsole in its colour, the dark rubber outsole below with its lugs.
    draw.polygon(_scaled(_sole_outline()), fill=shoe.sole)
    _outsole(draw, (40, 38, 38))
    seam = _bezier((100, 282), (240, 298), (420, 302), (528, 284))
    draw.line(_scaled(seam), fill=_shade(shoe.sole, 0.82), width=2 * SCALE, joint="curve")

    # What is shoe: the upper, the sole, and the lugs below the sole's outline.
    lugs = Image.new("L", size, 0)
    _outsole(ImageDraw.Draw(lugs), 255)
    mask = ImageChops.lighter(ImageChops.lighter(upper_mask, sole_mask), lugs)
    return art, mask


def _outsole(draw: ImageDraw.ImageDraw, fill: RGB | int) -> None:
    bottom = _path((108, 318), (432, 322), ((486, 322), (514, 312), (530, 294)))
    draw.line(_scaled(bottom), fill=fill, width=16 * SCALE, joint="curve")
    for x in range(120, 500, 22):
        draw.rectangle(_scaled([(x, 322), (x + 12, 330)]), fill=fill)


def _shadow() -> Image.Image:
    """A soft contact shadow under the shoe (an RGBA layer)."""
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    layer = Image.new("L", size, 0)
    ImageDraw.Draw(layer).ellipse(_scaled([(90, 316), (545, 346)]), fill=150)
    layer = layer.filter(ImageFilter.GaussianBlur(9 * SCALE))
    shadow = Image.new("RGBA", size, (20, 18, 16, 0))
    shadow.putalpha(layer)
    return shadow


# ---- the settings ------------------------------------------------------------------------------


def _photo(name: str) -> Image.Image:
    """A photograph from scikit-image's wheel (public domain or CC0: its data/README.txt)."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "scikit-image (a dev dependency) is not installed: pip install -e .[dev]"
        )
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    with Image.open(folder / name) as image:
        return image.convert("RGB")


def _gradient(top: RGB, bottom: RGB, size: tuple[int, int]) -> Image.Image:
    column = Image.new("RGB", (1, 256))
    for y in range(256):
        t = y / 255
        column.putpixel(
            (0, y), tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        )
    return column.resize(size, Image.Resampling.BILINEAR)


def _ground(photo: str, tint: RGB, size: tuple[int, int]) -> Image.Image:
    """A photographed surface, tinted, filling `size`."""
    texture = ImageOps.fit(_photo(photo), size, Image.Resampling.LANCZOS)
    grey = ImageOps.autocontrast(texture.convert("L"), cutoff=2)
    return ImageOps.colorize(grey, black=_shade(tint, 0.35), white=_shade(tint, 1.25))


def _setting(name: str) -> Image.Image:
    size = (WIDTH * SCALE, HEIGHT * SCALE)
    horizon = 236 * SCALE  # the ground meets the sky behind the shoe, not under it
    if name in ("studio", "old"):
        top, bottom = (
            ((246, 246, 248), (226, 226, 230))
            if name == "studio"
            else ((236, 228, 212), (214, 204, 186))
        )
        return _gradient(top, bottom, size)
    canvas = _gradient((176, 208, 236), (232, 240, 246), size)
    if name == "trail":
        hills = _ground("grass.png", (96, 130, 92), (size[0], horizon))
        hills = hills.filter(ImageFilter.GaussianBlur(6 * SCALE))  # far away: out of focus
        ridge = _mask(
            _path(
                (0, 140),
                ((150, 110), (300, 160), (420, 130)),
                ((500, 110), (560, 120), (600, 112)),
                (600, 236),
                (0, 236),
            )
        )
        canvas.paste(hills, (0, 0), ridge.crop((0, 0, size[0], horizon)))
        canvas.paste(
            _ground("gravel.png", (170, 140, 108), (size[0], size[1] - horizon)), (0, horizon)
        )
    elif name == "grass":
        canvas.paste(
            _ground("grass.png", (110, 160, 80), (size[0], size[1] - horizon)), (0, horizon)
        )
    elif name == "brick":
        wall = _photo("brick.png").convert("L")
        wall = ImageOps.fit(
            ImageOps.autocontrast(wall, cutoff=1), (size[0], horizon), Image.Resampling.LANCZOS
        )
        canvas.paste(ImageOps.colorize(wall, black=(92, 44, 34), white=(214, 140, 110)), (0, 0))
        canvas.paste(
            _gradient((120, 120, 124), (84, 84, 88), (size[0], size[1] - horizon)), (0, horizon)
        )
    return canvas


def app_icon(side: int = 144) -> Image.Image:
    """The app's avatar: a framed picture (a hill and a sun) on Ecwid-like blue."""
    big = side * SCALE
    icon = _gradient((32, 150, 214), (12, 96, 170), (big, big))
    draw = ImageDraw.Draw(icon)
    unit = big / 144
    frame = [(34 * unit, 40 * unit), (110 * unit, 104 * unit)]
    draw.rounded_rectangle(frame, radius=8 * unit, outline=(255, 255, 255), width=round(7 * unit))
    hill = [
        (40 * unit, 98 * unit),
        (62 * unit, 70 * unit),
        (78 * unit, 86 * unit),
        (88 * unit, 76 * unit),
        (104 * unit, 98 * unit),
    ]
    draw.polygon(hill, fill=(255, 255, 255))
    draw.ellipse([(82 * unit, 52 * unit), (96 * unit, 66 * unit)], fill=(255, 214, 90))
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle([(0, 0), (big - 1, big - 1)], radius=30 * unit, fill=255)
    icon.putalpha(mask)
    return icon.resize((side, side), Image.Resampling.LANCZOS)
