"""Shared budget benchmark (#38): two processes call one store's Ecwid at once, at Ecwid's
full limit, booking their calls in one PostgreSQL (bot.jobs.budgets).

    .venv/bin/python benchmarks/shared_budget.py [--seconds 100] [--rate 600/60]

Starts a PostgreSQL server of its own (tests/postgres.py), the loopback Ecwid answering 429 past
`--rate` (a sliding window: benchmarks/fakes.py), and two worker processes. Each opens the job
store on that database and an Ecwid client as the bot builds it (its own budget, and the shared
schedule), and keeps 40 bulk-lane reads in flight for `--seconds`; one of them also makes a
person's read every 2 s. Prints the calls that reached Ecwid in the minute after a 20 s warm-up
as a share of the limit (target ≥ 90 %), the busiest window, the 429s, and how long the
person's reads waited while the two bulk lanes kept the budget full.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.burst import Process  # noqa: E402
from bot.config import database_url  # noqa: E402
from bot.ecwid.budget import RateLimit, bulk_lane  # noqa: E402
from bot.ecwid.client import EcwidClient  # noqa: E402
from bot.jobs.budgets import SharedBudgets  # noqa: E402
from bot.jobs.store import JobStore  # noqa: E402
from tests.fakes.ecwid_api import busiest_window  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

PRODUCT = 10_001  # benchmarks/fakes.py --products 1
IN_FLIGHT = 40  # bulk reads each worker keeps waiting for a place
WARM_UP_SECONDS = 20.0
PERSON_EVERY_SECONDS = 2.0


async def worker(config: dict[str, str], url: str, seconds: float, rate: str, person: bool) -> None:
    """One process's calls; prints what its person's reads waited, as JSON."""
    store = await JobStore.open(url)
    waits: list[float] = []
    async with aiohttp.ClientSession() as http:
        client = EcwidClient(
            http,
            api_url=config["ecwid_api_url"],
            store_id=int(config["ecwid_store_id"]),
            token=config["ecwid_token"],
            timeout=30,
            rate_limit=RateLimit.parse(rate),
            shared=SharedBudgets(store).for_store(int(config["ecwid_store_id"])),
        )
        deadline = time.monotonic() + seconds

        async def bulk() -> None:
            with bulk_lane():
                while time.monotonic() < deadline:
                    await client.get_product(PRODUCT)

        async def people() -> None:
            await asyncio.sleep(WARM_UP_SECONDS)
            while time.monotonic() < deadline - PERSON_EVERY_SECONDS:
                began = time.monotonic()
                await client.get_product(PRODUCT)
                waits.append(time.monotonic() - began)
                await asyncio.sleep(PERSON_EVERY_SECONDS)

        await asyncio.gather(*(bulk() for _ in range(IN_FLIGHT)), *([people()] if person else []))
    await store.close()
    print(json.dumps({"person_waits": waits}), flush=True)


async def main(seconds: float, rate: str) -> None:
    limit = RateLimit.parse(rate)
    if seconds < WARM_UP_SECONDS + limit.seconds:
        raise SystemExit(f"--seconds must cover the warm-up and a window: {WARM_UP_SECONDS:g} + …")
    postgres = PostgresServer()
    postgres.start()
    fakes = Process(
        [sys.executable, "-m", "benchmarks.fakes", "0.0", "--products", "1", "--rate", rate], {}
    )
    try:
        await fakes.start()
        config = await fakes.first_line()
        url = database_url(postgres.new_database()) or ""
        await (await JobStore.open(url)).close()  # migrated once, before the two start
        args = [json.dumps(config), url, str(seconds), rate]
        workers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                __file__,
                "--worker",
                *args,
                person,
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
            )
            for person in ("person", "bulk-only")
        ]
        said = [await w.communicate() for w in workers]
        waits = [wait for out, _ in said for wait in json.loads(out)["person_waits"]]
        async with httpx.AsyncClient() as http:
            arrivals = (await http.get(config["ecwid_arrivals_url"])).json()
    finally:
        await fakes.stop()
        postgres.stop()
    times = sorted(arrivals["at"])
    start = times[0] + WARM_UP_SECONDS
    in_window = sum(start <= at < start + limit.seconds for at in times)
    print(f"limit: {limit} ({limit.calls} calls every {limit.seconds:g} s), two processes")
    print(f"calls that reached Ecwid: {len(times)} in {times[-1] - times[0]:.0f} s")
    print(
        f"share of the budget used together, the {limit.seconds:g} s after a "
        f"{WARM_UP_SECONDS:g} s warm-up: {in_window}/{limit.calls} = "
        f"{in_window / limit.calls:.1%} (target ≥ 90 %)"
    )
    print(f"busiest {limit.seconds:g} s window: {busiest_window(times, limit.seconds)} calls")
    print(f"answered 429: {arrivals['rate_limited']}")
    if waits:
        print(
            f"a person's read while the bulk lanes kept the budget full: "
            f"p50 {statistics.median(waits) * 1000:.0f} ms, max {max(waits) * 1000:.0f} ms "
            f"({len(waits)} reads)"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker"]:
        config_json, url, seconds, rate, person = sys.argv[2:7]
        asyncio.run(worker(json.loads(config_json), url, float(seconds), rate, person == "person"))
        sys.exit(0)
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=100)
    parser.add_argument("--rate", default="600/60", help="Ecwid's limit, CALLS/SECONDS")
    options = parser.parse_args()
    asyncio.run(main(options.seconds, options.rate))
