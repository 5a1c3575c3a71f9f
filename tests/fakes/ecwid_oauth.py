"""A loopback stand-in for Ecwid's OAuth (my.ecwid.com's `/api/oauth/authorize` and
`/api/oauth/token`), as Ecwid documents it. Sources ("auth"): Ecwid/ecwid-api-docs
`includes/_authentication.md` and api-docs.ecwid.com/reference/get-token-manually; "plugin":
Ecwid/ecwid-wordpress-plugin `includes/class-ecwid-oauth.php`. Where they are silent, the
strictest plausible behaviour is modelled, and says so.

The tokens it issues open their store at the loopback REST API (tests/fakes/ecwid_api.py).
"""

from __future__ import annotations

import itertools
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.recorder import LoopbackServer

CLIENT_ID = "ecwid-image-test-app"
CLIENT_SECRET = "ecwid_client_secret_0123456789abcdef"
GRANTED = "read_catalog update_catalog read_store_profile"


@dataclass
class Exchange:
    """One POST to /api/oauth/token, as it came."""

    form: dict[str, str]
    status: int = 0


@dataclass
class Consent:
    """A person's yes in Ecwid's consent dialog for a store: the code Ecwid redirects with."""

    store_id: int
    scope: str = GRANTED
    token: str | None = None  # issued by the first exchange
    exchanges: list[Exchange] = field(default_factory=list)


class FakeEcwidOAuth(LoopbackServer):
    def __init__(self, api: FakeEcwid, redirect_uri: str) -> None:
        super().__init__()
        self.api = api
        self.redirect_uri = redirect_uri  # the app's registered return URL
        self.consents: dict[str, Consent] = {}  # code → consent
        self.exchanges: list[Exchange] = []
        self.authorize_queries: list[dict[str, str]] = []
        self._serial = itertools.count(1)
        self.web_app.router.add_get("/api/oauth/authorize", self._authorize)
        self.web_app.router.add_post("/api/oauth/token", self._token)

    def consent(self, store_id: int, scope: str = GRANTED) -> str:
        """The person approves in Ecwid: the code Ecwid sends their browser back with."""
        code = f"code{next(self._serial)}{secrets.token_hex(8)}"
        self.consents[code] = Consent(store_id, scope)
        if store_id != self.api.store_id:
            self.api.other_stores.add(store_id)
        return code

    def uninstall(self, store_id: int) -> None:
        """The store removes the app: its tokens stop working (auth: a new token is needed
        after a reinstall)."""
        for token, store in list(self.api.tokens.items()):
            if store == store_id:
                del self.api.tokens[token]

    async def _authorize(self, request: web.Request) -> web.Response:
        # auth: client_id, redirect_uri, response_type=code and scope; "All parameters are
        # mandatory". The consent itself is the person's: tests call `consent`.
        query = dict(request.query)
        self.authorize_queries.append(query)
        required = ("client_id", "redirect_uri", "response_type", "scope")
        if any(not query.get(name) for name in required) or query["response_type"] != "code":
            return web.Response(status=400, text="Bad request")
        if query["client_id"] != CLIENT_ID or query["redirect_uri"] != self.redirect_uri:
            return web.Response(status=400, text="Unknown application")
        return web.Response(
            text="<html>Ecwid asks: allow the app?</html>", content_type="text/html"
        )

    async def _token(self, request: web.Request) -> web.StreamResponse:
        # plugin: a POST with a form body (code, client_id, client_secret, redirect_uri,
        # grant_type). auth: every one required; the redirect_uri identical to the authorize
        # request's. Not documented: what a refused exchange answers; modelled as 400 with an
        # `error`, and no token.
        form = {k: str(v) for k, v in (await request.post()).items()}
        exchange = Exchange(form)
        self.exchanges.append(exchange)
        await self.notify()
        answer, status = self._exchange(form)
        exchange.status = status
        # Sent in two pieces, as any answer may arrive: a reader must read to the end.
        raw = json.dumps(answer).encode()
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(raw[: len(raw) // 2])
        await response.drain()
        await response.write(raw[len(raw) // 2 :])
        await response.write_eof()
        return response

    def _exchange(self, form: dict[str, str]) -> tuple[dict[str, Any], int]:
        if (
            form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("grant_type") != "authorization_code"
            # auth: "values must be identical" to the authorize request's
            or form.get("redirect_uri") != self.redirect_uri
        ):
            return {"error": "invalid_client"}, 400
        consent = self.consents.get(form.get("code", ""))
        if consent is None:
            return {"error": "invalid_grant"}, 400
        if consent.token is not None:
            # auth: "a temporary code can be exchanged to an access token only once. In case of
            # second attempt, the previously provided access token is automatically disabled."
            self.api.tokens.pop(consent.token, None)
            return {"error": "invalid_grant"}, 400
        consent.token = f"secret_{secrets.token_urlsafe(24)}"
        self.api.tokens[consent.token] = consent.store_id
        # auth: the documented answer (`email` only in the full flow; `public_token` only with
        # the public_storefront scope).
        return {
            "access_token": consent.token,
            "token_type": "bearer",
            "scope": consent.scope,
            "store_id": consent.store_id,
            "email": f"owner@shop{consent.store_id}.example",
        }, 200
