"""The converter's pure pieces: format from the bytes, metadata out without decoding, the thread's
one-line summary, and the advice on images uploaded anyway."""

from __future__ import annotations

import io

import pytest
from PIL import Image, PngImagePlugin

from bot.domain.advice import image_advice, shape
from bot.domain.requests import Size
from bot.images.convert import (
    ConversionError,
    ImagePolicy,
    Prepared,
    check_header,
    format_to_convert,
    read_header,
    sniff,
    strip_jpeg,
    strip_png,
)
from tests.photos import (
    avif_photo,
    heic_photo,
    located_exif,
    located_jpeg,
    tiff_scan,
    upright,
    webp_photo,
)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (heic_photo(64, 48), "HEIF"),
        (avif_photo(64, 48), "AVIF"),
        (webp_photo(64, 48), "WEBP"),
        (tiff_scan(64, 48), "TIFF"),
        (located_jpeg(64, 48), "JPEG"),
        (b"%PDF-1.7\n" + b"x" * 64, None),
        (b"", None),
    ],
)
def test_the_bytes_decide_the_format(data: bytes, kind: str | None) -> None:
    assert sniff(data[:64]) == kind


def test_a_jpeg_loses_exif_comments_and_trailing_data_but_keeps_its_profile_and_pixels() -> None:
    profile = b"\x00" * 128 + b"a colour profile"
    out = io.BytesIO()
    upright(64, 48).save(
        out, "JPEG", exif=located_exif(1).tobytes(), comment=b"secret", icc_profile=profile
    )
    original = out.getvalue() + b"\xff\xd8\xff\xe1 a second picture with its own EXIF"
    stripped = strip_jpeg(original)
    image = Image.open(io.BytesIO(stripped))
    assert not image.getexif()
    assert "comment" not in image.info
    assert image.info["icc_profile"] == profile
    assert stripped.endswith(b"\xff\xd9")
    assert image.tobytes() == Image.open(io.BytesIO(original)).tobytes()


def test_a_png_loses_its_text_and_exif_chunks_but_keeps_its_profile_and_pixels() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Location", "52.3, 4.9")
    info.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>GPSLatitude</x:xmpmeta>")
    out = io.BytesIO()
    upright(64, 48).save(
        out, "PNG", pnginfo=info, exif=located_exif(1).tobytes(), icc_profile=b"\0" * 64
    )
    stripped = strip_png(out.getvalue())
    assert b"Location" not in stripped and b"GPSLatitude" not in stripped
    assert b"eXIf" not in stripped and b"iCCP" in stripped
    image = Image.open(io.BytesIO(stripped))
    assert image.tobytes() == upright(64, 48).tobytes()


def test_a_header_says_location_and_orientation_without_decoding() -> None:
    header = read_header(located_jpeg(64, 48))
    assert (header.format, header.width, header.height) == ("JPEG", 64, 48)
    assert header.has_location and header.orientation == 1


def test_limits_are_checked_on_the_header() -> None:
    header = read_header(located_jpeg(1000, 1000))
    check_header(header, ImagePolicy(max_megapixels=1), 1000)
    with pytest.raises(
        ConversionError, match=r"^The image is 1 megapixels; the bot converts up to 0\.$"
    ):
        check_header(header, ImagePolicy(max_megapixels=0), 1000)


def test_a_file_to_convert_is_known_by_its_type_or_name() -> None:
    assert format_to_convert("IMG_1.HEIC", "") == "HEIF"
    assert format_to_convert("photo", "image/webp") == "WEBP"
    assert format_to_convert("scan.tif", "application/octet-stream") == "TIFF"
    assert format_to_convert("shoe.jpg", "image/jpeg") is None


def test_the_summary_says_what_was_done_in_one_line() -> None:
    converted = Prepared(
        b"x" * 1_258_291, "JPEG", 4032, 3024, "HEIF", 5_347_738,
        turned_upright=True, location_removed=True,
    )  # fmt: skip
    assert converted.summary() == (
        "Converted from HEIC to JPEG · turned upright · location data removed · 5.1 MB → 1.2 MB"
    )
    only_cleaned = Prepared(b"x", "JPEG", 10, 10, "JPEG", 2)  # camera data out, nothing else
    assert only_cleaned.summary() == ""  # nothing a person would notice


def test_advice_for_small_images_and_odd_shapes_in_the_gallery() -> None:
    assert image_advice(Size(1200, 900), min_side=800, slot_kind="main") == ()
    (small,) = image_advice(Size(640, 480), min_side=800, slot_kind="main")
    assert small.startswith("The image is 640×480 px: under 800 px on its long side")
    main = Size(1200, 900)
    assert image_advice(Size(1600, 1200), min_side=800, slot_kind="gallery", main=main) == ()
    (odd,) = image_advice(Size(1000, 1000), min_side=800, slot_kind="gallery", main=main)
    assert odd.startswith("Its shape (1:1) differs from the main image's (4:3)")
    assert shape(Size(1920, 1080)) == "16:9"
    assert shape(Size(1001, 700)) == "1.43:1"
