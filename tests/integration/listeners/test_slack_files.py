"""Images that arrive as Slack files: the message shortcut and the form's file field, through
the same upload flow, against a loopback Slack that serves files only with the bot token."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from tests.fakes.ecwid_api import FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost, image_bytes
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.harness import BotUnderTest, serving
from tests.slack_requests import message_shortcut, view_submission

PNG = image_bytes("PNG", 800, 600)
METADATA = json.dumps({"languages": ["nl", "de"], "external_id": None})


def form(
    file: dict[str, Any] | None = None, link: str | None = None, **more: Any
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "product": {"type": "external_select", "selected_option": {"value": "123"}},
        "image_url": {"type": "url_text_input", "value": link},
        "image_file": {"type": "file_input", "files": [file] if file else []},
        "alt_main": {"type": "plain_text_input", "value": "Red shoe"},
        "alt_nl": {"type": "plain_text_input", "value": "Rode schoen"},
        "channel": {"type": "conversations_select", "selected_conversation": "C123"},
    }
    return {**values, **more}


async def thread_reply(slack: FakeSlack) -> str:
    return str((await slack.wait_for_call("chat.postMessage", 2, timeout=10))[1].params["text"])


async def private_answer(slack: FakeSlack) -> str:
    """A form has no response_url: private answers come as an ephemeral message."""
    return str((await slack.wait_for_call("chat.postEphemeral", timeout=10))[0].params["text"])


def assert_uploaded_with_alt(ecwid: FakeEcwid, data: bytes) -> None:
    (upload,) = ecwid.byte_uploads
    assert upload.path == "/products/123/image"
    assert upload.content_type == "application/octet-stream"
    assert upload.body == data
    assert ecwid.uploads == []  # not the link call
    (update,) = ecwid.updates
    assert update.path == "/products/123"
    # Only the main image's alt changes; the gallery image is sent back as it was.
    assert update.body == {
        "media": {
            "images": [
                {
                    "id": "0",
                    "orderBy": 0,
                    "alt": {"main": "Red shoe", "translated": {"nl": "Rode schoen"}},
                },
                {"id": "55", "orderBy": 1, "alt": {"main": "Side"}},
            ]
        }
    }
    images = ecwid.products[123]["media"]["images"]
    assert [i["id"] for i in images] == ["0", "55"]


async def open_from_message(
    bot: BotUnderTest, slack: FakeSlack, message: dict[str, Any]
) -> dict[str, Any]:
    payload = message_shortcut("use_as_product_image", message, "C123")
    payload["response_url"] = bot.response_url
    await bot.interaction(payload)
    view = (await slack.wait_for_call("views.open"))[-1].params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


async def test_message_shortcut_with_a_png_file_uploads_exactly_its_bytes(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0PNG", "red-shoe.png", PNG)
    message = {"text": "new photo <https://shop.example.com/page>", "files": [file]}
    view = await open_from_message(bot, slack, message)

    shown = [b for b in view["blocks"] if b["type"] == "image"]
    assert shown == [
        {
            "type": "image",
            "slack_file": {"id": "F0PNG"},
            "alt_text": "red-shoe.png",
            "title": {"type": "plain_text", "text": "red-shoe.png"},
        }
    ]
    choice = next(b for b in view["blocks"] if b.get("block_id") == "message_file")
    assert choice["element"]["initial_option"]["value"] == "F0PNG"
    image_url = next(b for b in view["blocks"] if b.get("block_id") == "image_url")
    assert "initial_value" not in image_url["element"]  # files come before links in the text

    values = form(message_file={"type": "radio_buttons", "selected_option": {"value": "F0PNG"}})
    response = await bot.interaction(
        view_submission("ecwid_image_upload", values, view["private_metadata"])
    )
    assert response.text == ""
    reply = await thread_reply(slack)
    assert reply.startswith(":white_check_mark: New main image id: *987654321*\n")
    assert "Image: `red-shoe.png`, a file shared in Slack (PNG, 800×600 px)" in reply
    assert_uploaded_with_alt(ecwid, PNG)
    assert [d.authorization for d in slack.downloads] == [f"Bearer {BOT_TOKEN}"]


async def test_several_image_files_let_the_user_choose(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    files = [
        slack.add_file("F1", "front.png", PNG),
        slack.add_file("F2", "side.jpg", image_bytes("JPEG", 640, 480), "image/jpeg"),
        {"id": "F3", "name": "notes.pdf", "mimetype": "application/pdf"},
    ]
    view = await open_from_message(bot, slack, {"text": "", "files": files})
    choice = next(b for b in view["blocks"] if b.get("block_id") == "message_file")
    assert [o["value"] for o in choice["element"]["options"]] == ["F1", "F2"]
    values = form(message_file={"type": "radio_buttons", "selected_option": {"value": "F2"}})
    await bot.interaction(view_submission("ecwid_image_upload", values, view["private_metadata"]))
    assert "(JPEG, 640×480 px)" in await thread_reply(slack)
    assert ecwid.byte_uploads[0].body == image_bytes("JPEG", 640, 480)


async def test_the_forms_file_field_uploads_the_file(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0UP", "upload.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    assert "New main image id: *987654321*" in await thread_reply(slack)
    assert_uploaded_with_alt(ecwid, PNG)


@pytest.mark.parametrize("both", [True, False], ids=["link and file", "neither"])
async def test_exactly_one_of_link_or_file(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, both: bool
) -> None:
    file = slack.add_file("F0UP", "upload.png", PNG)
    values = form(file, images.link("shoe.png")) if both else form()
    response = await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    expected = (
        "Give a link or a file, not both."
        if both
        else "Give the image's https:// link, or upload the image as a file."
    )
    assert response.json() == {"response_action": "errors", "errors": {"image_url": expected}}
    await bot.idle()
    assert ecwid.calls == [] and slack.downloads == []


async def test_a_redirect_to_another_host_never_gets_the_token(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    file = slack.add_file("F0RD", "moved.png", PNG)
    slack.file_redirects["F0RD"] = images.link("shoe.png")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    assert "New main image id" in await thread_reply(slack)
    assert [d.authorization for d in slack.downloads] == [f"Bearer {BOT_TOKEN}"]
    assert [(h.path, h.authorization) for h in images.hits] == [("shoe.png", None)]
    assert ecwid.byte_uploads[0].body == images.files["shoe.png"].body


async def test_the_sign_in_page_says_files_read_is_missing(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0PNG", "red-shoe.png", PNG)
    async with serving(
        replace(settings, slack_bot_token="xoxb-a-token-slack-refuses"), slack
    ) as bot:
        await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
        answer = await private_answer(slack)
    assert answer == (
        ":x: Nothing was uploaded. The bot cannot read files shared in Slack: Slack answered with "
        "its sign-in page. The app needs the files:read scope: add it (it is in manifest.yml) and "
        "reinstall the app."
    )
    assert ecwid.byte_uploads == []


async def test_a_file_said_to_be_over_100_mb_is_refused_before_it_is_downloaded(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0BIG", "huge.png", PNG)
    file["size"] = 120 * 1024 * 1024  # as Slack describes it
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The image is 120.0 MB; the bot converts images of up to 100 MB."
    )
    assert ecwid.byte_uploads == []
    assert slack.downloads == []


@pytest.mark.slow  # 100 MB through loopback
async def test_a_download_stops_past_100_mb_when_the_size_is_not_said(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0BIG", "huge.png", PNG + b"\0" * (100 * 1024 * 1024))
    del file["size"]
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    answer = await private_answer(slack)
    assert answer.startswith(":x: Nothing was uploaded. The image is 100.")
    assert answer.endswith(" MB; the bot converts images of up to 100 MB.")
    assert ecwid.byte_uploads == []
    assert len(slack.downloads) == 1


async def test_a_pdf_named_png_is_refused(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0PDF", "photo.png", b"%PDF-1.7\n" + b"x" * 2000, "image/png")
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    assert await private_answer(slack) == (
        ":x: Nothing was uploaded. The file is not a JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP image."
    )
    assert ecwid.byte_uploads == []


async def test_a_slack_connect_stub_is_read_with_files_info(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    slack.add_file("F0EXT", "partner.png", PNG)
    stub = {"id": "F0EXT", "mode": "file_access", "file_access": "check_file_info"}
    await bot.interaction(view_submission("ecwid_image_upload", form(stub), METADATA))
    assert "New main image id" in await thread_reply(slack)
    assert [c.params["file"] for c in slack.calls_to("files.info")] == ["F0EXT"]
    assert ecwid.byte_uploads[0].body == PNG


async def test_a_failed_alt_update_is_reported_after_the_replacement(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.faults["update"] = [Fault(400, {"errorMessage": "Bad media"})]
    file = slack.add_file("F0PNG", "red-shoe.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    assert reply.startswith(":white_check_mark: New main image id: *987654321*")
    assert reply.endswith(
        ":warning: The image was replaced, but its alt text was not set: Ecwid refused the "
        "request. Ecwid said: `Bad media`"
    )


async def test_bytes_are_not_sent_twice_after_an_ambiguous_failure(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.faults["upload-bytes"] = [Fault(503, text="down")]
    file = slack.add_file("F0PNG", "red-shoe.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await thread_reply(slack)
    assert reply.startswith(":x: The image was not uploaded. Ecwid is unavailable right now")
    assert (
        "The file may or may not have reached Ecwid: check the product before trying again."
        in reply
    )
    assert len(ecwid.byte_uploads) == 1


async def test_bytes_are_sent_again_after_a_rate_limit(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.faults["upload-bytes"] = [
        Fault(429, {"errorCode": "RATE_LIMITED"}, headers={"Retry-After": "1"})
    ]
    file = slack.add_file("F0PNG", "red-shoe.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    assert "New main image id" in await thread_reply(slack)
    assert [c.body == PNG for c in ecwid.byte_uploads] == [True, True]


async def test_one_round_of_look_ups_for_the_form_and_for_a_file(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The form and a Slack file go through the same flow as the command: the product is looked
    up once, the image read once, and nothing is asked twice."""
    values = form(link=images.link("shoe.png"))
    values["alt_nl"] = {"type": "plain_text_input", "value": ""}
    await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    await bot.idle()
    calls = [(c.method, c.path, c.query.get("responseFields") or "") for c in ecwid.calls]
    # Three calls to Ecwid for an upload from a link: one read before (the look-up and what
    # the slots show now, for undo), the upload, and the read-back for undo.
    assert calls == [
        (
            "GET",
            "/products/123",
            "id,name,sku,originalImage,media,options,"
            "combinations(id,sku,options,originalImageUrl,imageUrl,alt)",
        ),
        ("POST", "/products/123/image/async", ""),
        ("GET", "/products/123", "id,originalImage,media"),  # the image after, for undo
    ]
    # The ranged check before the upload, and nothing else: the file is small, so the check
    # reads it whole, and its identity (how undo recognises it once Ecwid serves its own copy)
    # is had from those bytes. The product had no image before: nothing to keep.
    assert [h.range for h in images.hits] == [f"bytes=0-{1024 * 1024 - 1}"]

    ecwid.calls.clear()
    file = slack.add_file("F0ONE", "one.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    await bot.idle()
    calls = [(c.method, c.path) for c in ecwid.calls]
    assert sorted(calls[:2]) == [
        ("GET", "/products/123"),  # the product and what it shows now, for undo
        ("GET", "/profile"),  # the alt text's languages, read once and cached
    ]
    assert calls[2:] == [
        ("POST", "/products/123/image"),
        ("GET", "/products/123"),  # the images, to set the alt text on the new one
        ("PUT", "/products/123"),
        ("GET", "/products/123"),  # read back: does Ecwid show the alt text asked for?
        ("GET", "/products/123"),  # the image after, for undo
    ]
    assert len(slack.downloads) == 1
    # The image host is asked once more: for the image being replaced (the first upload's),
    # whole, to keep it for undo. (The file's identity comes from its bytes, at hand.)
    assert [h.range for h in images.hits] == [f"bytes=0-{1024 * 1024 - 1}", None]


async def test_a_gallery_images_failed_alt_text_says_added_not_replaced(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.faults["update"] = [Fault(400, {"errorMessage": "Bad media"})]
    file = slack.add_file("F0GAL", "side.png", PNG)
    values = form(file, target={"type": "radio_buttons", "selected_option": {"value": "gallery"}})
    await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    assert (await thread_reply(slack)).endswith(
        ":warning: The image was added to the gallery, but its alt text was not set: Ecwid "
        "refused the request. Ecwid said: `Bad media`"
    )
