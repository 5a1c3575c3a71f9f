"""The call budget's side of the shared schedule (bot.ecwid.budget), against a schedule in
memory that books as bot.jobs.budgets's UPDATE does (GCRA), shared by several budgets as by
several processes. PostgreSQL's own side: tests/integration/jobs/test_shared_budget.py."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.ecwid.budget import BOOK_SECONDS, CallBudget, RateLimit, SharedPace, bulk_lane
from tests.fakes.ecwid_api import busiest_window


class MemorySchedule:
    """One store's schedule: `next_at`, moved on only when it is within `tolerance` of now."""

    def __init__(self) -> None:
        self.next_at = 0.0
        self.books = 0
        self.delay = 0.0  # each booking's answer takes this long to come back
        self.hang = False  # no booking ever comes back (a database gone silent)

    async def book(
        self, *, calls: int, interval: float, tolerance: float
    ) -> tuple[bool, float] | None:
        self.books += 1
        if self.hang:
            await asyncio.Event().wait()
        now = time.monotonic()
        if self.next_at <= now + tolerance:
            self.next_at = max(self.next_at, now) + calls * interval
            answer = True, self.next_at - now
        else:
            answer = False, self.next_at - tolerance - now
        if self.delay:  # booked at once, answered late: a 429 may come in between
            await asyncio.sleep(self.delay)
        return answer

    async def pause(self, seconds: float) -> None:
        self.next_at = max(self.next_at, time.monotonic() + seconds)


def test_the_pace_leaves_room_and_refuses_a_limit_too_small_to_share() -> None:
    pace = SharedPace.for_limit(RateLimit(600, 60))
    assert (pace.chunk, round(60 / pace.interval)) == (4, 577)
    assert round(6 / SharedPace.for_limit(RateLimit(60, 6)).interval) == 53
    with pytest.raises(ValueError, match="at least 8 calls"):
        SharedPace.for_limit(RateLimit(7, 1))


async def test_three_processes_sharing_a_schedule_stay_within_every_window() -> None:
    limit = RateLimit(100, 1)
    schedule = MemorySchedule()
    budgets = [CallBudget(limit, shared=schedule) for _ in range(3)]
    left: list[float] = []
    deadline = time.monotonic() + 2.5

    async def calls(budget: CallBudget, bulk: bool) -> None:
        while time.monotonic() < deadline:
            if bulk:
                with bulk_lane():
                    async with budget.call():
                        left.append(time.monotonic())
            else:
                async with budget.call():
                    left.append(time.monotonic())
                await asyncio.sleep(0.05)  # a person now and then

    await asyncio.gather(
        *(calls(budget, bulk=True) for budget in budgets for _ in range(10)),
        *(calls(budget, bulk=False) for budget in budgets),
    )
    # Each alone would take the whole budget; together they keep to it.
    assert busiest_window(left, limit.seconds) <= limit.calls
    assert len(left) > 2 * limit.calls  # and use it


async def test_a_database_gone_silent_holds_no_persons_call_past_one_booking_time() -> None:
    schedule = MemorySchedule()
    schedule.hang = True
    budget = CallBudget(RateLimit(100, 1), shared=schedule)
    began = time.monotonic()

    async def person() -> float:
        async with budget.call():
            return time.monotonic() - began

    waited = await asyncio.gather(*(person() for _ in range(5)))
    assert max(waited) < BOOK_SECONDS + 1  # not one booking time each
    assert schedule.books == 1  # the others were told it is out of reach
    # The bulk lane waits for the schedule meanwhile: alone, it could take the whole budget.
    with bulk_lane():
        bulk = asyncio.ensure_future(budget.call().__aenter__())
    await asyncio.sleep(0.2)
    assert not bulk.done()
    bulk.cancel()


async def test_a_429_holds_the_calls_already_waiting_for_a_booking() -> None:
    schedule = MemorySchedule()
    schedule.delay = 0.05  # each booking takes a moment: the 429 comes meanwhile
    budget = CallBudget(RateLimit(100, 1), shared=schedule)
    left: list[float] = []

    async def person() -> None:
        async with budget.call():
            left.append(time.monotonic())

    waiting = [asyncio.ensure_future(person()) for _ in range(4)]
    await asyncio.sleep(0.01)
    paused_at = time.monotonic()
    await budget.pause(0.5)
    await asyncio.gather(*waiting)
    assert min(left) - paused_at >= 0.5
