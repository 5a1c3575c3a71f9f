"""Requests that did not pass Slack's signature check get 401 and cause nothing at all.

Each would have made the bot act before: the error handler answered the unverified body's
response_url (blind SSRF) or posted as the bot. Logs get one short line, never the body.
"""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import httpx
import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import SlackSender, view_submission

FORGED_AUDIT = (
    "\n2026-12-01 12:00:00,000 INFO bot.upload: upload user=UATTACK channel=C1 product=1 "
    "outcome=uploaded ecwid_status=200 duration_ms=1\n"
)


def attack_body(slack: FakeSlack, images: FakeImageHost) -> str:
    """A command an attacker would like answered: its response_url is theirs to choose."""
    return urlencode(
        {
            "command": "/ecwid-image",
            "text": f"123 {images.link('shoe.png')}{FORGED_AUDIT}",
            "user_id": "U123",
            "channel_id": "C123",
            "response_url": slack.response_url("attacker"),
            "trigger_id": "1.2.3",
        }
    )


def malformed_view(slack: FakeSlack) -> str:
    """A view submission that makes the listener fail: the error handler would answer it."""
    payload = view_submission("ecwid_image_upload", {}, "{}")
    del payload["view"]["state"]
    payload["response_url"] = slack.response_url("attacker")
    return urlencode({"payload": json.dumps(payload)})


NOW = str(int(time.time()))
HEX = "a" * 64

CASES = {
    "no headers": {},
    "non-numeric timestamp": {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=" + HEX},
    "other digits": {"X-Slack-Request-Timestamp": "١٧٠٠٠٠٠٠٠٠", "X-Slack-Signature": "v0=" + HEX},
    "underscored": {"X-Slack-Request-Timestamp": "1_700_000_000", "X-Slack-Signature": "v0=" + HEX},
    "huge timestamp": {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=" + HEX},
    "negative": {"X-Slack-Request-Timestamp": "-1", "X-Slack-Signature": "v0=" + HEX},
    "empty": {"X-Slack-Request-Timestamp": "", "X-Slack-Signature": ""},
    "stale": {"X-Slack-Request-Timestamp": str(int(time.time()) - 3600)},
    "non-ASCII signature": {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=ü" + HEX},
    "short signature": {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=abc"},
    "wrong signature": {"X-Slack-Request-Timestamp": NOW, "X-Slack-Signature": "v0=" + HEX},
    "bogus charset": {
        "X-Slack-Request-Timestamp": NOW,
        "X-Slack-Signature": "v0=" + HEX,
        "Content-Type": "application/x-www-form-urlencoded; charset=x-no-such-charset",
    },
}


async def assert_nothing_happened(
    slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    assert slack.calls == [] and slack.responses == []
    assert ecwid.calls == [] and images.hits == []


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("kind", ["command", "broken view"])
async def test_unverified_requests_get_401_and_cause_nothing(
    bot: SlackSender,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    caplog: pytest.LogCaptureFixture,
    case: str,
    kind: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    body = attack_body(slack, images) if kind == "command" else malformed_view(slack)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **CASES[case]}
    # Headers as bytes: httpx would refuse to send some of these as text.
    raw = {k: v.encode() for k, v in headers.items()}
    async with httpx.AsyncClient() as client:
        response = await client.post(bot.events_url, content=body.encode(), headers=raw)
    assert response.status_code == 401
    await assert_nothing_happened(slack, ecwid, images)
    assert "Traceback" not in caplog.text
    assert "UATTACK" not in caplog.text and "attacker" not in caplog.text
    refused = [r.getMessage() for r in caplog.records if "refused request" in r.getMessage()]
    assert len(refused) == 1 and len(refused[0]) < 200


@pytest.mark.parametrize(
    "body",
    [
        b"\xff\xfe\x00garbage",  # not UTF-8
        b"payload=%7Bnot-json",
        b"x" * (1024 * 1024 + 10),  # over the size any Slack request has
    ],
)
async def test_unreadable_unsigned_bodies_are_401_never_500(
    bot: SlackSender, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, body: bytes
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            bot.events_url,
            content=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert response.status_code == 401
    await assert_nothing_happened(slack, ecwid, images)


@pytest.mark.parametrize("body", [b"text=\xff\xfe", b"payload=%7Bnot-json", b"payload=%5B1%2C2%5D"])
async def test_signed_but_unreadable_bodies_are_400(
    bot: SlackSender,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
) -> None:
    caplog.set_level(logging.DEBUG)
    response = await bot.post(body)
    assert response.status_code == 400
    assert slack.calls == [] and ecwid.calls == []
    assert "Traceback" not in caplog.text


async def test_a_forged_log_line_stays_one_escaped_line(
    bot: SlackSender,
    slack: FakeSlack,
    images: FakeImageHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Even a signed request's text cannot start a log line of its own."""
    caplog.set_level(logging.INFO)
    from bot.logs import RedactSecrets

    caplog.handler.addFilter(RedactSecrets(()))
    await bot.command(f"123 {images.link('missing.png')}", user_id=f"U123{FORGED_AUDIT}")
    await slack.wait_for_response()
    await slack.wait_until(lambda: "upload user=U123" in caplog.text)
    assert "UATTACK" in caplog.text  # logged, but escaped inside the bot's own line
    for line in caplog.text.splitlines():
        assert not line.startswith("2026-12-01 12:00:00,000 INFO bot.upload")
        if "UATTACK" in line:  # the forged text sits inside the real line, its newlines escaped
            assert "upload user=U123\\n2026-12-01" in line and "outcome=refused" in line
