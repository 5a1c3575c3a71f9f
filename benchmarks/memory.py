"""Memory benchmark: the largest photos the bot accepts, and larger ones it must refuse.

    .venv/bin/python benchmarks/memory.py [--runs 1]

Runs tests/memory_scenario.py against `python -m bot`: four 49.9-megapixel RGBA PNGs dropped in a
watched channel and run as a job, a 16-bit TIFF of that size, a link to each as a command, then
four 99-megapixel PNGs dropped (refused in the plan, from their headers). Prints the peak resident
memory (VmHWM) of the bot and of each conversion-pool worker. Target (#33): each under 400 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script, as burst.py
from tests import memory_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=1)
    runs = parser.parse_args().runs
    for run in range(1, runs + 1):
        started = time.monotonic()
        peaks = asyncio.run(memory_scenario.run())
        workers = ", ".join(f"{mb:.0f}" for mb in peaks.workers_mb)
        print(
            f"run {run}: bot peak {peaks.bot_mb:.0f} MB; pool workers' peaks {workers} MB "
            f"({time.monotonic() - started:.0f} s)"
        )


if __name__ == "__main__":
    main()
