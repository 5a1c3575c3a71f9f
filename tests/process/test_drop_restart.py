"""The drop zone outlives its process: `python -m bot` killed with SIGKILL while a drop waits out
DROP_GROUP_SECONDS, and another started on the same job store (SQLite)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.bulk_helpers import stock
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.integration.listeners.test_drops import RETRY, WATCHED, dropped, plans
from tests.process.test_bulk_restart import bots, start

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own


async def test_a_drop_waiting_for_its_group_is_planned_once_by_the_next_process(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {**environment(slack, ecwid, tls), "WATCH_CHANNELS": WATCHED, "DROP_GROUP_SECONDS": "2"}
    ids = stock(ecwid, 2)
    first_drop = dropped(slack, [f"BULK-{ids[0]}.jpg"], ts="1700000900.000100")
    second_drop = dropped(slack, [f"BULK-{ids[1]}.jpg"], ts="1700000901.000200")
    async with bots(env, tmp_path) as started:
        first = await start(started, env, tmp_path, slack)
        await first.sender.event(first_drop, event_id="EvKill1")
        await first.sender.event(second_drop, event_id="EvKill2")  # the same group
        await slack.wait_until(lambda: sum("drop kept:" in line for line in first.output) == 2)
        await first.end(signal.SIGKILL)
        assert plans(slack) == [], "planned before the kill: the test would prove nothing"

        second = await start(started, env, tmp_path, slack)  # nothing in memory
        ready = await slack.wait_until(
            lambda: [c for c in slack.calls_to("chat.update") if "ready" in c.params["text"]],
            timeout=20,
        )
        # The killed process's event, re-delivered to the new one: still one plan.
        await second.sender.event(first_drop, event_id="EvKill1", headers=RETRY)
        await slack.wait_until(lambda: any("drop seen before" in line for line in second.output))
        assert await second.end(signal.SIGTERM) == 0  # whatever it had under way has ended
    (posted,) = plans(slack)
    assert posted.params["thread_ts"] == first_drop["ts"]  # in the first message's thread
    assert "*2 uploads ready*" in ready[0].params["text"]
