"""The audit's chart (#37): alt text coverage per language, as horizontal bars in a PNG drawn
with Pillow (no plotting library for one chart). CPU work: run off the event loop."""

from __future__ import annotations

import io
from collections.abc import Mapping

from PIL import Image, ImageDraw, ImageFont

WIDTH = 640
ROW = 36  # pixels a language
TOP = 44
LABEL = 70  # pixels for the language's code
BAR = WIDTH - LABEL - 80  # the rest holds the percentage
MAX_LANGUAGES = 40  # a store enables far fewer; the chart stays bounded whatever it answers
GOOD = (46, 125, 50)
POOR = (198, 40, 40)
TRACK = (230, 230, 230)
INK = (33, 33, 33)


def alt_coverage_chart(coverage: Mapping[str, float], title: str) -> bytes:
    """A PNG: a bar for each language (its code, then the share of images with an alt text
    present, 0 to 1), green from 90 %, red below."""
    shown = list(coverage.items())[:MAX_LANGUAGES]
    height = TOP + ROW * max(len(shown), 1) + 12
    image = Image.new("RGB", (WIDTH, height), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=16)
    draw.text((12, 12), title[:70], fill=INK, font=font)
    for row, (language, share) in enumerate(shown):
        share = min(max(share, 0.0), 1.0)
        top = TOP + row * ROW
        draw.text((12, top + 6), language.upper()[:6], fill=INK, font=font)
        draw.rectangle((LABEL, top + 4, LABEL + BAR, top + ROW - 8), fill=TRACK)
        if share > 0:
            colour = GOOD if share >= 0.9 else POOR
            draw.rectangle((LABEL, top + 4, LABEL + round(BAR * share), top + ROW - 8), fill=colour)
        draw.text((LABEL + BAR + 10, top + 6), f"{share:.0%}", fill=INK, font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()
