"""Entry point: `python -m bot` reads the settings, builds the app and serves it;
`python -m bot check` checks the setup instead.

With SLACK_APP_TOKEN set it connects in Socket Mode; otherwise it serves HTTP on PORT.
SIGTERM/SIGINT stop new work, let uploads in flight finish, then exit 0. A start-up mistake is
one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from typing import NamedTuple, TypeVar

import uvloop
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError

from bot import __version__
from bot.config import ConfigError, Settings, load_settings, rotation_settings
from bot.doctor import diagnose
from bot.jobs.store import JobStore, JobStoreError, NewerDatabaseError
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.app import build_app
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error, slack_session
from bot.slack.installations import reseal_all
from bot.slack.many_app import build_many_app, many_routes
from bot.slack.onboarding import Onboarding
from bot.slack.server import HttpServer
from bot.tokens import SealedTokenError

log = logging.getLogger("bot")
T = TypeVar("T")

GC_THRESHOLD = 3_000  # allocations between young-generation collections (Python's default: 700)
USAGE = """usage: python -m bot [check | rotate-keys]

  (nothing)   run the bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on PORT
  check       check the setup (Slack and Ecwid tokens, scopes) and say what to fix
  rotate-keys seal every stored token again under the first key of TOKEN_KEYS=new,old
  -h, --help  show this help (also: help)
  --version   show the version

Settings come from the environment or a .env file: see .env.example."""


class StartupError(Exception):
    """The bot cannot start; the message is the one line that says why."""


# auth.test, retries included. Slack answers it in well under a second; 5 s leaves the rest of
# Heroku's 60 s boot limit to the job store (up to 30 s, OPEN_SECONDS) and to Python itself.
TOKEN_CHECK_SECONDS = 5.0
# Answers in which Slack says it is in trouble itself (Slack's Web API "Evaluating responses"),
# not that the token is wrong: like no answer at all.
SLACK_SIDE_ERRORS = frozenset(
    {"fatal", "internal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


class SlackIdentity(NamedTuple):
    """Who the bot token signs in as (auth.test)."""

    user: str
    team: str  # the workspace's name


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if settings.many is not None:
        await serve_many_stores(settings, stop)
        return

    identity = await check_bot_token(settings)  # first: a wrong token changes nothing
    runtime = await _opened(Runtime.open(settings))
    app = build_app(runtime)
    if settings.slack_app_token is not None:
        await serve_socket_mode(settings, settings.slack_app_token, runtime, app, identity, stop)
    else:
        await serve_http(settings, runtime, app, identity, stop)
    log.info("stopped")


async def serve_many_stores(settings: Settings, stop: asyncio.Event) -> None:
    """Many-stores mode (#38): workspaces install, stores connect (bot.slack.onboarding), and
    each workspace works on its linked stores (bot.runtime, bot.tenants)."""
    onboarding = await _opened(Onboarding.open(settings))
    runtime = await Runtime.open(
        settings, jobs=onboarding.jobs, installations=onboarding.installations
    )

    async def close() -> None:
        await runtime.close()  # its uploads in flight finish first
        await onboarding.close()

    server = HttpServer(
        build_many_app(onboarding, runtime),
        runtime.workers.priority,
        signing_secret=settings.slack_signing_secret,
        routes=many_routes(onboarding),
    )
    await _listen(server, settings.port, close)
    log.info(
        "many-stores mode: listening on port %d (POST /slack/events, GET /slack/install, "
        "GET /ecwid/connect, GET /ecwid/oauth/callback, POST /ecwid/webhooks)",
        settings.port,
    )
    await stop.wait()
    log.info("stopping: finishing uploads in flight")
    await server.stop_listening()
    await close()
    await server.close()
    log.info("stopped")


async def check_bot_token(settings: Settings) -> SlackIdentity | None:
    """Who the bot token signs in as (auth.test), or None when Slack did not answer in HTTP
    mode: the bot starts anyway there (a dyno must boot), with a warning."""
    async with slack_session(limit=1) as session:
        slack = BoundedWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            session=session,
            call_timeout=TOKEN_CHECK_SECONDS,
        )
        try:
            answer = await slack.auth_test()
        except SLACK_FAILURES as exc:
            unanswered = _unanswered(exc)
            if unanswered is None:
                raise StartupError(
                    f"Cannot start: Slack refused the bot token ({slack_error(exc)}): check "
                    "SLACK_BOT_TOKEN (the Bot User OAuth Token, xoxb-, of the app's OAuth & "
                    "Permissions page)."
                ) from None
            if settings.slack_app_token is not None:  # Socket Mode cannot work without Slack
                raise StartupError(_unreachable(settings, unanswered)) from None
            log.warning(
                "Slack could not be reached at %s (%s), so SLACK_BOT_TOKEN is not checked: "
                "starting anyway",
                settings.slack_api_url,
                unanswered,
            )
            return None
    if not answer.get("bot_id"):  # a user token: auth.test names no bot
        raise StartupError(
            f"Cannot start: SLACK_BOT_TOKEN is a token of the user @{answer.get('user')}, not "
            "a bot token: use the Bot User OAuth Token (xoxb-) of the app's OAuth & Permissions "
            "page."
        )
    return SlackIdentity(str(answer.get("user")), str(answer.get("team")))


def _unanswered(exc: BaseException) -> str | None:
    """What kept Slack from answering (no connection, no answer in time, an HTTP error such as
    a 5xx or 429, or an answer that says Slack is in trouble); None when Slack answered and
    refused the token."""
    if not isinstance(exc, SlackApiError):
        return slack_error(exc)
    status = getattr(exc.response, "status_code", 200)
    if status != 200:  # Slack answers every refusal with 200 (a 404: SLACK_API_URL is wrong)
        return f"http_{status}"
    error = slack_error(exc)
    return error if error in SLACK_SIDE_ERRORS else None


async def serve_socket_mode(
    settings: Settings,
    app_token: str,
    runtime: Runtime,
    app: AsyncApp,
    identity: SlackIdentity | None,
    stop: asyncio.Event,
) -> None:
    # slack-sdk retries a refused app token forever; ask once first, and use its answer.
    try:
        opened = await runtime.slack.apps_connections_open(app_token=app_token)
    except SLACK_FAILURES as exc:
        await runtime.close()
        raise StartupError(_app_token_problem(settings, exc)) from None
    handler = AsyncSocketModeHandler(app, app_token, web_client=runtime.slack)
    handler.client.wss_uri = opened["url"]
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves these unannotated
    except Exception as exc:  # the WebSocket itself: unreachable, refused
        await runtime.close()
        await handler.close_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves these unannotated
        raise StartupError(
            f"Cannot start: the Socket Mode connection to Slack failed ({type(exc).__name__})."
        ) from None
    _log_started(settings, identity)
    log.info("connected to Slack in Socket Mode")
    await stop.wait()
    log.info("stopping: finishing uploads in flight")
    await handler.disconnect_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves these unannotated
    await runtime.close()
    await handler.close_async()  # type: ignore[no-untyped-call]  # slack-bolt leaves these unannotated


async def serve_http(
    settings: Settings,
    runtime: Runtime,
    app: AsyncApp,
    identity: SlackIdentity | None,
    stop: asyncio.Event,
) -> None:
    server = HttpServer(app, runtime.workers.priority, signing_secret=settings.slack_signing_secret)
    await _listen(server, settings.port, runtime.close)
    _log_started(settings, identity)
    log.info("listening on port %d (POST /slack/events, GET /healthz)", settings.port)
    await stop.wait()
    log.info("stopping: finishing uploads in flight")
    await server.stop_listening()  # no new connections; outgoing calls keep working
    await runtime.close()
    await server.close()


async def _opened(opening: Awaitable[T]) -> T:
    """What opens the job store, opened; a database it cannot use said in one line."""
    try:
        return await opening
    except NewerDatabaseError as exc:
        raise StartupError(f"Cannot start: {exc}.") from None
    except JobStoreError as exc:
        raise StartupError(f"Cannot start: {exc}; check DATABASE_URL.") from None


async def _listen(server: HttpServer, port: int, close: Callable[[], Awaitable[None]]) -> None:
    """Listen on PORT; when it cannot, close what was opened and say why in one line."""
    try:
        await server.start("0.0.0.0", port)
    except OSError as exc:
        await close()
        await server.close()
        raise StartupError(
            f"Cannot start: cannot listen on port {port} ({exc.strerror})."
        ) from None


def _log_started(settings: Settings, identity: SlackIdentity | None) -> None:
    """Once started (a start-up mistake stays the one line on stderr)."""
    log.info("settings: %s", f"read {settings.env_file}" if settings.env_file else "no .env file")
    if identity is not None:
        log.info("Slack: signed in as @%s in workspace %s", identity.user, identity.team)
    if "DYNO" in os.environ and settings.database_url.startswith("sqlite"):
        # Heroku sets DYNO; a dyno's disk is lost at every restart, and bulk jobs with it.
        log.warning(
            "bulk jobs are kept in a SQLite file, which this dyno loses at every restart: add "
            "Heroku Postgres (it sets DATABASE_URL)"
        )


def _app_token_problem(settings: Settings, exc: BaseException) -> str:
    if isinstance(exc, SlackApiError):
        return (
            f"Cannot start: Slack refused the app token ({slack_error(exc)}): "
            "check SLACK_APP_TOKEN (an xapp- token with connections:write)."
        )
    return _unreachable(settings, slack_error(exc))


def _unreachable(settings: Settings, problem: str) -> str:
    return (
        f"Cannot start: Slack could not be reached at {settings.slack_api_url} "
        f"({problem}); check the network, or SLACK_API_URL."
    )


def check(settings: Settings) -> int:
    """The setup doctor: one line per check, non-zero exit when anything needs fixing."""
    # Heroku sets DYNO: there a SQLite file does not outlive a restart.
    findings = asyncio.run(
        diagnose(
            settings,
            on_heroku="DYNO" in os.environ,
            found=lambda finding: print(finding, flush=True),  # each as it comes
        )
    )
    problems = sum(not f.ok for f in findings)
    print("All set." if not problems else f"{problems} thing(s) to fix.")
    return 1 if problems else 0


def rotate_keys() -> int:
    """Every stored token sealed again under the first key of TOKEN_KEYS (bot.tokens), so that
    the old key can then be removed; one line says how many, or why none."""
    try:
        database, keys = rotation_settings()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2

    async def rotate() -> int:
        store = await JobStore.open(database)  # migrated first, as at start-up
        try:
            return await reseal_all(store.engine, keys)
        finally:
            await store.close()

    try:
        count = asyncio.run(rotate())
    except SealedTokenError as problem:
        print(f"Nothing was changed: {problem}", file=sys.stderr)
        return 1
    print(f"Sealed {count} stored token(s) again under the first key of TOKEN_KEYS.")
    return 0


def main(argv: list[str]) -> int:
    if argv in (["-h"], ["--help"], ["help"]):
        print(USAGE)
        return 0
    if argv == ["--version"]:
        print(f"ecwid-image {__version__}")
        return 0
    if argv not in ([], ["check"], ["rotate-keys"]):
        print(USAGE, file=sys.stderr)
        return 2
    if argv == ["rotate-keys"]:
        return rotate_keys()
    try:
        settings = load_settings()
    except ConfigError as problem:
        print(problem, file=sys.stderr)
        return 2
    if argv == ["check"] and settings.many is not None:
        print(texts.MANY_STORES_CHECK)
        return 0
    if argv == ["check"]:
        configure_logging(settings.secrets, default_level="ERROR")  # the findings say it all
        return check(settings)
    configure_logging(settings.secrets, settings.log_level)
    # Start-up objects live as long as the process: keep the collector from rescanning them, and
    # let it run less often under a burst (measured on the burst benchmark: docs/performance.md).
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD)
    try:
        # uvloop: the same asyncio API on a faster loop, so acks stay quick while uploads run.
        uvloop.run(serve(settings))
    except StartupError as problem:
        print(problem, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
