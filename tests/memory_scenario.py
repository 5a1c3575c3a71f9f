"""The worst images the bot accepts, and some it must refuse, sent to `python -m bot` as users
would: four 49.9-megapixel RGBA PNGs dropped in a watched channel, a 16-bit TIFF of that size,
and a link to each; then four 99-megapixel PNGs. The peaks of the bot's resident memory and of
each conversion-pool worker's are read from /proc (VmHWM).

Used by tests/process/test_input_bounds.py (a bound with a margin) and benchmarks/memory.py (the
figures).
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image

from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.processes import free_port, start_bot, wait_healthy
from tests.slack_requests import SlackSender

WATCHED = "C123"
ACCEPTED = (8640, 5775)  # 49.9 megapixels: under IMAGE_MAX_MEGAPIXELS' default of 50
REFUSED = (11000, 9000)  # 99 megapixels
COLOURS = ((200, 30, 40, 255), (30, 200, 40, 255), (30, 40, 200, 255), (200, 200, 40, 128))
FIRST_ID = 3001


@cache
def png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    """A flat RGBA PNG: a few hundred kilobytes that decode to 4 bytes a pixel."""
    out = io.BytesIO()
    Image.new("RGBA", size, colour).save(out, "PNG", compress_level=1)
    return out.getvalue()


@cache
def tiff16(size: tuple[int, int]) -> bytes:
    """A 16-bit greyscale TIFF (a scanner's), deflated: two bytes a pixel decoded."""
    out = io.BytesIO()
    Image.new("I;16", size, 40000).save(out, "TIFF", compression="tiff_adobe_deflate")
    return out.getvalue()


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


@dataclass(frozen=True)
class Peaks:
    bot_mb: float
    workers_mb: tuple[float, ...]
    answers: tuple[str, ...]  # what the bot said (texts and blocks), in order


def _drop(slack: FakeSlack, ts: str, files: list[tuple[str, bytes, str]]) -> dict[str, Any]:
    shared = [
        slack.add_file(f"FM{ts[-3:]}{n}", name, body, kind)
        for n, (name, body, kind) in enumerate(files)
    ]
    return {
        "type": "message",
        "subtype": "file_share",
        "user": "U123",
        "channel": WATCHED,
        "channel_type": "channel",
        "ts": ts,
        "event_ts": ts,
        "text": "",
        "files": shared,
    }


@contextlib.asynccontextmanager
async def _fakes() -> AsyncIterator[tuple[FakeSlack, FakeEcwid, FakeImageHost, TlsAuthority]]:
    tls = TlsAuthority(Path(tempfile.mkdtemp(prefix="ecwid-image-tls-")))
    slack, ecwid, images = FakeSlack(), FakeEcwid(tls.server_context(), tls.client_context()), None
    await slack.start()
    await ecwid.start()
    images = FakeImageHost(tls)
    await images.start()
    try:
        yield slack, ecwid, images, tls
    finally:
        await images.close()
        await ecwid.close()
        await slack.close()


async def _plan_started(slack: FakeSlack, sender: SlackSender, seen: int) -> None:
    """Press Start on the newest plan."""
    from tests.bulk_helpers import press

    def start() -> tuple[str, str] | None:
        for call in reversed(slack.calls_to("chat.update")[seen:]):
            for block in call.params.get("blocks") or []:
                if isinstance(block, dict) and block.get("type") == "actions":
                    for element in block["elements"]:
                        if element["action_id"] == "bulk_start":
                            return str(call.params["ts"]), str(element["value"])
        return None

    ts, job_id = await slack.wait_until(start, timeout=120)
    await sender.interaction(press("bulk_start", job_id, ts))


def _undo_offered(slack: FakeSlack) -> int:
    """Single uploads answered to the end (the result offers Undo once the new image's
    identity is had and the previous image kept)."""
    return len(
        [c for c in slack.calls_to("chat.update") if "undo_upload" in str(c.params.get("blocks"))]
    )


async def run(
    *,
    accepted: tuple[int, int] = ACCEPTED,
    refused: tuple[int, int] = REFUSED,
    megapixels: int = 50,
) -> Peaks:
    """The scenario end to end; the peaks once every answer came. (Smaller sizes and limit: a
    quick rehearsal of the same steps.)"""
    async with _fakes() as (slack, ecwid, images, tls):
        ids = list(range(FIRST_ID, FIRST_ID + 5))
        for n in ids:
            ecwid.products[n] = {"id": n, "name": f"Big {n}", "sku": f"BIG{n}", "media": media()}
        port = free_port()
        env = {
            **environment(slack, ecwid, tls),
            "PORT": str(port),
            "WATCH_CHANNELS": WATCHED,
            "DROP_GROUP_SECONDS": "0.2",
            "IMAGE_MAX_MEGAPIXELS": str(megapixels),
        }
        workdir = Path(tempfile.mkdtemp(prefix="ecwid-image-memory-"))
        process = await start_bot(env, workdir)
        try:
            await wait_healthy(f"http://127.0.0.1:{port}", process)
            sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", slack.response_url())
            pngs = [png(accepted, colour) for colour in COLOURS]
            files = [(f"BIG{n}.png", body, "image/png") for n, body in zip(ids, pngs, strict=False)]
            files.append((f"BIG{ids[4]}.tif", tiff16(accepted), "image/tiff"))
            seen = len(slack.calls_to("chat.update"))
            await sender.event(_drop(slack, "1700000900.000100", files), event_id="EvBig")
            await _plan_started(slack, sender, seen)
            await slack.wait_until(lambda: slack.calls_to("files.completeUploadExternal"), 300)
            # A link to each, as a command.
            for n, (name, body, kind) in zip(ids, files, strict=True):
                images.files[name] = Served(body, kind)
                await sender.command(f"{n} {images.link(name)}")
            await slack.wait_until(lambda: _undo_offered(slack) >= 5 or None, timeout=300)
            if refused:
                big = [
                    (f"BIG{n}.png", png(refused, colour), "image/png")
                    for n, colour in zip(ids, COLOURS, strict=False)
                ]
                await sender.event(_drop(slack, "1700000950.000100", big), event_id="EvHuge")
                await slack.wait_until(
                    lambda: (
                        [
                            c
                            for c in slack.calls_to("chat.update")
                            if "megapixels" in str(c.params.get("text"))
                            or "megapixels" in str(c.params.get("blocks"))
                        ]
                        or None
                    ),
                    timeout=120,
                )
            answers = tuple(
                f"{c.params.get('text')} {c.params.get('blocks')}"
                for c in slack.calls_to("chat.postMessage") + slack.calls_to("chat.update")
            )
            return Peaks(
                bot_mb=peak_mb(process.pid),
                workers_mb=tuple(peak_mb(child) for child in children(process.pid)),
                answers=answers,
            )
        finally:
            # The pool's workers hold the bot's stdout open: they go too, or wait() never ends.
            for child in children(process.pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            process.kill()
            await process.wait()
