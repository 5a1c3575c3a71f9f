"""Each store's Ecwid call budget, shared by every process on one PostgreSQL (#38).

Ecwid counts 600 calls a minute per token, whichever process makes them. The schedule is GCRA's:
one timestamp per store (`next_at`, the end of the calls booked so far, spaced evenly), moved on
a few calls at a time by one conditional `UPDATE … RETURNING`. Times are the database server's
clock, so processes on different hosts share one clock. SQLite serves one process, which keeps
its in-process budget alone (bot.ecwid.budget).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from bot.jobs.store import JobStore

log = logging.getLogger(__name__)

# The database's clock, read where each expression is evaluated: after the row's lock is taken,
# so a booking that waited on another process's starts from the time it is made.
_NOW = "extract(epoch FROM clock_timestamp())::float8"
# A schedule further ahead than any pause (60 s) and tolerance can take it is not believed (a
# clock stepped back, a bad value): it is read as now.
MAX_AHEAD_SECONDS = 120.0
_NEXT = f"least(next_at, {_NOW} + :max_ahead)"
_BOOK = text(
    f"UPDATE ecwid_budgets SET next_at = greatest({_NEXT}, {_NOW}) + :span "
    f"WHERE store_id = :store AND {_NEXT} <= {_NOW} + :tolerance "
    f"RETURNING next_at - {_NOW}"
)
_AHEAD = text(f"SELECT {_NEXT} - {_NOW} FROM ecwid_budgets WHERE store_id = :store")
_FIRST = text(
    "INSERT INTO ecwid_budgets (store_id, next_at) VALUES (:store, 0) "
    "ON CONFLICT (store_id) DO NOTHING"
)
_PAUSE = text(
    f"UPDATE ecwid_budgets SET next_at = greatest({_NEXT}, {_NOW} + :seconds) "
    "WHERE store_id = :store"
)


class Booking(NamedTuple):
    """`granted`: the calls may leave now, and until `seconds` from now (their place in the
    schedule ends then); otherwise ask again in `seconds`."""

    granted: bool
    seconds: float


class SharedBudgets:
    """The stores' call schedules in the job store's PostgreSQL database."""

    def __init__(self, store: JobStore) -> None:
        if store.dialect != "postgresql":
            raise ValueError("a shared budget needs PostgreSQL; SQLite serves one process")
        self._engine = store.engine

    async def book(
        self, store_id: int, *, calls: int, interval: float, tolerance: float
    ) -> Booking | None:
        """Book `calls` places `interval` apart, if the schedule is no more than `tolerance`
        seconds ahead of now. None when the database cannot be reached (the caller says so, once
        an outage)."""
        values = {
            "store": store_id,
            "span": calls * interval,
            "tolerance": tolerance,
            "max_ahead": MAX_AHEAD_SECONDS,
        }
        try:
            # Each statement its own transaction: the row is locked only inside the server,
            # never across a round trip to a process that may be slow to come back.
            async with self._engine.connect() as plain:
                connection = await plain.execution_options(isolation_level="AUTOCOMMIT")
                booked = (await connection.execute(_BOOK, values)).scalar()
                if booked is not None:
                    return Booking(True, float(booked))
                ahead = (await connection.execute(_AHEAD, values)).scalar()
                if ahead is None:  # the store's first call: its row, then book
                    await connection.execute(_FIRST, values)
                    booked = (await connection.execute(_BOOK, values)).scalar()
                    if booked is not None:
                        return Booking(True, float(booked))
                    ahead = (await connection.execute(_AHEAD, values)).scalar()
            return Booking(False, max(float(ahead or 0.0) - tolerance, 0.0))
        except (SQLAlchemyError, OSError) as exc:
            log.debug("shared Ecwid budget unavailable: %s", type(exc).__name__)
            return None

    async def pause(self, store_id: int, seconds: float) -> None:
        """No call of the store is booked in any process for `seconds` (Ecwid answered 429)."""
        try:
            async with self._engine.begin() as connection:
                values = {"store": store_id, "seconds": seconds, "max_ahead": MAX_AHEAD_SECONDS}
                await connection.execute(_PAUSE, values)
        except (SQLAlchemyError, OSError) as exc:
            log.warning("shared Ecwid budget not paused: %s", type(exc).__name__)

    def for_store(self, store_id: int) -> StoreSchedule:
        return StoreSchedule(self, store_id)


class StoreSchedule:
    """One store's schedule, as its Ecwid client's budget books it (bot.ecwid.budget)."""

    def __init__(self, budgets: SharedBudgets, store_id: int) -> None:
        self._budgets = budgets
        self._store_id = store_id

    async def book(self, *, calls: int, interval: float, tolerance: float) -> Booking | None:
        return await self._budgets.book(
            self._store_id, calls=calls, interval=interval, tolerance=tolerance
        )

    async def pause(self, seconds: float) -> None:
        await self._budgets.pause(self._store_id, seconds)
