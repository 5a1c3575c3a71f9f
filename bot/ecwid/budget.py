"""Ecwid's call budget: at most N calls in any window of W seconds, shared by two lanes.

Ecwid counts 600 calls a minute per token; how it counts is not documented. A sliding window is
the strictest reading (every fixed window and every token bucket of that size allows whatever it
allows), so a client that keeps to it is never answered 429. aiolimiter's leaky bucket, used
before, lets a full bucket through and then refills it, which a sliding window counts twice.

Bulk jobs would take the whole budget, so they run in a lane of their own, paced evenly below the
full budget: the rest is kept for the uploads people ask for one at a time, which are then
answered in seconds even while a job of thousands of lines runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

# The share of the budget one-at-a-time uploads keep while a bulk job runs: 30 calls a minute
# of Ecwid's 600, about 10 uploads, and the bulk job still gets 95 %.
RESERVED_FOR_PEOPLE = 0.05
# Timers fire a little early or late: a margin keeps a call from leaving just too early.
MARGIN_SECONDS = 0.01

_bulk_lane: contextvars.ContextVar[bool] = contextvars.ContextVar("ecwid_bulk_lane", default=False)


@dataclass(frozen=True)
class RateLimit:
    calls: int
    seconds: float

    @classmethod
    def parse(cls, text: str) -> RateLimit:
        """`600/60`: calls per seconds. ValueError for anything else."""
        calls, sep, seconds = text.partition("/")
        limit = cls(int(calls), float(seconds) if sep else 60.0)
        if not (1 <= limit.calls <= 1_000_000 and 0.1 <= limit.seconds <= 3600):
            raise ValueError(text)
        return limit

    def __str__(self) -> str:
        return f"{self.calls}/{self.seconds:g}"


ECWID_LIMIT = RateLimit(600, 60)  # per token, documented


@contextlib.contextmanager
def bulk_lane() -> Iterator[None]:
    """Calls made inside (and in tasks started inside) count against the bulk lane's cap."""
    token = _bulk_lane.set(True)
    try:
        yield
    finally:
        _bulk_lane.reset(token)


class CallBudget:
    """A call's place in the window is counted from when its answer came back, not from when it
    left: Ecwid counts it somewhere in between, so this never runs ahead of Ecwid's count,
    whatever the network's delays (counting from departure let a few calls of the next window
    arrive early: measured, 4 of 50 answered 429)."""

    def __init__(
        self,
        limit: RateLimit,
        *,
        reserved: float = RESERVED_FOR_PEOPLE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._all: deque[float] = deque()  # when each answered call in the window came back
        self._in_flight = 0
        self._returned = asyncio.Event()
        # The bulk lane is paced evenly at its share, never in bursts: a burst would fill the
        # window and leave nothing for a minute; evenly spread, there is always room left.
        self._bulk_spacing = limit.seconds / max(1, int(limit.calls * (1 - reserved)))
        self._bulk_next = 0.0

    @contextlib.asynccontextmanager
    async def call(self) -> AsyncIterator[None]:
        """Wait until a call may leave; it counts until a window after it came back."""
        bulk = _bulk_lane.get()
        await self._acquire(bulk)
        try:
            yield
        finally:
            self._in_flight -= 1
            self._all.append(self._clock())
            self._returned.set()
            self._returned = asyncio.Event()

    async def _acquire(self, bulk: bool) -> None:
        while True:
            now = self._clock()
            horizon = now - self.limit.seconds - MARGIN_SECONDS
            while self._all and self._all[0] <= horizon:
                self._all.popleft()
            full = len(self._all) + self._in_flight >= self.limit.calls
            early = bulk and now < self._bulk_next
            if not (full or early):
                self._in_flight += 1
                if bulk:
                    self._bulk_next = max(now, self._bulk_next) + self._bulk_spacing
                return
            # Wait for the oldest counted call to leave the window, or for one in flight to
            # come back (it then counts from now, so the wait is recomputed).
            waits = [self._bulk_next - now] if early else []
            if full and self._all:
                waits.append(self._all[0] - horizon)
            returned = self._returned
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(returned.wait(), max(waits) if waits else None)
