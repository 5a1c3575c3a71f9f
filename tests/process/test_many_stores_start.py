"""`python -m bot` in many-stores mode (#38), as a host runs it: it starts with the apps'
credentials and no token of its own, serves "Add to Slack", and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import httpx
import pytest

from bot.tokens import generate_key
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.slack_api import FakeSlack
from tests.processes import free_port, start_bot, wait_healthy
from tests.slack_requests import SIGNING_SECRET

pytestmark = pytest.mark.slow  # runs `python -m bot` in a process of its own


async def test_many_stores_mode_starts_serves_its_install_page_and_stops(
    slack: FakeSlack, ecwid: FakeEcwid, tmp_path: Path
) -> None:
    port = free_port()
    env = {
        "SLACK_CLIENT_ID": slack.oauth_client[0],
        "SLACK_CLIENT_SECRET": slack.oauth_client[1],
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "ECWID_CLIENT_ID": "ecwid-image-test-app",
        "ECWID_CLIENT_SECRET": "ecwid_client_secret_0123456789abcdef",
        "TOKEN_KEYS": generate_key(),
        "PUBLIC_URL": "https://bot.example.com",
        "SLACK_API_URL": slack.api_url,
        "ECWID_API_URL": ecwid.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path}/jobs.sqlite3",
        "PORT": str(port),
        "HOME": str(tmp_path),  # where Bolt's own file-based OAuth stores would go
    }
    process = await start_bot(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    await wait_healthy(base, process)
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{base}/slack/install")
    assert page.status_code == 200
    assert "https://slack.com/oauth/v2/authorize?state=" in page.text
    assert "redirect_uri=https://bot.example.com/slack/oauth_redirect" in page.text
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert "many-stores mode: listening on port" in output
    assert env["SLACK_CLIENT_SECRET"] not in output and env["TOKEN_KEYS"] not in output
    # Bolt's own OAuth (files under HOME) never turned on: the state is in the database.
    assert not (tmp_path / ".bolt-app-installation").exists()
    assert not (tmp_path / ".bolt-app-oauth-state").exists()
