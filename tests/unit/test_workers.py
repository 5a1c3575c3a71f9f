"""The worker pool: uploads hold back briefly while Slack requests are being answered."""

from __future__ import annotations

import asyncio

import pytest

from bot.flows.workers import HOLD_BACK_SECONDS, AckPriority, WorkerPool


async def test_jobs_wait_for_acks_to_finish_but_never_long() -> None:
    priority = AckPriority()
    pool = WorkerPool(2, priority)
    pool.start()
    started: list[str] = []
    ran = asyncio.Event()
    loop = asyncio.get_running_loop()

    async def job(name: str) -> None:
        started.append(name)
        ran.set()

    with priority.answering():
        pool.submit(lambda: job("during acks"))
        with pytest.raises(TimeoutError):  # held back while a request is being answered
            await asyncio.wait_for(ran.wait(), HOLD_BACK_SECONDS / 5)
        assert started == []
    answered = loop.time()
    await asyncio.wait_for(ran.wait(), HOLD_BACK_SECONDS)
    assert started == ["during acks"]  # ...and released as soon as it is answered,
    assert loop.time() - answered < HOLD_BACK_SECONDS / 2  # not on time

    ran.clear()
    with priority.answering():  # a request that takes long never starves the uploads:
        queued = loop.time()
        pool.submit(lambda: job("long ack"))
        await asyncio.wait_for(ran.wait(), HOLD_BACK_SECONDS * 4)  # it runs while answering,
        assert started == ["during acks", "long ack"]
        assert loop.time() - queued >= HOLD_BACK_SECONDS * 0.9  # once it has held back
    await pool.close(1)


async def test_a_failing_job_does_not_stop_its_worker() -> None:
    pool = WorkerPool(1)
    pool.start()
    done = asyncio.Event()

    async def broken() -> None:
        raise RuntimeError("boom")

    async def fine() -> None:
        done.set()

    pool.submit(broken)
    pool.submit(fine)
    await asyncio.wait_for(done.wait(), 2)
    await pool.close(1)
    assert not pool.accepting
