"""The tests' loopback Slack, Ecwid and image host, in a process of their own for the benchmark.

Prints one JSON line with their addresses, then serves until stdin closes. Kept out of the
benchmark's own process so that serving them does not slow the load generator's clock.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served, TlsAuthority, image_bytes
from tests.fakes.slack_api import FakeSlack


async def serve(upload_delay: float) -> None:
    folder = Path(tempfile.mkdtemp(prefix="ecwid-image-bench-"))
    tls = TlsAuthority(folder)
    slack, ecwid, images = FakeSlack(), FakeEcwid(), FakeImageHost(tls)
    ecwid.upload_delay = upload_delay
    images.default = Served(image_bytes("JPEG", 640, 480), "image/jpeg")
    for server in (slack, ecwid, images):
        await server.start()
    print(
        json.dumps(
            {
                "slack_api_url": slack.api_url,
                "slack_calls_url": slack.url("/_calls"),
                "response_url": slack.response_url(),
                "ecwid_api_url": ecwid.api_url,
                "ecwid_store_id": STORE_ID,
                "ecwid_token": TOKEN,
                "image_base": images.link(""),
                "ca_file": str(tls.ca_file),
            }
        ),
        flush=True,
    )
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
    for server in (slack, ecwid, images):
        await server.close()


if __name__ == "__main__":
    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.3))
