"""The end-to-end floor: a Bolt AsyncApp that acks `/ecwid-image`, then makes only the network
calls an upload needs (look up the product, read the image's first bytes, POST the upload, post
the parent, post the reply, update the parent), with no checks, no retries and no limits.

With FLOOR_UNDO=1 it also makes the calls an upload with Undo needs: the whole current image
(read alongside the parent), then after the reply the kept copy (files_upload_v2's three calls),
the read-back of the slot, and the reply's update.

Served exactly as the bot serves HTTP (bot.slack.server), on the same event loop kind (uvloop),
so that the difference between the bot's end-to-end time and this one is the bot's own machinery.
"""

from __future__ import annotations

import asyncio
import os
import signal
import ssl
from typing import Any

import aiohttp
import uvloop
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.workers import AckPriority
from bot.slack.server import create_web_app


async def main() -> None:
    env = os.environ
    slack_api = env["SLACK_API_URL"]
    ecwid_base = f"{env['ECWID_API_URL']}/{env['ECWID_STORE_ID']}"
    ecwid_headers = {"Authorization": f"Bearer {env['ECWID_TOKEN']}"}
    slack_headers = {"Authorization": f"Bearer {env['SLACK_BOT_TOKEN']}"}
    tls = ssl.create_default_context(cafile=env["SSL_CERT_FILE"])
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256, ssl=tls))
    app = AsyncApp(
        client=AsyncWebClient(token=env["SLACK_BOT_TOKEN"], base_url=slack_api),
        signing_secret=env["SLACK_SIGNING_SECRET"],
    )
    background: set[asyncio.Task[None]] = set()

    async def slack(method: str, **params: Any) -> dict[str, Any]:
        async with session.post(slack_api + method, json=params, headers=slack_headers) as r:
            return dict(await r.json())

    undo = env.get("FLOOR_UNDO") == "1"

    async def product(product_id: str) -> str | None:
        """The product; where its current image is."""
        async with session.get(f"{ecwid_base}/products/{product_id}", headers=ecwid_headers) as r:
            data = await r.json()
        original = data.get("originalImage") if isinstance(data, dict) else None
        return original.get("url") if isinstance(original, dict) else None

    async def whole(url: str | None) -> bytes:
        if url is None:
            return b""
        async with session.get(url) as r:
            return await r.read()

    async def keep(channel: str, thread: str, data: bytes) -> None:
        """files_upload_v2: get an upload URL, send the bytes, complete it in the thread."""
        got = await slack("files.getUploadURLExternal", filename="previous.jpg", length=len(data))
        async with session.post(got["upload_url"], data=data) as r:
            await r.read()
        await slack(
            "files.completeUploadExternal",
            files=[{"id": got["file_id"]}],
            channel_id=channel,
            thread_ts=thread,
        )

    async def first_bytes(url: str) -> None:
        async with session.get(url, headers={"Range": "bytes=0-65535"}) as r:
            await r.content.read(65536)

    async def upload(product_id: str, url: str) -> None:
        body = {"url": url, "width": "640", "height": "480"}
        path = f"{ecwid_base}/products/{product_id}/image/async"
        async with session.post(path, json=body, headers=ecwid_headers) as r:
            await r.read()

    async def run(command: dict[str, Any]) -> None:
        product_id, url = command["text"].split()[:2]
        channel = command["channel_id"]
        current, _ = await asyncio.gather(product(product_id), first_bytes(url))

        async def replace() -> bytes:
            """The current image is had (for undo) before it is replaced."""
            kept = await whole(current if undo else None)
            await upload(product_id, url)
            return kept

        parent, kept = await asyncio.gather(
            slack("chat.postMessage", channel=channel, text="replacing…"), replace()
        )
        reply = await slack(
            "chat.postMessage", channel=channel, thread_ts=parent["ts"], text=f"done {url}"
        )
        if undo:
            await asyncio.gather(keep(channel, parent["ts"], kept), product(product_id))
            await slack("chat.update", channel=channel, ts=reply["ts"], text=f"done {url} + Undo")
        await slack("chat.update", channel=channel, ts=parent["ts"], text="replaced")

    @app.command("/ecwid-image")
    async def ack_then_upload(ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack()
        task = asyncio.create_task(run(command))
        background.add(task)
        task.add_done_callback(background.discard)

    web_app = create_web_app(app, AckPriority(), signing_secret=env["SLACK_SIGNING_SECRET"])
    runner = web.AppRunner(web_app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", int(env["PORT"])).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()
    await session.close()


if __name__ == "__main__":
    uvloop.run(main())  # the same loop the bot runs on
