"""The floor: a Bolt AsyncApp that only acks `/ecwid-image`, served exactly as the bot serves HTTP."""

from __future__ import annotations

import asyncio
import os
import signal

import uvloop
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.flows.workers import AckPriority
from bot.slack.server import create_web_app


async def main() -> None:
    app = AsyncApp(
        client=AsyncWebClient(
            token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"]
        ),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    )

    @app.command("/ecwid-image")
    async def only_ack(ack: AsyncAck) -> None:
        await ack()

    runner = web.AppRunner(
        create_web_app(app, AckPriority(), signing_secret=os.environ["SLACK_SIGNING_SECRET"]),
        access_log=None,
    )
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", int(os.environ["PORT"])).start()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await runner.cleanup()


if __name__ == "__main__":
    uvloop.run(main())  # the same loop the bot runs on
