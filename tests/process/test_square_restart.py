"""The square fix through a SIGKILL at its worst moment: the padded main image is in Ecwid and
its alt texts are being set when the process dies, before the line's outcome is written. The
next process finds the padded image (the original's copy, kept ahead, padded again), records
the line, sets the alt texts, and Undo puts the original back. Nothing goes up twice."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.bulk_helpers import press, reports_done, the_plan, updates_of, uploaded_csv
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.integration.listeners.test_history import undo_button
from tests.integration.listeners.test_square_fix import MAIN_ALT, _plan_square, _square_catalog
from tests.process.test_bulk_restart import bot_env, bots, start

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own


def _main_uploads(ecwid: FakeEcwid) -> list[bytes]:
    return [
        c.body
        for c in ecwid.calls
        if c.method == "POST" and c.path == "/products/1/image" and isinstance(c.body, bytes)
    ]


async def test_a_square_line_killed_after_its_upload_is_recorded_once_and_undone(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path, database_url: str
) -> None:
    pictures = _square_catalog(ecwid)
    env = bot_env(slack, ecwid, tls, database_url)
    ecwid.rate_limit = None
    held = asyncio.Event()  # the alt texts' update, never answered to the first process
    try:
        async with bots(env, tmp_path) as started:
            first = await start(started, env, tmp_path, slack)
            await _plan_square(first.sender, slack, ["main"])  # type: ignore[arg-type]
            ts, job_id, _ = await the_plan(slack)
            ecwid.holds["update"] = held
            await first.sender.interaction(press("bulk_start", job_id, ts))
            await ecwid.wait_until(
                lambda: any(c.method == "PUT" and c.path == "/products/1" for c in ecwid.calls),
                timeout=30,
            )
            await first.end(signal.SIGKILL)
            assert len(_main_uploads(ecwid)) == 1  # the padded image is in Ecwid
            del ecwid.holds["update"]

            second = await start(started, env, tmp_path, slack)  # nothing in memory
            done = await reports_done(slack, 2, timeout=60)  # the audit's files, the job's
            (row,) = uploaded_csv(slack, done[1])
            assert (row["outcome"], row["reason"]) == ("padded to a square", "")
            assert len(_main_uploads(ecwid)) == 1  # not sent again
            main = ecwid.products[1]["media"]["images"][0]
            assert main["alt"] == MAIN_ALT  # set by the second process
            assert ecwid.stored[max(ecwid.stored)] != pictures["main"]

            await second.sender.interaction(
                press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts)
            )
            done = await reports_done(slack, 3, timeout=60)
            (row,) = uploaded_csv(slack, done[2])
            assert row["outcome"] == "put back"
            assert _main_uploads(ecwid)[-1] == pictures["main"]
            assert ecwid.products[1]["media"]["images"][0]["alt"] == MAIN_ALT
    finally:
        held.set()  # the dead process's request, let go so that the fake can close
