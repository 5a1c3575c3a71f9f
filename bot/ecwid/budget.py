"""Ecwid's call budget: at most N calls in any window of W seconds, shared by two lanes.

Ecwid counts 600 calls a minute per token; how it counts is not documented. A sliding window is
the strictest reading (every fixed window and every token bucket of that size allows whatever it
allows), so a client that keeps to it is never answered 429. aiolimiter's leaky bucket, used
before, lets a full bucket through and then refills it, which a sliding window counts twice.

Bulk jobs run in a lane of their own, paced evenly (never in bursts) at the whole budget, and the
uploads people ask for one at a time come first: while any of their calls waits, the bulk lane
takes no place in the window. So a job uses all the budget nobody else needs (the reserve is
lent to it), and a single upload made during a job is still answered in seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

# Bulk slots missed (no line ready) that may be made up later, in a short burst.
CATCH_UP_SLOTS = 5
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

    def __init__(self, limit: RateLimit, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._all: deque[float] = deque()  # when each answered call in the window came back
        self._in_flight = 0
        self._returned = asyncio.Event()
        # The bulk lane is paced evenly, never in bursts: a burst would fill the window and
        # leave nothing for a minute; evenly spread, a place comes free every `spacing`.
        self._bulk_spacing = limit.seconds / limit.calls
        # None until the lane's first call: a new process (a restart) has nothing to make up,
        # and the one before it may have filled Ecwid's window a moment ago.
        self._bulk_next: float | None = None
        self._people_waiting = 0  # one-at-a-time calls waiting for a place: they go first

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
        if bulk:
            await self._wait(bulk=True)
            return
        self._people_waiting += 1
        try:
            await self._wait(bulk=False)
        finally:
            self._people_waiting -= 1
            self._returned.set()  # a bulk call held back for this one may go now
            self._returned = asyncio.Event()

    async def _wait(self, *, bulk: bool) -> None:
        while True:
            now = self._clock()
            horizon = now - self.limit.seconds - MARGIN_SECONDS
            while self._all and self._all[0] <= horizon:
                self._all.popleft()
            full = len(self._all) + self._in_flight >= self.limit.calls
            if bulk and self._bulk_next is None:
                self._bulk_next = now
            early = bulk and now < (self._bulk_next or 0.0)
            held = bulk and self._people_waiting > 0  # people first
            if not (full or early or held):
                self._in_flight += 1
                if bulk:
                    # A slot nobody was ready for (a line writing to the store, say) may be made
                    # up, a few at most: the window itself still bounds every burst.
                    floor = now - CATCH_UP_SLOTS * self._bulk_spacing
                    self._bulk_next = max(floor, self._bulk_next or now) + self._bulk_spacing
                return
            # Wait for the oldest counted call to leave the window, or for one in flight to
            # come back (it then counts from now, so the wait is recomputed).
            waits = [(self._bulk_next or now) - now] if early else []
            if full and self._all:
                waits.append(self._all[0] - horizon)
            returned = self._returned
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(returned.wait(), max(waits) if waits else None)
