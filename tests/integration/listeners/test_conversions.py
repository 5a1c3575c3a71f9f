"""Photos as people have them reach Ecwid ready (#25): converted, upright, without location, small
enough; told in the thread, refused only when they cannot be made ready. Real files, made with
Pillow and pillow-heif, through signed Slack requests; the bytes checked are those that reached
the loopback Ecwid."""

from __future__ import annotations

import io
import json
import time
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from bot.config import Settings
from bot.images.convert import ConversionError, ImagePolicy, ImagePreparer, start_pool
from tests.bulk_helpers import bulk_form_submission, message_text, press, the_plan, the_report
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served, image_bytes
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, serving
from tests.photos import (
    animated_webp,
    avif_photo,
    cmyk_jpeg,
    grey_tiff,
    has_location,
    heic_photo,
    is_bright_above_dark,
    is_upright,
    located_jpeg,
    png_over_20_mb,
    shown,
    sideways_jpeg,
    tiff_bomb,
    tiff_of_many_pages,
    tiff_scan,
    upright,
    webp_photo,
    webp_with_alpha,
)
from tests.slack_requests import message_shortcut, view_submission

METADATA = json.dumps({"languages": ["nl", "de"], "external_id": None})
MB = 1024 * 1024


def form(file: dict[str, Any] | None = None, link: str | None = None) -> dict[str, Any]:
    return {
        "product": {"type": "external_select", "selected_option": {"value": "123"}},
        "image_url": {"type": "url_text_input", "value": link},
        "image_file": {"type": "file_input", "files": [file] if file else []},
        "alt_main": {"type": "plain_text_input", "value": "Red shoe"},
        "channel": {"type": "conversations_select", "selected_conversation": "C123"},
    }


async def thread_reply(slack: FakeSlack) -> str:
    return str((await slack.wait_for_call("chat.postMessage", 2, timeout=30))[1].params["text"])


async def private_answer(slack: FakeSlack) -> str:
    return str((await slack.wait_for_response(timeout=30))["text"])


def sent(ecwid: FakeEcwid) -> bytes:
    """The one image the bot sent Ecwid as bytes (never by link: Ecwid would refuse it)."""
    assert ecwid.uploads == []
    (upload,) = ecwid.byte_uploads
    assert upload.content_type == "application/octet-stream"
    assert isinstance(upload.body, bytes)
    assert len(upload.body) <= 20 * MB
    return upload.body


async def test_a_heic_link_goes_up_as_a_jpeg_without_location_and_its_alt_is_set_after(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    original = heic_photo(640, 480)
    images.files["IMG_0042.HEIC"] = Served(original, "image/heic")
    await bot.command(f'123 {images.link("IMG_0042.HEIC")} alt="Red shoe"')
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.size) == ("JPEG", (640, 480))
    assert is_upright(image)
    assert not has_location(sent(ecwid))
    assert "Image: " in reply and "(JPEG, 640×480 px)" in reply
    kilobytes = f"{len(original) / 1024:.0f} KB"
    assert f":sparkles: Converted from HEIC to JPEG · location data removed · {kilobytes} → " in (
        reply
    )
    # The bytes call takes no alt text: it is set on the new image afterwards.
    (update,) = ecwid.updates
    assert update.body["media"]["images"][0]["alt"] == {"main": "Red shoe"}


async def test_a_sideways_phone_photo_shared_in_slack_is_turned_upright_and_loses_its_gps(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0SIDE", "IMG_1.jpg", sideways_jpeg(600, 400), "image/jpeg")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    data = sent(ecwid)
    image = shown(data)
    assert image.size == (600, 400)
    assert is_upright(image)  # the pixels, not only the size
    assert image.getexif().get(0x0112) in (None, 1)
    assert not has_location(data)
    assert ":sparkles: Turned upright · location data removed" in reply


async def test_an_upright_photo_loses_its_location_but_not_a_pixel(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    original = located_jpeg(600, 400)
    file = slack.add_file("F0LOC", "IMG_2.jpg", original, "image/jpeg")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    data = sent(ecwid)
    assert not has_location(data)
    assert b"holiday" not in data and b"PhonyPhone" not in data  # comment, camera: gone too
    # Not re-compressed: the same pixels as the original's.
    assert shown(data).tobytes() == shown(original).tobytes()
    assert ":sparkles: Location data removed" in reply


async def test_a_store_may_keep_the_metadata(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    keeping = replace(settings, images=ImagePolicy(keep_metadata=True))
    async with serving(keeping, slack) as bot:
        original = located_jpeg(600, 400)
        file = slack.add_file("F0KEEP", "IMG_3.jpg", original, "image/jpeg")
        await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
        await thread_reply(slack)
    assert sent(ecwid) == original


async def test_a_lossless_webp_with_transparency_goes_up_as_a_png_that_keeps_it(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0WEBP", "cutout.webp", webp_with_alpha(300, 300), "image/webp")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.mode, image.size) == ("PNG", "RGBA", (300, 300))
    alpha = image.getchannel("A")
    assert (alpha.getpixel((10, 150)), alpha.getpixel((290, 150))) == (0, 255)
    assert ":sparkles: Converted from WebP to PNG" in reply
    # Under the name it has now: Ecwid's gallery call takes a file name.
    assert ecwid.byte_uploads[0].path == "/products/123/image"


@pytest.mark.parametrize(
    ("name", "data", "source"),
    [
        ("photo.avif", avif_photo(640, 480), "AVIF"),
        ("scan.tif", tiff_scan(800, 600), "TIFF"),
    ],
)
async def test_avif_and_tiff_go_up_as_jpeg(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    name: str,
    data: bytes,
    source: str,
) -> None:
    images.files[name] = Served(data, "application/octet-stream")  # the bytes decide
    await bot.command(f"123 {images.link(name)}")
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert image.format == "JPEG"
    assert is_upright(image)
    assert f":sparkles: Converted from {source} to JPEG" in reply


async def test_a_cmyk_jpeg_link_goes_up_in_screen_colours(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """A print shop's JPEG (CMYK, no profile, Adobe's inverted storage) is a JPEG Ecwid would
    take by its link, and pass on in colours browsers show wrongly: the bot sends it as sRGB."""
    original = cmyk_jpeg(600, 400)
    images.files["print.jpg"] = Served(original, "image/jpeg")
    await bot.command(f"123 {images.link('print.jpg')}")
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (600, 400))
    assert is_upright(image)  # blue above red: not inverted, not CMY read as RGB
    assert ":sparkles: Colours converted from CMYK (print) to sRGB (screens) · " in reply


async def test_a_cmyk_jpeg_shared_in_slack_goes_up_in_screen_colours(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0CMYK", "print.jpg", cmyk_jpeg(600, 400), "image/jpeg")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.mode) == ("JPEG", "RGB")
    assert is_upright(image)


@pytest.mark.parametrize(
    ("mode", "bright", "dark"),
    [
        ("F", 1.0, 0.0),  # 32-bit float, 0..1
        ("F", 4000.0, 250.0),  # 32-bit float, a camera's counts
        ("I", 4000, 0),  # 32-bit integers
        ("I;16", 60000, 3000),  # 16-bit: its own range, as before
    ],
)
async def test_a_wide_grey_tiff_shows_its_picture_not_a_black_square(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    mode: str,
    bright: float,
    dark: float,
) -> None:
    images.files["scan.tif"] = Served(grey_tiff(mode, bright, dark), "image/tiff")
    await bot.command(f"123 {images.link('scan.tif')}")
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.size) == ("JPEG", (400, 300))
    assert is_bright_above_dark(image)
    scaled = "brightness scaled from the image's own range"
    assert ":sparkles: Converted from TIFF to JPEG · " in reply
    assert (scaled in reply) == (mode != "I;16")


@pytest.mark.slow  # a 24 MB file, encoded and decoded
async def test_a_png_over_20_mb_is_re_encoded_to_fit_at_its_full_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    original = png_over_20_mb()
    file = slack.add_file("F0HUGE", "camera.png", original, "image/png")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert image.size == Image.open(io.BytesIO(original)).size  # no smaller than it must be
    assert f"{len(original) / MB:.1f} MB → " in reply


async def test_a_decompression_bomb_is_refused_in_plain_words_before_it_is_decoded(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0BOMB", "fax.tif", tiff_bomb(), "image/tiff")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    answer = str((await slack.wait_for_call("chat.postEphemeral", timeout=30))[0].params["text"])
    assert answer == (
        ":x: Nothing was uploaded. The image is 300 megapixels; the bot converts up to 50."
    )
    assert ecwid.byte_uploads == []


async def test_an_animated_webp_is_refused_with_a_clear_message(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["spin.webp"] = Served(animated_webp(), "image/webp")
    await bot.command(f"123 {images.link('spin.webp')}")
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The image is an animated WebP; Ecwid shows only still images "
        "(or GIF): send one frame as JPG or PNG, or the animation as a GIF."
    )
    assert ecwid.uploads == [] and ecwid.byte_uploads == []


async def test_a_link_ready_as_it_is_still_goes_by_link(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await thread_reply(slack)
    assert [c.body["url"] for c in ecwid.uploads] == [images.link("shoe.png")]
    assert ecwid.byte_uploads == []
    assert ":sparkles:" not in reply


async def test_small_images_and_odd_shapes_in_the_gallery_are_uploaded_with_advice(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products[123]["originalImage"] = {"url": images.link("photo.jpg"), "width": 1200,
                                            "height": 900}  # fmt: skip
    out = io.BytesIO()
    upright(500, 500).save(out, "PNG")
    images.files["square.png"] = Served(out.getvalue(), "image/png")
    await bot.command(f"123 {images.link('square.png')} to=gallery")
    reply = await thread_reply(slack)
    assert ":bulb: The image is 500×500 px: under 800 px on its long side, it may look " in reply
    assert ":bulb: Its shape (1:1) differs from the main image's (4:3): the gallery may " in reply
    assert [c.path for c in ecwid.calls if c.method == "POST"] == ["/products/123/gallery/async"]


# ---- Bulk jobs: the plan counts what will be converted; the report says what was done -------


async def test_a_bulk_job_of_phone_photos_plans_converts_and_reports_each_change(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    # Two photos (the same one twice for one product would be a duplicate, left out).
    files = [
        slack.add_file("F0H1", "RS-1.HEIC", heic_photo(640, 480), "image/heic"),
        slack.add_file("F0H2", "RS-1_2.heic", heic_photo(800, 600), "image/heic"),
        slack.add_file("F0H3", "BH-2.jpg", sideways_jpeg(600, 400), "image/jpeg"),
    ]
    shortcut = message_shortcut("use_as_product_images", {"files": files}, "C123")
    shortcut["response_url"] = bot.response_url
    await bot.interaction(shortcut)
    ts, job_id, plan = await the_plan(slack, timeout=30)
    assert ":arrows_counterclockwise: 2 will be converted from HEIC (made upright, without " in (
        message_text(plan)
    )
    await bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack, timeout=60)
    by_name = {r["text"]: r for r in rows}
    assert by_name["RS-1.HEIC"]["changes"].startswith(
        "Converted from HEIC to JPEG · location data removed · "
    )
    assert by_name["BH-2.jpg"]["changes"] == "Turned upright · location data removed"
    gallery = next(c for c in ecwid.calls if c.path == "/products/123/gallery")
    assert gallery.query["fileName"] == "RS-1_2.jpg"  # the name of what it is now
    for call in ecwid.calls:
        if call.method == "POST" and isinstance(call.body, bytes):
            image = shown(call.body)
            assert image.format == "JPEG" and is_upright(image)
            assert not has_location(call.body)


async def test_a_bulk_line_with_a_webp_link_is_converted_when_it_runs(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["front.webp"] = Served(webp_with_alpha(300, 300), "image/webp")
    await bot.interaction(bulk_form_submission(f"456 {images.link('front.webp')}"))
    ts, job_id, plan = await the_plan(slack, timeout=30)
    assert "1 will be converted from WebP" in message_text(plan)
    assert ecwid.byte_uploads == []  # the plan only read the header
    await bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack, timeout=60)
    assert rows[0]["changes"].startswith("Converted from WebP to PNG · ")
    (upload,) = ecwid.byte_uploads
    assert upload.path == "/products/456/image"
    assert shown(upload.body).mode == "RGBA"


# ---- Bounded: the event loop for big photos (memory for a bomb: tests/process/) -------------


@pytest.mark.slow  # four 12-megapixel photos converted
async def test_acks_stay_quick_while_big_photos_convert(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    photo = sideways_jpeg(4000, 3000)  # 12 megapixels, to be turned upright
    for n in range(4):
        file = slack.add_file(f"F0BIG{n}", f"IMG_{n}.jpg", photo, "image/jpeg")
        answer = await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
        assert answer.status_code == 200
    acks = []
    while len(ecwid.byte_uploads) < 4:
        started = time.monotonic()
        answer = await bot.command("help", user_id="U0OTHER")
        acks.append(time.monotonic() - started)
        assert answer.status_code == 200
    await bot.idle()
    assert max(acks) < 2.5, acks  # a wide margin: benchmarks/convert.py gives the real figure
    assert all(shown(call.body).size == (4000, 3000) for call in ecwid.byte_uploads)


async def test_a_store_may_cap_the_long_side(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    capped = replace(settings, images=ImagePolicy(max_side=1000))
    async with serving(capped, slack) as bot:
        file = slack.add_file("F0CAP", "IMG_4.jpg", sideways_jpeg(2400, 1800), "image/jpeg")
        await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
        reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert image.size == (1000, 750)  # its shape kept
    assert is_upright(image)
    assert "turned upright · location data removed · scaled to 1000×750" in reply


async def test_a_converted_link_goes_to_the_gallery_under_the_name_of_what_it_is_now(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["front view.webp"] = Served(webp_with_alpha(300, 300), "image/webp")
    await bot.command(f"123 {images.link('front%20view.webp')} to=gallery")
    await thread_reply(slack)
    (call,) = [c for c in ecwid.calls if c.path == "/products/123/gallery"]
    assert call.query["fileName"] == "front view.png"
    assert shown(call.body).format == "PNG"


async def test_a_lossy_webp_goes_up_as_a_jpeg_of_its_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0LOSSY", "web.webp", webp_photo(640, 480), "image/webp")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    image = shown(sent(ecwid))
    assert (image.format, image.mode, image.size) == ("JPEG", "RGB", (640, 480))
    assert is_upright(image)
    assert ":sparkles: Converted from WebP to JPEG · " in reply


async def test_an_animated_gif_goes_as_it_is(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    frames = [upright(120, 80), upright(120, 80).rotate(180)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    file = slack.add_file("F0GIF", "spin.gif", out.getvalue(), "image/gif")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    assert sent(ecwid) == out.getvalue()  # every frame, byte for byte
    assert ":sparkles:" not in reply


async def test_a_tiff_of_64000_tiny_pages_is_refused_without_counting_them(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Counting its pages (`n_frames`) takes minutes of CPU, quadratic in the pages; the bot
    reads only whether there is a second one, in the pool, under a time limit."""
    images.files["pages.tif"] = Served(tiff_of_many_pages(), "image/tiff")
    await bot.command(f"123 {images.link('pages.tif')}")
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The TIFF has several pages; Ecwid shows one picture: send the "
        "page you want as a JPG or PNG."
    )
    assert ecwid.uploads == [] and ecwid.byte_uploads == []


async def test_a_header_read_past_its_time_limit_is_stopped_with_its_worker() -> None:
    """The limit is real: the worker reading the header is killed (a thread could not be)."""
    pool = start_pool(1)
    # The pool's own record of its workers, which it fills as a task starts one; a worker that
    # was killed and reaped at once is in no list of live children, but is still here.
    started = pool._processes  # the standard library's, read only
    assert started is not None and not started  # none yet: started for the read
    preparer = ImagePreparer(ImagePolicy(), header_seconds=0.001, pool=pool)  # < a worker's start
    try:
        with pytest.raises(ConversionError) as refusal:
            await preparer.prepare(tiff_scan())
        assert refusal.value.message == (
            "The image took too long to read; the bot stopped trying. Send it as a JPG or PNG, "
            "or a smaller file."
        )
        workers = list(started.values())
        assert workers  # the pool's worker, started for the read
        for worker in workers:
            worker.join(timeout=10)  # killed: it ends at once (a decode would have gone on)
            assert worker.exitcode == -9
    finally:
        preparer.close(wait=True)
        pool.shutdown(wait=True, cancel_futures=True)


async def test_the_pool_counts_what_it_decodes_at_full_size_and_reduced(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """benchmarks/burst.py's "decoded at full size" figure: a JPEG's identity is a reduced decode,
    a PNG's a full one, a WebP converted to JPEG a full one, a JPEG ready as it is none; the count
    is logged when the pool closes."""
    preparer = ImagePreparer(ImagePolicy(), workers=1)
    try:
        assert preparer.decodes == (0, 0)
        await preparer.identify(image_bytes("JPEG", 640, 480))
        assert preparer.decodes == (0, 1)
        await preparer.identify(image_bytes("PNG", 640, 480))
        assert preparer.decodes == (1, 1)
        await preparer.prepare(image_bytes("WEBP", 640, 480))
        await preparer.prepare(image_bytes("JPEG", 640, 480))  # only its metadata removed
        assert preparer.decodes == (2, 1)
    finally:
        with caplog.at_level("INFO", logger="bot.images.convert"):
            preparer.close(wait=True)
    assert "images decoded in the pool: 2 at full size, 1 reduced" in caplog.messages
