"""The upload form end to end: its ways in, the type-ahead, and submissions."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.slack_requests import (
    block_suggestion,
    global_shortcut,
    message_shortcut,
    view_submission,
)

SHOE = "https://cdn.example.com/shoe.png"
FORM_BLOCKS = [
    ("product", "external_select"),
    ("target", "radio_buttons"),
    ("image_url", "url_text_input"),
    ("image_file", "file_input"),
    ("width", "number_input"),
    ("height", "number_input"),
    ("alt_main", "plain_text_input"),
    ("alt_nl", "plain_text_input"),
    ("alt_de", "plain_text_input"),
    ("channel", "conversations_select"),
]


async def opened_view(slack: FakeSlack) -> tuple[str, dict[str, Any]]:
    call = (await slack.wait_for_call("views.open"))[0]
    view = call.params["view"]
    return call.params["trigger_id"], json.loads(view) if isinstance(view, str) else view


def inputs(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}


def assert_is_the_upload_form(view: dict[str, Any]) -> None:
    assert view["type"] == "modal"
    assert view["callback_id"] == "ecwid_image_upload"
    blocks = [b for b in view["blocks"] if b["type"] == "input"]
    assert [(b["block_id"], b["element"]["type"]) for b in blocks] == FORM_BLOCKS
    assert all(b["element"]["action_id"] == b["block_id"] for b in blocks)
    required = {b["block_id"] for b in blocks if not b["optional"]}
    assert required == {"product", "target", "channel"}  # a link or a file: checked on submission
    target = inputs(view)["target"]
    assert [o["value"] for o in target["options"]] == ["main", "gallery"]
    assert target["initial_option"]["value"] == "main"
    image_file = inputs(view)["image_file"]
    # Photos as phones, scanners and the web make them: the bot converts what Ecwid does not take.
    assert image_file["max_files"] == 1
    assert image_file["filetypes"] == [
        *("jpg", "jpeg", "png", "gif"),
        *("heic", "heif", "webp", "avif", "tif", "tiff", "bmp"),
    ]
    channel = inputs(view)["channel"]
    assert channel["filter"] == {"include": ["public", "private"], "exclude_bot_users": True}
    # Only a channel the filter allows is ever offered as the default.
    if "initial_conversation" in channel:
        assert channel["initial_conversation"][0] in "CG"
        assert channel["default_to_current_conversation"] is True
    else:
        assert "default_to_current_conversation" not in channel
    assert json.loads(view["private_metadata"])["languages"] == ["nl", "de"]


async def test_empty_command_opens_the_form(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    response = await bot.command("", channel_id="C42")
    assert (response.status_code, response.text) == (200, "")
    trigger_id, view = await opened_view(slack)
    assert trigger_id == "1337.42.abcd"
    assert_is_the_upload_form(view)
    fields = inputs(view)
    assert "initial_option" not in fields["product"]
    assert "initial_value" not in fields["image_url"]
    assert fields["channel"]["initial_conversation"] == "C42"
    assert ecwid.uploads == []


async def test_product_only_command_prefills_the_product(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    await bot.command("123")
    _, view = await opened_view(slack)
    assert_is_the_upload_form(view)
    assert inputs(view)["product"]["initial_option"] == {
        "text": {"type": "plain_text", "text": "Red Shoe · RS-1 · #123"},
        "value": "123",
    }


async def test_command_without_product_prefills_the_rest(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    await bot.command(f'<{SHOE}> 800x600 alt="Red shoe" alt.nl="Rode schoen" external-id=ls-9')
    _, view = await opened_view(slack)
    assert_is_the_upload_form(view)
    fields = inputs(view)
    assert "initial_option" not in fields["product"]
    assert fields["image_url"]["initial_value"] == SHOE
    assert (fields["width"]["initial_value"], fields["height"]["initial_value"]) == ("800", "600")
    assert fields["alt_main"]["initial_value"] == "Red shoe"
    assert fields["alt_nl"]["initial_value"] == "Rode schoen"
    assert "initial_value" not in fields["alt_de"]
    assert json.loads(view["private_metadata"])["external_id"] == "ls-9"
    assert ecwid.uploads == []


async def test_partial_command_for_a_missing_product_says_so_in_the_form(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    await bot.command("999")
    _, view = await opened_view(slack)
    assert view["blocks"][0] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "There is no product with id 999 in the store."}],
    }
    assert "initial_option" not in inputs(view)["product"]


async def test_global_shortcut_opens_the_form(bot: BotUnderTest, slack: FakeSlack) -> None:
    response = await bot.interaction(global_shortcut("upload_product_image"))
    assert response.status_code == 200
    trigger_id, view = await opened_view(slack)
    assert trigger_id == "2222.42.shortcut"
    assert_is_the_upload_form(view)
    assert "initial_conversation" not in inputs(view)["channel"]


async def test_message_shortcut_prefills_the_link_and_channel(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    message = {"text": f"new photo: <https://example.com/page> and <{SHOE}?v=2&amp;q=1|shoe.png>"}
    payload = message_shortcut("use_as_product_image", message, channel_id="C9")
    payload["response_url"] = bot.response_url
    await bot.interaction(payload)
    trigger_id, view = await opened_view(slack)
    assert trigger_id == "3333.42.message"
    assert_is_the_upload_form(view)
    fields = inputs(view)
    assert fields["image_url"]["initial_value"] == f"{SHOE}?v=2&q=1"
    assert fields["channel"]["initial_conversation"] == "C9"


async def test_message_shortcut_without_a_link_explains_in_the_form(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    await bot.interaction(message_shortcut("use_as_product_image", {"text": "hi"}, "C9"))
    _, view = await opened_view(slack)
    assert "That message has no image or https:// link" in view["blocks"][0]["elements"][0]["text"]
    assert "initial_value" not in inputs(view)["image_url"]


async def test_store_languages_are_cached_between_forms(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    await bot.command("")
    await bot.command("")
    await slack.wait_for_call("views.open", count=2)
    assert [c.path for c in ecwid.calls].count("/profile") == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("red", ["Red Shoe · RS-1 · #123"]),
        ("BH-2", ["Blue Hat · BH-2 · #456"]),
        ("456", ["Blue Hat · BH-2 · #456"]),
        ("999", []),
        ("zzz", []),
    ],
)
async def test_product_type_ahead(
    bot: BotUnderTest, ecwid: FakeEcwid, typed: str, expected: list[str]
) -> None:
    response = await bot.interaction(block_suggestion("product", typed))
    assert response.status_code == 200
    assert [o["text"]["text"] for o in response.json()["options"]] == expected
    if not typed.isdigit():
        searches = [c.query for c in ecwid.calls if c.path == "/products"]
        fields = "total,count,offset,limit,items(id,name,sku,combinations(id,sku,options))"
        assert searches == [{"keyword": f"{typed}*", "limit": "100", "responseFields": fields}]


async def test_type_ahead_shortens_long_names_and_caps_at_100(
    bot: BotUnderTest, ecwid: FakeEcwid
) -> None:
    ecwid.products = {
        n: {"id": n, "name": f"Lamp {'x' * 80}", "sku": f"L-{n}"} for n in range(1000, 1150)
    }
    options = (await bot.interaction(block_suggestion("product", "lamp"))).json()["options"]
    assert len(options) == 100
    assert all(len(o["text"]["text"]) <= 75 for o in options)
    assert options[0]["text"]["text"].endswith("… · L-1000 · #1000")


def filled(url: str = SHOE, **overrides: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        "product": {"type": "external_select", "selected_option": {"value": "123"}},
        "image_url": {"type": "url_text_input", "value": url},
        "width": {"type": "number_input", "value": "800"},
        "height": {"type": "number_input", "value": "600"},
        "alt_main": {"type": "plain_text_input", "value": "Red shoe"},
        "alt_nl": {"type": "plain_text_input", "value": "Rode schoen"},
        "alt_de": {"type": "plain_text_input", "value": None},
        "channel": {"type": "conversations_select", "selected_conversation": "C77"},
    }
    values.update(overrides)
    return values


METADATA = json.dumps({"languages": ["nl", "de"], "external_id": None})


async def test_submission_uploads_and_replies_in_the_chosen_channel(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    shoe = images.link("shoe.png")
    response = await bot.interaction(view_submission("ecwid_image_upload", filled(shoe), METADATA))
    assert (response.status_code, response.text) == (200, "")  # the form closes
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert ecwid.uploads[0].path == "/products/123/image/async"
    assert ecwid.uploads[0].body == {
        "url": shoe,
        "width": "800",
        "height": "600",
        "alt": {"main": "Red shoe", "translated": {"nl": "Rode schoen"}},
    }
    assert [p.params["channel"] for p in posts] == ["C77", "C77"]
    assert posts[1].params["thread_ts"] == "1700000000.000001"
    assert "New main image id: *987654321*" in posts[1].params["text"]


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        (
            {"image_url": {"value": "http://cdn.example.com/a.png"}},
            {
                "image_url": "http://cdn.example.com/a.png is not an https:// link: give the image's whole address, starting with https://, e.g. https://cdn.example.com/shoe.jpg (Ecwid only takes HTTPS images)."
            },
        ),
        ({"width": {"value": "0"}}, {"width": "A whole number of pixels from 1 to 20000."}),
        ({"height": {"value": "-5"}}, {"height": "A whole number of pixels from 1 to 20000."}),
        ({"width": {"value": "wide"}}, {"width": "A whole number of pixels from 1 to 20000."}),
        ({"height": {"value": None}}, {"height": "Give the height too, or leave both blank."}),
        ({"width": {"value": None}}, {"width": "Give the width too, or leave both blank."}),
        (
            {"product": {"selected_option": None}},
            {"product": "Choose a product: type part of its name, its SKU or its id."},
        ),
        (
            {"alt_nl": {"value": "x" * 126}},
            {"alt_nl": "This alt text is 126 characters long; Ecwid allows at most 125."},
        ),
    ],
)
async def test_invalid_submissions_get_field_errors_and_upload_nothing(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    overrides: dict[str, Any],
    errors: dict[str, str],
) -> None:
    response = await bot.interaction(
        view_submission("ecwid_image_upload", filled(**overrides), METADATA)
    )
    assert response.json() == {"response_action": "errors", "errors": errors}
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []
    assert slack.calls_to("chat.postMessage") == []


async def test_blank_size_is_read_from_the_image(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    values = filled(images.link("photo.jpg"), width={"value": None}, height={"value": None})
    await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert (ecwid.uploads[0].body["width"], ecwid.uploads[0].body["height"]) == ("640", "480")
    assert "(JPEG, 640×480 px)" in posts[1].params["text"]
