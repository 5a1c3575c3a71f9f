"""Option-value benchmark (#36): what one image for 30 variations costs.

    .venv/bin/python benchmarks/option_values.py

Starts the loopback Slack, Ecwid and image host from tests/ with a shirt of Color (Red, Blue) ×
30 sizes, every other Red variation showing an image of its own (`benchmarks/fakes.py --shirt`),
and the bot as users run it (`python -m bot`, HTTP mode). For each of two images it sends
`/ecwid-image sku:SHIRT LINK option:Color=Red`, presses Start on the plan, waits for the report,
and prints, counted at the loopback servers:

- the new image's downloads (whole, and its header read: a ranged request);
- the upload calls per variation, by kind (bytes, by link);
- the reads of the product (its variations inline) and of its variations, before, for the link
  read back and for the check;
- the other calls (the alt text of the variation given the bytes, and its read-back);
- on a line of their own, the previous images downloaded to be kept for Undo.

The two images: a JPEG Ecwid takes as it is (each variation is given its link), and a WebP the
bot converts (its bytes go to one variation, Ecwid's link to them to the others).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from benchmarks.bulk import _interaction, _signed, _slack_calls, start_press
from benchmarks.burst import fakes_and_bot
from benchmarks.fakes import SHIRT
from tests.fakes.slack_api import BOT_TOKEN

WAIT_SECONDS = 120


async def _command(client: aiohttp.ClientSession, url: str, text: str) -> None:
    body = urlencode(
        {
            "command": "/ecwid-image",
            "text": text,
            "user_id": "U123",
            "channel_id": "C123",
            "team_id": "T1",
            "response_url": "http://127.0.0.1:9/unused",
            "trigger_id": "1.2.3",
        }
    )
    async with client.post(url, data=body, headers=_signed(body)) as response:
        assert response.status == 200, await response.text()


async def _until(client: aiohttp.ClientSession, calls_url: str, found: Any) -> Any:
    """Poll the loopback Slack's calls until `found(calls)` says something."""
    started = time.monotonic()
    while time.monotonic() - started < WAIT_SECONDS:
        answer = found(await _slack_calls(client, calls_url))
        if answer:
            return answer
        await asyncio.sleep(0.2)
    raise RuntimeError("the bot did not answer in time")


def _start_button(calls: list[dict[str, Any]], seen: int) -> tuple[str, str] | None:
    for call in calls:
        for block in call["params"].get("blocks") or []:
            for element in block.get("elements") or [] if isinstance(block, dict) else []:
                if element.get("action_id") == "bulk_start" and element["value"] not in seen:
                    return element["value"], call["params"]["ts"]
    return None


def _finished(calls: list[dict[str, Any]], ts: str) -> bool:
    """The job's message says it finished (its report follows in the thread)."""
    return any(
        c["method"] == "chat.update"
        and c["params"].get("ts") == ts
        and "finished" in str(c["params"].get("text"))
        for c in calls
    )


async def one_image(
    client: aiohttp.ClientSession, config: dict[str, Any], events: str, name: str, done: set[str]
) -> dict[str, int]:
    async with client.get(config["ecwid_calls_url"]) as r:
        before_calls = len(await r.json())
    async with client.get(config["image_hits_url"]) as r:
        before_hits = await r.json()
    link = config["image_base"] + name
    await _command(client, events, f'sku:SHIRT {link} option:Color=Red alt="Red shirt"')
    job_id, ts = await _until(
        client, config["slack_calls_url"], lambda calls: _start_button(calls, done)
    )
    done.add(job_id)
    press = start_press(job_id, ts)
    await _interaction(client, events, press)
    await _until(client, config["slack_calls_url"], lambda calls: _finished(calls, ts))
    async with client.get(config["ecwid_calls_url"]) as r:
        calls = (await r.json())[before_calls:]
    async with client.get(config["image_hits_url"]) as r:
        hits = await r.json()
    base = f"/products/{SHIRT}/combinations/"
    kinds: Counter[str] = Counter()
    for method, path, query, _content_type in calls:
        if method == "POST" and path.startswith(base) and path.endswith("/image"):
            kinds["upload: bytes"] += 1
        elif method == "POST" and path.startswith(base) and path.endswith("/image/async"):
            kinds["upload: by link"] += 1
        elif method == "GET" and path == "/products" and "productId" in query:
            kinds["read: the product, its variations inline (job)"] += 1
        elif method == "GET" and path == "/products":
            kinds["read: the plan's look-up of SKU SHIRT"] += 1
        elif method == "GET" and path == f"/products/{SHIRT}":
            kinds["read: the plan's read of the product"] += 1
        elif method == "GET" and path == base.rstrip("/"):
            kinds["read: its variations (the alt text read back)"] += 1
        elif method == "PUT" and path.startswith(base):
            kinds["other: the alt text of the variation given bytes"] += 1
        else:
            kinds[f"other: {method} {path.replace(str(SHIRT), '{id}')}"] += 1

    def served(path: str) -> list[int]:
        now, then = hits.get(path, [0, 0]), before_hits.get(path, [0, 0])
        return [now[0] - then[0], now[1] - then[1]]

    whole, ranged = served(name)
    kept = sum(served(p)[0] for p in hits if p != name)
    return {
        "downloads: whole": whole,
        "downloads: header (ranged)": ranged,
        **dict(sorted(kinds.items())),
        "previous images downloaded, kept for Undo": kept,
    }


async def fresh_bot(name: str) -> dict[str, int]:
    """The image for the Red variations, on a shirt and a bot of their own (as they were)."""
    fakes, bot, config, events = await fakes_and_bot("0.02", "--shirt", token=BOT_TOKEN)
    try:
        await bot.start()
        async with aiohttp.ClientSession() as client:
            return await one_image(client, config, events, name, set())
    finally:
        await bot.stop()
        await fakes.stop()


async def main() -> None:
    names = ("shirt-red.jpg", "shirt-red.webp")
    figures = {name: await fresh_bot(name) for name in names}
    print("One image for the 30 Red variations of a shirt (15 of which had an image of their own):")
    labels = sorted({label for counts in figures.values() for label in counts})
    print(f"{'':56} {'JPEG link':>10} {'WebP (converted)':>17}")
    for label in labels:
        row = [figures[name].get(label, 0) for name in names]
        print(f"{label:56} {row[0]:>10} {row[1]:>17}")
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
