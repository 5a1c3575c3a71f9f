"""`/ecwid-image` end to end: signed requests in, real HTTP out to the loopback Slack and Ecwid."""

from __future__ import annotations

import pytest

from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest

pytestmark = pytest.mark.asyncio

EXAMPLE = "https://cdn.example.com/shoe.png"  # never fetched: the command is refused first


@pytest.fixture
def shoe(images: FakeImageHost) -> str:
    """A real 800×600 PNG on the loopback HTTPS image host."""
    return images.link("shoe.png")


async def thread_reply(slack: FakeSlack) -> dict:
    """The message posted in the parent's thread (the second chat.postMessage)."""
    posts = await slack.wait_for_call("chat.postMessage", count=2)
    parent, reply = posts[0].params, posts[1].params
    assert reply["thread_ts"] and reply["channel"] == parent["channel"]
    return reply


async def test_upload_sends_exact_json_and_replies_in_thread(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    response = await bot.command(f'123 {shoe} 800x600 alt="Red shoe" alt.nl="Rode schoen"')
    assert response.status_code == 200
    assert response.text == ""  # a plain ack; the answer comes in the channel

    reply = await thread_reply(slack)
    assert len(ecwid.uploads) == 1
    upload = ecwid.uploads[0]
    assert upload.method == "POST"
    assert upload.path == "/products/123/image/async"
    assert upload.body == {
        "url": shoe,
        "width": "800",
        "height": "600",
        "alt": {"main": "Red shoe", "translated": {"nl": "Rode schoen"}},
    }
    assert upload.authorization == f"Bearer {TOKEN}"
    assert "token" not in upload.query

    parent = slack.calls_to("chat.postMessage")[0].params
    assert parent["channel"] == "C123"
    assert "<@U123> is replacing the main image of `Red Shoe` (#123 · SKU `RS-1`)" in parent["text"]
    assert reply["thread_ts"] == "1700000000.000001"
    assert "New main image id: *987654321*" in reply["text"]

    update = (await slack.wait_for_call("chat.update"))[0].params
    assert update["ts"] == "1700000000.000001"
    assert update["text"].startswith(
        ":white_check_mark: <@U123> replaced the main image of `Red Shoe`"
    )
    assert slack.responses == []


async def test_sku_is_looked_up_and_uploads_the_same(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    await bot.command(f"sku:BH-2 <{shoe}|shoe.png> 640X480")
    reply = await thread_reply(slack)
    lookup = ecwid.calls[0]
    assert (lookup.path, lookup.query) == (
        "/products",
        {
            "sku": "BH-2",
            "limit": "100",
            "offset": "0",
            "responseFields": "total,count,offset,limit,items(id,name,sku,combinations(id,sku,options))",
        },
    )
    assert ecwid.uploads[0].path == "/products/456/image/async"
    assert ecwid.uploads[0].body == {"url": shoe, "width": "640", "height": "480"}
    assert "New main image id: *987654321*" in reply["text"]


async def test_curly_quotes_and_slack_entities_reach_ecwid_as_typed(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    # Slack escapes & < > in command text; the user typed: alt=“Tom & Jerry <3”
    await bot.command(f"123 {shoe}?a=1&amp;b=2 10x20 alt=“Tom &amp; Jerry &lt;3” external-id=x-1")
    reply = await thread_reply(slack)
    assert ecwid.uploads[0].body == {
        "url": f"{shoe}?a=1&b=2",
        "width": "10",
        "height": "20",
        "alt": {"main": "Tom & Jerry <3"},
        "externalId": "x-1",
    }
    assert "Alt text: Tom &amp; Jerry &lt;3" in reply["text"]


async def test_answer_without_id_is_reported_not_crashed(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.upload_answer = {}
    await bot.command(f"123 {shoe} 800x600")
    reply = await thread_reply(slack)
    assert "Ecwid accepted the image, but returned no image id." in reply["text"]


async def test_ecwid_error_ends_in_thread_reply_with_ecwids_message(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.faults["upload"] = [
        Fault(400, {"errorMessage": "Image size is incorrect", "errorCode": "INCORRECT_IMAGE_SIZE"})
    ]
    await bot.command(f"123 {shoe} 800x600")
    reply = await thread_reply(slack)
    assert reply["text"] == (
        ":x: The image was not uploaded. Ecwid refused the request. Ecwid said: `Image size is incorrect`"
    )
    update = (await slack.wait_for_call("chat.update"))[0].params
    assert update["text"].startswith(":x: <@U123> tried to replace the main image of `Red Shoe`")


async def test_missing_product_is_a_private_error_and_nothing_is_uploaded(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    await bot.command(f"999 {shoe} 800x600")
    answer = await slack.wait_for_response()
    assert answer == {
        "response_type": "ephemeral",
        "replace_original": False,
        "text": ":x: Nothing was uploaded. There is no product with id 999 in the store.",
    }
    assert ecwid.uploads == []
    assert slack.calls_to("chat.postMessage") == []


async def test_unknown_sku_is_a_private_error(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    await bot.command(f"sku:NOPE {shoe} 800x600")
    answer = await slack.wait_for_response()
    assert (
        answer["text"]
        == ':x: Nothing was uploaded. There is no product with SKU "NOPE" in the store.'
    )
    assert ecwid.uploads == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("123 http://cdn.example.com/a.png 800x600", "is not an https:// link"),
        (f"sku: {EXAMPLE} 1x1", "Give the SKU after `sku:`"),
        (f"123 {EXAMPLE} 1x1 extra", "Unexpected `extra`"),
        (f"123 {EXAMPLE} 800x", "`800x` is not a size"),
        (f'123 {EXAMPLE} 800x600 colour="red"', "Unknown option `colour=`"),
        (f'123 {EXAMPLE} 800x600 alt="open', "The quote after `alt=` is never closed."),
    ],
)
async def test_input_errors_are_answered_at_once_and_reach_nobody(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, text: str, problem: str
) -> None:
    response = await bot.command(text)
    assert response.status_code == 200
    body = response.json()
    assert body["response_type"] == "ephemeral"
    assert problem in body["text"]
    assert "Usage: `/ecwid-image PRODUCT IMAGE_URL [WIDTHxHEIGHT]" in body["text"]
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []
    assert [c.method for c in slack.calls if c.method != "auth.test"] == []


@pytest.mark.parametrize("text", ["help", "  HELP "])
async def test_help_answers_with_usage_and_uploads_nothing(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, text: str
) -> None:
    body = (await bot.command(text)).json()
    assert body["response_type"] == "ephemeral"
    assert body["text"].startswith(
        "*Put an image on an Ecwid product: its main image, its gallery or a variation*"
    )
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []


async def test_unsigned_or_forged_requests_are_refused(bot: BotUnderTest, ecwid: FakeEcwid) -> None:
    forged = await bot.post("command=%2Fecwid-image&text=123", signature="v0=deadbeef")
    stale = await bot.post("command=%2Fecwid-image&text=123", timestamp=1_600_000_000)
    assert (forged.status_code, stale.status_code) == (401, 401)
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []


async def test_user_and_ecwid_text_is_escaped_in_slack(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.products[123]["name"] = "<https://evil.example|click> <!channel>"
    await bot.command(f'123 {shoe} 800x600 alt="&lt;!channel&gt; hi"')
    reply = await thread_reply(slack)
    parent = slack.calls_to("chat.postMessage")[0].params["text"]
    assert "`&lt;https://evil.example|click&gt; &lt;!channel&gt;`" in parent
    assert "Alt text: &lt;!channel&gt; hi" in reply["text"]
    assert ecwid.uploads[0].body["alt"] == {"main": "<!channel> hi"}


async def test_store_naming_another_store_is_refused_and_its_own_is_taken(
    bot: BotUnderTest, shoe: str, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    response = await bot.command(f"123 {shoe} store={STORE_ID + 1}")
    assert response.json()["text"] == (
        f":electric_plug: This bot serves store {STORE_ID}, not store {STORE_ID + 1}: leave "
        "out `store=`."
    )
    assert ecwid.calls == []
    response = await bot.command(f"123 {shoe} store={STORE_ID}")
    assert (response.status_code, response.text) == (200, "")
    await thread_reply(slack)
    assert [u.path for u in ecwid.uploads] == ["/products/123/image/async"]
