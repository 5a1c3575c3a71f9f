"""The job store against real databases: a SQLite file and the session's PostgreSQL server.

Two JobStore objects on one database stand for two bot processes (Heroku dynos)."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.jobs.store import MIGRATIONS, Job, JobState, JobStore, JobStoreError, Line, Outcome

SHOP = Tenant("T1CAFE", 1001)


def _job(job_id: str = "a" * 32, tenant: Tenant = SHOP) -> Job:
    return Job(
        job_id,
        "U1",
        "C1",
        "1700000000.000001",
        "lines",
        JobState.PLANNED,
        time.time(),
        tenant.team_id,
        tenant.store_id,
    )


def _lines(count: int) -> list[Line]:
    return [
        Line(n, f"{n} https://cdn.example.com/{n}.jpg", str(n), "main", "{}", "pending")
        for n in range(1, count + 1)
    ] + [Line(count + 1, "oops", "-", None, None, "invalid", reason="Not a product")]


class Clock:
    """The store's wall clock, turned by the test: two stores given one are two processes
    whose clocks agree."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def _open(url: str, clock: Clock | None = None) -> JobStore:
    return await JobStore.open(sqlalchemy_url(url) or "", clock=clock or Clock())


async def test_the_schema_is_created_at_start_and_left_alone_after(database_url: str) -> None:
    first = await _open(database_url)
    await first.create(_job(), _lines(3))
    await first.close()
    # Two processes starting at once on the same database: both come up, nothing is lost.
    again, other = await asyncio.gather(_open(database_url), _open(database_url))
    assert [line.number for line in await again.pending("a" * 32)] == [1, 2, 3]
    await again.close()
    await other.close()
    engine = create_async_engine(sqlalchemy_url(database_url) or "")
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    await engine.dispose()
    assert {"alembic_version", "bulk_jobs", "bulk_lines"} <= set(tables)


async def test_only_one_of_two_processes_starts_a_job(database_url: str) -> None:
    one, two = await _open(database_url), await _open(database_url)
    try:
        await one.create(_job(), _lines(5))
        started = await asyncio.gather(
            one.start(SHOP, "a" * 32, "U1", "process-1", 30),
            two.start(SHOP, "a" * 32, "U2", "process-2", 30),
        )
        assert sorted(started) == [False, True]
        job = await two.job("a" * 32)
        assert job is not None and job.state == "running"
        assert job.lease_owner == ("process-1" if started[0] else "process-2")
        assert not await two.cancel(SHOP, "a" * 32, "U2")  # a running job is stopped, not cancelled
    finally:
        await one.close()
        await two.close()


async def test_a_lease_that_ran_out_is_taken_over_once(database_url: str) -> None:
    clock = Clock()
    one, two = await _open(database_url, clock), await _open(database_url, clock)
    try:
        await one.create(_job(), _lines(5))
        assert await one.start(SHOP, "a" * 32, "U1", "process-1", 1.0)
        assert await two.claimable() == []  # held
        assert not await two.claim("a" * 32, "process-2", 30)
        clock.now += 0.99
        assert await two.claimable() == []  # held to the end of its lease
        clock.now += 0.02  # process-1 died: its lease runs out
        assert await two.claimable() == ["a" * 32]
        taken = await asyncio.gather(
            two.claim("a" * 32, "process-2", 30), one.claim("a" * 32, "process-3", 30)
        )
        assert sorted(taken) == [False, True]
        assert await one.renew("a" * 32, "process-1", 30) is None  # it knows it lost the job
        assert not await one.finish("a" * 32, "process-1")
    finally:
        await one.close()
        await two.close()


async def test_recorded_lines_are_never_pending_again_and_stop_marks_the_rest(
    database_url: str,
) -> None:
    store = await _open(database_url)
    try:
        await store.create(_job(), _lines(5))
        assert await store.start(SHOP, "a" * 32, "U1", "p1", 30)
        await store.record(
            "a" * 32,
            [Outcome(1, "done", image_id=11), Outcome(2, "failed", reason="Ecwid said no")],
        )
        await store.record("a" * 32, [Outcome(1, "failed", reason="late duplicate")])
        assert [line.number for line in await store.pending("a" * 32)] == [3, 4, 5]
        assert await store.request_stop(SHOP, "a" * 32, "U9")
        assert await store.finish("a" * 32, "p1")
        lines = {line.number: line for line in await store.lines("a" * 32)}
        assert (lines[1].status, lines[1].image_id) == ("done", 11)
        assert (lines[2].status, lines[2].reason) == ("failed", "Ecwid said no")
        assert [lines[n].status for n in (3, 4, 5, 6)] == ["not_run"] * 3 + ["invalid"]
        counts = await store.counts("a" * 32)
        assert (counts.done, counts.failed, counts.not_run, counts.invalid) == (1, 1, 3, 1)
        job = await store.job("a" * 32)
        assert job is not None and (job.state, job.stopped_by) == ("finished", "U9")
        assert await store.claimable() == []  # finished, and p1 still holds it to report
    finally:
        await store.close()


async def test_a_finished_job_whose_report_was_not_posted_is_claimed_again(
    database_url: str,
) -> None:
    clock = Clock()
    store = await _open(database_url, clock)
    try:
        await store.create(_job(), _lines(2))
        assert await store.start(SHOP, "a" * 32, "U1", "p1", 0.5)
        await store.record("a" * 32, [Outcome(1, "done", 1), Outcome(2, "done", 2)])
        assert await store.finish("a" * 32, "p1")
        assert await store.claimable() == []  # p1 holds it to post the report
        clock.now += 0.51  # p1 died before posting the report
        assert await store.claimable() == ["a" * 32]
        assert await store.claim("a" * 32, "p2", 30)
        await store.reported("a" * 32)
        assert await store.claimable() == []
    finally:
        await store.close()


async def test_a_database_that_cannot_be_opened_is_named_without_its_password() -> None:
    with pytest.raises(JobStoreError) as raised:
        await JobStore.open("postgresql+asyncpg://bot:hunter2-secret@127.0.0.1:1/jobs")
    assert "hunter2" not in str(raised.value)
    assert "127.0.0.1:1/jobs" in str(raised.value)


async def test_each_migration_applied_is_logged_with_its_revisions(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """An empty database, then one at 0005 (a store an older bot made), then one up to date."""
    caplog.set_level(logging.DEBUG, logger="bot.jobs.store")

    def said() -> list[str]:
        lines = [r.getMessage() for r in caplog.records if r.name == "bot.jobs.store"]
        caplog.clear()
        return lines

    await (await _open(database_url)).close()
    assert said() == [
        "database upgraded (empty) → 0001",
        "database upgraded 0001 → 0002",
        "database upgraded 0002 → 0003",
        "database upgraded 0003 → 0004",
        "database upgraded 0004 → 0005",
        "database upgraded 0005 → 0006",
        "database upgraded 0006 → 0007",
        "database upgraded 0007 → 0008",
        "database upgraded 0008 → 0009",
        "database upgraded 0009 → 0010",
        "database upgraded 0010 → 0011",
        "database upgraded 0011 → 0012",
        "database upgraded 0012 → 0013",
        "database upgraded 0013 → 0014",
        "database upgraded 0014 → 0015",
        "database upgraded 0015 → 0016",
    ]

    def back_to_0005(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")

    engine = create_async_engine(sqlalchemy_url(database_url) or "")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(back_to_0005)
    finally:
        await engine.dispose()
    said()  # Alembic's own downgrade, not the bot's
    await (await _open(database_url)).close()
    assert said() == [
        "database upgraded 0005 → 0006",
        "database upgraded 0006 → 0007",
        "database upgraded 0007 → 0008",
        "database upgraded 0008 → 0009",
        "database upgraded 0009 → 0010",
        "database upgraded 0010 → 0011",
        "database upgraded 0011 → 0012",
        "database upgraded 0012 → 0013",
        "database upgraded 0013 → 0014",
        "database upgraded 0014 → 0015",
        "database upgraded 0015 → 0016",
    ]
    await (await _open(database_url)).close()
    assert [
        (r.levelname, r.getMessage()) for r in caplog.records if r.name == "bot.jobs.store"
    ] == [("DEBUG", "database at 0016")]


async def test_a_write_whose_caller_is_cancelled_still_runs_to_its_end(database_url: str) -> None:
    """A shutdown or a run that ends cancels whoever asked for a write; the write itself is not
    cut short (mid-transaction it could leave SQLite's write lock held, or half a change)."""
    url = sqlalchemy_url(database_url) or ""
    store = await _open(database_url)
    await store.create(_job(), _lines(1))
    # Another process holds the write lock, so the write waits when its caller is cancelled.
    other = create_async_engine(url)
    holder = await other.connect()
    if other.dialect.name == "sqlite":
        await holder.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        await holder.execute(text(f"SELECT 1 FROM bulk_jobs WHERE id = '{'a' * 32}' FOR UPDATE"))
    asked = asyncio.create_task(store.set_message("a" * 32, "1700000000.000009"))
    await asyncio.sleep(0)  # the write is asked for; when it is cut off does not matter
    asked.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asked
    await holder.rollback()
    await holder.close()
    await other.dispose()
    await store.close()  # waits for the writes asked for
    again = await _open(database_url)
    job = await again.job("a" * 32)
    assert job is not None and job.message_ts == "1700000000.000009"
    await again.set_message("a" * 32, "1700000000.000010")  # and the store writes on
    assert (await again.job("a" * 32)).message_ts == "1700000000.000010"  # type: ignore[union-attr]
    await again.close()
