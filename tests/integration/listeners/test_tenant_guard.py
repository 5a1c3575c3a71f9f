"""Work outside a request runs only for its own tenant's store (#38): a bulk job left running
for another store (the database of a bot whose ECWID_STORE_ID was changed since) is never run
against this bot's store; it stays as it was, and the log says so once."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path

from bot.config import database_url as sqlalchemy_url
from bot.config import load_settings
from bot.domain.tenant import ONE_WORKSPACE
from bot.jobs.store import Job, JobState, JobStore, Line, LineState
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment, serving
from tests.integration.jobs.test_shared_budget import Said

OTHER_STORE = STORE_ID + 1
JOB_ID = "f" * 32


async def test_a_job_of_another_store_is_left_as_it_is(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    jobs = await JobStore.open(sqlalchemy_url(url) or "")
    running = Job(
        JOB_ID,
        "U1",
        "C1",
        "1700000000.000100",
        "lines",
        JobState.RUNNING,
        time.time(),
        ONE_WORKSPACE,
        OTHER_STORE,
        lease_until=0.0,  # its process died: any process may take it over
    )
    line = Line(1, "123 https://cdn.example.com/a.jpg", "123", "main", "{}", LineState.PENDING)
    await jobs.create(running, [line])
    await jobs.close()
    said = Said(f"bulk job {JOB_ID} is store {OTHER_STORE}'s, which this bot does not serve")
    bulk_log = logging.getLogger("bot.flows.bulk")
    bulk_log.addHandler(said)
    try:
        async with serving(load_settings(environment(slack, ecwid, tls, url)), slack) as bot:
            await asyncio.wait_for(said.event.wait(), 10)  # the watcher took it, and let it be
            left = await bot.runtime.jobs.job(JOB_ID)
            lines = await bot.runtime.jobs.lines(JOB_ID)
    finally:
        bulk_log.removeHandler(said)
    assert left is not None and left.state == JobState.RUNNING
    assert [(x.number, x.status) for x in lines] == [(1, LineState.PENDING)]
    assert ecwid.calls == []  # nothing asked of this bot's store for it
    assert slack.calls_to("chat.update") == [] and slack.calls_to("chat.postMessage") == []
