"""\"Connect your Ecwid store\" over HTTP (#38): the one-time link from Slack
(`GET /ecwid/connect`), Ecwid's callback (`GET /ecwid/oauth/callback`) and its webhooks
(`POST /ecwid/webhooks`). The order of steps is bot.flows.connect's; this module reads requests
and writes pages. Not served yet: many-stores mode (bot.config) is refused at start-up until the
rest of it is in."""

from __future__ import annotations

import html

from aiohttp import web

from bot.domain import texts as domain_texts
from bot.flows.connect import (
    CONNECT_PATH,
    MAX_WEBHOOK_BYTES,
    NONCE_SECONDS,
    Claimable,
    Connected,
    StoreConnections,
)
from bot.slack import texts

CALLBACK_PATH = "/ecwid/oauth/callback"
WEBHOOKS_PATH = "/ecwid/webhooks"
COOKIE = "ecwid_connect"
# The cookie goes only to the bot's own Ecwid pages, never to a script, and comes back on
# Ecwid's top-level redirect to the callback (Lax), over https only.
COOKIE_PATH = "/ecwid/"


def _page(title: str, text: str, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    response = web.Response(status=status, text=body, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's nonce stays here
    return response


def connect_routes(connections: StoreConnections) -> list[web.RouteDef]:
    async def follow(request: web.Request) -> web.StreamResponse:
        followed = await connections.follow(request.query.get("nonce"))
        if followed is None:
            return _page(texts.CONNECT_PAGE_TITLE, domain_texts.CONNECT_EXPIRED, 400)
        response = web.HTTPFound(followed.authorize_url)
        response.set_cookie(
            COOKIE,
            followed.cookie,
            max_age=NONCE_SECONDS,
            path=COOKIE_PATH,
            secure=True,
            httponly=True,
            samesite="Lax",
        )
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        raise response  # aiohttp's way to answer with a redirect

    async def callback(request: web.Request) -> web.StreamResponse:
        outcome = await connections.come_back(
            cookie=request.cookies.get(COOKIE),
            code=request.query.get("code"),
            error=request.query.get("error"),
        )
        if isinstance(outcome, Connected):
            page = _page(texts.CONNECT_PAGE_TITLE, texts.connect_done_page(outcome.store_id))
        elif isinstance(outcome, Claimable):
            text = texts.connect_claim_page(outcome.store_id, outcome.claim_code)
            page = _page(texts.CONNECT_CLAIM_TITLE, text)
        else:
            page = _page(texts.CONNECT_PAGE_TITLE, outcome.text, 400)
        page.del_cookie(COOKIE, path=COOKIE_PATH)
        return page

    async def webhook(request: web.Request) -> web.StreamResponse:
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return web.Response(status=413)
        body = await request.content.read(MAX_WEBHOOK_BYTES + 1)
        status = await connections.webhook(body, request.headers.get("X-Ecwid-Webhook-Signature"))
        return web.Response(status=status)

    return [
        web.get(CONNECT_PATH, follow),
        web.get(CALLBACK_PATH, callback),
        web.post(WEBHOOKS_PATH, webhook),
    ]
