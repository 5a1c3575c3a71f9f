"""\"Connect your Ecwid store\" over HTTP (#38): the one-time link from Slack
(`GET /ecwid/connect`), Ecwid's callback (`GET /ecwid/oauth/callback`) and its webhooks
(`POST /ecwid/webhooks`). The order of steps is bot.flows.connect's; this module reads requests
and writes pages. Served in many-stores mode (bot.slack.many_app)."""

from __future__ import annotations

import html
import logging

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

log = logging.getLogger(__name__)

CALLBACK_PATH = "/ecwid/oauth/callback"
WEBHOOKS_PATH = "/ecwid/webhooks"
# The cookie never goes to a script, comes back on Ecwid's top-level redirect to the callback
# (Lax), over https only; `__Host-` keeps another subdomain from planting one (it needs
# Secure, Path=/ and no Domain).
COOKIE = "__Host-ecwid_connect"
COOKIE_PATH = "/"


def _page(title: str, text: str, status: int = 200) -> web.Response:
    body = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width'>"
        f"<title>{html.escape(title)}</title></head>"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>"
    )
    response = web.Response(status=status, text=body, content_type="text/html")
    _private(response)
    return response


def _private(response: web.StreamResponse) -> None:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the link's nonce stays here
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'none'"


def connect_routes(connections: StoreConnections) -> list[web.RouteDef]:
    async def follow(request: web.Request) -> web.StreamResponse:
        try:
            followed = await connections.follow(request.query.get("nonce"))
        except Exception as exc:  # the database, most likely: said plainly, logged by name
            log.error("ecwid connect link failed: %s", type(exc).__name__)
            return _page(texts.CONNECT_PAGE_TITLE, texts.CONNECT_FAILED_PAGE, 500)
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
        _private(response)
        raise response  # aiohttp's way to answer with a redirect

    async def callback(request: web.Request) -> web.StreamResponse:
        try:
            outcome = await connections.come_back(
                cookie=request.cookies.get(COOKIE),
                code=request.query.get("code"),
                error=request.query.get("error"),
            )
        except Exception as exc:  # the database, most likely: said plainly, logged by name
            log.error("ecwid callback failed: %s", type(exc).__name__)
            return _page(texts.CONNECT_PAGE_TITLE, texts.CONNECT_FAILED_PAGE, 500)
        if isinstance(outcome, Connected):
            page = _page(texts.CONNECT_PAGE_TITLE, texts.connect_done_page(outcome.store_id))
        elif isinstance(outcome, Claimable):
            text = texts.connect_claim_page(outcome.store_id, outcome.claim_code)
            page = _page(texts.CONNECT_CLAIM_TITLE, text)
        else:
            page = _page(texts.CONNECT_PAGE_TITLE, outcome.text, 400)
        # Deleted with the attributes it was set with: a browser keeps a __Host- cookie
        # otherwise.
        page.set_cookie(
            COOKIE, "", max_age=0, path=COOKIE_PATH, secure=True, httponly=True, samesite="Lax"
        )
        return page

    async def webhook(request: web.Request) -> web.StreamResponse:
        if (request.content_length or 0) > MAX_WEBHOOK_BYTES:
            return web.Response(status=413)
        body = bytearray()
        async for chunk in request.content.iter_chunked(4096):
            body += chunk
            if len(body) > MAX_WEBHOOK_BYTES:
                return web.Response(status=413)
        signature = request.headers.get("X-Ecwid-Webhook-Signature")
        status = await connections.webhook(bytes(body), signature)
        return web.Response(status=status)

    return [
        web.get(CONNECT_PATH, follow),
        web.get(CALLBACK_PATH, callback),
        web.post(WEBHOOKS_PATH, webhook),
    ]
