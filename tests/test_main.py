"""`python -m bot` as users run it: start-up errors, health check, a real upload, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import environment
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.processes import free_port, run_to_end, start_bot, wait_healthy
from tests.slack_requests import SlackSender


async def test_bad_settings_stop_start_up_with_one_line_and_status_2(tmp_path: Path) -> None:
    status, stdout, stderr = await run_to_end(
        {"SLACK_BOT_TOKEN": "xoxb-very-secret-value"}, tmp_path
    )
    assert (status, stdout) == (2, "")
    assert stderr.strip().splitlines() == [
        "Cannot start: SLACK_SIGNING_SECRET is missing (HTTP mode needs it; or set SLACK_APP_TOKEN to use Socket Mode); ECWID_STORE_ID is missing; "
        "ECWID_TOKEN is missing. See .env.example for every setting."
    ]
    assert "very-secret" not in stderr


async def test_settings_come_from_a_dotenv_file(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    lines = [f"{k}={v}" for k, v in environment(slack, ecwid, tls).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    status, stdout, stderr = await run_to_end({}, tmp_path, "check")
    assert status == 0, stdout + stderr
    assert "ok  Slack: connected as @ecwid-image (UBOT) in workspace Shop." in stdout


@pytest.fixture
async def running_bot(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = {
        **environment(slack, ecwid, tls),
        "PORT": str(port),
        "LOG_LEVEL": "DEBUG",  # secrets must stay out of even the most talkative logs
    }
    process = await start_bot(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    await wait_healthy(base, process)
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
    for name, secret in environment(slack, ecwid, tls).items():
        if name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ECWID_TOKEN"):
            assert secret not in output


async def test_a_busy_port_is_one_clear_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**environment(slack, ecwid, tls), "PORT": str(port)}
        status, _, stderr = await run_to_end(env, tmp_path)
    assert status == 2  # every start-up mistake: one line, status 2
    assert (
        stderr.strip().splitlines()[-1].startswith(f"Cannot start: cannot listen on port {port} (")
    )
    assert "Traceback" not in stderr


async def test_a_refused_app_token_is_one_clear_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.errors["apps.connections.open"] = "invalid_auth"
    env = {**environment(slack, ecwid, tls), "SLACK_APP_TOKEN": "xapp-1-wrong"}
    status, _, stderr = await run_to_end(env, tmp_path)
    assert status == 2  # every start-up mistake: one line, status 2
    assert stderr.strip().splitlines()[-1] == (
        "Cannot start: Slack refused the app token (invalid_auth): check SLACK_APP_TOKEN "
        "(an xapp- token with connections:write)."
    )
    assert "Traceback" not in stderr and "xapp-1-wrong" not in stderr
