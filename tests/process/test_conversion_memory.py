"""A decompression bomb is refused with bounded memory, measured in a process of its own (the rest
of the conversions, through the bot: tests/integration/listeners/test_conversions.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.photos import tiff_bomb


@pytest.mark.slow  # a process of its own, whose peak memory is the measure
def test_a_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    """300 megapixels would take 300 MB decoded; the refusal comes from the header. (Made here:
    making it takes those 300 MB.)"""
    bomb = tmp_path / "fax.tif"
    bomb.write_bytes(tiff_bomb())
    script = (
        "import asyncio, resource, sys\n"
        "from bot.images.convert import ConversionError, ImagePolicy, ImagePreparer\n"
        "async def main():\n"
        "    preparer = ImagePreparer(ImagePolicy(max_megapixels=int(sys.argv[2])))\n"
        "    try:\n"
        "        await preparer.prepare(open(sys.argv[1], 'rb').read())\n"
        "    except ConversionError as refusal:\n"
        "        print(refusal.message)\n"
        "    preparer.close(wait=True)\n"
        "asyncio.run(main())\n"
        # The bot and its pool together. VmHWM: this process's own peak (ru_maxrss keeps the
        # forking parent's across exec); the pool's workers, once they have ended.
        "own = int(open('/proc/self/status').read().split('VmHWM:')[1].split()[0])\n"
        "pool = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(max(own, pool) // 1024)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(bomb), "50"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    message, peak_mb = done.stdout.splitlines()
    assert message == "The image is 300 megapixels; the bot converts up to 50."
    assert int(peak_mb) < 150, done.stdout
