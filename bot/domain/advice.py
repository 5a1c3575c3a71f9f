"""Advice, not refusal: what the team should know about an image that was uploaded anyway."""

from __future__ import annotations

from math import gcd

from bot.domain.requests import Size

SHAPE_TOLERANCE = 0.08  # aspect ratios closer than this count as the same shape


def image_advice(
    size: Size, *, min_side: int, slot_kind: str, main: Size | None = None
) -> tuple[str, ...]:
    """Plain-text notes: a small image may look blurry when zoomed; a gallery image whose shape
    differs clearly from the main image's makes the gallery uneven."""
    notes = []
    if max(size.width, size.height) < min_side:
        notes.append(
            f"The image is {size} px: under {min_side} px on its long side, it may look blurry "
            "when shoppers zoom in."
        )
    if slot_kind == "gallery" and main is not None and main.width and main.height:
        ratio, main_ratio = size.width / size.height, main.width / main.height
        if abs(ratio - main_ratio) / main_ratio > SHAPE_TOLERANCE:
            notes.append(
                f"Its shape ({shape(size)}) differs from the main image's ({shape(main)}): the "
                "gallery may look uneven."
            )
    return tuple(notes)


def shape(size: Size) -> str:
    """The aspect ratio as people say it: 4:3, 1:1, 16:9 (or 1.42:1 when no small one fits)."""
    divisor = gcd(size.width, size.height)
    width, height = size.width // divisor, size.height // divisor
    if width <= 32 and height <= 32:
        return f"{width}:{height}"
    return f"{size.width / size.height:.2f}:1"
