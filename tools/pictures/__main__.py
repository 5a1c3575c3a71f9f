"""Rebuild docs/images/*.png: each sample of tools/pictures/samples.py drawn as Slack draws it
(render.py) and photographed by headless Chromium.

    python -m tools.pictures            # every picture
    python -m tools.pictures app-home   # some of them, by name

Chromium and the fonts are Debian packages, not pip dependencies: the pictures need a real
browser engine and Slack's typeface (Lato), and these are what the pictures were made with
(Debian 12):

    apt-get install -y chromium=156.0.8078.129-1~deb12u1 fonts-lato=2.0-2.1 \\
        fonts-noto-color-emoji=2.042-0+deb12u1 fonts-dejavu-core=2.37-6

(DejaVu Sans Mono draws code and the progress bar.) Not part of CI: the unit test
tests/unit/test_sample_views.py checks the same samples with slack_sdk, without a browser."""

from __future__ import annotations

import argparse
import base64
import io
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageChops

from tools.pictures import artwork, render
from tools.pictures.samples import (
    CHANNELS,
    GROUPS,
    NOW,
    PEOPLE,
    PICTURES,
    Sample,
    all_samples,
    audit_result,
)

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"
FONTS = {
    "Lato": "fonts-lato",
    "Noto Color Emoji": "fonts-noto-color-emoji",
    "DejaVu Sans Mono": "fonts-dejavu-core",
}
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
TALL = 3200  # the window's first height: the picture is cropped from it
MOST_BYTES = 250_000


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.pictures",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("names", nargs="*", help="the samples to draw (all by default)")
    chosen = set(parser.parse_args().names)
    browser = _browser()
    missing = _missing_fonts()
    if browser is None or missing:
        needs = ["chromium"] if browser is None else []
        print(
            f"Missing: {', '.join(needs + missing)}. Install them with\n"
            "    apt-get install -y chromium fonts-lato fonts-noto-color-emoji fonts-dejavu-core\n"
            "(see python -m tools.pictures --help for the versions the pictures were made with).",
            file=sys.stderr,
        )
        return 2
    samples = [s for s in all_samples() if not chosen or s.name in chosen]
    if chosen - {s.name for s in samples}:
        print(
            f"No such sample: {', '.join(sorted(chosen - {s.name for s in samples}))}",
            file=sys.stderr,
        )
        return 2
    page = render.Page(
        picture=_pictures(),
        avatar=_data_uri(artwork.app_icon(), "PNG"),
        people=PEOPLE,
        channels=CHANNELS,
        groups=GROUPS,
        now=NOW,
    )
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pictures-") as scratch:
        for sample in samples:
            picture = _photograph(browser, sample, page, Path(scratch))
            size = _save(picture, OUT / f"{sample.name}.png")
            print(f"{sample.name}.png  {picture.width}×{picture.height}  {size / 1000:.0f} kB")
            if sample.name == "audit-card":  # the chart in its thread, as the bot draws it
                chart = audit_result().chart
                (OUT / "audit-chart.png").write_bytes(chart)
                print(f"audit-chart.png  {len(chart) / 1000:.0f} kB")
    if page.unknown_emoji:
        print(f"Drawn as text, not in render.EMOJI: {sorted(page.unknown_emoji)}", file=sys.stderr)
    return 0


def _browser() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def _missing_fonts() -> list[str]:
    """The fonts fontconfig does not know, by their Debian package (`fc-list | grep -i lato`)."""
    try:
        known = subprocess.run(
            ["fc-list", ":", "family"], capture_output=True, text=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return list(FONTS.values())
    return [package for family, package in FONTS.items() if family.lower() not in known.lower()]


def _data_uri(image: Image.Image, kind: str) -> str:
    out = io.BytesIO()
    image.save(out, kind, **({"quality": 88} if kind == "JPEG" else {}))
    mime = "image/jpeg" if kind == "JPEG" else "image/png"
    return f"data:{mime};base64,{base64.b64encode(out.getvalue()).decode()}"


def _pictures() -> Callable[[str], str]:
    """Each link or file id of the samples → its drawing, encoded once."""
    drawn = {key: _data_uri(artwork.picture(key), "JPEG") for key in set(PICTURES.values())}

    def picture(source: str) -> str:
        if source not in PICTURES:
            raise KeyError(f"{source} has no picture: add it to samples.PICTURES")
        return drawn[PICTURES[source]]

    return picture


def _photograph(browser: str, sample: Sample, page: render.Page, scratch: Path) -> Image.Image:
    """The sample's page in Chromium, cropped to its frame (the page around it is SENTINEL)."""
    document = scratch / f"{sample.name}.html"
    document.write_text(render.document(sample, page), encoding="utf-8")
    shot = scratch / f"{sample.name}.png"
    width, height = render.WIDTHS[sample.surface], TALL
    while True:
        subprocess.run(
            [
                browser,
                "--headless=new",
                "--no-sandbox",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                f"--user-data-dir={scratch / 'profile'}",
                f"--window-size={width},{height}",
                f"--screenshot={shot}",
                document.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        with Image.open(shot) as taken:
            screen = taken.convert("RGB")
        box = ImageChops.difference(
            screen, Image.new("RGB", screen.size, render.SENTINEL)
        ).getbbox()
        if box is None:
            raise RuntimeError(f"{sample.name}: Chromium drew nothing")
        if box[3] < height:  # the frame ends within the window: all of it is there
            return _without_blended_edge(screen.crop(box))
        height *= 2


def _without_blended_edge(picture: Image.Image) -> Image.Image:
    """Without a last row that Chromium blended with the page around it (a frame whose height
    ends in a fraction of a pixel): a magenta seam otherwise."""
    red, green, blue = (
        band.crop((0, picture.height - 1, picture.width, picture.height))
        for band in picture.split()
    )
    magenta = ImageChops.subtract(ImageChops.darker(red, blue), green)  # high where r, b ≫ g
    if picture.height > 1 and max(magenta.tobytes()) > 60:
        return _without_blended_edge(picture.crop((0, 0, picture.width, picture.height - 1)))
    return picture


def _save(picture: Image.Image, path: Path) -> int:
    """As a PNG, palette-quantized when the picture still reads well that way (under MOST_BYTES)."""
    full = io.BytesIO()
    picture.save(full, "PNG", optimize=True)
    data = full.getvalue()
    if len(data) > MOST_BYTES:
        small = io.BytesIO()
        picture.quantize(
            256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.FLOYDSTEINBERG
        ).save(small, "PNG", optimize=True)
        data = small.getvalue()
    path.write_bytes(data)
    return len(data)


if __name__ == "__main__":
    sys.exit(main())
