"""One store's Ecwid budget, shared by the processes on one PostgreSQL (#38, part 4): two Ecwid
clients, each with its own engine and connection pool as two processes have, against the
loopback Ecwid, which answers 429 past its limit as Ecwid does (a sliding window, the strictest
reading: tests/fakes/ecwid_api.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import database_url
from bot.ecwid.budget import RateLimit, bulk_lane
from bot.ecwid.client import EcwidClient
from bot.jobs.budgets import SharedBudgets
from bot.jobs.store import JobStore
from tests.bulk_helpers import stock
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid, Fault, busiest_window
from tests.postgres import PostgresServer

LIMIT = RateLimit(60, 3)  # Ecwid's 600/60, scaled down
pytestmark = pytest.mark.slow  # a PostgreSQL server of its own


@contextlib.asynccontextmanager
async def process(url: str, ecwid: FakeEcwid) -> AsyncIterator[tuple[EcwidClient, JobStore]]:
    """What one bot process has: its job store's engine, its connections, its Ecwid client."""
    store = await JobStore.open(database_url(url) or url)
    try:
        async with aiohttp.ClientSession() as http:
            client = EcwidClient(
                http,
                api_url=ecwid.api_url,
                store_id=STORE_ID,
                token=TOKEN,
                timeout=5,
                rate_limit=LIMIT,
                shared=SharedBudgets(store).for_store(STORE_ID),
            )
            yield client, store
    finally:
        await store.close()


async def test_two_processes_keep_together_within_the_stores_budget(
    ecwid: FakeEcwid, postgres: PostgresServer
) -> None:
    ecwid.rate_limit = (LIMIT.calls, LIMIT.seconds)
    (product,) = stock(ecwid, 1)
    url = postgres.new_database()

    async def bulk(client: EcwidClient, calls: int) -> None:
        with bulk_lane():
            await asyncio.gather(*(client.get_product(product) for _ in range(calls)))

    async with process(url, ecwid) as (first, _), process(url, ecwid) as (second, _):
        # Each alone would use the whole budget: 50 calls each, 100 in all, over a window's.
        await asyncio.gather(bulk(first, 50), bulk(second, 50))
    assert ecwid.rate_limited == []
    assert len(ecwid.calls) == 100
    assert busiest_window([call.at for call in ecwid.calls], LIMIT.seconds) <= LIMIT.calls


class Said(logging.Handler):
    """Set once a log line says `words`."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words = words
        self.event = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()


async def test_a_429_pauses_the_stores_calls_in_every_process(
    ecwid: FakeEcwid, postgres: PostgresServer
) -> None:
    (product,) = stock(ecwid, 1)
    limited = {"errorMessage": "Too many requests", "errorCode": "RATE_LIMITED"}
    ecwid.faults["product"] = [Fault(429, limited, headers={"Retry-After": "2"})]
    url = postgres.new_database()
    said = Said("failed (429)")
    client_log = logging.getLogger("bot.ecwid.client")
    client_log.addHandler(said)
    told = said.event
    async with (
        process(url, ecwid) as (first, _),
        process(url, ecwid) as (second, _),
        contextlib.AsyncExitStack() as cleanup,
    ):
        cleanup.callback(client_log.removeHandler, said)
        retried = asyncio.create_task(first.get_product(product))
        await ecwid.wait_until(lambda: ecwid.calls)
        limited_at = ecwid.calls[0].at

        # The first has been answered 429 and waits to try again: it says so once it has
        # told the shared schedule.
        await told.wait()
        await second.get_product(product)
        await retried
    later = [call.at - limited_at for call in ecwid.calls[1:]]
    assert len(later) == 2  # the second process's call, and the first's again
    assert min(later) >= 1.9  # neither left before Ecwid's Retry-After
