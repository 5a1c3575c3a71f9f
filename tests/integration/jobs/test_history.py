"""The history's store on real databases (a SQLite file and the session's PostgreSQL): kept
copies pruned oldest first, by size and by age; a line's change written with its outcome, once
however often the write is retried."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from dataclasses import replace
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, insert, select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.images.identity import Identity
from bot.jobs.history import Action, Change, History, KeepLimit, fit_copies
from bot.jobs.schema import changes, kept_images
from bot.jobs.store import _KEEP_LOCK, MIGRATIONS, Job, JobStore, Line, LineState, Outcome

SHOP = Tenant("", 7001)  # single-store mode's one tenant


def _change(letter: str, **extra: object) -> Change:
    return Change(
        letter * 32,
        time.time(),
        "U1",
        7,
        "main",
        Action.REPLACED,
        SHOP.team_id,
        SHOP.store_id,
        kept_in_store=True,
        **extra,  # type: ignore[arg-type]
    )


async def test_pruning_past_the_size_drops_the_oldest_copies_first(database_url: str) -> None:
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "")
    history = History(jobs, SHOP)
    try:
        for n, letter in enumerate("abcde"):
            await history.add(_change(letter), kept=bytes([n]) * 100)
            # Kept a second apart, oldest first (the clock need not move between two writes).
            await jobs.write(
                update(kept_images)
                .where(kept_images.c.change_id == letter * 32)
                .values(kept_at=time.time() - 100 + n)
            )
        assert await history.kept_bytes() == 500
        pruned = await history.prune(max_age_seconds=10 * 365 * 86400.0, max_bytes=250)
        assert (pruned.copies, pruned.bytes) == (3, 300)
        assert [await history.kept_copy(c * 32) for c in "abcde"] == [
            None,
            None,
            None,
            bytes([3]) * 100,
            bytes([4]) * 100,
        ]
        # The changes stay, saying their copy has gone.
        gone = await history.change("a" * 32)
        assert gone is not None and gone.kept_in_store and gone.copy_kept is False
        assert not gone.undoable
        kept = await history.change("e" * 32)
        assert kept is not None and kept.copy_kept is True and kept.undoable
    finally:
        await jobs.close()


async def test_pruning_drops_copies_older_than_the_days(database_url: str) -> None:
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "")
    history = History(jobs, SHOP)
    try:
        await history.add(_change("a"), kept=b"old")
        await history.add(_change("b"), kept=b"new")
        await jobs.write(
            update(kept_images)
            .where(kept_images.c.change_id == "a" * 32)
            .values(kept_at=time.time() - 31 * 86400)
        )
        pruned = await history.prune(max_age_seconds=30 * 86400.0, max_bytes=10**9)
        assert pruned.copies == 1
        assert await history.kept_copy("a" * 32) is None
        assert await history.kept_copy("b" * 32) == b"new"
    finally:
        await jobs.close()


async def test_a_lines_change_is_written_with_its_outcome_once_whatever_the_retries(
    database_url: str,
) -> None:
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "")
    history = History(jobs, SHOP)
    job = Job(
        "j" * 32,
        "U1",
        "C1",
        "1700000000.000001",
        "lines",
        "running",
        time.time(),
        "",
        SHOP.store_id,
    )
    try:
        await jobs.create(job, [Line(1, "7 https://x.test/a.jpg", "7", "main", "{}", "started")])
        change = _change("c", job_id=job.id, line=1)
        outcome = Outcome(1, LineState.DONE, image_id=5, change=change, kept=b"before")
        await jobs.record(job.id, [outcome])
        await jobs.record(job.id, [outcome])  # a write retried after it had gone through
        assert list(await history.of_job(job.id)) == [1]
        assert await history.kept_copy("c" * 32) == b"before"
        assert (await jobs.counts(job.id)).done == 1
    finally:
        await jobs.close()


async def test_identities_fit_after_migration_0006_and_an_older_bare_hash_stays_readable(
    database_url: str,
) -> None:
    """A store made by the bot before identities (at 0005: PostgreSQL enforces String(16)) is
    migrated at start; a full identity then fits, and an older bare hash is read as legacy."""
    url = sqlalchemy_url(database_url) or ""
    engine = create_async_engine(url)

    def at_0005(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")

    try:
        async with engine.begin() as connection:
            await connection.run_sync(at_0005)
            await connection.execute(
                insert(changes).values(
                    id="o" * 32,
                    at=time.time(),
                    user_id="U1",
                    product_id=7,
                    slot="main",
                    action="replaced",
                    before_fp="0123456789abcdef",
                    after_fp="fedcba9876543210",
                    outcome="done",
                )
            )
    finally:
        await engine.dispose()
    jobs = await JobStore.open(url, store_id=SHOP.store_id)  # migrates to the head
    history = History(jobs, SHOP)
    try:
        identity = Identity(100000, 100000, 2**63 + 5, bytes(range(27)), "f" * 256)
        assert len(identity.text) == 342  # the longest there is
        await history.add(_change("n", before_fp=identity.text, after_fp=identity.text))
        new = await history.change("n" * 32)
        assert new is not None and Identity.parse(new.after_fp) == identity
        old = await history.change("o" * 32)
        assert old is not None
        legacy = Identity.parse(old.before_fp)
        assert legacy is not None and legacy.legacy and not legacy.same_image(identity)
    finally:
        await jobs.close()

    def back_to_0005(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(back_to_0005)
            kept = await connection.scalar(
                select(changes.c.after_fp).where(changes.c.id == "n" * 32)
            )
        assert kept == f"{2**63 + 5:016x}"  # an older bot reads its own kind of hash again
    finally:
        await engine.dispose()


class Clock:
    """The job store's wall clock, moved by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


DAY = 86400.0


async def _job_with_lines(
    jobs: JobStore, letter: str, count: int, *, started: bool, clock: Clock
) -> Job:
    """A planned job of `count` lines (started when asked), created now by the store's clock."""
    job = Job(
        letter * 32, "U1", "C1", "1700000000.000001", "lines", "planned", clock(), "", SHOP.store_id
    )
    plan = [
        Line(n, f"{n} https://x.test/{n}.jpg", "7", "main", "{}", "pending")
        for n in range(1, count + 1)
    ]
    await jobs.create(job, plan)
    if started:
        assert await jobs.start(SHOP, job.id, "U1", "p1", 3600)
    return job


def _line_change(job: Job, line: int, clock: Clock) -> Outcome:
    change = replace(
        _change("x", job_id=job.id, line=line), id=f"{job.id[:30]}{line:02d}", at=clock()
    )
    return Outcome(line, LineState.DONE, image_id=line, change=change, kept=b"before")


async def test_pruning_past_the_days_drops_old_changes_ended_jobs_and_seen_events_only(
    database_url: str,
) -> None:
    clock = Clock()
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "", clock=clock)
    history = History(jobs, SHOP)
    try:
        # 31 days ago: a job that ran and was reported, one cancelled, one planned and never
        # started, one finished whose report was not posted yet, one still running (one line
        # done), a single upload's change, an undo's claim and a drop's mark.
        done = await _job_with_lines(jobs, "d", 3, started=True, clock=clock)
        await jobs.record(done.id, [_line_change(done, n, clock) for n in (1, 2, 3)])
        assert await jobs.finish(done.id, "p1")
        await jobs.reported(done.id)
        cancelled = await _job_with_lines(jobs, "c", 2, started=False, clock=clock)
        assert await jobs.cancel(SHOP, cancelled.id, "U1")
        never = await _job_with_lines(jobs, "p", 2, started=False, clock=clock)
        unreported = await _job_with_lines(jobs, "u", 1, started=True, clock=clock)
        await jobs.record(unreported.id, [Outcome(1, LineState.DONE, image_id=1)])
        assert await jobs.finish(unreported.id, "p1")
        running = await _job_with_lines(jobs, "r", 4, started=True, clock=clock)
        await jobs.record(running.id, [_line_change(running, 1, clock)])
        await history.add(replace(_change("s"), at=clock()), kept=b"single")
        assert await jobs.claim_undo(SHOP.store_id, "product/7/main/1", "U2") is None
        assert await jobs.first_time("event:old")
        clock.now += 31 * DAY
        # Today: a job that ran, a change, a drop's mark.
        recent = await _job_with_lines(jobs, "n", 2, started=True, clock=clock)
        await jobs.record(recent.id, [_line_change(recent, n, clock) for n in (1, 2)])
        assert await jobs.finish(recent.id, "p1")
        await jobs.reported(recent.id)
        assert await jobs.first_time("event:new")

        pruned = await history.prune(max_age_seconds=30 * DAY, max_bytes=10**9)

        assert (pruned.jobs, pruned.lines, pruned.changes, pruned.seen) == (3, 7, 4, 1)
        assert pruned.copies == 4  # every copy kept 31 days ago but the running job's
        for gone in (done, cancelled, never):
            assert await jobs.job(gone.id) is None and await jobs.lines(gone.id) == []
        assert await history.of_job(done.id) == {}
        assert await history.change("s" * 32) is None
        # What stays: the running job, its lines and its change however old; a finished job
        # not reported yet; today's job and changes; the undo claim; today's drop mark.
        assert len(await jobs.lines(running.id)) == 4 and list(
            await history.of_job(running.id)
        ) == [1]
        assert await history.kept_copy(f"{running.id[:30]}01") == b"before"
        assert (
            await jobs.job(unreported.id) is not None and len(await jobs.lines(unreported.id)) == 1
        )
        assert len(await jobs.lines(recent.id)) == 2 and len(await history.of_job(recent.id)) == 2
        assert await jobs.undone_by(SHOP.store_id, "product/7/main/1") == "U2"
        assert not await jobs.first_time("event:new")
        assert await jobs.first_time("event:old")  # forgotten: it may be seen again
    finally:
        await jobs.close()


NO_COPY = "No copy for Undo."


def _copy(job: Job, line: int, clock: Clock, size: int, reason: str | None = None) -> Outcome:
    """A line's outcome with a kept copy of `size` bytes."""
    outcome = _line_change(job, line, clock)
    return replace(outcome, kept=bytes([line]) * size, reason=reason)


async def _kept_of(history: History, job: Job, numbers: range) -> list[int]:
    return [n for n in numbers if await history.kept_copy(f"{job.id[:30]}{n:02d}") is not None]


async def test_a_jobs_copies_keep_within_the_limit_older_ones_make_way_a_running_jobs_never(
    database_url: str,
) -> None:
    clock = Clock()
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "", clock=clock)
    history = History(jobs, SHOP)
    keep = KeepLimit(1000, NO_COPY)
    try:
        # Oldest first: a job that ended (3 copies), another one still running (2), each 100.
        ended = await _job_with_lines(jobs, "e", 3, started=True, clock=clock)
        await jobs.record(ended.id, [_copy(ended, n, clock, 100) for n in (1, 2, 3)], keep)
        assert await jobs.finish(ended.id, "p1")
        clock.now += 1
        other = await _job_with_lines(jobs, "o", 2, started=True, clock=clock)
        await jobs.record(other.id, [_copy(other, n, clock, 100) for n in (1, 2)], keep)
        clock.now += 1
        # This job keeps 8 copies of 150 bytes, a batch at a time: 500 fit at once, then the
        # ended job's make way (oldest first), and past that none is kept.
        job = await _job_with_lines(jobs, "j", 8, started=True, clock=clock)
        first = [_copy(job, n, clock, 150) for n in (1, 2, 3)]
        await jobs.record(job.id, first, keep)
        assert await history.kept_bytes() == 950
        late = "Uploaded, but the alt text was not set."
        rest = [_copy(job, n, clock, 150, late if n == 8 else None) for n in range(4, 9)]
        await jobs.record(job.id, [rest[0]], keep)
        assert await _kept_of(history, ended, range(1, 4)) == [2, 3]  # the oldest made way
        await jobs.record(job.id, rest[1:], keep)
        await jobs.record(job.id, rest[1:], keep)  # a write retried after it went through

        assert await history.kept_bytes() <= 1000
        assert await _kept_of(history, ended, range(1, 4)) == []
        assert await _kept_of(history, other, range(1, 3)) == [1, 2]  # running: never dropped
        assert await _kept_of(history, job, range(1, 9)) == [1, 2, 3, 4, 5]
        reasons = {line.number: line.reason for line in await jobs.lines(job.id)}
        assert reasons == {1: None, 2: None, 3: None, 4: None, 5: None, 6: NO_COPY, 7: NO_COPY,
                           8: f"{late} {NO_COPY}"}  # fmt: skip
        assert (await jobs.counts(job.id)).done == 8  # every line uploaded, its change kept
        assert len(await history.of_job(job.id)) == 8
        gone = await history.change(f"{job.id[:30]}07")
        assert gone is not None and gone.kept_in_store and gone.copy_kept is False
        assert not gone.undoable  # its Undo says the copy is no longer kept
    finally:
        await jobs.close()


async def test_two_processes_jobs_together_never_keep_past_the_limit(database_url: str) -> None:
    url = sqlalchemy_url(database_url) or ""
    clock = Clock()
    one, two = await JobStore.open(url, clock=clock), await JobStore.open(url, clock=clock)
    keep = KeepLimit(2000, NO_COPY)
    try:
        a = await _job_with_lines(one, "a", 20, started=True, clock=clock)
        b = await _job_with_lines(two, "b", 20, started=True, clock=clock)

        async def run(store: JobStore, job: Job) -> None:
            for n in range(1, 21):  # a line a batch
                await store.record(job.id, [_copy(job, n, clock, 100)], keep)

        await asyncio.gather(run(one, a), run(two, b))
        history = History(one, SHOP)
        assert await history.kept_bytes() == 2000  # 20 of the 40 copies, and not one more
        kept = await _kept_of(history, a, range(1, 21)) + await _kept_of(history, b, range(1, 21))
        assert len(kept) == 20
        refused = [
            line for job in (a, b) for line in await one.lines(job.id) if line.reason == NO_COPY
        ]
        assert len(refused) == 20
    finally:
        await one.close()
        await two.close()


async def test_no_other_process_can_write_copies_while_a_job_sums_them(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What keeps two processes' jobs from both fitting a copy into the same room: while one
    has read the total and not yet written, the other's write of copies waits (SQLite's write
    lock; PostgreSQL's advisory lock, which every write of copies takes)."""
    url = sqlalchemy_url(database_url) or ""
    jobs = await JobStore.open(url)
    other = create_async_engine(url)
    clock = Clock()
    held: list[bool] = []

    async def could_write() -> bool:
        if database_url.startswith("sqlite"):
            probe = sqlite3.connect(database_url.removeprefix("sqlite:///"), timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")  # a writer's lock, or "database is locked"
                probe.rollback()
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                probe.close()
        async with other.begin() as connection:
            got = text("SELECT pg_try_advisory_xact_lock(:key)")
            return bool((await connection.execute(got, {"key": _KEEP_LOCK})).scalar())

    async def watched(connection: Any, store_id: int, copies: Any, max_bytes: int) -> Any:
        found = await fit_copies(connection, store_id, copies, max_bytes)
        held.append(not await could_write())
        return found

    monkeypatch.setattr("bot.jobs.store.fit_copies", watched)
    try:
        job = await _job_with_lines(jobs, "j", 2, started=True, clock=clock)
        await jobs.record(job.id, [_copy(job, n, clock, 100) for n in (1, 2)], KeepLimit(150, ""))
        assert held == [True]
        assert await History(jobs, SHOP).kept_bytes() == 100
        assert await could_write()  # and once written, the others may
    finally:
        await other.dispose()
        await jobs.close()


async def test_the_prune_never_drops_a_running_jobs_copies_by_size(database_url: str) -> None:
    clock = Clock()
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "", clock=clock)
    history = History(jobs, SHOP)
    try:
        ended = await _job_with_lines(jobs, "e", 2, started=True, clock=clock)
        await jobs.record(ended.id, [_copy(ended, n, clock, 100) for n in (1, 2)])
        assert await jobs.finish(ended.id, "p1")
        clock.now += 1
        running = await _job_with_lines(jobs, "r", 3, started=True, clock=clock)
        await jobs.record(running.id, [_copy(running, n, clock, 100) for n in (1, 2, 3)])
        # A process started with a lower HISTORY_MAX_MB prunes while the job runs.
        pruned = await history.prune(max_age_seconds=30 * DAY, max_bytes=150)
        assert (pruned.copies, pruned.bytes) == (2, 200)
        assert await _kept_of(history, running, range(1, 4)) == [1, 2, 3]
        assert await _kept_of(history, ended, range(1, 3)) == []
    finally:
        await jobs.close()
