"""The conversion pool's workers leave the bot its core: they run at a lower priority, and a
HEIC is decoded on one thread (libheif's default is four: on 2 cores the pool then took both,
and acks slowed 2.8 times while four photos converted, benchmarks/convert.py)."""

from __future__ import annotations

import asyncio
import os

import pillow_heif

from bot.images.convert import CONVERTER_NICENESS
from tests.harness import image_pool


def _how_the_worker_runs() -> tuple[int, int]:
    """In a worker: its niceness, and the threads libheif decodes a HEIC with."""
    return os.nice(0), int(pillow_heif.options.DECODE_THREADS)


async def test_a_conversion_worker_yields_the_cpu_and_decodes_on_one_thread() -> None:
    loop = asyncio.get_running_loop()
    bot_niceness = os.nice(0)
    niceness, threads = await loop.run_in_executor(image_pool(), _how_the_worker_runs)
    assert niceness == bot_niceness + CONVERTER_NICENESS
    assert threads == 1
