"""Connecting an Ecwid store to a Slack workspace (#38), in the order of its steps:

1. `start`: someone presses **Connect an Ecwid store** in Slack: a one-time link, bound to their
   workspace and to them, valid NONCE_SECONDS.
2. `follow`: their browser opens it: the link is used up, and a cookie (only its SHA-256 is kept)
   stands for it on the way to Ecwid's consent page and back.
3. `come_back`: Ecwid sends the browser back with a code. With the cookie, the code is exchanged
   once, the store's token sealed and stored, and the store linked to the workspace that asked.
   With no cookie at all, it is an install from Ecwid's App Market: the store is kept unlinked,
   and a one-time claim code is shown, for `/ecwid-image connect CODE` in Slack (`claim`).
4. `webhook`: Ecwid's `application.uninstalled`, signed, recent and new, and confirmed by the
   store's own token being refused: the store and its links are forgotten.

Sources: api-docs.ecwid.com/reference/get-token-manually and get-token-automatically (the
callback's `code` and `error`; App Market installs bring only a code); api-docs.ecwid.com/
reference/webhook-security and docs.ecwid.com (the signature: base64 HMAC-SHA256 of
`{eventCreated}.{eventId}` with the client secret; the body's fields; `application.uninstalled`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from bot.domain import texts
from bot.ecwid.oauth import OAuthError, StoreGrant, plain_code
from bot.jobs.connections import Asker, Connections
from bot.tokens import SealedTokenError, TokenKeys

log = logging.getLogger(__name__)

NONCE_SECONDS = 600  # a link from Slack, and the browser's way through Ecwid and back
CLAIM_SECONDS = 24 * 3600  # an App Market install's claim code
CONNECT_PATH = "/ecwid/connect"
WEBHOOK_MAX_AGE_SECONDS = 300
# An uninstall Ecwid could not confirm (a 5xx, no answer) is asked again, for a day at most.
RECHECK_SECONDS = 300
RECHECK_FOR_SECONDS = 24 * 3600
MAX_WEBHOOK_BYTES = 16 * 1024  # an event is a few hundred bytes
UNINSTALLED = "application.uninstalled"
_CLAIM_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a page and typed


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normal_claim(code: str) -> str:
    """A claim code as typed: letters in either case, with or without its dash."""
    return "".join(ch for ch in code.upper() if ch in _CLAIM_LETTERS)


class CodeExchange(Protocol):
    """Ecwid's OAuth (bot.ecwid.oauth.EcwidOAuth)."""

    def authorize_url(self) -> str: ...

    async def exchange(self, code: str) -> StoreGrant: ...


# Whether Ecwid refuses the store's token (401/403 from GET /profile): True only then; False
# when Ecwid accepts it; None when it could not be told (a 402, a 5xx, no answer).
StoreGone = Callable[[int, str], Awaitable[bool | None]]
# Told once a store is linked from Slack: who asked, the store, and its owner's e-mail (if Ecwid
# gave it), so that the asker hears of a store linked in their name.
Linked = Callable[[Asker, int, str | None], Awaitable[None]]


@dataclass(frozen=True)
class Followed:
    cookie: str  # the browser's, for the callback
    authorize_url: str


@dataclass(frozen=True)
class Connected:
    store_id: int
    asker: Asker
    newly_linked: bool


@dataclass(frozen=True)
class Claimable:
    store_id: int
    claim_code: str


@dataclass(frozen=True)
class NotConnected:
    text: str  # for the page: plain words, nothing of the request


Outcome = Connected | Claimable | NotConnected


class StoreConnections:
    def __init__(
        self,
        connections: Connections,
        oauth: CodeExchange,
        keys: TokenKeys,
        store_gone: StoreGone,
        *,
        client_secret: str,
        public_url: str,
        linked: Linked | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._connections = connections
        self._oauth = oauth
        self._keys = keys
        self._store_gone = store_gone
        self._linked = linked
        self._webhook_key = client_secret.encode()
        # Claim codes are short (typed by hand): their hashes are keyed, so that a copy of the
        # database does not give them up to a search of every code.
        self._claim_key = b"claim:" + client_secret.encode()
        self._connect_url = public_url.rstrip("/") + CONNECT_PATH
        self._clock = clock

    async def start(self, asker: Asker) -> str:
        """A fresh one-time link for `asker`."""
        nonce = secrets.token_urlsafe(32)
        now = self._clock()
        await self._connections.ask(asker, secret_hash(nonce), now + NONCE_SECONDS, now)
        return f"{self._connect_url}?nonce={nonce}"

    async def follow(self, nonce: str | None) -> Followed | None:
        """The link used up, once and in time; None for any other."""
        if not nonce or len(nonce) > 128:
            return None
        cookie = secrets.token_urlsafe(32)
        now = self._clock()  # the way through Ecwid gets its own 10 minutes
        opened = await self._connections.open(
            secret_hash(nonce), secret_hash(cookie), now, now + NONCE_SECONDS
        )
        if not opened:
            return None
        return Followed(cookie, self._oauth.authorize_url())

    async def come_back(
        self, *, cookie: str | None, code: str | None, error: str | None
    ) -> Outcome:
        """Ecwid's callback. `cookie`: the browser's, None when it sent none (an App Market
        install); anything it sent that is not a live link's stores nothing."""
        asker = None
        if cookie is not None:
            asker = await self._connections.finish(secret_hash(cookie[:128]), self._clock())
            if asker is None:
                return NotConnected(texts.CONNECT_EXPIRED)
        if error is not None:
            return NotConnected(texts.CONNECT_DENIED)
        code = plain_code(code)
        if code is None:
            return NotConnected(texts.CONNECT_NO_CODE)
        # Each code once, whatever comes back with it (a reloaded page, a replay): a second
        # exchange would disable the token the first one gave.
        if not await self._connections.first_code(secret_hash(code), self._clock()):
            return NotConnected(texts.CONNECT_CODE_USED)
        try:
            grant = await self._oauth.exchange(code)  # once: never retried
        except OAuthError as exc:
            return NotConnected(exc.text)
        sealed = self._keys.seal("store", str(grant.store_id), grant.token)
        now = self._clock()
        if asker is None:
            claim_code = _claim_code()
            await self._connections.keep_store(
                grant.store_id,
                sealed,
                now,
                claim_hash=self._claim_hash(claim_code),
                claim_until=now + CLAIM_SECONDS,
            )
            log.info("ecwid store %s connected from the App Market, to be claimed", grant.store_id)
            return Claimable(grant.store_id, claim_code)
        linked = await self._connections.keep_store(grant.store_id, sealed, now, link_to=asker)
        log.info("ecwid store %s connected to workspace %s", grant.store_id, asker.team_id)
        if self._linked is not None:
            try:  # the store is linked: telling the asker may fail, the link stands
                await self._linked(asker, grant.store_id, grant.email)
            except Exception as exc:
                log.warning(
                    "store %s linked; its asker not told (%s)", grant.store_id, type(exc).__name__
                )
        return Connected(grant.store_id, asker, linked)

    async def claim(self, asker: Asker, code: str) -> int | None:
        """The App Market store a claim code stands for, linked to `asker`'s workspace; None
        when the code is wrong, used or too old."""
        typed = normal_claim(code)
        if len(typed) != 8:
            return None
        now = self._clock()
        store_id = await self._connections.claim(self._claim_hash(typed), now)
        if store_id is None:
            return None
        await self._connections.link(asker.team_id, store_id, asker.user_id, now)
        log.info("ecwid store %s claimed by workspace %s", store_id, asker.team_id)
        return store_id

    def _claim_hash(self, code: str) -> str:
        typed = normal_claim(code).encode()
        return hmac.new(self._claim_key, typed, hashlib.sha256).hexdigest()

    async def webhook(self, body: bytes, signature: str | None) -> int:
        """The HTTP status for an Ecwid webhook: 401 unless signed with the client secret, 400
        when unreadable or not recent; 200 once handled (a replay is handled by doing
        nothing)."""
        event = event_of(body)
        if event is None or signature is None:
            return 401 if signature is None else 400
        event_id, created, store_id, event_type = event
        message = f"{created}.{event_id}".encode()
        expected = base64.b64encode(hmac.new(self._webhook_key, message, hashlib.sha256).digest())
        given = signature.strip().encode("utf-8", "replace")[:128]
        if not hmac.compare_digest(expected, given):
            log.warning("ecwid webhook refused: wrong signature")
            return 401
        if abs(self._clock() - created) > WEBHOOK_MAX_AGE_SECONDS:
            log.warning("ecwid webhook refused: event %s is not recent", event_id)
            return 400
        if not await self._connections.first_sight(event_id, self._clock()):
            return 200
        if event_type == UNINSTALLED:
            await self._uninstalled(store_id)
        return 200

    async def _uninstalled(self, store_id: int) -> None:
        # The signature covers neither the store nor the event's type: only Ecwid refusing the
        # store's own token shows the store is gone.
        sealed = await self._connections.sealed_token(store_id)
        if sealed is None:
            return
        gone = await self._confirmed(store_id, sealed)
        if gone is None:
            log.warning("ecwid store %s said uninstalled, not confirmed yet: asked again", store_id)
            await self._connections.uninstall_said(store_id, self._clock())
        elif not gone:
            log.warning("ecwid store %s said uninstalled, but its token works; kept", store_id)

    async def recheck(self) -> None:
        """The uninstalls Ecwid could not confirm, asked again: forgotten once confirmed, kept
        when the token works, and given up on after RECHECK_FOR_SECONDS (the log says so)."""
        for store_id, sealed, said_at in await self._connections.unconfirmed():
            gone = await self._confirmed(store_id, sealed)
            if gone is False:
                log.warning("ecwid store %s said uninstalled, but its token works; kept", store_id)
                await self._connections.uninstall_settled(store_id)
            elif gone is None and self._clock() - said_at > RECHECK_FOR_SECONDS:
                log.error("ecwid store %s said uninstalled; never confirmed: kept", store_id)
                await self._connections.uninstall_settled(store_id)

    async def _confirmed(self, store_id: int, sealed: str) -> bool | None:
        """Whether Ecwid refuses the store's token (then the store is forgotten); None when it
        could not be told."""
        try:
            token = self._keys.open("store", str(store_id), sealed)
        except SealedTokenError:
            log.error("ecwid store %s: its token does not open; not forgotten", store_id)
            return None
        gone = await self._store_gone(store_id, token)
        if gone is True and await self._connections.forget_store(store_id, sealed):
            stopped, cancelled = await self._connections.stop_store_work(store_id, self._clock())
            log.info(
                "ecwid store %s uninstalled the app: forgotten; %d running bulk jobs stop, "
                "%d not started are cancelled, its waiting drops and weekly audits are deleted",
                store_id,
                stopped,
                cancelled,
            )
        return gone


def _claim_code() -> str:
    letters = "".join(secrets.choice(_CLAIM_LETTERS) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def event_of(body: bytes) -> tuple[str, int, int, str] | None:
    """A webhook's eventId, eventCreated, storeId and eventType, if it reads as one."""
    if len(body) > MAX_WEBHOOK_BYTES:
        return None
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past Python's stack
        return None
    if not isinstance(data, dict):
        return None
    event_id, created = data.get("eventId"), data.get("eventCreated")
    store_id, event_type = data.get("storeId"), data.get("eventType")
    if (
        not isinstance(event_id, str | int)
        or isinstance(event_id, bool)
        or not 0 < len(str(event_id)) <= 64
        or not isinstance(created, int)
        or isinstance(created, bool)
        or not isinstance(store_id, int)
        or isinstance(store_id, bool)
        or not isinstance(event_type, str)
    ):
        return None
    return str(event_id), created, store_id, event_type
