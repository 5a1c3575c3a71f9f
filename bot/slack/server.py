"""HTTP mode: one aiohttp server for every Slack request, plus a health check.

Slack's signature is checked here, on the raw bytes, before anything else reads the request: a
request that fails it gets 401 and reaches neither Bolt (whose error path would answer the
unverified body's `response_url`) nor the log (beyond a one-line summary).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import hmac
import logging
import re
import time
from collections.abc import Iterator, Sequence
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.flows.workers import AckPriority

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are far smaller
MAX_CLOCK_SKEW_SECONDS = 300  # Slack's rule: older requests may be replays
# Handlers still running at shutdown are acks, answered within Slack's 3 s; a client that keeps
# a request open longer (a trickled body) is cut off rather than hold up the exit.
HANDLER_SHUTDOWN_SECONDS = 1.0
VERIFIED = "signature_verified"  # context key: set only on requests that passed the check

_TIMESTAMP = re.compile(r"[0-9]{1,12}")  # ASCII digits only: int() also takes "١٢" and "1_0"
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


class SignatureCheck:
    """Slack's request signing (v0): HMAC-SHA256 of `v0:{timestamp}:{body}`, fresh timestamps."""

    def __init__(self, signing_secret: str) -> None:
        self._key = signing_secret.encode()

    def problem(self, timestamp: str | None, signature: str | None, body: bytes) -> str | None:
        """None when the request is Slack's; otherwise a short reason, for the log only."""
        if not self._key:
            return "no signing secret"
        if timestamp is None or not _TIMESTAMP.fullmatch(timestamp):
            return "bad timestamp"
        if abs(time.time() - int(timestamp)) > MAX_CLOCK_SKEW_SECONDS:
            return "stale timestamp"
        if signature is None or not _SIGNATURE.fullmatch(signature):
            return "bad signature"
        expected = hmac.new(self._key, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
        if not hmac.compare_digest("v0=" + expected.hexdigest(), signature):
            return "wrong signature"
        return None


def _refuse(request: web.Request, reason: str, status: int = 401) -> web.Response:
    # A fixed-form summary: nothing of the body, nothing that could start a new log line.
    log.warning(
        "refused request: %s (from %s, %s bytes)",
        reason,
        request.remote,
        request.content_length if request.content_length is not None else "unknown",
    )
    return web.Response(status=status, text="")


class _SignallingAck(AsyncAck):
    """Bolt's `ack`, which also says when it was called. Bolt itself only looks every 10 ms
    (`slack_bolt/listener/asyncio_runner.py`: `await asyncio.sleep(0.01)` until `ack.response`
    is set), a wait every answer would pay, and a longer one while the loop is busy. Bolt takes
    an `ack` already in the context (`AsyncBoltContext.ack`)."""

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.called = asyncio.Event()

    async def __call__(self, *args: Any, **kwargs: Any) -> BoltResponse:
        response = await super().__call__(*args, **kwargs)
        self.called.set()
        return response


async def _answer(app: AsyncApp, request: AsyncBoltRequest, ack: _SignallingAck) -> BoltResponse:
    """Bolt's answer to the request, as soon as it is known: the moment `ack` is called, or
    when Bolt returns without it (a middleware's answer, an error, a 404)."""
    dispatch = asyncio.ensure_future(app.async_dispatch(request))
    acked = asyncio.ensure_future(ack.called.wait())
    await asyncio.wait((dispatch, acked), return_when=asyncio.FIRST_COMPLETED)
    if dispatch.done():
        acked.cancel()
        return dispatch.result()
    # Bolt returns this same response once it looks again; its task is kept until then.
    _finishing.add(dispatch)
    dispatch.add_done_callback(_finished)
    assert ack.response is not None
    return ack.response


_finishing: set[asyncio.Future[BoltResponse]] = set()


def _finished(dispatch: asyncio.Future[BoltResponse]) -> None:
    _finishing.discard(dispatch)
    if not dispatch.cancelled() and dispatch.exception() is not None:
        log.error("Bolt failed after the answer was sent", exc_info=dispatch.exception())


class _CollectorPause:
    """Python's cyclic garbage collector waits while requests are answered: a collection takes
    milliseconds (up to 43 ms measured during a bulk job), enough to be an ack's p99 on its own.
    Answers last milliseconds; what they put off is collected once the last one is sent."""

    def __init__(self) -> None:
        self._answering = 0

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self._answering += 1
        if self._answering == 1:
            gc.disable()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                gc.enable()


def create_web_app(
    app: AsyncApp,
    priority: AckPriority,
    *,
    signing_secret: str | None,
    routes: Sequence[web.RouteDef] = (),
) -> web.Application:
    """`routes`: more than Slack's events (many-stores mode's install and connect pages)."""
    check = SignatureCheck(signing_secret or "")
    collector = _CollectorPause()

    async def slack_events(request: web.Request) -> web.Response:
        with priority.answering():  # uploads hold back while Slack waits for acks
            timestamp = request.headers.get("X-Slack-Request-Timestamp")
            signature = request.headers.get("X-Slack-Signature")
            if (request.content_length or 0) > MAX_BODY_BYTES:
                return _refuse(request, "body too large")
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                return _refuse(request, "body too large")
            if problem := check.problem(timestamp, signature, body):
                return _refuse(request, problem)
            try:
                text = body.decode("utf-8")  # Slack always sends UTF-8, whatever the header says
                ack = _SignallingAck()
                bolt_request = AsyncBoltRequest(
                    body=text,
                    query=request.query_string,
                    headers={k: v for k, v in request.headers.items()},
                    context={VERIFIED: True, "ack": ack},
                )
            except Exception as exc:  # signed, yet not a Slack payload (bad UTF-8, bad JSON)
                return _refuse(request, f"unreadable body ({type(exc).__name__})", 400)
            # Only a signed request pauses the collector, and for at most Bolt's 3 s ack time.
            with collector.held():
                bolt_response = await _answer(app, bolt_request, ack)
            return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application(client_max_size=MAX_BODY_BYTES)
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.add_routes(routes)
    return web_app


class HttpServer:
    """The bot's HTTP side, exactly as `python -m bot` serves it (the tests use this too)."""

    def __init__(
        self,
        app: AsyncApp,
        priority: AckPriority,
        *,
        signing_secret: str | None,
        routes: Sequence[web.RouteDef] = (),
    ) -> None:
        web_app = create_web_app(app, priority, signing_secret=signing_secret, routes=routes)
        self._runner = web.AppRunner(
            web_app, access_log=None, shutdown_timeout=HANDLER_SHUTDOWN_SECONDS
        )
        self._site: web.TCPSite | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen; the port actually bound (useful with port 0). OSError when it cannot."""
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        return int(self._runner.addresses[0][1])

    async def stop_listening(self) -> None:
        """No new connections; requests already in flight and outgoing calls go on."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def close(self) -> None:
        await self.stop_listening()
        await self._runner.cleanup()
