"""Bad days: Ecwid faults, Slack refusing to post, unexpected errors, Slack's retries."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.config import Settings
from bot.domain.requests import ProductId, Requester, UploadRequest
from bot.logs import RedactSecrets
from bot.runtime import Runtime
from tests.fakes.ecwid_api import FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, serving, the_store
from tests.slack_requests import view_submission


async def upload_and_wait(bot: BotUnderTest, slack: FakeSlack, images: FakeImageHost) -> str:
    """Send an upload command; return the thread reply's text."""
    await bot.command(f"123 {images.link('shoe.png')}")
    posts = await slack.wait_for_call("chat.postMessage", count=2, timeout=30)
    return posts[1].params["text"]


@pytest.mark.parametrize(
    "retry_after",
    ["1", "http-date"],
)
async def test_rate_limit_is_waited_out_then_succeeds(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, retry_after: str
) -> None:
    if retry_after == "http-date":
        retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    ecwid.faults["upload"] = [
        Fault(
            429,
            {"errorMessage": "Too many requests", "errorCode": "RATE_LIMITED"},
            headers={"Retry-After": retry_after},
        )
    ]
    reply = await upload_and_wait(bot, slack, images)
    assert "New main image id: *987654321*" in reply
    first, second = ecwid.uploads
    assert first.body == second.body
    assert second.at - first.at >= 0.9


async def test_server_error_is_retried_then_succeeds(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(500, {"errorMessage": "Oops", "errorCode": "INTERNAL_ERROR"})]
    reply = await upload_and_wait(bot, slack, images)
    assert len(ecwid.uploads) == 2
    assert "New main image id: *987654321*" in reply


async def test_permanent_outage_stops_after_three_attempts(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(503, text="<html><h1>503 Service Unavailable</h1></html>")] * 5
    reply = await upload_and_wait(bot, slack, images)
    assert len(ecwid.uploads) == 3
    assert reply == (
        ":x: The image was not uploaded. Ecwid is unavailable right now (HTTP 503, after 3 attempts); "
        "try again in a few minutes. Ecwid said: `Service Unavailable`"
    )


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (
            Fault(
                402,
                {
                    "errorMessage": "Not available on current plan",
                    "errorCode": "NOT_AVAILABLE_ON_CURRENT_PLAN",
                },
            ),
            "The store's Ecwid plan does not allow this. Ecwid said: `Not available on current plan`",
        ),
        (
            Fault(
                403, {"errorMessage": "Token lacks scope", "errorCode": "INSUFFICIENT_APP_SCOPE"}
            ),
            "The Ecwid token lacks the `update_catalog` scope: ask Ecwid to add it to your custom app, then copy its token again. Ecwid said: `Token lacks scope`",
        ),
        (
            Fault(404, {"errorMessage": "Product not found", "errorCode": "PRODUCT_NOT_FOUND"}),
            "Product 123 was not found in Ecwid. Ecwid said: `Product not found`",
        ),
        (
            Fault(400, {"errorMessage": "Wrong URL", "errorCode": "WRONG_PARAMETER"}),
            "Ecwid refused the request. Ecwid said: `Wrong URL`",
        ),
        (Fault(400, text=""), "Ecwid refused the request. Ecwid said: `Bad Request`"),
    ],
)
async def test_client_errors_are_not_retried_and_read_well(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    fault: Fault,
    message: str,
) -> None:
    ecwid.faults["upload"] = [fault]
    reply = await upload_and_wait(bot, slack, images)
    assert reply == f":x: The image was not uploaded. {message}"
    await bot.idle()  # every queued upload has run its course
    assert len(ecwid.uploads) == 1


async def test_hanging_ecwid_ends_in_a_timeout_answer(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(200, {"id": 1}, delay=1.5)] * 3
    async with serving(replace(settings, ecwid_timeout_seconds=0.3), slack) as bot:
        reply = await upload_and_wait(bot, slack, images)
    assert reply == (
        ":x: The image was not uploaded. Ecwid did not answer within 0.3 s; try again in a few minutes."
    )
    assert len(ecwid.uploads) == 3


async def test_not_in_channel_still_delivers_the_image_id(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.errors["chat.postMessage"] = "not_in_channel"
    await bot.command(f"123 {images.link('shoe.png')}", channel_id="C555")
    answer = await slack.wait_for_response()
    assert answer["response_type"] == "ephemeral"
    assert answer["text"].startswith("Main image of `Red Shoe` (#123 · SKU `RS-1`):\n")
    assert "New main image id: *987654321*" in answer["text"]
    assert "I could not post in <#C555>: invite me there" in answer["text"]
    assert len(ecwid.uploads) == 1


async def test_form_result_reaches_the_user_when_the_bot_cannot_post_anywhere_in_the_channel(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.errors["chat.postEphemeral"] = "channel_not_found"
    slack.errors["chat.postMessage"] = "channel_not_found"
    values = {
        "product": {"selected_option": {"value": "123"}},
        "image_url": {"value": images.link("shoe.png")},
        "channel": {"selected_conversation": "C999"},
    }
    await bot.interaction(view_submission("ecwid_image_upload", values, "{}"))
    # The last resort is a direct message to the user (which this fake also refuses, and
    # the bot logs): what matters is that it was tried with the whole result.
    dms = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "U123"]
    )
    assert "New main image id: *987654321*" in dms[0].params["text"]


async def test_an_unexpected_listener_error_is_answered(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    payload = view_submission("ecwid_image_upload", {}, "{}")
    del payload["view"]["state"]  # malformed: the listener fails before it can ack
    await bot.interaction(payload)
    dm = (await slack.wait_for_call("chat.postMessage"))[0].params
    assert dm["channel"] == "U123"
    assert dm["text"].startswith(":x: Something went wrong on the bot's side")
    assert ecwid.calls == []


async def test_slack_retries_never_upload_twice(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    response = await bot.command(
        f"123 {images.link('shoe.png')}",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert response.status_code == 200
    await bot.idle()  # every queued upload has run its course
    assert ecwid.calls == []


def test_secrets_are_redacted_from_messages_and_exception_text() -> None:
    record = logging.LogRecord(
        "x", logging.ERROR, __file__, 1, "token %s", ("xoxb-secret-1",), None
    )
    try:
        raise RuntimeError("bad secret_abcdef in url")
    except RuntimeError:
        record.exc_info = sys.exc_info()
    RedactSecrets(("xoxb-secret-1", "secret_abcdef")).filter(record)
    text = logging.Formatter().format(record)
    assert "xoxb-secret-1" not in text and "secret_abcdef" not in text
    assert "token [redacted]" in text and "bad [redacted] in url" in text


async def test_an_upload_cut_off_by_shutdown_is_still_answered(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.upload_delay = 5  # longer than the shutdown grace below
    runtime = await Runtime.open(settings)
    request = UploadRequest(product=ProductId(123), image_url=images.link("shoe.png"), size=None)
    who = Requester(user_id="U123", channel_id="C123", response_url=slack.response_url())
    store = await the_store(runtime)
    runtime.workers.submit(lambda: runtime.uploads.run(store, request, who))
    await ecwid.wait_until(lambda: ecwid.uploads)
    await runtime.close(grace_seconds=0.2)
    answer = await slack.wait_for_response()
    assert answer["text"].startswith(":warning: The bot was restarted before your upload finished")
