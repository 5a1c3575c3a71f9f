"""#38, part 4: two `python -m bot` processes on one PostgreSQL run bulk jobs for one store at
once, and keep together within its Ecwid budget (scaled: 60 calls in 6 s; Ecwid's is 600/60).
Each alone would pace itself at the whole budget: without the shared schedule, the two make
twice as many calls as Ecwid allows, and the loopback Ecwid answers them 429."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.bulk_helpers import (
    bulk_form_submission,
    buttons,
    lines_for,
    press,
    reports_done,
    stock,
    uploaded_products,
)
from tests.fakes.ecwid_api import FakeEcwid, busiest_window
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import environment
from tests.postgres import PostgresServer
from tests.process.test_bulk_restart import BotProcess, bots, start

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own

CALLS, SECONDS = 60, 6.0
LINES = 30  # a job


async def plan(
    bot: BotProcess, slack: FakeSlack, images: FakeImageHost, ids: list[int], known: set[str]
) -> tuple[str, str]:
    """The job planned for `ids` by `bot`: its message's ts and its id."""
    await bot.sender.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))

    def planned() -> SlackCall | None:
        return next(
            (
                call
                for call in slack.calls_to("chat.update")
                if "Bulk upload" in call.params["text"]
                and call.params["ts"] not in known
                and buttons(call).get("bulk_start")
            ),
            None,
        )

    update: SlackCall = await slack.wait_until(planned, 20)
    return str(update.params["ts"]), buttons(update)["bulk_start"]


async def test_two_processes_run_jobs_for_one_store_within_its_budget_and_lose_no_line(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
    postgres: PostgresServer,
) -> None:
    ecwid.rate_limit = (CALLS, SECONDS)
    env = {
        **environment(slack, ecwid, tls, database_url=postgres.new_database()),
        "ECWID_RATE_LIMIT": f"{CALLS}/{SECONDS:g}",
    }
    ids = stock(ecwid, 2 * LINES)
    mine, yours = ids[:LINES], ids[LINES:]
    async with bots(env, tmp_path) as started:
        first, second = await asyncio.gather(
            start(started, env, tmp_path, slack), start(started, env, tmp_path, slack)
        )
        first_ts, first_job = await plan(first, slack, images, mine, set())
        second_ts, second_job = await plan(second, slack, images, yours, {first_ts})
        await asyncio.gather(
            first.sender.interaction(press("bulk_start", first_job, first_ts)),
            second.sender.interaction(press("bulk_start", second_job, second_ts)),
        )
        await reports_done(slack, 2, timeout=120)
    assert ecwid.rate_limited == []  # no call answered 429, so no line waited on one
    assert busiest_window([call.at for call in ecwid.calls], SECONDS) <= CALLS
    assert sorted(uploaded_products(ecwid)) == ids  # every line, once
    # The two ran at once: each job's uploads began before the other's ended.
    uploads = [(int(c.path.split("/")[2]), c.at) for c in ecwid.calls if c.method == "POST"]
    first_times = [at for product, at in uploads if product in mine]
    second_times = [at for product, at in uploads if product in yours]
    assert min(first_times) < max(second_times) and min(second_times) < max(first_times)
