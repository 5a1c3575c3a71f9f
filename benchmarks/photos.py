"""Photos for benchmarks/convert.py: as a phone takes them, with detail that costs what a real
photo costs to decode and encode (shapes and grain, not flat colour)."""

from __future__ import annotations

import io

import pillow_heif
from PIL import Image

from tests.fakes.image_host import picture
from tests.photos import located_exif


def photo(width: int, height: int, seed: str = "bench") -> Image.Image:
    grain = Image.effect_noise((width, height), 24).convert("RGB")
    return Image.blend(picture(seed, (width, height)), grain, 0.25)


def heic(width: int, height: int) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(photo(width, height)).save(
        out, quality=85, exif=located_exif(1).tobytes()
    )
    return out.getvalue()


def sideways_jpeg(width: int, height: int) -> bytes:
    out = io.BytesIO()
    photo(width, height).rotate(90, expand=True).save(
        out, "JPEG", quality=92, exif=located_exif(6).tobytes()
    )
    return out.getvalue()


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, kind, **options)
    return out.getvalue()


def bench_photos() -> dict[str, tuple[bytes, str]]:
    """name → (bytes, content type): 12-megapixel HEICs; 48-megapixel photos: a JPEG stored
    sideways, a PNG."""
    twelve = heic(4000, 3000)
    big = photo(8000, 6000)
    return {
        **{f"phone{n}.heic": (twelve, "image/heic") for n in range(8)},
        "camera48.jpg": (sideways_jpeg(8000, 6000), "image/jpeg"),
        "camera48.png": (encoded(big, "PNG", compress_level=1), "image/png"),
    }
