"""Every image slot: the main image, the gallery and a variation's image, from the command and
the form, against a loopback Ecwid that models variations and a gallery."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from tests.fakes.ecwid_api import GALLERY_ID_MODELS, FakeEcwid
from tests.fakes.image_host import FakeImageHost, image_bytes
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.slack_requests import block_suggestion, view_submission

PRODUCT = "`Red Shoe` (#123 · SKU `RS-1`)"
RUNNER = "`Runner` (#789 · SKU `RUN`)"
METADATA = json.dumps({"languages": ["nl", "de"], "external_id": None})


async def posts(slack: FakeSlack) -> tuple[str, str, str]:
    """The parent as first posted, the thread reply, and the parent as updated."""
    parent, reply = (c.params["text"] for c in await slack.wait_for_call("chat.postMessage", 2))
    update = (await slack.wait_for_call("chat.update"))[0].params["text"]
    return parent, reply, update


async def test_to_gallery_posts_to_the_gallery_with_the_alt_text(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot")
    link = images.link("shoe.png")
    await bot.command(f'123 {link} to=gallery alt="Side view" alt.nl="Zijaanzicht"')
    parent, reply, update = await posts(slack)
    (call,) = [c for c in ecwid.calls if c.method == "POST"]
    assert call.path == "/products/123/gallery/async"
    assert call.body == {
        "url": link,
        "width": "800",
        "height": "600",
        "alt": {"main": "Side view", "translated": {"nl": "Zijaanzicht"}},
    }
    assert (
        parent
        == f":hourglass_flowing_sand: <@U123> is adding an image to the gallery of {PRODUCT}…"
    )
    assert reply.startswith(":white_check_mark: New gallery image id: *987654321*\n")
    assert update == f":white_check_mark: <@U123> added an image to the gallery of {PRODUCT}."
    await slack.wait_until(lambda: "outcome=" in caplog.text)
    assert "product=123 slot=gallery outcome=uploaded" in caplog.text


async def test_a_variation_sku_posts_to_that_variations_image(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
) -> None:
    described = "variation `Size 42` (SKU `RUN-42`)"
    await bot.command(f"sku:RUN-42 {images.link('shoe.png')} alt=Runner")
    parent, reply, update = await posts(slack)
    (call,) = [c for c in ecwid.calls if c.method == "POST"]
    assert call.path == "/products/789/combinations/501/image/async"
    assert call.body["alt"] == {"main": "Runner"}
    assert parent == (
        f":hourglass_flowing_sand: <@U123> is replacing the image of {described} of {RUNNER}…"
    )
    assert reply.startswith(":white_check_mark: New variation image id: *987654321*")
    assert update == f":white_check_mark: <@U123> replaced the image of {described} of {RUNNER}."


async def test_to_gallery_with_a_variation_is_refused(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"sku:RUN-42 {images.link('shoe.png')} to=gallery")
    answer = (await slack.wait_for_response())["text"]
    assert answer == (
        ":x: Nothing was uploaded. A variation has one image of its own, not a gallery: leave out "
        "`to=gallery`, or give the product itself."
    )
    assert [c for c in ecwid.calls if c.method == "POST"] == []


async def test_a_sku_shared_by_two_products_uploads_nothing_and_names_both(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.combinations[456] = [
        {"id": 901, "sku": "RS-1", "options": [{"name": "Colour", "value": "Red"}]}
    ]
    await bot.command(f"sku:RS-1 {images.link('shoe.png')}")
    answer = (await slack.wait_for_response())["text"]
    assert answer == (
        ':x: Nothing was uploaded. 2 products match SKU "RS-1"; nothing was chosen. Give the '
        "product by its id instead.\n"
        f"• {PRODUCT}\n"
        "• `Blue Hat` (#456 · SKU `BH-2`), variation `Colour Red` (SKU `RS-1`) (#901)"
    )
    assert [c for c in ecwid.calls if c.method == "POST"] == []


@pytest.mark.parametrize("text", ["to=side", "to="])
async def test_an_unknown_target_is_explained(
    bot: BotUnderTest, ecwid: FakeEcwid, text: str
) -> None:
    response = await bot.command(f"123 https://cdn.example.com/a.png {text}")
    assert (
        "is not a place for the image: use `to=main` (the default) or `to=gallery`"
        in (response.json()["text"])
    )
    assert ecwid.calls == []


def form(product: str, target: str, url: str) -> dict[str, Any]:
    return {
        "product": {"type": "external_select", "selected_option": {"value": product}},
        "target": {"type": "radio_buttons", "selected_option": {"value": target}},
        "image_url": {"type": "url_text_input", "value": url},
        "channel": {"type": "conversations_select", "selected_conversation": "C123"},
    }


async def test_the_forms_target_and_a_variation_option(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    found = (await bot.interaction(block_suggestion("product", "runner"))).json()["options"]
    assert [(o["text"]["text"], o["value"]) for o in found] == [
        ("Runner · RUN · #789", "789"),
        ("Runner — Size 42 · RUN-42 · #789", "789:501"),
        ("Runner — Size 43 · RUN · #789", "789:502"),
    ]
    await bot.interaction(
        view_submission(
            "ecwid_image_upload", form("789:502", "main", images.link("shoe.png")), METADATA
        )
    )
    await bot.idle()
    await bot.interaction(
        view_submission(
            "ecwid_image_upload", form("123", "gallery", images.link("photo.jpg")), METADATA
        )
    )
    await bot.idle()
    assert [c.path for c in ecwid.calls if c.method == "POST"] == [
        "/products/789/combinations/502/image/async",
        "/products/123/gallery/async",
    ]
    refused = await bot.interaction(
        view_submission(
            "ecwid_image_upload", form("789:501", "gallery", images.link("shoe.png")), METADATA
        )
    )
    assert refused.json()["errors"] == {
        "target": "A variation has one image, not a gallery: choose the main image."
    }


@pytest.mark.parametrize("ecwid", GALLERY_ID_MODELS, indirect=True)
async def test_a_file_to_the_gallery_gets_its_alt_text_on_the_new_image(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """The new image's id is the upload's answer, or its place: it is found by reading the
    product back and recognising it."""
    png = image_bytes("PNG", 800, 600)
    file = slack.add_file("F0GAL", "side.png", png)
    values = {
        **form("123", "gallery", ""),
        "image_file": {"type": "file_input", "files": [file]},
        "alt_main": {"type": "plain_text_input", "value": "Side"},
    }
    await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    await bot.idle()
    (upload,) = [c for c in ecwid.calls if c.method == "POST"]
    assert (upload.path, upload.query, upload.body) == (
        "/products/123/gallery",
        {"fileName": "side.png"},
        png,
    )
    new_id = ecwid.shown_ids(123)[-1]  # "987654321" (the upload's answer), or "2"
    (update,) = ecwid.updates
    assert update.body == {
        "media": {
            "images": [
                {"id": "0", "orderBy": 0},
                {"id": ecwid.shown_ids(123)[1], "orderBy": 1, "alt": {"main": "Side"}},
                {"id": new_id, "orderBy": 2, "alt": {"main": "Side"}},
            ]
        }
    }
