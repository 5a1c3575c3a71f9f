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
import logging
import math
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

# Bulk slots missed (no line ready) that may be made up later, in a short burst.
CATCH_UP_SLOTS = 5
# Timers fire a little early or late: a margin keeps a call from leaving just too early.
MARGIN_SECONDS = 0.01
# While the shared schedule cannot be reached (its database is down or slow), people's calls
# keep to this process's own budget and the bulk lane waits; the schedule is asked again after
# this. A booking or a pause that takes longer than BOOK_SECONDS counts as out of reach.
SHARED_RETRY_SECONDS = 5.0
BOOK_SECONDS = 2.0
MAX_PAUSE_SECONDS = 60.0  # a longer Retry-After is not waited out (the call gives up: client.py)
# Ecwid counts a call when it arrives, the shared schedule when it leaves: arrivals may bunch
# up by this much (a new connection's handshake, the network), so the schedule leaves room.
JITTER_SECONDS = 0.2

log = logging.getLogger(__name__)

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
        """ValueError for a limit too small to share (fewer calls than the room it needs)."""
        chunk = max(1, min(4, limit.calls // 100))
        people_ahead = max(1, min(8, limit.calls // 50))
        # GCRA with interval T and tolerance τ, its places taken within chunks of k, lets at
        # most W/T + τ/T + 2k calls leave in any window of W seconds (a chunk booked at either
        # end); τ is at most (k + people_ahead)·T; one more at the window's edge, and room for
        # arrivals bunched by JITTER_SECONDS. At 600/60: 577 a minute, 96 %.
        jitter = math.ceil(JITTER_SECONDS * limit.calls / limit.seconds)
        spare = 3 * chunk + people_ahead + 1 + jitter
        if limit.calls <= spare:
            raise ValueError(f"at least {spare + 1} calls a window to share")
        interval = limit.seconds / (limit.calls - spare)
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
        self._pace = SharedPace.for_limit(limit) if shared is not None else None
        self._granted = 0  # places booked in the shared schedule and not yet taken
        self._granted_until = 0.0  # … usable until then (their place in the schedule ends)
        self._booking = asyncio.Lock()  # one booking at a time, shared by the calls waiting
        self._bulk_waiting = 0  # bulk calls waiting for a shared place: a chunk's size
        self._bulk_retry_at = 0.0  # the schedule said no to the bulk lane until then
        self._shared_down_until = 0.0  # out of reach: asked again then
        self._paused_until = 0.0  # Ecwid answered 429: no call before then
        self._pauses = 0  # 429s so far: a booking made before one is not used after it
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
            if self._shared is not None and self._pace is not None:
                await self._shared_place(self._shared, self._pace, bulk)
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
        self._pauses += 1
        self._granted = 0
        self._returned.set()  # waiting calls recompute their wait
        self._returned = asyncio.Event()
        if self._shared is not None and self._pace is not None:
            # Past the furthest any call books ahead: none leaves before Ecwid's time.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(BOOK_SECONDS):
                    await self._shared.pause(seconds + self._pace.people_tolerance)

    async def _shared_place(self, shared: SharedSchedule, pace: SharedPace, bulk: bool) -> None:
        """A place in the shared schedule: one booked earlier by this process, or a new
        booking. While the schedule is out of reach, a person's call goes on this process's
        own budget, and the bulk lane waits (alone, each process would take the whole)."""
        self._bulk_waiting += bulk
        try:
            while True:
                now = self._clock()
                if now < self._paused_until:
                    wait = self._paused_until - now
                elif self._take_granted():
                    return
                elif now < self._shared_down_until:
                    if not bulk:
                        return
                    wait = self._shared_down_until - now
                elif bulk and now < self._bulk_retry_at:
                    wait = self._bulk_retry_at - now
                else:
                    booked = await self._book(shared, pace, bulk)
                    if booked is None:
                        return
                    wait = booked
                await asyncio.sleep(wait)
        finally:
            self._bulk_waiting -= bulk

    async def _book(self, shared: SharedSchedule, pace: SharedPace, bulk: bool) -> float | None:
        """None: this call has its place; else seconds to wait before asking again."""
        async with self._booking:
            if self._take_granted():
                return None
            before, pauses = self._clock(), self._pauses
            if before < max(self._paused_until, self._shared_down_until):
                return 0.0  # said while this call waited for the lock
            chunk = min(pace.chunk, self._bulk_waiting) if bulk else 1
            tolerance = pace.bulk_tolerance if bulk else pace.people_tolerance
            try:
                async with asyncio.timeout(BOOK_SECONDS):
                    booking = await shared.book(
                        calls=chunk, interval=pace.interval, tolerance=tolerance
                    )
            except TimeoutError:
                booking = None
            if booking is None:
                if not self._shared_down_until:
                    log.warning(
                        "the shared Ecwid budget is out of reach: people's calls keep to this "
                        "process's budget, bulk lines wait"
                    )
                self._shared_down_until = self._clock() + SHARED_RETRY_SECONDS
                return 0.0
            if self._shared_down_until:
                log.warning("the shared Ecwid budget is back")
                self._shared_down_until = 0.0
            granted, seconds = booking
            if not granted:
                wait = min(seconds, MAX_PAUSE_SECONDS + pace.people_tolerance)
                if bulk:
                    self._bulk_retry_at = self._clock() + wait
                return wait
            if pauses != self._pauses:
                return 0.0  # booked before a 429 came: not used after it
            # Counted from before the booking: its places end no later than the schedule's.
            self._granted, self._granted_until = chunk - 1, before + seconds
            return None

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
