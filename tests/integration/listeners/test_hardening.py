"""What outside testing found (issue 12), each class through the real HTTP path."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from tests.fakes.ecwid_api import FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost, Served, image_bytes, jpeg_with_padding
from tests.fakes.slack_api import FakeSlack, SlackFault
from tests.harness import serving
from tests.slack_requests import (
    SlackSender,
    block_suggestion,
    message_shortcut,
    view_submission,
)


async def posts(slack: FakeSlack, count: int = 2, timeout: float = 10) -> list[dict[str, Any]]:
    return [c.params for c in await slack.wait_for_call("chat.postMessage", count, timeout)]


async def private_answer(slack: FakeSlack, timeout: float = 10) -> str:
    return str((await slack.wait_for_response(timeout))["text"])


# ---- 3. Text from image hosts or Ecwid never becomes formatting --------------------------------


async def test_an_image_hosts_status_text_is_not_repeated(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["gone.png"] = Served(b"", "text/plain", 404, reason="*Gone* https://evil.example")
    images.files["odd.png"] = Served(b"\0\1\2" * 10, "text/*bold* https://evil.example")
    await bot.command(f"123 {images.link('gone.png')}")
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The image link answered HTTP 404 Not Found."
    )
    slack.responses.clear()
    await bot.command(f"123 {images.link('odd.png')}")
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The link is not a JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP image."
    )
    assert ecwid.uploads == []


@pytest.mark.parametrize(
    "fault",
    [
        Fault(400, {"errorMessage": "*Bad* _url_ https://evil.example `x` <!here>"}),
        Fault(400, text="", headers={}),  # no body: the status line's text is kept
    ],
)
async def test_ecwids_words_are_quoted_as_code(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, fault: Fault
) -> None:
    ecwid.faults["upload"] = [fault]
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = (await posts(slack))[1]["text"]
    if fault.body:
        assert reply == (
            ":x: The image was not uploaded. Ecwid refused the request. Ecwid said: "
            "`*Bad* _url_ https://evil.example ˋxˋ &lt;!here&gt;`"
        )
    else:
        assert reply.endswith("Ecwid said: `Bad Request`")


async def test_ecwid_errors_without_an_error_message_keep_the_status_text(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(409, {"errorCode": "EXTERNAL_ID_ALREADY_USED"})]
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = (await posts(slack))[1]["text"]
    assert (
        reply == ":x: The image was not uploaded. Ecwid reports a conflict. Ecwid said: `Conflict`"
    )


async def test_product_names_from_ecwid_never_format(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products[123]["name"] = "*Sale* ~now~ https://evil.example"
    ecwid.products[123]["sku"] = "`RS`-1"
    await bot.command(f"123 {images.link('shoe.png')}")
    parent = (await posts(slack))[0]["text"]
    assert "`*Sale* ~now~ https://evil.example` (#123 · SKU `ˋRSˋ-1`)" in parent


# ---- 5. Access checks fail closed, and fast ---------------------------------------------------


async def test_a_rate_limited_group_lookup_is_refused_within_seconds(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.faults["usergroups.users.list"] = [SlackFault(429, {"Retry-After": "30"})] * 3
    groups = replace(settings, allowed_usergroups=frozenset({"S1"}))
    async with serving(groups, slack) as bot:
        started = time.monotonic()
        response = await bot.command(f"123 {images.link('shoe.png')}")
        elapsed = time.monotonic() - started
    assert elapsed < 2.5
    assert response.json()["text"].startswith(":hourglass: I could not check with Slack")
    assert ecwid.calls == []


async def test_a_failed_group_lookup_refuses_and_is_not_retried_at_once(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.errors["usergroups.users.list"] = "missing_scope"
    groups = replace(settings, allowed_usergroups=frozenset({"S1"}))
    async with serving(groups, slack) as bot:
        first = await bot.command(f"123 {images.link('shoe.png')}")
        second = await bot.command(f"123 {images.link('shoe.png')}")
    for response in (first, second):
        assert "could not check with Slack" in response.json()["text"]
    assert len(slack.calls_to("usergroups.users.list")) == 1  # the failure is remembered briefly
    assert ecwid.calls == []


# ---- 6. Invisible characters ------------------------------------------------------------------


@pytest.mark.parametrize("char", ["\u202e", "\u200b", "\x00", "\ufeff", "\u2066"])
async def test_invisible_characters_in_alt_text_are_refused(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, char: str
) -> None:
    response = await bot.command(f'123 {images.link("shoe.png")} alt="Red{char}shoe"')
    assert response.json()["text"].startswith(
        f":warning: `alt` contains an invisible character (U+{ord(char):04X} "
    )
    values = {
        "product": {"selected_option": {"value": "123"}},
        "image_url": {"value": images.link("shoe.png")},
        "alt_main": {"value": f"Red{char}shoe"},
        "channel": {"selected_conversation": "C123"},
    }
    form = await bot.interaction(view_submission("ecwid_image_upload", values, "{}"))
    assert "invisible character" in form.json()["errors"]["alt_main"]
    assert ecwid.calls == []


# ---- 7. Never misreport an upload -------------------------------------------------------------


async def test_a_dropped_thread_reply_still_brings_the_image_id(
    bot: SlackSender,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    # The parent posts; then every attempt at the thread reply loses its connection.
    slack.faults["chat.postMessage"] = [SlackFault(), SlackFault(drop=True), SlackFault(drop=True)]
    await bot.command(f"123 {images.link('shoe.png')}")
    answer = await private_answer(slack)
    assert "New main image id: *987654321*" in answer
    assert "may not have been uploaded" not in answer
    await slack.wait_until(lambda: "outcome=" in caplog.text)
    assert "outcome=uploaded ecwid_status=200" in caplog.text
    assert len(ecwid.uploads) == 1


@pytest.mark.slow  # waits out a fault for seconds
async def test_a_hanging_slack_still_brings_the_result(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.faults["chat.postMessage"] = [SlackFault(delay=60)]
    started = time.monotonic()
    await bot.command(f"123 {images.link('shoe.png')}")
    answer = await private_answer(slack, timeout=40)
    assert time.monotonic() - started < 35
    assert "New main image id: *987654321*" in answer
    assert len(ecwid.uploads) == 1


# ---- 8. ECWID_TIMEOUT_SECONDS bounds the whole call -------------------------------------------


async def test_a_trickled_ecwid_answer_is_cut_off_at_the_setting(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(200, {"id": 1, "padding": "x" * 40}, trickle=0.05)] * 3
    async with serving(replace(settings, ecwid_timeout_seconds=0.5), slack) as bot:
        started = time.monotonic()
        await bot.command(f"123 {images.link('shoe.png')}")
        reply = (await posts(slack))[1]["text"]
    assert time.monotonic() - started < 6  # 3 attempts of 0.5 s and their backoff
    assert reply == (
        ":x: The image was not uploaded. Ecwid did not answer within 0.5 s; try again in a few minutes."
    )


# ---- 10, 13, 14. The type-ahead ---------------------------------------------------------------


async def options(bot: SlackSender, value: str) -> list[dict[str, Any]]:
    response = await bot.interaction(block_suggestion("product", value))
    assert response.status_code == 200
    return list(response.json()["options"])


async def test_numeric_skus_are_found_beside_the_id(bot: SlackSender, ecwid: FakeEcwid) -> None:
    ecwid.products[99] = {"id": 99, "name": "Product ninety-nine", "sku": "P-99"}
    ecwid.products[5] = {"id": 5, "name": "Socks", "sku": "00099"}
    found = await options(bot, "00099")
    assert [o["value"] for o in found] == ["99", "5"]
    assert found[1]["text"]["text"] == "Socks · 00099 · #5"


async def test_long_numbers_in_the_type_ahead_find_nothing_and_do_not_fail(
    bot: SlackSender,
) -> None:
    assert await options(bot, "9" * 5000) == []


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("name", "sku"),
    [
        ("Shoe", "SKU-" + "9" * 90),
        ("A very long product name that goes on and on and on " * 2, "RS-1-" + "X" * 50),
        ("👟" * 60, "👟-" * 20),
        ("", "S" * 200),
    ],
)
async def test_option_texts_fit_slacks_75_as_slack_counts(
    bot: SlackSender, ecwid: FakeEcwid, name: str, sku: str
) -> None:
    ecwid.products = {321: {"id": 321, "name": name, "sku": sku}}
    (option,) = await options(bot, "321")
    text = option["text"]["text"]
    assert utf16(text) <= 75
    assert text.endswith(" · #321")
    if name.strip():
        assert text.startswith(name.strip()[:4])
    assert " · " + sku[:3] in text


# ---- 11. Ambiguous SKUs -----------------------------------------------------------------------


async def test_an_ambiguous_sku_uploads_nothing_and_lists_the_products(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products[456]["sku"] = "RS-1"  # two products share a SKU
    await bot.command(f"sku:RS-1 {images.link('shoe.png')}")
    assert await private_answer(slack) == (
        ':x: Nothing was uploaded. 2 products match SKU "RS-1"; nothing was chosen. Give the '
        "product by its id instead.\n"
        "• `Red Shoe` (#123 · SKU `RS-1`)\n"
        "• `Blue Hat` (#456 · SKU `RS-1`)"
    )
    assert ecwid.uploads == []


# ---- 12. Region language codes ----------------------------------------------------------------


async def test_region_language_codes_reach_ecwid_spelt_as_the_store_spells_them(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.languages = {
        "enabledLanguages": ["en", "pt_BR", "es_419", "zh_TW"],
        "defaultLanguage": "en",
    }
    await bot.command(
        f'123 {images.link("shoe.png")} alt="Shoe" alt.pt_br="Sapato" alt.es_419="Zapato" '
        'alt.ZH-tw="鞋"'
    )
    await posts(slack)
    assert ecwid.uploads[0].body["alt"] == {
        "main": "Shoe",
        "translated": {"pt_BR": "Sapato", "es_419": "Zapato", "zh_TW": "鞋"},
    }


async def test_an_unknown_region_code_names_the_stores_languages(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.languages = {"enabledLanguages": ["en", "pt_BR"], "defaultLanguage": "en"}
    await bot.command(f'123 {images.link("shoe.png")} alt.pt_PT="Sapato"')
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. `alt.pt_PT=`: the store has no language `pt_PT`. "
        "Its languages are en (default), pt_BR."
    )
    assert ecwid.uploads == []


# ---- 13. Long numbers in the command ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1" * 5000 + " https://cdn.example.com/a.png", "is not a product id"),
        ("123 https://cdn.example.com/a.png " + "1" * 3000 + "x600", "Width and height must be"),
        ("123 https://cdn.example.com/a.png 800x" + "6" * 5000, "Width and height must be"),
    ],
)
async def test_long_numbers_get_the_usage_hint(
    bot: SlackSender, ecwid: FakeEcwid, text: str, expected: str
) -> None:
    response = await bot.command(text)
    assert response.status_code == 200
    answer = response.json()["text"]
    assert expected in answer and "\nUsage: `/ecwid-image PRODUCT IMAGE_URL" in answer
    assert len(answer) < 600
    assert ecwid.calls == []


# ---- 15. Images the documented limits allow ---------------------------------------------------


def huge_png(width: int, height: int) -> bytes:
    """A real PNG header (IHDR) of the given size; pixels are never read."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


async def test_a_15000_pixel_png_is_uploaded_with_its_size(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["poster.png"] = Served(huge_png(15000, 15000), "image/png")
    await bot.command(f"123 {images.link('poster.png')}")
    await posts(slack)
    assert (ecwid.uploads[0].body["width"], ecwid.uploads[0].body["height"]) == ("15000", "15000")


async def test_an_image_over_20000_pixels_a_side_is_refused(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["banner.png"] = Served(huge_png(30000, 100), "image/png")
    await bot.command(f"123 {images.link('banner.png')}")
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. Width and height must be whole numbers from 1 to 20000 pixels."
    )
    assert ecwid.uploads == []


async def test_deep_metadata_is_fine_when_the_size_is_given(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["deep.jpg"] = Served(jpeg_with_padding(1100 * 1024), "image/jpeg")
    await bot.command(f"123 {images.link('deep.jpg')} 640x480")
    reply = (await posts(slack))[1]["text"]
    assert "New main image id: *987654321*" in reply
    assert ecwid.uploads[0].body["width"] == "640"


async def test_an_image_over_20_mb_whose_size_is_not_said_is_counted_and_re_encoded(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    body = image_bytes("JPEG", 640, 480) + b"\0" * (21 * 1024 * 1024)
    images.files["huge.jpg"] = Served(body, "image/jpeg", chunked=True)
    images.honor_range = False
    await bot.command(f"123 {images.link('huge.jpg')}")
    reply = (await posts(slack, timeout=20))[1]["text"]
    assert ":sparkles: Re-encoded as JPEG · 21.0 MB → " in reply
    # Not by its link (Ecwid would refuse it): the bytes, at most 20 MB, to the synchronous call.
    assert ecwid.uploads == []
    [upload] = ecwid.byte_uploads
    assert len(upload.body) < 1024 * 1024
    assert upload.body.startswith(b"\xff\xd8\xff")


# ---- 16, 17. The message shortcut and the form from a DM --------------------------------------


async def opened_view(slack: FakeSlack) -> dict[str, Any]:
    call = (await slack.wait_for_call("views.open"))[-1]
    view = call.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def form_input(view: dict[str, Any], block: str) -> dict[str, Any]:
    return next(b["element"] for b in view["blocks"] if b.get("block_id") == block)


def notes(view: dict[str, Any]) -> str:
    return " ".join(
        e["text"] for b in view["blocks"] if b["type"] == "context" for e in b["elements"]
    )


PAGE = "https://shop.example.com/products/red-shoe"
IMAGE = "https://cdn.example.com/photos/red-shoe"  # no extension: known as an image by its block


@pytest.mark.parametrize(
    "message",
    [
        {
            "text": f"New photo <{PAGE}>",
            "blocks": [{"type": "image", "image_url": IMAGE, "alt_text": "shoe"}],
        },
        {
            "text": "see the link",
            "blocks": [
                {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [
                                {"type": "link", "url": PAGE},
                                {"type": "link", "url": IMAGE + ".jpg"},
                            ],
                        }
                    ],
                }
            ],
        },
    ],
)
async def test_message_shortcut_finds_images_in_blocks_before_page_links(
    bot: SlackSender, slack: FakeSlack, message: dict[str, Any]
) -> None:
    payload = message_shortcut("use_as_product_image", message, "C123")
    payload["response_url"] = bot.response_url
    await bot.interaction(payload)
    view = await opened_view(slack)
    assert form_input(view, "image_url")["initial_value"].startswith(IMAGE)
    assert "web page" not in notes(view)


async def test_message_shortcut_with_only_a_page_link_says_so(
    bot: SlackSender, slack: FakeSlack
) -> None:
    payload = message_shortcut("use_as_product_image", {"text": f"look: <{PAGE}>"}, "C123")
    payload["response_url"] = bot.response_url
    await bot.interaction(payload)
    view = await opened_view(slack)
    assert form_input(view, "image_url")["initial_value"] == PAGE
    assert "That message has no image, only the link below, which may be a web page" in notes(view)


@pytest.mark.parametrize("way", ["command", "message shortcut"])
async def test_the_form_opens_from_a_dm_without_offering_the_dm(
    bot: SlackSender, slack: FakeSlack, way: str
) -> None:
    if way == "command":
        await bot.command("", channel_id="D0123DM")
    else:
        payload = message_shortcut("use_as_product_image", {"text": IMAGE + ".png"}, "D0123DM")
        payload["response_url"] = bot.response_url
        await bot.interaction(payload)
    view = await opened_view(slack)
    channel = form_input(view, "channel")
    assert "initial_conversation" not in channel
    assert "default_to_current_conversation" not in channel
    assert channel["filter"]["include"] == ["public", "private"]
    assert "Results are posted in a channel: choose one below." in notes(view)


# ---- 19. Links that are almost links ----------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "cdn.example.com/shoe.jpg",
        "www.example.com/shoe.jpg",
        "data:image/png",
    ],
)
async def test_almost_links_are_told_what_a_link_is(
    bot: SlackSender, ecwid: FakeEcwid, link: str
) -> None:
    response = await bot.command(f"123 {link}")
    assert response.json()["text"].startswith(
        f":warning: `{link}` is not an https:// link: give the image's whole address, "
        "starting with https://"
    )
    assert ecwid.calls == []
