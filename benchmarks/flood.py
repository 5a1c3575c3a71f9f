"""Flood benchmark: a CSV of millions of tiny rows sent to the bulk form, while another user
types commands.

    .venv/bin/python benchmarks/flood.py [--rows 9000000] [--runs 1]

Starts the loopback fakes (sharing the CSV in Slack) and the bot as users run it, measures the
ack time of `/ecwid-image help` from another user with nothing else going on, then submits the
bulk form with the CSV and keeps sending those commands until the job's message says it was not
planned. It prints the slowest ack and the p99 while the CSV was read, beside the idle p99, and
the bot's peak resident memory. Targets: every ack under 1 s; memory under 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from benchmarks.bulk import _ack, _interaction, _slack_calls, bulk_form_submission
from benchmarks.burst import fakes_and_bot, percentile
from tests.fakes.slack_api import BOT_TOKEN  # the token the fake serves its files for


async def one_run(rows: int) -> dict[str, float]:
    fakes, bot, config, events = await fakes_and_bot("--flood", str(rows), token=BOT_TOKEN)
    try:
        await bot.start()
        async with aiohttp.ClientSession() as client:
            idle = [await _ack(client, events) for _ in range(50)]
            submission = bulk_form_submission(config["flood_file"])
            started = time.monotonic()
            await _interaction(client, events, submission)
            busy: list[float] = []
            answered = None
            while answered is None:
                busy.append(await _ack(client, events))
                if len(busy) % 10 == 0:
                    for call in await _slack_calls(client, config["slack_calls_url"]):
                        text = str(call["params"].get("text") or "")  # type: ignore[union-attr]
                        if "not planned" in text or "*Bulk upload*" in text:
                            answered = time.monotonic() - started
                if time.monotonic() - started > 120:
                    raise RuntimeError("the bot gave no answer within 2 minutes")
        peak = bot.peak_rss_mb()
    finally:
        await bot.stop()
        await fakes.stop()
    return {
        "idle_p99": percentile(idle, 99),
        "busy_p99": percentile(busy, 99),
        "busy_max": max(busy),
        "answered_s": answered,
        "peak_rss_mb": peak,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=9_000_000)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    runs = []
    for n in range(options.runs):
        figures = await one_run(options.rows)
        runs.append(figures)
        print(
            f"run {n + 1}: acks while the CSV was read: slowest {figures['busy_max'] * 1000:.0f} ms, "
            f"p99 {figures['busy_p99'] * 1000:.0f} ms (idle p99 {figures['idle_p99'] * 1000:.0f} "
            f"ms); answered after {figures['answered_s']:.1f} s; peak RSS "
            f"{figures['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    if len(runs) > 1:
        slowest = [r["busy_max"] for r in runs]
        print(
            f"median slowest ack {statistics.median(slowest) * 1000:.0f} ms "
            f"(range {min(slowest) * 1000:.0f}–{max(slowest) * 1000:.0f}); "
            f"peak RSS at most {max(r['peak_rss_mb'] for r in runs):.0f} MB"
        )


if __name__ == "__main__":
    asyncio.run(main())
