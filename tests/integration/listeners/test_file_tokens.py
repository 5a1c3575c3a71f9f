"""The bot token goes only to Slack's own file hosts, whatever a file object names: through every
way a file comes in, a file hosted elsewhere is read like a link (no token) or refused, and every
hop follows the image check's address rules."""

from __future__ import annotations

from tests.bulk_helpers import bulk_form_submission, press, the_plan, the_report
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.integration.listeners.test_slack_files import (
    METADATA,
    form,
    open_from_message,
    thread_reply,
)
from tests.slack_requests import SlackSender, message_shortcut, view_submission

STUB = {"mode": "file_access", "file_access": "check_file_info"}


def no_token_reached(images: FakeImageHost) -> bool:
    return bool(images.hits) and all(h.authorization is None for h in images.hits)


async def test_a_remote_file_in_the_forms_file_field_is_read_like_a_link_without_the_token(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    remote = slack.add_remote_file("F0R1", "drive.png", images.link("shoe.png"))
    await bot.interaction(view_submission("ecwid_image_upload", form(remote), METADATA))
    assert "New main image id" in await thread_reply(slack)
    assert no_token_reached(images)
    assert ecwid.byte_uploads[0].body == images.files["shoe.png"].body


async def test_use_as_product_image_on_a_remote_file_sends_no_token(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    remote = slack.add_remote_file("F0R2", "drive.png", images.link("shoe.png"))
    view = await open_from_message(bot, slack, {"text": "", "files": [remote]})
    values = form(message_file={"type": "radio_buttons", "selected_option": {"value": "F0R2"}})
    await bot.interaction(view_submission("ecwid_image_upload", values, view["private_metadata"]))
    assert "New main image id" in await thread_reply(slack)
    assert no_token_reached(images)


async def test_a_connect_stub_that_files_info_says_is_remote_gets_no_token(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.add_remote_file("F0R3", "partner.png", images.link("shoe.png"))
    await bot.interaction(
        view_submission("ecwid_image_upload", form({"id": "F0R3", **STUB}), METADATA)
    )
    assert "New main image id" in await thread_reply(slack)
    assert [c.params["file"] for c in slack.calls_to("files.info")] == ["F0R3"]
    assert no_token_reached(images)


async def test_upload_these_images_then_start_sends_no_token_to_remote_files(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    files = [
        slack.add_remote_file("F0R4", "RS-1.png", images.link("shoe.png")),
        {"id": "F0R5", **STUB},
    ]
    slack.add_remote_file("F0R5", "BH-2.png", images.link("photo.jpg"))
    shortcut = message_shortcut("use_as_product_images", {"files": files}, "C123")
    shortcut["response_url"] = bot.response_url
    await bot.interaction(shortcut)
    ts, job_id, plan = await the_plan(slack)
    assert "*2 uploads ready*" in plan.params["text"]
    await bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    assert sorted(c.path for c in ecwid.byte_uploads) == [
        "/products/123/image",
        "/products/456/image",
    ]
    assert no_token_reached(images)


async def test_a_remote_file_on_a_private_address_is_refused_by_the_image_rules(
    strict_bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    remote = slack.add_remote_file("F0R6", "inside.png", images.link("shoe.png", host="127.0.0.1"))
    await strict_bot.interaction(view_submission("ecwid_image_upload", form(remote), METADATA))
    answer = (await slack.wait_for_call("chat.postEphemeral", timeout=10))[0].params["text"]
    assert answer == (
        ":x: Nothing was uploaded. The link points to a private or local network address; only "
        "public https:// links can be used."
    )
    assert images.hits == [] and ecwid.byte_uploads == []


async def test_a_csv_stored_outside_slack_is_refused_clearly(
    bot: BotUnderTest, slack: FakeSlack, images: FakeImageHost
) -> None:
    remote = slack.add_remote_file("F0R7", "lines.csv", images.link("lines.csv"))
    await bot.interaction(bulk_form_submission(csv_file=remote))
    said = await slack.wait_until(
        lambda: [c for c in slack.calls if "not stored in Slack" in str(c.params.get("text"))]
    )
    assert said[0].params["text"] == (
        ":x: <@U123>'s bulk upload was not planned; nothing was uploaded. lines.csv is not "
        "stored in Slack but elsewhere (a linked file): upload the file itself to Slack."
    )
    assert images.hits == []
