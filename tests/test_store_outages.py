"""A job store that fails mid-job (SQLite locked past its timeout; PostgreSQL stopped and started
again): every line is still uploaded exactly once, and the report is true. Ecwid's own words in a
job's thread are shown as code."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.config import load_settings
from tests.bulk_helpers import (
    bulk_form_submission,
    lines_for,
    press,
    stock,
    the_plan,
    the_report,
    uploaded_products,
)
from tests.fakes.ecwid_api import FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, environment, serving
from tests.postgres import PostgresServer

LINES = 60


class Outage:
    """A store of each kind, and a way to make it fail for a while."""

    def __init__(self, url: str, begin: Callable[[], None], end: Callable[[], None]) -> None:
        self.url, self.begin, self.end = url, begin, end


@pytest.fixture(params=["sqlite", "postgresql"])
async def outage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Outage]:
    if request.param == "sqlite":
        path = tmp_path / "jobs.sqlite3"
        holder: list[sqlite3.Connection] = []

        def lock() -> None:  # another writer holds the database, longer than the bot waits
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("BEGIN EXCLUSIVE")
            holder.append(connection)

        def unlock() -> None:
            holder.pop().execute("COMMIT")

        yield Outage(f"sqlite:///{path}?timeout=0.5", lock, unlock)
        return
    server = PostgresServer()  # a server of its own, to stop without harming other tests
    await asyncio.to_thread(server.start)
    try:
        url = await asyncio.to_thread(server.new_database)
        yield Outage(url, server.halt, server.resume)
    finally:
        await asyncio.to_thread(server.stop)


class Logged(logging.Handler):
    """Wakes a waiter when the bot logs a record that says `words`."""

    def __init__(self, words: str) -> None:
        super().__init__(logging.WARNING)
        self.words = words
        self.seen = asyncio.Event()
        self._loop = asyncio.get_running_loop()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self._loop.call_soon_threadsafe(self.seen.set)


@pytest.mark.slow
async def test_a_store_outage_mid_job_loses_no_outcome_and_repeats_no_line(
    outage: Outage,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    watch = Logged("outcomes not recorded yet")
    logging.getLogger("bot").addHandler(watch)
    ecwid.rate_limit = (20, 1.0)
    env = {**environment(slack, ecwid, tls, database_url=outage.url), "ECWID_RATE_LIMIT": "20/1"}
    ids = stock(ecwid, LINES)
    async with serving(load_settings(env), slack) as bot:
        await bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
        ts, job_id, _ = await the_plan(slack)
        await bot.interaction(press("bulk_start", job_id, ts))
        await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) >= 10, timeout=20)
        await asyncio.to_thread(outage.begin)
        # The fault hits: outcomes of lines in flight could not be written, and are kept.
        try:
            await asyncio.wait_for(watch.seen.wait(), 30)
        finally:
            await asyncio.to_thread(outage.end)
            logging.getLogger("bot").removeHandler(watch)
        text, rows = await the_report(slack, timeout=90)
    uploads = Counter(uploaded_products(ecwid))
    assert sorted(uploads) == ids
    assert [n for n, count in uploads.items() if count != 1] == []  # each exactly once
    assert [r["outcome"] for r in rows] == ["uploaded"] * LINES
    assert "Every line was uploaded" in text


async def test_ecwids_words_in_a_jobs_thread_are_shown_as_code(
    slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, bot: BotUnderTest
) -> None:
    ids = stock(ecwid, 2)
    ecwid.faults["upload"] = [
        Fault(400, {"errorMessage": "*Bad* <!channel> https://evil.example", "errorCode": "X"})
    ]
    await bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    await bot.interaction(press("bulk_start", job_id, ts))
    text, rows = await the_report(slack)
    assert (
        "— Ecwid refused the request. Ecwid said: `*Bad* &lt;!channel&gt; https://evil.example`"
        in text
    )
    failed = next(r for r in rows if r["outcome"] == "failed")
    assert failed["reason"] == (
        'Ecwid refused the request. Ecwid said: "*Bad* <!channel> https://evil.example"'
    )
