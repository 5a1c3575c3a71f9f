"""A job store that fails mid-job (SQLite locked past its timeout; PostgreSQL stopped and started
again; outcomes refused by the database): every line is still uploaded exactly once, the report
is true, and a job whose lease or recorder fails pauses and says so. Ecwid's own words in a job's
thread are shown as code."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import database_url as sqlalchemy_url
from bot.config import load_settings
from tests.bulk_helpers import (
    bulk_form_submission,
    lines_for,
    press,
    stock,
    the_plan,
    the_report,
    updates_of,
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


PAUSED = (
    ":warning: *Bulk upload* started by <@U123>: paused, something went wrong on the bot's side "
    "(tell whoever runs the bot; the log has the details); it carries on by itself shortly."
)


def fast_job_env(slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, url: str) -> dict[str, str]:
    """Leases of 2 s (renewed every 0.7 s), and Ecwid at 10 calls a second: a job of 60 lines
    takes seconds, and a store away for more than a second outlasts its lease."""
    ecwid.rate_limit = (10, 1.0)
    return {
        **environment(slack, ecwid, tls, database_url=url),
        "ECWID_RATE_LIMIT": "10/1",
        "BULK_LEASE_SECONDS": "2",
    }


async def paused_by(slack: FakeSlack, ts: str) -> str:
    """The job's message once it says it paused for a fault: its headline."""
    said = await slack.wait_until(
        lambda: [c for c in updates_of(slack, ts) if "went wrong" in c.params["text"]],
        timeout=30,
    )
    return str(said[0].params["text"]).split("\n")[0]


def assert_ran_once_and_reported(
    ecwid: FakeEcwid,
    slack: FakeSlack,
    ts: str,
    ids: list[int],
    text: str,
    rows: list[dict[str, str]],
) -> None:
    uploads = Counter(uploaded_products(ecwid))
    assert sorted(uploads) == ids
    assert [n for n, count in uploads.items() if count != 1] == []  # none sent twice on resume
    assert [r["outcome"] for r in rows] == ["uploaded"] * len(ids)
    assert "Every line was uploaded" in text
    # The message went on after the pause, to the totals: the pause did not outlive the job.
    assert f"*{len(ids)} uploaded*, 0 failed" in updates_of(slack, ts)[-1].params["text"]


@pytest.mark.slow  # waits out a lease
async def test_a_store_away_longer_than_the_lease_pauses_the_job_and_says_so(
    outage: Outage,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    """The lease cannot be renewed: no line may begin, the job pauses and its message says so
    while the store is still away; once it is back, the job carries on, no line sent twice."""
    lapsed = Logged("its lease stopped")
    logging.getLogger("bot").addHandler(lapsed)
    ids = stock(ecwid, LINES)
    try:
        async with serving(
            load_settings(fast_job_env(slack, ecwid, tls, outage.url)), slack
        ) as bot:
            await bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
            ts, job_id, _ = await the_plan(slack)
            await bot.interaction(press("bulk_start", job_id, ts))
            await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) >= 10, timeout=20)
            await asyncio.to_thread(outage.begin)
            try:
                headline = await paused_by(slack, ts)
            finally:
                await asyncio.to_thread(outage.end)
            assert lapsed.seen.is_set()  # it was the lease that stopped
            text, rows = await the_report(slack, timeout=90)
    finally:
        logging.getLogger("bot").removeHandler(lapsed)
    assert headline == PAUSED
    assert_ran_once_and_reported(ecwid, slack, ts, ids, text, rows)


async def refuse_outcomes(url: str, *, refuse: bool) -> None:
    """The database refuses every line's outcome (as a constraint, a full table or a revoked
    grant would), while the lease's writes and the lines' starts go through."""
    engine = create_async_engine(sqlalchemy_url(url) or "")
    if engine.dialect.name == "sqlite":
        statements = (
            [
                "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON bulk_lines "
                "WHEN NEW.status IN ('done', 'failed', 'skipped') "
                "BEGIN SELECT RAISE(ABORT, 'outcomes refused'); END"
            ]
            if refuse
            else ["DROP TRIGGER refuse_outcomes"]
        )
    else:
        statements = (
            [
                "CREATE FUNCTION refuse_outcomes() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'outcomes refused'; END $$",
                "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON bulk_lines FOR EACH ROW "
                "WHEN (NEW.status IN ('done', 'failed', 'skipped')) "
                "EXECUTE FUNCTION refuse_outcomes()",
            ]
            if refuse
            else ["DROP TRIGGER refuse_outcomes ON bulk_lines"]
        )
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


@pytest.mark.slow  # waits out a lease
async def test_outcomes_the_store_refuses_pause_the_job_and_it_says_so(
    database_url: str,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    """The recorder cannot write outcomes for as long as a lease lasts (the lease itself is
    renewed): the job pauses and says so; once they can be written, it carries on."""
    stopped = Logged("its recorder stopped")
    logging.getLogger("bot").addHandler(stopped)
    ids = stock(ecwid, LINES)
    try:
        env = fast_job_env(slack, ecwid, tls, database_url)
        async with serving(load_settings(env), slack) as bot:
            await bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
            ts, job_id, _ = await the_plan(slack)
            await refuse_outcomes(database_url, refuse=True)
            await bot.interaction(press("bulk_start", job_id, ts))
            try:
                headline = await paused_by(slack, ts)
            finally:
                await refuse_outcomes(database_url, refuse=False)
            assert stopped.seen.is_set()  # it was the recorder that stopped
            text, rows = await the_report(slack, timeout=90)
    finally:
        logging.getLogger("bot").removeHandler(stopped)
    assert headline == PAUSED
    assert len(uploaded_products(ecwid)) == LINES
    assert_ran_once_and_reported(ecwid, slack, ts, ids, text, rows)


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
