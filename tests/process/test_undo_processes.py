"""Undo across processes: two `python -m bot` processes on one job store (a SQLite file, a
PostgreSQL database), each given the same press at once, as two dynos behind Heroku's router."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.integration.listeners.test_undo import press, reply_of, with_an_image
from tests.process.test_bulk_restart import bots, start

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own


async def test_one_undo_pressed_in_two_real_processes_at_once_restores_once(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
    database_url: str,
) -> None:
    previous = with_an_image(ecwid, images)
    env = environment(slack, ecwid, tls, database_url=database_url)
    async with bots(env, tmp_path) as started:
        # One after the other: both at once on a new SQLite file, both would create its tables.
        one = await start(started, env, tmp_path, slack)
        other = await start(started, env, tmp_path, slack)
        await one.sender.command(f"123 {images.link('shoe.png')}")
        reply = await reply_of(slack, timeout=15)
        uploads = len(ecwid.byte_uploads)
        reads = len(ecwid.calls)
        # Each press looks at the product before it claims the undo: held there until both
        # have looked, neither has seen the other's claim, and only the claim can decide.
        looked = ecwid.holds["product"] = asyncio.Event()
        await asyncio.gather(
            one.sender.interaction(press(reply, slack.response_url("one"))),
            other.sender.interaction(press(reply, slack.response_url("other"), user="U777")),
        )
        await ecwid.wait_until(
            lambda: len([c for c in ecwid.calls[reads:] if c.method == "GET"]) >= 2, timeout=15
        )
        looked.set()

        def put_back() -> list[str]:
            return [
                c.params["text"]
                for c in slack.calls_to("chat.postMessage")
                if "put back" in c.params["text"]
            ]

        # Both presses answered: by "put back" in the thread, or privately.
        await slack.wait_until(lambda: len(put_back()) + len(slack.responses) >= 2, timeout=15)
        # Stopped as Heroku stops a dyno (their pool workers end with them either way).
        for bot in (one, other):
            assert await bot.end(signal.SIGTERM) == 0
    restores = ecwid.byte_uploads[uploads:]
    assert [c.body for c in restores] == [previous]
    (said,) = put_back()
    winner = "U123" if "<@U123>" in said else "U777"
    assert [r["text"] for r in slack.responses] == [
        f":information_source: Already undone by <@{winner}>; nothing was changed."
    ]
