"""`python -m bot` as users run it: start-up errors, health check, a real upload, SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import environment
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import SlackSender

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """The parent's environment without any real Slack/Ecwid settings, plus `extra`."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "ECWID_"))}
    return {**keep, **extra}


async def test_bad_settings_stop_start_up_with_one_line_and_status_2(tmp_path: Path) -> None:
    env = clean_env({"SLACK_BOT_TOKEN": "xoxb-very-secret-value", "PYTHONPATH": str(ROOT)})
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    lines = stderr.decode().strip().splitlines()
    assert lines == [
        "Cannot start: SLACK_SIGNING_SECRET is missing; ECWID_STORE_ID is missing; "
        "ECWID_TOKEN is missing. See .env.example for every setting."
    ]
    assert b"very-secret" not in stdout + stderr


@pytest.fixture
async def running_bot(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = clean_env(
        {
            **environment(slack, ecwid, tls),
            "PORT": str(port),
            "PYTHONPATH": str(ROOT),
            "LOG_LEVEL": "DEBUG",  # secrets must stay out of even the most talkative logs
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                if (await client.get(f"{base}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                await asyncio.sleep(0.05)
        else:
            process.kill()
            pytest.fail("the bot never became healthy")
    yield process, base
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_serves_health_and_uploads_then_stops_cleanly_on_sigterm(
    running_bot: tuple[asyncio.subprocess.Process, str],
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    process, base = running_bot
    ecwid.upload_delay = 0.5  # SIGTERM arrives while Ecwid is still working
    sender = SlackSender(f"{base}/slack/events", slack.response_url())
    response = await sender.command(f"123 {images.link('shoe.png')} 800x600")
    assert response.status_code == 200
    await ecwid.wait_until(lambda: ecwid.uploads)
    process.send_signal(signal.SIGTERM)

    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert "New main image id: *987654321*" in posts[1].params["text"]
    assert await asyncio.wait_for(process.wait(), 30) == 0
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert "outcome=uploaded ecwid_status=200" in output
    assert "upload user=U123 channel=C123 product=123" in output
    for secret in environment(slack, ecwid, tls).values():
        if secret.startswith(("xoxb-", "secret_", "test-signing")):
            assert secret not in output
