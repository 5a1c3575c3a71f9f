"""A bulk job's lease: the one place that knows its rules.

A job is run (or checked) by one process at a time: the one whose lease in the job store has not
run out. The holder renews it every third of its length; it begins a line only while at least a
third of the lease is surely left, so that no other process can take the job over while one of
its lines is on its way; and it learns it lost the lease when a renewal finds the job is not
its own any more. A lease it cannot renew in time (the store is away) lapses: the run pauses,
saying so. The clock is injected, for tests.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from bot.jobs.store import Job, JobState, JobStore

log = logging.getLogger(__name__)

STATE_POLL_SECONDS = 1.0  # how soon a Stop pressed in another process is seen


class LeaseLapsed(Exception):
    """The lease could not be renewed in time (the store is away): no line may begin."""


class Lease:
    def __init__(
        self,
        jobs: JobStore,
        job_id: str,
        owner: str,
        seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._jobs = jobs
        self._job_id = job_id
        self.owner = owner
        self.seconds = seconds
        self._clock = clock
        # Taken (started, claimed or created) just before this object: it runs from now.
        self._until = clock() + seconds
        self._renewed = clock()
        self.lost = asyncio.Event()  # another process holds the job now
        self.stopping = asyncio.Event()  # Stop was pressed (in any process)

    def surely_held(self) -> bool:
        """Whether the lease surely lasts a while yet: long enough for a line to end before
        another process could take the job over. False once it was lost."""
        return not self.lost.is_set() and self._clock() < self._until - self.seconds / 3

    def due(self) -> bool:
        return self._clock() - self._renewed >= self.seconds / 3

    async def renew(self) -> Job | None:
        """Renew now; the job as it is, or None (and `lost` set) when it is not ours any more.
        A failure to reach the store is raised: the lease runs on until it runs out."""
        asked = self._clock()  # the new lease runs from no later than this
        job = await self._jobs.renew(self._job_id, self.owner, self.seconds)
        self._renewed = self._clock()
        if job is None:
            self.lost.set()
            return None
        self._until = asked + self.seconds
        if job.state == JobState.STOPPING:
            self.stopping.set()
        return job

    async def keep(self) -> None:
        """Renew every third of the lease, and look for a Stop every second in between; until
        the lease is lost (or the task is cancelled). Failures are logged and tried again while
        the lease surely lasts; past that, LeaseLapsed is raised (the run pauses, saying so)."""
        while not self.lost.is_set():
            await asyncio.sleep(min(STATE_POLL_SECONDS, self.seconds / 6))
            try:
                if self.due():
                    await self.renew()
                else:
                    job = await self._jobs.job(self._job_id)
                    if job is not None and job.state == JobState.STOPPING:
                        self.stopping.set()
            except Exception as exc:
                log.warning("bulk job %s: lease not renewed: %s", self._job_id, type(exc).__name__)
                if not self.lost.is_set() and not self.surely_held():
                    raise LeaseLapsed(
                        f"not renewed for {self._clock() - self._renewed:.1f} s"
                    ) from exc

    async def release(self) -> None:
        """Give the lease up at once (a restart): the next process need not wait for it."""
        await self._jobs.release(self._job_id, self.owner)
