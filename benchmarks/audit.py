"""Audit benchmark (#37): what `/ecwid-image audit` of 5,000 products costs.

    .venv/bin/python benchmarks/audit.py [--products 5000] [--runs 1]

Starts the loopback Slack, Ecwid and image host from tests/ with a catalog of that many products
(`benchmarks/fakes.py --audit N`: names in two languages, alt texts some missing, gallery images,
variations, 50 categories) and the bot as users run it (`python -m bot`, HTTP mode). It sends
`/ecwid-image audit` and waits for the card, then prints:

- the Ecwid calls, by path (target: the pages of 100 and the categories' pages; none per product);
- the images read for sizes (target: none) and, to find the same picture on several products,
  Ecwid's 160 px copies read (one an image; no original) and their kilobytes;
- the seconds from the command to the card;
- the bot's peak resident memory (target: at most 200 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from benchmarks.bulk import _signed, _slack_calls
from benchmarks.burst import fakes_and_bot
from tests.fakes.slack_api import BOT_TOKEN


async def one_run(products: int) -> dict[str, float]:
    fakes, bot, config, events = await fakes_and_bot(
        "0.02", "--audit", str(products), token=BOT_TOKEN
    )
    try:
        await bot.start()
        body = urlencode(
            {
                "command": "/ecwid-image",
                "text": "audit",
                "user_id": "U123",
                "channel_id": "C123",
                "team_id": "T1",
                "response_url": "http://127.0.0.1:9/unused",
                "trigger_id": "1.2.3",
            }
        )
        async with aiohttp.ClientSession() as client:
            started = time.monotonic()
            async with client.post(events, data=body, headers=_signed(body)) as response:
                assert response.status == 200
            while True:
                calls = await _slack_calls(client, config["slack_calls_url"])
                if any(c["method"] == "files.completeUploadExternal" for c in calls):
                    break
                if time.monotonic() - started > 600:
                    raise RuntimeError("no card within 10 minutes")
                await asyncio.sleep(0.1)
            seconds = time.monotonic() - started
            async with client.get(config["ecwid_calls_url"]) as r:
                ecwid_calls = await r.json()
            async with client.get(config["image_hits_url"]) as r:
                hits = await r.json()
            async with client.get(config["cdn_url"]) as r:
                cdn = await r.json()
        peak = bot.peak_rss_mb()
    finally:
        await bot.stop()
        await fakes.stop()
    paths = Counter(f"{method} {path}" for method, path, _, _ in ecwid_calls)
    return {
        "seconds": seconds,
        "peak_rss_mb": peak,
        "calls": float(len(ecwid_calls)),
        "product_pages": float(paths["GET /products"]),
        "category_pages": float(paths["GET /categories"]),
        "other_calls": float(len(ecwid_calls) - paths["GET /products"] - paths["GET /categories"]),
        "image_reads": float(sum(whole + ranged for whole, ranged in hits.values())),
        "small_copies_read": float(cdn["requests"]),
        "originals_read": float(cdn["originals"]),
        "kb_read_to_compare": cdn["bytes"] / 1000,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    runs = [await one_run(options.products) for _ in range(options.runs)]
    print(f"An audit of {options.products:,} products ({options.runs} run(s), median):")
    for key in runs[0]:
        values = [run[key] for run in runs]
        print(
            f"  {key:16} {statistics.median(values):10.1f}   ({min(values):.1f}–{max(values):.1f})"
        )


if __name__ == "__main__":
    asyncio.run(main())
