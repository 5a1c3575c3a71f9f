"""Fixtures: the loopback Slack and Ecwid servers, and the bot serving HTTP on loopback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.config import Settings, load_settings
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.server import EVENTS_PATH, HttpServer
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
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


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsAuthority:
    return TlsAuthority(tmp_path_factory.mktemp("tls"))


@pytest.fixture
async def images(tls: TlsAuthority) -> AsyncIterator[FakeImageHost]:
    server = FakeImageHost(tls)
    await server.start()
    yield server
    await server.close()


def environment(slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority) -> dict[str, str]:
    """The bot's settings for the tests: loopback servers, and images allowed from loopback."""
    return {
        "PROBE_ALLOW_PRIVATE_NETWORKS": "true",
        "SSL_CERT_FILE": str(tls.ca_file),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ECWID_STORE_ID": str(STORE_ID),
        "ECWID_TOKEN": TOKEN,
        "ECWID_API_URL": ecwid.api_url,
        "ECWID_TIMEOUT_SECONDS": "2",
    }


@pytest.fixture
def settings(slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority) -> Settings:
    return load_settings(environment(slack, ecwid, tls))


@contextlib.asynccontextmanager
async def serving(settings: Settings, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """The bot serving HTTP on loopback as `python -m bot` does, and a sender of signed Slack
    requests to it."""
    runtime = await Runtime.open(settings)
    server = HttpServer(build_app(runtime), runtime)
    port = await server.start("127.0.0.1", 0)
    try:
        yield SlackSender(f"http://127.0.0.1:{port}{EVENTS_PATH}", slack.response_url())
    finally:
        await server.stop_listening()
        await runtime.close(grace_seconds=5)
        await server.close()


@pytest.fixture
async def bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    async with serving(settings, slack) as sender:
        yield sender


@pytest.fixture
async def strict_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[SlackSender]:
    """The bot with the default image rule: only public addresses."""
    async with serving(replace(settings, probe_allow_private_networks=False), slack) as sender:
        yield sender
