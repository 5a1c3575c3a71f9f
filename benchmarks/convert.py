"""Conversion benchmark: how fast photos are made ready, and what it costs acks and memory.

    .venv/bin/python benchmarks/convert.py [--runs 1]

In this process, with the bot's own converter (bot/images/convert.py):
- a 12-megapixel HEIC (4000×3000, with EXIF and GPS) to JPEG: seconds per image, median of 5;
- images a minute through the converter as the bot configures it (a process pool of cores − 1
  workers, at least one), 12 HEICs at once, against Ecwid's 600 calls a minute.

Then the bot as users run it (`python -m bot`, HTTP mode) against the loopback Slack, Ecwid and
image host (`benchmarks/fakes.py --photos`):
- ack p99 of another user's `/ecwid-image help`, one every 50 ms, while four 12-megapixel HEIC
  links convert, next to the idle ack p99, and the slowest ack;
- the peak memory of the bot and its pool together (each one's peak, added up) after it made a
  48-megapixel photo ready, in a bot of its own for each: a JPEG stored sideways, a PNG. (An
  upright JPEG link goes by its link: nothing is held.)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from benchmarks.bulk import _ack, _signed, _slack_calls
from benchmarks.burst import fakes_and_bot, percentile
from benchmarks.photos import heic
from bot.images.convert import ImagePolicy, ImagePreparer, convert
from tests.fakes.slack_api import BOT_TOKEN  # the token the fake serves its files for

ECWID_CALLS_A_MINUTE = 600
PEAK_CASES = (  # each in a bot of its own: name at the image host, what it is, the thread says
    ("camera48.jpg", "a 48-MP photo stored sideways (JPEG)", "Turned upright"),
    ("camera48.png", "a 48-MP PNG of 66 MB", "Converted from PNG to JPEG"),
)


def seconds_per_image(data: bytes, times: int = 5) -> float:
    spent = []
    for _ in range(times):
        started = time.perf_counter()
        convert(data, ImagePolicy())
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


async def images_a_minute(data: bytes, count: int = 12) -> tuple[float, int]:
    preparer = ImagePreparer(ImagePolicy())
    try:
        await preparer.prepare(data)  # the pool's workers start
        started = time.perf_counter()
        await asyncio.gather(*(preparer.prepare(data) for _ in range(count)))
        spent = time.perf_counter() - started
    finally:
        preparer.close(wait=True)
    return count / spent * 60, max(1, (os.cpu_count() or 2) - 1)


async def _command(client: aiohttp.ClientSession, url: str, text: str) -> None:
    body = (
        "command=%2Fecwid-image&user_id=U123&channel_id=C123&team_id=T1&trigger_id=1.2.3"
        f"&response_url=http%3A%2F%2F127.0.0.1%3A9%2Funused&text={text}"
    )
    async with client.post(url, data=body, headers=_signed(body)) as response:
        assert response.status == 200, await response.text()


async def _replies(client: aiohttp.ClientSession, calls_url: str) -> list[str]:
    """The thread replies posted so far (each upload's result)."""
    replies = []
    for call in await _slack_calls(client, calls_url):
        params = call["params"]
        threaded = isinstance(params, dict) and params.get("thread_ts")
        if call["method"] == "chat.postMessage" and threaded and isinstance(params, dict):
            replies.append(str(params.get("text")))
    return replies


async def acks_while_converting() -> dict[str, float]:
    """Ack p99 idle, and while four 12-megapixel HEIC links convert."""
    fakes, bot, config, events = await fakes_and_bot("0.05", "--photos", token=BOT_TOKEN)
    base, calls = config["image_base"], config["slack_calls_url"]
    try:
        await bot.start()
        async with aiohttp.ClientSession() as client:
            idle = []
            for _ in range(50):
                idle.append(await _ack(client, events))
                await asyncio.sleep(0.05)
            for n, product in enumerate((123, 456, 123, 456)):  # four phone photos at once
                await _command(client, events, f"{product}+{base}phone{n}.heic")
            busy = []
            while len(await _replies(client, calls)) < 4:
                busy.append(await _ack(client, events))
                await asyncio.sleep(0.05)
            replies = await _replies(client, calls)
            assert all("Converted from HEIC to JPEG" in r for r in replies), replies
    finally:
        await bot.stop()
        await fakes.stop()
    return {
        "idle_ack_p99": percentile(idle, 99),
        "busy_ack_p99": percentile(busy, 99),
        "busy_ack_max": max(busy),
    }


async def peak_converting(name: str, said: str) -> tuple[float, float]:
    """The peak memory of a bot that converted one photo (its own, and its pool's), in MB."""
    fakes, bot, config, events = await fakes_and_bot("0.05", "--photos", token=BOT_TOKEN)
    try:
        await bot.start()
        async with aiohttp.ClientSession() as client:
            await _command(client, events, f"123+{config['image_base']}{name}")
            while not await _replies(client, config["slack_calls_url"]):  # noqa: ASYNC110
                await asyncio.sleep(0.2)
            (reply,) = await _replies(client, config["slack_calls_url"])
            assert said in reply, reply
        assert bot.proc is not None
        return _peaks(bot.proc.pid)
    finally:
        await bot.stop()
        await fakes.stop()


def _peaks(pid: int) -> tuple[float, float]:
    """The peak resident memory (VmHWM) of the bot, and of its pool's workers added up, in MB."""

    def peak(of: int) -> float:
        status = Path(f"/proc/{of}/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024

    children = [
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    ]
    return peak(pid), sum(peak(child) for child in children)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    twelve = heic(4000, 3000)
    print(f"a 12-megapixel HEIC ({len(twelve) / 1024 / 1024:.1f} MB) to JPEG:", flush=True)
    for n in range(options.runs):
        each = seconds_per_image(twelve)
        per_minute, workers = await images_a_minute(twelve)
        print(
            f"run {n + 1}: {each:.2f} s an image in one process; {per_minute:.0f} images a "
            f"minute through the pool ({workers} worker(s)), against Ecwid's "
            f"{ECWID_CALLS_A_MINUTE} calls a minute (an image sent as bytes with alt text: 2)",
            flush=True,
        )
    for n in range(options.runs):
        figures = await acks_while_converting()
        print(
            f"run {n + 1}: ack p99 while four 12-MP photos convert "
            f"{figures['busy_ack_p99'] * 1000:.0f} ms (slowest {figures['busy_ack_max'] * 1000:.0f}"
            f" ms), idle {figures['idle_ack_p99'] * 1000:.0f} ms (ratio "
            f"{figures['busy_ack_p99'] / figures['idle_ack_p99']:.2f})",
            flush=True,
        )
    for name, what, said in PEAK_CASES:
        own, pool = await peak_converting(name, said)
        print(
            f"{what}: peak memory of the bot and its pool {own + pool:.0f} MB (the bot "
            f"{own:.0f} MB, the pool {pool:.0f} MB)",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
