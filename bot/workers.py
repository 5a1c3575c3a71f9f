"""A bounded pool of worker tasks: listeners only parse, ack and queue; uploads run here."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class WorkerPool:
    def __init__(self, size: int) -> None:
        self._size = size
        self._queue: asyncio.Queue[Job] = asyncio.Queue()
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
        self._queue.put_nowait(job)

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await job()
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
