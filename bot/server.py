"""HTTP mode: one aiohttp server for every Slack request, plus a health check."""

from __future__ import annotations

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.workers import AckPriority

EVENTS_PATH = "/slack/events"


def create_web_app(app: AsyncApp, priority: AckPriority | None = None) -> web.Application:
    priority = priority or AckPriority()

    async def slack_events(request: web.Request) -> web.Response:
        with priority.answering():  # uploads hold back while Slack waits for acks
            bolt_response = await app.async_dispatch(await to_bolt_request(request))
            return await to_aiohttp_response(bolt_response)

    async def healthz(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    web_app = web.Application()
    web_app.router.add_post(EVENTS_PATH, slack_events)
    web_app.router.add_get("/healthz", healthz)
    return web_app
