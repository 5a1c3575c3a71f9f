"""Fixtures: the loopback Slack and Ecwid servers, and the bot serving HTTP on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.app import build_app
from bot.config import Settings, load_settings
from bot.runtime import Runtime
from bot.server import EVENTS_PATH, create_web_app
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

BOT_TOKEN = "xoxb-test-bot-token-1234567890"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def ecwid() -> AsyncIterator[FakeEcwid]:
    server = FakeEcwid()
    await server.start()
    yield server
    await server.close()


def environment(slack: FakeSlack, ecwid: FakeEcwid) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ECWID_STORE_ID": str(STORE_ID),
        "ECWID_TOKEN": TOKEN,
        "ECWID_API_URL": ecwid.api_url,
        "ECWID_TIMEOUT_SECONDS": "2",
    }


@pytest.fixture
def settings(slack: FakeSlack, ecwid: FakeEcwid) -> Settings:
    return load_settings(environment(slack, ecwid))


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await Runtime.open(settings)
    yield runtime
    await runtime.close(grace_seconds=5)


@pytest.fixture
async def bot(runtime: Runtime, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """The bot serving HTTP on loopback, and a sender of signed Slack requests to it."""
    runner = web.AppRunner(create_web_app(build_app(runtime)))
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield SlackSender(f"http://{host}:{port}{EVENTS_PATH}", slack.response_url())
    await runner.cleanup()
