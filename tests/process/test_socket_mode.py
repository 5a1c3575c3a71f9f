"""Socket Mode end to end: `python -m bot` with SLACK_APP_TOKEN, over a real WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.processes import reap, start_bot, stopped_by_sigterm
from tests.slack_requests import event_callback, global_shortcut

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own

APP_TOKEN = "xapp-1-A1-test-app-token"


async def test_slash_command_and_shortcut_over_socket_mode(
    slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {**environment(slack, ecwid, tls), "SLACK_APP_TOKEN": APP_TOKEN}
    del env["SLACK_SIGNING_SECRET"]  # not needed in Socket Mode
    process = await start_bot(env, tmp_path)
    try:
        opened = (await slack.wait_for_call("apps.connections.open", timeout=20))[0]
        assert opened.token == APP_TOKEN

        await slack.send_envelope(
            {
                "envelope_id": "env-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {
                    "token": "legacy-unused",
                    "team_id": "T1",
                    "channel_id": "C123",
                    "user_id": "U123",
                    "command": "/ecwid-image",
                    "text": f"123 {images.link('shoe.png')}",
                    "api_app_id": "A1",
                    "response_url": slack.response_url(),
                    "trigger_id": "1337.42.abcd",
                },
            }
        )
        ack = (await slack.wait_until(lambda: slack.socket_acks, timeout=10))[0]
        assert ack["envelope_id"] == "env-1"
        posts = await slack.wait_for_call("chat.postMessage", count=2, timeout=10)
        assert posts[1].params["thread_ts"] == "1700000000.000001"
        assert "New main image id: *987654321*" in posts[1].params["text"]
        assert ecwid.uploads[0].body == {
            "url": images.link("shoe.png"),
            "width": "800",
            "height": "600",
        }

        await slack.send_envelope(
            {
                "envelope_id": "env-2",
                "type": "interactive",
                "accepts_response_payload": False,
                "payload": global_shortcut("upload_product_image"),
            }
        )
        view = (await slack.wait_for_call("views.open", timeout=10))[0].params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        assert view["callback_id"] == "ecwid_image_upload"
        await slack.wait_until(lambda: len(slack.socket_acks) == 2)
        assert [a["envelope_id"] for a in slack.socket_acks] == ["env-1", "env-2"]

        assert await stopped_by_sigterm(process) == 0
    finally:
        await reap(process)


async def test_a_drop_over_socket_mode_is_planned_once_however_often_it_arrives(
    slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, tls: TlsAuthority, tmp_path: Path
) -> None:
    """Socket Mode re-delivers an event it thinks unacked with `retry_attempt` (Slack's Socket
    Mode envelope): within the grouping window, and again after the plan, where no merge can
    hide a second one. One plan, in the drop's thread."""
    env = {
        **environment(slack, ecwid, tls),
        "SLACK_APP_TOKEN": APP_TOKEN,
        "WATCH_CHANNELS": "C123",
        "DROP_GROUP_SECONDS": "0.2",
    }
    del env["SLACK_SIGNING_SECRET"]
    ecwid.products[123]["sku"] = "RS-1"
    file = slack.add_file("FDROP1", "RS-1.jpg", images.files["photo.jpg"].body, "image/jpeg")
    event = {
        "type": "message",
        "subtype": "file_share",
        "user": "U123",
        "channel": "C123",
        "ts": "1700000600.000100",
        "text": "",
        "files": [file],
    }

    def delivery(attempt: int) -> dict[str, Any]:
        return {
            "envelope_id": f"env-d{attempt}",
            "type": "events_api",
            "accepts_response_payload": False,
            "retry_attempt": attempt,
            "retry_reason": "timeout" if attempt else "",
            "payload": event_callback(event, "EvSocketDrop", 1700000600),
        }

    process = await start_bot(env, tmp_path)
    output = Output(process)
    try:
        await slack.wait_for_call("apps.connections.open", timeout=20)
        await slack.send_envelope(delivery(0))
        await slack.send_envelope(delivery(1))  # within the window
        await slack.wait_until(lambda: len(slack.socket_acks) == 2, timeout=10)
        await slack.wait_until(
            lambda: [c for c in slack.calls_to("chat.update") if "ready" in c.params["text"]],
            timeout=15,
        )
        await slack.send_envelope(delivery(2))  # after the plan: only seen_events stops it
        await slack.wait_until(lambda: output.count("drop seen before: event=EvSocketDrop") == 2)
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
        checking = [c for c in slack.calls_to("chat.postMessage") if "checking" in c.params["text"]]
        assert [c.params["thread_ts"] for c in checking] == ["1700000600.000100"]
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await output.close()


class Output:
    """The process's log, read as it comes (the pipe never fills)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.lines: list[str] = []
        self._process = process
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._process.stdout is not None
        async for line in self._process.stdout:
            self.lines.append(line.decode(errors="replace"))

    def count(self, text: str) -> int:
        return sum(text in line for line in self.lines)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
