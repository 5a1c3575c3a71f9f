"""The history's store on real databases (a SQLite file and the session's PostgreSQL): kept
copies pruned oldest first, by size and by age; a line's change written with its outcome, once
however often the write is retried."""

from __future__ import annotations

import time

from sqlalchemy import update

from bot.config import database_url as sqlalchemy_url
from bot.jobs.history import Action, Change, History
from bot.jobs.schema import kept_images
from bot.jobs.store import Job, JobStore, Line, LineState, Outcome


def _change(letter: str, **extra: object) -> Change:
    return Change(
        letter * 32, time.time(), "U1", 7, "main", Action.REPLACED, kept_in_store=True, **extra
    )  # type: ignore[arg-type]


async def test_pruning_past_the_size_drops_the_oldest_copies_first(database_url: str) -> None:
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "")
    history = History(jobs)
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
    history = History(jobs)
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
    history = History(jobs)
    job = Job("j" * 32, "U1", "C1", "1700000000.000001", "lines", "running", time.time())
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
