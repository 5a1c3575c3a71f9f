"""A bounded pool of worker tasks: listeners only parse, ack and queue; uploads run here.

Acks have Slack's 3-second deadline and uploads do not, so while requests are being answered a
queued upload waits a moment (at most HOLD_BACK_SECONDS) before it starts taking the loop's time.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable, Iterator

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]

HOLD_BACK_SECONDS = 0.25
# Requests come in bursts (a team pasting commands): the last answer is followed by another so
# often that the loop counts as busy for a moment after it.
QUIET_AFTER_SECONDS = 0.02


class AckPriority:
    """Counts the Slack requests being answered right now; quiet a moment after the last."""

    def __init__(self) -> None:
        self._answering = 0
        self._quiet = asyncio.Event()
        self._quiet.set()
        self._settling: asyncio.TimerHandle | None = None

    @contextlib.contextmanager
    def answering(self) -> Iterator[None]:
        self._answering += 1
        self._quiet.clear()
        if self._settling is not None:
            self._settling.cancel()
            self._settling = None
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                loop = asyncio.get_running_loop()
                self._settling = loop.call_later(QUIET_AFTER_SECONDS, self._settle)

    def _settle(self) -> None:
        self._settling = None
        if not self._answering:
            self._quiet.set()

    async def wait_quiet(self, at_most: float) -> None:
        if self._quiet.is_set() or at_most <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._quiet.wait(), at_most)


class WorkerPool:
    def __init__(self, size: int, priority: AckPriority | None = None) -> None:
        self._size = size
        self._priority = priority or AckPriority()
        self._queue: asyncio.Queue[tuple[float, Job, contextvars.Context]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"upload-worker-{n}") for n in range(self._size)
        ]

    @property
    def accepting(self) -> bool:
        return not self._closing

    def submit(self, job: Job) -> None:
        if self._closing:
            raise RuntimeError("the worker pool is shutting down")
        # Its context goes with it (the store it is for: bot.changes.context.working_for).
        self._queue.put_nowait((time.monotonic(), job, contextvars.copy_context()))

    async def join(self) -> None:
        """Wait until nothing is queued or running: the bot is idle."""
        await self._queue.join()

    @property
    def priority(self) -> AckPriority:
        return self._priority

    async def _work(self) -> None:
        while True:
            queued_at, job, context = await self._queue.get()
            try:
                await self._priority.wait_quiet(queued_at + HOLD_BACK_SECONDS - time.monotonic())
                await asyncio.create_task(_called(job), context=context)
            except Exception:  # a job must never take its worker down with it
                log.exception("upload job failed")
            finally:
                self._queue.task_done()

    async def close(self, grace_seconds: float) -> None:
        """Stop taking jobs, let queued and running ones finish (up to the grace), then stop."""
        self._closing = True
        try:
            await asyncio.wait_for(self._queue.join(), grace_seconds)
        except TimeoutError:
            log.warning("shutdown: %d upload(s) still unfinished", self._queue.qsize())
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


async def _called(job: Job) -> None:
    await job()
