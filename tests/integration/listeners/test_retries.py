"""The promises of docs/how-it-works.md about retries and limits, each exercised over real HTTP."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import pytest

from bot.config import Settings
from bot.ecwid.budget import RateLimit
from bot.ecwid.client import MAX_ANSWER_BYTES, EcwidClient
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack, SlackFault
from tests.processes import free_port
from tests.slack_requests import SlackSender

NEW_ID = "New main image id: *987654321*"


async def thread_reply(slack: FakeSlack, count: int = 2) -> str:
    calls = await slack.wait_for_call("chat.postMessage", count, timeout=15)
    return str(calls[-1].params["text"])


@pytest.mark.parametrize(
    "fault",
    [
        SlackFault(429, {"Retry-After": "1"}),
        SlackFault(503),
        SlackFault(drop=True),
    ],
    ids=["rate limit", "server error", "dropped connection"],
)
async def test_slack_calls_are_retried(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, fault: SlackFault
) -> None:
    slack.faults["chat.postMessage"] = [fault]
    started = time.monotonic()
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await thread_reply(slack, count=3)  # the failed attempt, the parent, the reply
    assert NEW_ID in reply
    assert slack.responses == []  # all of it went to the channel, as usual
    if fault.status == 429:
        assert time.monotonic() - started >= 1.0
    assert len(ecwid.uploads) == 1


async def test_a_long_slack_rate_limit_is_not_slept_through(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.faults["chat.postMessage"] = [SlackFault(429, {"Retry-After": "120"})] * 2
    started = time.monotonic()
    await bot.command(f"123 {images.link('shoe.png')}")
    answer = (await slack.wait_for_response(timeout=10))["text"]
    assert time.monotonic() - started < 5
    assert NEW_ID in answer  # told privately instead


async def test_a_dropped_ecwid_connection_is_retried(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [Fault(200, drop=True)]
    await bot.command(f"123 {images.link('shoe.png')}")
    assert NEW_ID in await thread_reply(slack)
    assert len(ecwid.uploads) == 2


@pytest.mark.parametrize("unsized", [False, True], ids=["sized", "chunked"])
async def test_an_oversized_ecwid_answer_is_refused_before_it_is_parsed(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, unsized: bool
) -> None:
    padding = "x" * MAX_ANSWER_BYTES  # with the rest of the JSON: one byte too many, and more
    ecwid.faults["upload"] = [Fault(200, {"id": 1, "padding": padding}, unsized=unsized)]
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await thread_reply(slack)
    assert "Ecwid sent an answer larger than 16 MB; the bot does not read it." in reply
    assert len(ecwid.uploads) == 1  # not sent again


async def test_ecwid_rate_limit_waits_are_capped_at_a_minute(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.faults["upload"] = [
        Fault(429, {"errorCode": "RATE_LIMITED"}, headers={"Retry-After": "61"})
    ]
    started = time.monotonic()
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await thread_reply(slack)
    assert time.monotonic() - started < 5  # given up at once rather than waiting 61 s
    assert reply.startswith(
        ":x: The image was not uploaded. Ecwid is rate-limiting the store's requests"
    )
    assert len(ecwid.uploads) == 1


async def test_ecwid_calls_are_held_to_the_per_minute_limit(
    settings: Settings, ecwid: FakeEcwid
) -> None:
    async with aiohttp.ClientSession() as http:
        assert EcwidClient.for_settings(http, settings).budget.limit == RateLimit(600, 60)
        # The same limit at 20 calls in any 2 s, against an Ecwid that counts as strictly (a
        # sliding window) and answers 429 past it, so that the effect shows in seconds.
        ecwid.rate_limit = (20, 2.0)
        client = EcwidClient(
            http,
            api_url=ecwid.api_url,
            store_id=STORE_ID,
            token=TOKEN,
            timeout=5,
            rate_limit=RateLimit(20, 2),
        )
        started = time.monotonic()
        products = await asyncio.gather(*(client.get_product(123) for _ in range(50)))
        elapsed = time.monotonic() - started
    assert [p.id for p in products] == [123] * 50
    assert ecwid.rate_limited == []  # not one call was refused
    first = ecwid.calls[0].at
    # A burst of 20 goes through at once; then 20 more each time the window has moved on.
    assert sum(call.at - first < 0.5 for call in ecwid.calls) == 20
    assert 4.0 <= elapsed < 6


async def test_an_original_and_its_retry_upload_once(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    text = f"123 {images.link('shoe.png')}"
    original = await bot.command(text)
    retry = await bot.command(
        text, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert (original.status_code, retry.status_code) == (200, 200)
    assert NEW_ID in await thread_reply(slack)
    assert len(ecwid.uploads) == 1
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_a_refused_connection_is_explained_and_safe_to_send_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No connection means nothing reached Ecwid: even a file's bytes may be sent again."""
    caplog.set_level(logging.WARNING, logger="bot")
    session = aiohttp.ClientSession()
    client = EcwidClient(
        session,
        api_url=f"http://127.0.0.1:{free_port()}/api/v3",
        store_id=STORE_ID,
        token=TOKEN,
        timeout=2,
    )
    try:
        with pytest.raises(EcwidError) as refused:
            await client.upload_image_bytes(ImageSlot(123, "main"), b"\x89PNG")
    finally:
        await session.close()
    assert str(refused.value) == "Could not reach Ecwid; try again shortly."
    assert caplog.text.count("POST /products/123/image: no connection") == 3
