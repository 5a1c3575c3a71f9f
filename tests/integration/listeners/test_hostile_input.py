"""Malformed and hostile commands: each answered clearly, nothing uploaded, nothing live in Slack."""

from __future__ import annotations

import re

import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest

URL = "https://cdn.example.com/a.png"  # refused before anything fetches it
LIVE_MARKUP = re.compile(r"<[!@#]|<https?:")  # a mention, broadcast or link Slack would render


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("<!channel> https://x.example/a.png", "`!channel` is not an https:// link"),
        ("<@U999> https://x.example/a.png", "`@U999` is not an https:// link"),
        (f"0 {URL}", "`0` is not a product id"),
        (f"99999999999999999999 {URL}", "`99999999999999999999` is not a product id"),
        (f"sku: {URL}", "Give the SKU after `sku:`"),
        ("123 javascript:alert(1)", "`javascript:alert(1)` is not an https:// link"),
        ("123 <http://evil.example/a.png|https://good.example/a.png>", "is not an https:// link"),
        ("123 https://", "`https://` is not a valid image link."),
        (f"123 {URL} 0x0", "Width and height must be whole numbers from 1 to 20000 pixels."),
        (f"123 {URL} 99999x1", "Width and height must be whole numbers from 1 to 20000 pixels."),
        (f"123 {URL} 12x", "`12x` is not a size"),
        (f'123 {URL} alt="never closed', "The quote after `alt=` is never closed."),
        (f"123 {URL} alt=“never closed", "The quote after `alt=` is never closed."),
        (f'123 {URL} alt="a" alt="b"', "`alt=` is given twice; give it once."),
        (f"123 {URL} colour=red", "Unknown option `colour=`"),
        (f'123 {URL} alt.123="x"', "`alt.123=` does not name a language"),
        (f'123 {URL} alt="{"é" * 126}"', "`alt` is 126 characters long; Ecwid allows at most 125."),
        (f"123 {URL} <https://evil.example|click>=1", "Unexpected `click=1`"),
    ],
)
async def test_refused_at_once_and_escaped(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, text: str, answer: str
) -> None:
    body = (await bot.command(text)).json()
    assert body["response_type"] == "ephemeral"
    assert answer in body["text"]
    assert not LIVE_MARKUP.search(body["text"]), body["text"]
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []
    assert slack.calls_to("chat.postMessage") == []


@pytest.mark.parametrize(
    ("options", "answer"),
    [
        (
            'alt.fr="Chaussure"',
            "`alt.fr=`: the store has no language `fr`. Its languages are en (default), nl, de.",
        ),
        ('alt.en="Shoe"', "`alt.en=` is the store's default language: write it as `alt=`."),
    ],
)
async def test_alt_languages_must_be_enabled_in_the_store(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    options: str,
    answer: str,
) -> None:
    await bot.command(f"123 {images.link('shoe.png')} {options}")
    reply = await slack.wait_for_response()
    assert reply["text"] == f":x: Nothing was uploaded. {answer}"
    assert ecwid.uploads == []


async def test_hostile_text_reaches_ecwid_as_typed_but_never_live_in_slack(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products[123]["name"] = "<https://evil.example|Click me> & <!here>"
    # What Slack sends when a user types alt="<!channel> Tom & Jerry 👟" alt.nl="<@U1> grün"
    await bot.command(
        f'123 {images.link("shoe.png")} alt="&lt;!channel&gt; Tom &amp; Jerry 👟" '
        'alt.nl="&lt;@U1&gt; grün"'
    )
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert ecwid.uploads[0].body["alt"] == {
        "main": "<!channel> Tom & Jerry 👟",
        "translated": {"nl": "<@U1> grün"},
    }
    for post in posts:
        text = post.params["text"]
        assert not LIVE_MARKUP.search(
            text.replace("<@U123>", "").replace(f"<{images.link('shoe.png')}|", "")
        ), text
    assert "`&lt;https://evil.example|Click me&gt; &amp; &lt;!here&gt;`" in posts[0].params["text"]
    assert "Alt text: &lt;!channel&gt; Tom &amp; Jerry 👟" in posts[1].params["text"]
    assert "Alt text (nl): &lt;@U1&gt; grün" in posts[1].params["text"]
