"""The square fix's padding (bot.images.square), on pictures that can tell its choices apart:
a studio sweep with a contact shadow, a busy photo with no backdrop, a transparent cut-out."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.images.convert import ConversionError, ImagePolicy
from bot.images.square import square
from tests.photos import PRODUCT, SHADOW, busy_shot, encoded, studio_shot

POLICY = ImagePolicy()


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _near(pixel: object, colour: tuple[int, ...], within: int = 12) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= within for a, b in zip(pixel, colour, strict=False))


def test_a_landscape_shot_is_padded_to_its_long_side_with_its_backdrops_colour() -> None:
    shot = studio_shot(600, 400)
    done = square(encoded(shot), white=False, policy=POLICY)
    assert done is not None and not done.whitened
    out = _opened(done.prepared.data)
    assert out.size == (600, 600) and out.format == "JPEG"
    # The padding above and below is the sweep's own grey, not white.
    assert _near(done.background, (242, 242, 240), within=8)
    assert _near(out.getpixel((300, 5)), done.background)
    assert _near(out.getpixel((300, 594)), done.background)
    # Nothing cropped, nothing moved but down by the padding: the product and its shadow.
    assert _near(out.getpixel((300, 100 + 200)), PRODUCT)
    assert _near(out.getpixel((300 - 110, 100 + 305)), SHADOW)


def test_a_portrait_is_padded_at_the_sides_and_never_enlarged() -> None:
    done = square(encoded(studio_shot(300, 500)), white=False, policy=POLICY)
    assert done is not None
    out = _opened(done.prepared.data)
    assert out.size == (500, 500)
    assert _near(out.getpixel((100 + 150, 250)), PRODUCT)
    assert _near(out.getpixel((20, 250)), done.background)


def test_a_busy_photo_is_padded_with_white() -> None:
    done = square(encoded(busy_shot(600, 400)), white=False, policy=POLICY)
    assert done is not None
    assert done.background == (255, 255, 255)
    out = _opened(done.prepared.data)
    assert _near(out.getpixel((300, 20)), (255, 255, 255), within=3)
    # The photo itself is as it was (a cell of the busy pattern, sampled at its middle).
    original = busy_shot(600, 400)
    assert _near(out.getpixel((310, 100 + 10)), original.getpixel((310, 10)), within=16)


def test_the_white_background_whitens_the_sweep_and_keeps_product_and_shadow() -> None:
    done = square(encoded(studio_shot(600, 400)), white=True, policy=POLICY)
    assert done is not None and done.whitened
    out = _opened(done.prepared.data)
    assert done.background == (255, 255, 255)
    for corner in ((2, 2), (597, 2), (2, 597), (597, 597), (40, 300)):
        assert _near(out.getpixel(corner), (255, 255, 255), within=4), corner
    assert _near(out.getpixel((300, 300)), PRODUCT)
    assert _near(out.getpixel((300 - 110, 405)), SHADOW)  # the contact shadow stays


def test_a_dark_backdrop_is_not_whitened() -> None:
    dark = Image.new("RGB", (600, 400), (30, 30, 32))
    dark.paste(PRODUCT, (250, 100, 350, 300))
    done = square(encoded(dark), white=True, policy=POLICY)
    assert done is not None and not done.whitened
    out = _opened(done.prepared.data)
    assert _near(out.getpixel((300, 10)), (30, 30, 32))


def test_a_transparent_cut_out_is_padded_with_transparency_as_a_png() -> None:
    cut_out = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    cut_out.paste((*PRODUCT, 255), (150, 50, 250, 150))
    done = square(encoded(cut_out, "PNG"), white=False, policy=POLICY)
    assert done is not None
    out = _opened(done.prepared.data)
    assert out.format == "PNG" and out.size == (400, 400) and out.mode == "RGBA"
    alpha = out.getpixel((200, 10))
    assert isinstance(alpha, tuple) and alpha[3] == 0
    assert out.getpixel((200, 200)) == (*PRODUCT, 255)


def test_a_square_image_is_left_as_it_is() -> None:
    assert square(encoded(studio_shot(500, 500)), white=False, policy=POLICY) is None
    assert square(encoded(studio_shot(500, 497)), white=True, policy=POLICY) is None


def test_an_image_over_the_pixel_limit_is_refused_before_it_is_decoded() -> None:
    big = encoded(Image.new("RGB", (3000, 2000), (240, 240, 240)))
    with pytest.raises(ConversionError, match="megapixels"):
        square(big, white=False, policy=ImagePolicy(max_megapixels=5))


def test_a_cmyk_photo_is_padded_in_srgb_without_its_print_profile() -> None:
    """Its profile described CMYK: carried onto the RGB copy, it would shift every colour."""
    from PIL import ImageCms

    from tests.photos import BOTTOM, TOP, upright

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    upright(600, 400).convert("CMYK").save(out, "JPEG", quality=92, icc_profile=profile)
    done = square(out.getvalue(), white=False, policy=POLICY)
    assert done is not None and done.prepared.colours_converted
    padded = _opened(done.prepared.data)
    assert padded.mode == "RGB" and "icc_profile" not in padded.info
    assert _near(padded.getpixel((300, 150)), TOP, within=40)
    assert _near(padded.getpixel((300, 450)), BOTTOM, within=40)


def test_a_canvas_over_the_pixel_limit_is_refused_before_anything_is_decoded() -> None:
    # 3000×1000 is 3 megapixels, within the limit; padded, 9: over it.
    wide = encoded(Image.new("RGB", (3000, 1000), (200, 200, 200)))
    with pytest.raises(ConversionError, match="3000×3000 px, over the 5 megapixels"):
        square(wide, white=False, policy=ImagePolicy(max_megapixels=5))


def test_the_stores_largest_side_holds_for_the_padded_image() -> None:
    done = square(encoded(studio_shot(600, 400)), white=False, policy=ImagePolicy(max_side=300))
    assert done is not None
    assert _opened(done.prepared.data).size == (300, 300) and done.prepared.scaled
