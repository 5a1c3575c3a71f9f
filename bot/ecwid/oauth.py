"""Ecwid's OAuth for external apps (#38): the consent link, and the one exchange of a code for a
store's token.

Sources: api-docs.ecwid.com/reference/get-token-manually (the authorize URL, every parameter
mandatory) and the docs' own source, Ecwid/ecwid-api-docs `includes/_authentication.md` (the
token answer; "a temporary code can be exchanged to an access token only once. In case of second
attempt, the previously provided access token is automatically disabled"). The docs show the
exchange both as a POST with a form body and as a GET with a query string; Ecwid's own WordPress
plugin POSTs a form (Ecwid/ecwid-wordpress-plugin `includes/class-ecwid-oauth.php`), as here.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp

from bot.domain import texts

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/api/oauth/authorize"
TOKEN_PATH = "/api/oauth/token"
SCOPES = ("read_catalog", "update_catalog", "read_store_profile")
EXCHANGE_SECONDS = 15.0
MAX_ANSWER_BYTES = 64 * 1024  # a token answer is a few hundred bytes
# A code as it arrives in the callback's query: bounded and plain before it goes anywhere.
_CODE = re.compile(r"[A-Za-z0-9._~-]{1,512}")


class OAuthError(Exception):
    """The code gave no token. `text`: what the person is shown (safe: no code, no token)."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


@dataclass(frozen=True)
class StoreGrant:
    store_id: int
    token: str = ""  # the store's secret token: never logged, sealed before it is stored
    scopes: frozenset[str] = frozenset()
    email: str | None = None  # the store owner's (the full flow's answer only)

    def __repr__(self) -> str:  # the token stays out of every repr and traceback
        return f"StoreGrant(store_id={self.store_id}, scopes={sorted(self.scopes)})"


def plain_code(code: str | None) -> str | None:
    """The code, if it reads as one (bounded, URL-safe characters); else None."""
    return code if code is not None and _CODE.fullmatch(code) else None


class EcwidOAuth:
    def __init__(
        self,
        http: aiohttp.ClientSession,
        *,
        oauth_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
    ) -> None:
        self._http = http
        self._base = oauth_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri

    def authorize_url(self) -> str:
        query = urlencode(
            {
                "client_id": self._client_id,
                "redirect_uri": self.redirect_uri,
                "response_type": "code",
                "scope": " ".join(SCOPES),
            }
        )
        return f"{self._base}{AUTHORIZE_PATH}?{query}"

    async def exchange(self, code: str) -> StoreGrant:
        """The store and its token for `code`. Sent once, never retried: a second exchange of
        one code disables the token the first one gave."""
        form = {
            "client_id": self._client_id,
            "client_secret": self._client_secret,
            "code": code,
            "redirect_uri": self.redirect_uri,
            "grant_type": "authorization_code",
        }
        try:
            async with (
                asyncio.timeout(EXCHANGE_SECONDS),
                self._http.post(
                    self._base + TOKEN_PATH,
                    data=form,
                    allow_redirects=False,
                    headers={"Accept": "application/json"},
                ) as response,
            ):
                status = response.status
                raw = bytearray()
                async for chunk in response.content.iter_chunked(16 * 1024):
                    raw += chunk
                    if len(raw) > MAX_ANSWER_BYTES:
                        break
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("ecwid oauth: no answer to the code's exchange (%s)", type(exc).__name__)
            raise OAuthError(texts.OAUTH_NO_ANSWER) from None
        if len(raw) > MAX_ANSWER_BYTES:
            raise OAuthError(texts.OAUTH_TOO_LARGE)
        try:
            answer = json.loads(raw)
        except ValueError:
            answer = None
        if status != 200 or not isinstance(answer, dict) or not answer.get("access_token"):
            log.info("ecwid oauth: the code was refused (status %s)", status)
            raise OAuthError(texts.OAUTH_REFUSED)
        return grant_of(answer)


def grant_of(answer: dict[str, object]) -> StoreGrant:
    store_id = answer.get("store_id")
    token = answer.get("access_token")
    token_type = str(answer.get("token_type") or "bearer")
    if (
        not isinstance(store_id, int)
        or isinstance(store_id, bool)
        or store_id <= 0
        or not isinstance(token, str)
        or token_type.lower() != "bearer"  # "bearer" in the docs, "Bearer" in Ecwid's plugin
    ):
        raise OAuthError(texts.OAUTH_NO_STORE)
    scopes = frozenset(str(answer.get("scope") or "").split())
    missing = [scope for scope in SCOPES if scope not in scopes]
    if missing:
        raise OAuthError(texts.oauth_missing_scopes(missing))
    email = answer.get("email")
    return StoreGrant(store_id, token, scopes, email if isinstance(email, str) else None)
