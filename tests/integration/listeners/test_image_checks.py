"""The image is read before Ecwid gets its URL: sizes filled in, bad links refused in Slack."""

from __future__ import annotations

import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.slack_requests import SlackSender


@pytest.mark.parametrize(
    ("name", "width", "height", "shown"),
    [
        ("photo.jpg", "640", "480", "(JPEG, 640×480 px)"),
        ("shoe.png", "800", "600", "(PNG, 800×600 px)"),
        ("anim.gif", "320", "200", "(GIF, 320×200 px)"),
    ],
)
async def test_missing_size_is_read_from_the_image(
    bot: SlackSender,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    name: str,
    width: str,
    height: str,
    shown: str,
) -> None:
    url = images.link(name)
    await bot.command(f"123 {url}")
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert ecwid.uploads[0].body == {"url": url, "width": width, "height": height}
    assert shown in posts[1].params["text"]
    assert "information_source" not in posts[1].params["text"]


async def test_given_size_wins_but_a_difference_is_reported(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"123 {images.link('shoe.png')} 1024x768")
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert (ecwid.uploads[0].body["width"], ecwid.uploads[0].body["height"]) == ("1024", "768")
    assert (
        ":information_source: You gave the size 1024×768, but the image is 800×600 px; "
        "Ecwid was told 1024×768."
    ) in posts[1].params["text"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "page.html",
            "The link leads to a web page, not an image file (JPG, PNG, GIF, HEIC, WebP, AVIF, TIFF or BMP).",
        ),
        ("gone.png", "The image link answered HTTP 404 Not Found."),
        ("to-http", "The link (or a redirect) is not https://; only HTTPS images can be used."),
    ],
)
async def test_bad_images_are_refused_privately_and_never_reach_ecwid(
    bot: SlackSender,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    name: str,
    message: str,
) -> None:
    images.redirect("to-http", f"http://localhost:{images.port}/shoe.png")
    await bot.command(f"123 {images.link(name)} 800x600")
    answer = await slack.wait_for_response()
    assert answer["text"] == f":x: Nothing was uploaded. {message}"
    assert ecwid.uploads == []
    assert slack.calls_to("chat.postMessage") == []


async def test_product_and_image_problems_are_told_together(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"999 {images.link('gone.png')}")
    answer = await slack.wait_for_response()
    assert answer["text"] == (
        ":x: Nothing was uploaded. There is no product with id 999 in the store. "
        "The image link answered HTTP 404 Not Found."
    )


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "10.1.2.3", "169.254.169.254", "0x7f000001", "[::1]"]
)
async def test_private_links_reach_neither_the_host_nor_ecwid_by_default(
    strict_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, host: str
) -> None:
    await strict_bot.command(f"123 https://{host}:{images.port}/shoe.png 800x600")
    answer = await slack.wait_for_response()
    assert answer["text"] == (
        ":x: Nothing was uploaded. The link points to a private or local network address; "
        "only public https:// links can be used."
    )
    await strict_bot.idle()  # every queued upload has run its course
    assert images.hits == []
    assert ecwid.uploads == []
