"""Ecwid's call budget: at most N calls in any window of W seconds, shared by two lanes.

Ecwid counts 600 calls a minute per token; how it counts is not documented. A sliding window is
the strictest reading (every fixed window and every token bucket of that size allows whatever it
allows), so a client that keeps to it is never answered 429. aiolimiter's leaky bucket, used
before, lets a full bucket through and then refills it, which a sliding window counts twice.

Bulk jobs run in a lane of their own, paced evenly (never in bursts) at the whole budget, and the
uploads people ask for one at a time come first: while any of their calls waits, the bulk lane
takes no place in the window. So a job uses all the budget nobody else needs (the reserve is
lent to it), and a single upload made during a job is still answered in seconds.

With several processes on one PostgreSQL, each call also takes a place in the store's schedule
that they share (`SharedSchedule`, bot.jobs.budgets: GCRA), booked a few at a time; people's
calls may book further ahead than the bulk lane's, so they keep their head start across
processes. A 429 pauses the store's calls here and, through the schedule, in every process.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

# Bulk slots missed (no line ready) that may be made up later, in a short burst.
CATCH_UP_SLOTS = 5
# Timers fire a little early or late: a margin keeps a call from leaving just too early.
MARGIN_SECONDS = 0.01
# While the shared schedule cannot be reached (its database is down), each process keeps to its
# own budget, and asks the schedule again after this.
SHARED_RETRY_SECONDS = 5.0
MAX_PAUSE_SECONDS = 60.0  # a longer Retry-After is not waited out (the call gives up: client.py)

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


class SharedSchedule(Protocol):
    """A store's call schedule, shared with the other processes (bot.jobs.budgets)."""

    async def book(
        self, *, calls: int, interval: float, tolerance: float
    ) -> tuple[bool, float] | None:
        """(True, s): the calls may leave until s seconds from now; (False, s): ask again in s
        seconds; None: the schedule cannot be reached."""
        ...

    async def pause(self, seconds: float) -> None: ...


@dataclass(frozen=True)
class SharedPace:
    """How the calls are booked in a shared schedule: `interval` apart, the bulk lane's `chunk`
    at a time and no more than its own chunk ahead of now; people's one at a time, up to
    `people_tolerance` ahead (their head start)."""

    interval: float
    chunk: int
    bulk_tolerance: float
    people_tolerance: float

    @classmethod
    def for_limit(cls, limit: RateLimit) -> SharedPace:
        chunk = max(1, min(4, limit.calls // 100))
        people_ahead = max(1, min(8, limit.calls // 50))
        # GCRA with interval T and tolerance τ, its places taken within chunks of k, lets at
        # most W/T + τ/T + 2k calls through in any window of W seconds (a chunk booked at
        # either end); τ is at most (k + people_ahead)·T, and 2 more are kept for the network's
        # unevenness. At 600/60: 578 a minute, 96 %.
        spare = 3 * chunk + people_ahead + 2
        interval = limit.seconds / max(1, limit.calls - spare)
        return cls(
            interval=interval,
            chunk=chunk,
            bulk_tolerance=chunk * interval,
            people_tolerance=(chunk + people_ahead) * interval,
        )


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
        clock: Callable[[], float] = time.monotonic,
        shared: SharedSchedule | None = None,
    ) -> None:
        self.limit = limit
        self._clock = clock
        self._shared = shared
        self._pace = SharedPace.for_limit(limit)
        self._granted = 0  # places booked in the shared schedule and not yet taken
        self._granted_until = 0.0  # … usable until then (their place in the schedule ends)
        self._booking = asyncio.Lock()  # one booking at a time, shared by the calls waiting
        self._shared_down_until = 0.0
        self._paused_until = 0.0  # Ecwid answered 429: no call before then
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
            if self._shared is not None:
                await self._shared_place(self._shared, bulk)
            yield
        finally:
            self._in_flight -= 1
            self._all.append(self._clock())
            self._returned.set()
            self._returned = asyncio.Event()

    async def pause(self, seconds: float) -> None:
        """Ecwid answered 429: no call of the store leaves for `seconds`, here and, through the
        shared schedule, in every process."""
        seconds = min(max(seconds, 0.0), MAX_PAUSE_SECONDS)
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._granted = 0
        self._returned.set()  # waiting calls recompute their wait
        self._returned = asyncio.Event()
        if self._shared is not None:
            # Past the furthest any call books ahead: none leaves before Ecwid's time.
            await self._shared.pause(seconds + self._pace.people_tolerance)

    async def _shared_place(self, shared: SharedSchedule, bulk: bool) -> None:
        """A place in the shared schedule: one booked earlier by this process, or a new booking."""
        while True:
            if self._take_granted():
                return
            if self._clock() < self._shared_down_until:
                return  # the schedule is out of reach: this process's own budget alone
            async with self._booking:
                if self._take_granted():
                    return
                chunk = self._pace.chunk if bulk else 1
                tolerance = self._pace.bulk_tolerance if bulk else self._pace.people_tolerance
                booking = await shared.book(
                    calls=chunk, interval=self._pace.interval, tolerance=tolerance
                )
                now = self._clock()
                if booking is None:
                    self._shared_down_until = now + SHARED_RETRY_SECONDS
                    return
                granted, seconds = booking
                if granted:
                    self._granted, self._granted_until = chunk - 1, now + seconds
                    return
            await asyncio.sleep(seconds)

    def _take_granted(self) -> bool:
        if self._granted and self._clock() < self._granted_until:
            self._granted -= 1
            return True
        return False

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
            paused = now < self._paused_until
            if not (full or early or held or paused):
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
            if paused:
                waits.append(self._paused_until - now)
            if full and self._all:
                waits.append(self._all[0] - horizon)
            returned = self._returned
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(returned.wait(), max(waits) if waits else None)
