"""Entry point: `python -m bot` reads the settings, builds the app and serves it.

With SLACK_APP_TOKEN set it connects in Socket Mode; otherwise it serves HTTP on PORT.
SIGTERM/SIGINT stop new work, let uploads in flight finish, then exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from bot.app import build_app
from bot.config import ConfigError, Settings, load_settings
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.server import create_web_app

log = logging.getLogger("bot")


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    runtime = await Runtime.open(settings)
    app = build_app(runtime)
    if settings.socket_mode:
        handler = AsyncSocketModeHandler(app, settings.slack_app_token, web_client=runtime.slack)
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode")
        await stop.wait()
        await handler.disconnect_async()
        await runtime.close()
        await handler.close_async()
    else:
        runner = web.AppRunner(create_web_app(app), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", settings.port)
        await site.start()
        log.info("listening on port %d (POST /slack/events, GET /healthz)", settings.port)
        await stop.wait()
        log.info("stopping: finishing uploads in flight")
        await site.stop()  # no new connections; outgoing calls keep working
        await runtime.close()
        await runner.cleanup()
    log.info("stopped")


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2
    configure_logging(settings.secrets)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
