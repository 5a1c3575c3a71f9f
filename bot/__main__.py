"""Entry point: `python -m bot` reads the settings, builds the app and serves it;
`python -m bot check` checks the setup instead.

With SLACK_APP_TOKEN set it connects in Socket Mode; otherwise it serves HTTP on PORT.
SIGTERM/SIGINT stop new work, let uploads in flight finish, then exit 0.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import signal
import sys

import uvloop
from aiohttp import web
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import build_app
from bot.config import ConfigError, Settings, load_settings
from bot.doctor import diagnose
from bot.logs import configure_logging
from bot.notify import slack_error
from bot.runtime import Runtime
from bot.server import create_web_app

log = logging.getLogger("bot")

GC_THRESHOLD = 20_000  # allocations between young-generation collections (Python's default: 700)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    runtime = await Runtime.open(settings)
    app = build_app(runtime)
    if settings.socket_mode:
        # slack-sdk retries a refused app token forever; ask once first, and use its answer.
        try:
            opened = await runtime.slack.apps_connections_open(app_token=settings.slack_app_token)
        except SlackApiError as exc:
            await runtime.close()
            raise SystemExit(
                f"Cannot start: Slack refused the app token ({slack_error(exc)}): "
                "check SLACK_APP_TOKEN (an xapp- token with connections:write)."
            ) from None
        handler = AsyncSocketModeHandler(app, settings.slack_app_token, web_client=runtime.slack)
        handler.client.wss_uri = opened["url"]
        await handler.connect_async()
        log.info("connected to Slack in Socket Mode")
        await stop.wait()
        await handler.disconnect_async()
        await runtime.close()
        await handler.close_async()
    else:
        runner = web.AppRunner(create_web_app(app, runtime.workers.priority), access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "0.0.0.0", settings.port)
        try:
            await site.start()
        except OSError as exc:
            await runtime.close()
            raise SystemExit(
                f"Cannot start: cannot listen on port {settings.port} ({exc.strerror})."
            ) from None
        log.info("listening on port %d (POST /slack/events, GET /healthz)", settings.port)
        await stop.wait()
        log.info("stopping: finishing uploads in flight")
        await site.stop()  # no new connections; outgoing calls keep working
        await runtime.close()
        await runner.cleanup()
    log.info("stopped")


def check(settings: Settings) -> int:
    """The setup doctor: one line per check, non-zero exit when anything needs fixing."""
    findings = asyncio.run(diagnose(settings))
    for finding in findings:
        print(finding)
    problems = sum(not f.ok for f in findings)
    print("All set." if not problems else f"{problems} thing(s) to fix.")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if argv not in ([], ["check"]):
        print("usage: python -m bot [check]", file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2
    if argv == ["check"]:
        configure_logging(settings.secrets, default_level="ERROR")  # the findings say it all
        return check(settings)
    configure_logging(settings.secrets)
    # Start-up objects live as long as the process: keep the collector from rescanning them, and
    # let it run less often under a burst (measured on the burst benchmark, see README).
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD)
    # uvloop: the same asyncio API on a faster loop, so acks stay quick while uploads run.
    uvloop.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
