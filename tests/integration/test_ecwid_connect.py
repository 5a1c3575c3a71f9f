"""Connecting an Ecwid store (#38, part 2), over real HTTP: the bot's `/ecwid/connect`,
`/ecwid/oauth/callback` and `/ecwid/webhooks` on loopback, a browser (httpx, its cookie passed
explicitly: it is `Secure`, and the loopback is plain HTTP), and the loopback Ecwid: its OAuth
(tests/fakes/ecwid_oauth.py) and its REST API (tests/fakes/ecwid_api.py). On SQLite and on
PostgreSQL: every one-time secret is taken by a conditional update."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import aiohttp
import httpx
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from sqlalchemy import MetaData, select, text

from bot.config import database_url as read_database_url
from bot.ecwid.client import EcwidClient
from bot.ecwid.oauth import EcwidOAuth, OAuthError, grant_of
from bot.flows.connect import UNINSTALLED, StoreConnections, event_of
from bot.jobs.connections import Asker, Connections
from bot.jobs.store import JobStore
from bot.slack.connect import CALLBACK_PATH, COOKIE, connect_routes
from bot.tokens import TokenKeys, generate_key
from tests.fakes import ecwid_examples as examples
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid, Fault
from tests.fakes.ecwid_oauth import CLIENT_ID, CLIENT_SECRET, FakeEcwidOAuth

PUBLIC_URL = "https://bot.example.com"
ANNA = Asker("T0AGENCY", "U0ANNA")
BEN = Asker("T0BAKERY", "U0BEN")
OTHER_STORE = 2004


@dataclass
class Site:
    """The bot's connection pages on loopback, and what sits behind them."""

    url: str
    browser: httpx.AsyncClient
    flow: StoreConnections
    connections: Connections
    store: JobStore
    oauth: FakeEcwidOAuth
    keys: TokenKeys

    async def follow(self, link: str) -> httpx.Response:
        """The browser opens a link from Slack (PUBLIC_URL/…), here on loopback."""
        return await self.browser.get(self.url + link.removeprefix(PUBLIC_URL))

    async def come_back(self, cookie: str | None, **query: str) -> httpx.Response:
        """Ecwid sends the browser back to the callback, with the cookie it holds (if any)."""
        headers = {"Cookie": f"{COOKIE}={cookie}"} if cookie is not None else {}
        return await self.browser.get(self.url + CALLBACK_PATH, params=query, headers=headers)

    async def connect(self, asker: Asker, store_id: int) -> httpx.Response:
        link = await self.flow.start(asker)
        cookie = cookie_of(await self.follow(link))
        return await self.come_back(cookie, code=self.oauth.consent(store_id))

    async def dump(self) -> str:
        """Every row of the connection tables, as text."""
        rows = []
        async with self.store.connect() as connection:
            for table in ("ecwid_stores", "store_links", "connect_requests"):
                rows += [
                    str(tuple(r)) for r in await connection.execute(text(f"SELECT * FROM {table}"))
                ]
        return "\n".join(rows)


def cookie_of(response: httpx.Response) -> str:
    parsed = SimpleCookie(response.headers["set-cookie"])
    return parsed[COOKIE].value


@pytest.fixture
async def site(ecwid: FakeEcwid, database_url: str) -> AsyncIterator[Site]:
    oauth = FakeEcwidOAuth(ecwid, PUBLIC_URL + CALLBACK_PATH)
    await oauth.start()
    store = await JobStore.open(read_database_url(database_url) or database_url)
    keys = TokenKeys.parse(generate_key())
    async with aiohttp.ClientSession() as http:

        async def store_gone(store_id: int, token: str) -> bool | None:
            client = EcwidClient(
                http, api_url=ecwid.api_url, store_id=store_id, token=token, timeout=5
            )
            return await client.token_refused()

        connections = Connections(store)
        flow = StoreConnections(
            connections,
            EcwidOAuth(
                http,
                oauth_url=oauth.url(""),
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                redirect_uri=PUBLIC_URL + CALLBACK_PATH,
            ),
            keys,
            store_gone,
            client_secret=CLIENT_SECRET,
            public_url=PUBLIC_URL,
        )
        app = web.Application()
        app.add_routes(connect_routes(flow))
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            yield Site(
                str(server.make_url("")).rstrip("/"), browser, flow, connections, store, oauth, keys
            )
        await server.close()
    await store.close()
    await oauth.close()


async def test_a_store_connects_from_a_slack_link_exactly_once(site: Site) -> None:
    link = await site.flow.start(ANNA)
    assert link.startswith(f"{PUBLIC_URL}/ecwid/connect?nonce=")
    followed = await site.follow(link)
    # On to Ecwid's consent page, with the cookie that stands for the link.
    assert followed.status_code == 302
    where = urlsplit(followed.headers["location"])
    assert f"{where.scheme}://{where.netloc}/" == site.oauth.url("/")
    assert where.path == "/api/oauth/authorize"
    assert parse_qs(where.query) == {
        "client_id": [CLIENT_ID],
        "redirect_uri": [PUBLIC_URL + CALLBACK_PATH],
        "response_type": ["code"],
        "scope": ["read_catalog update_catalog read_store_profile"],
    }
    cookie = followed.headers["set-cookie"]
    assert cookie.startswith("__Host-ecwid_connect=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/;", "Max-Age=600"):
        assert attribute in cookie
    assert "Domain" not in cookie
    assert (await site.browser.get(followed.headers["location"])).status_code == 200  # Ecwid
    code = site.oauth.consent(STORE_ID)

    back = await site.come_back(cookie_of(followed), code=code)
    assert back.status_code == 200
    assert f"Store {STORE_ID} is connected to your Slack workspace" in back.text
    (exchange,) = site.oauth.exchanges
    assert exchange.form == {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "code": code,
        "redirect_uri": PUBLIC_URL + CALLBACK_PATH,
        "grant_type": "authorization_code",
    }
    (link_row,) = await site.connections.links(ANNA.team_id)
    assert (link_row.store_id, link_row.linked_by, link_row.is_default) == (
        STORE_ID,
        "U0ANNA",
        True,
    )
    token = site.oauth.consents[code].token
    assert token is not None
    sealed = await site.connections.sealed_token(STORE_ID)
    assert sealed is not None and site.keys.open("store", str(STORE_ID), sealed) == token
    assert token not in await site.dump()  # sealed at rest, and nothing else holds it

    # Replays do nothing: the link, and Ecwid's callback with its code and cookie.
    again = await site.follow(link)
    assert again.status_code == 400 and "used already" in again.text
    replayed = await site.come_back(cookie_of(followed), code=code)
    assert replayed.status_code == 400 and "used already" in replayed.text
    # The done page reloaded (its cookie gone by then): the code is not exchanged again either.
    reloaded = await site.come_back(None, code=code)
    assert reloaded.status_code == 400 and "opened before" in reloaded.text
    assert len(site.oauth.exchanges) == 1  # never a second exchange, which disables the token
    assert site.oauth.api.tokens[token] == STORE_ID


async def test_a_link_past_ten_minutes_or_unknown_goes_nowhere(site: Site) -> None:
    now = time.time()
    await site.connections.ask(ANNA, hashlib.sha256(b"old").hexdigest(), now - 1, now)
    expired = await site.follow(f"{PUBLIC_URL}/ecwid/connect?nonce=old")
    assert expired.status_code == 400 and "more than 10 minutes old" in expired.text
    assert "set-cookie" not in expired.headers
    unknown = await site.follow(f"{PUBLIC_URL}/ecwid/connect?nonce=nothing")
    assert unknown.status_code == 400 and "set-cookie" not in unknown.headers


async def test_a_callback_without_a_live_cookie_or_with_an_error_or_a_refused_code_stores_nothing(
    site: Site,
) -> None:
    code = site.oauth.consent(STORE_ID)
    stale = await site.come_back("not-a-cookie-we-gave", code=code)
    assert stale.status_code == 400 and "Nothing was stored" in stale.text
    assert site.oauth.exchanges == []  # the code is not even exchanged

    cookie = cookie_of(await site.follow(await site.flow.start(ANNA)))
    denied = await site.come_back(cookie, error="access_denied")
    assert denied.status_code == 400 and "access was not given" in denied.text

    cookie = cookie_of(await site.follow(await site.flow.start(ANNA)))
    refused = await site.come_back(cookie, code="code-ecwid-never-gave")
    assert refused.status_code == 400 and "Ecwid did not accept this link" in refused.text
    assert [e.status for e in site.oauth.exchanges] == [400]
    assert await site.connections.links(ANNA.team_id) == []
    assert await site.connections.sealed_token(STORE_ID) is None


async def test_a_store_without_the_scopes_it_needs_is_not_stored(site: Site) -> None:
    cookie = cookie_of(await site.follow(await site.flow.start(ANNA)))
    code = site.oauth.consent(STORE_ID, scope="read_catalog read_store_profile")
    page = await site.come_back(cookie, code=code)
    assert page.status_code == 400
    assert "did not grant update_catalog" in page.text
    assert await site.connections.sealed_token(STORE_ID) is None


async def test_connecting_a_known_store_again_replaces_its_token_and_keeps_its_links(
    site: Site,
) -> None:
    assert (await site.connect(ANNA, STORE_ID)).status_code == 200
    first = await site.connections.sealed_token(STORE_ID)
    assert (await site.connect(BEN, STORE_ID)).status_code == 200
    assert (await site.connect(ANNA, OTHER_STORE)).status_code == 200
    second = await site.connections.sealed_token(STORE_ID)
    assert first != second
    codes = [c for c, consent in site.oauth.consents.items() if consent.store_id == STORE_ID]
    newest = site.oauth.consents[codes[-1]].token
    assert second is not None and site.keys.open("store", str(STORE_ID), second) == newest
    # The agency has both stores, the first one linked its default; the bakery has one.
    anna = await site.connections.links(ANNA.team_id)
    assert [(link.store_id, link.is_default) for link in anna] == [
        (STORE_ID, True),
        (OTHER_STORE, False),
    ]
    assert [link.store_id for link in await site.connections.links(BEN.team_id)] == [STORE_ID]
    assert await site.connections.teams_of(STORE_ID) == ["T0AGENCY", "T0BAKERY"]


async def test_an_app_market_install_shows_a_claim_code_that_links_once(site: Site) -> None:
    page = await site.come_back(None, code=site.oauth.consent(OTHER_STORE))
    assert page.status_code == 200
    claim = page.text.split("/ecwid-image connect ")[1].split(" ")[0]
    assert len(claim) == 9 and claim[4] == "-"
    assert await site.connections.teams_of(OTHER_STORE) == []  # unlinked until claimed
    assert await site.flow.claim(BEN, "WRONG-CODE") is None
    assert await site.flow.claim(BEN, claim.lower().replace("-", "")) == OTHER_STORE
    assert await site.flow.claim(ANNA, claim) is None  # once
    assert await site.connections.teams_of(OTHER_STORE) == ["T0BAKERY"]
    assert claim.replace("-", "") not in await site.dump()  # kept as its hash


def signed(secret: str, **event: object) -> tuple[bytes, dict[str, str]]:
    """A webhook as Ecwid signs it: base64 of HMAC-SHA256 over "{eventCreated}.{eventId}"."""
    body = {
        "eventId": str(uuid.uuid4()),
        "eventCreated": int(time.time()),
        "storeId": STORE_ID,
        "entityId": str(STORE_ID),
        "eventType": "application.uninstalled",
        **event,
    }
    message = f"{body['eventCreated']}.{body['eventId']}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return json.dumps(body).encode(), {
        "X-Ecwid-Webhook-Signature": base64.b64encode(digest).decode()
    }


async def test_an_uninstall_forgets_the_store_only_once_ecwid_refuses_its_token(
    site: Site, ecwid: FakeEcwid
) -> None:
    assert (await site.connect(ANNA, STORE_ID)).status_code == 200
    assert (await site.connect(BEN, STORE_ID)).status_code == 200
    assert (await site.connect(ANNA, OTHER_STORE)).status_code == 200
    hook = site.url + "/ecwid/webhooks"

    async def send(body: bytes, headers: dict[str, str]) -> int:
        return (await site.browser.post(hook, content=body, headers=headers)).status_code

    def profile_reads() -> int:
        return sum(call.path.endswith("/profile") for call in ecwid.calls)

    # Signed, recent and new, but the store still takes its token: someone else's claim.
    assert await send(*signed(CLIENT_SECRET)) == 200
    assert await site.connections.teams_of(STORE_ID) == ["T0AGENCY", "T0BAKERY"]
    # A 403 that is not Ecwid's word on the token (a proxy's page): nothing is deleted.
    ecwid.faults["profile"] = [Fault(403, text="<html>Access denied</html>")]
    assert await send(*signed(CLIENT_SECRET)) == 200
    assert await site.connections.teams_of(STORE_ID) == ["T0AGENCY", "T0BAKERY"]
    # Ecwid cannot say just now: nothing is deleted, and Ecwid is asked again later.
    site.oauth.uninstall(STORE_ID)
    ecwid.faults["profile"] = [Fault(503, {"errorMessage": "Unavailable"})] * 2
    assert await send(*signed(CLIENT_SECRET)) == 200
    assert await site.connections.teams_of(STORE_ID) == ["T0AGENCY", "T0BAKERY"]
    await site.flow.recheck()  # still unavailable: kept, asked again
    assert await site.connections.teams_of(STORE_ID) == ["T0AGENCY", "T0BAKERY"]
    await site.flow.recheck()  # Ecwid answers: the token is refused, the store forgotten
    assert await site.connections.teams_of(STORE_ID) == []
    # Connected again (a reinstall) for the rest of the checks.
    assert (await site.connect(ANNA, STORE_ID)).status_code == 200
    assert (await site.connect(BEN, STORE_ID)).status_code == 200
    site.oauth.uninstall(STORE_ID)
    # Refused: no signature, a wrong one, another app's, an old event.
    body, headers = signed(CLIENT_SECRET)
    reads = profile_reads()
    assert await send(body, {}) == 401
    assert await send(body, {"X-Ecwid-Webhook-Signature": "bm90IGl0"}) == 401
    assert await send(*signed("another-apps-secret")) == 401
    assert await send(*signed(CLIENT_SECRET, eventCreated=int(time.time()) - 400)) == 400
    assert profile_reads() == reads
    # The real thing: the store is gone, with every workspace's link; the other store stays.
    assert await send(body, headers) == 200
    assert await site.connections.teams_of(STORE_ID) == []
    assert await site.connections.sealed_token(STORE_ID) is None
    assert [link.store_id for link in await site.connections.links(ANNA.team_id)] == [OTHER_STORE]
    # A replay of the same event does nothing, not even a look at Ecwid.
    reads = profile_reads()
    assert await send(body, headers) == 200
    assert profile_reads() == reads


async def test_the_stand_in_answers_as_ecwid_documents_and_the_bot_reads_the_documented_answer(
    site: Site,
) -> None:
    # The documented answer, read by the bot: a store and its token, but short of a scope.
    with pytest.raises(OAuthError, match="did not grant read_catalog"):
        grant_of(examples.TOKEN_DOCUMENTED)
    full = {**examples.TOKEN_DOCUMENTED, "scope": "read_store_profile update_catalog read_catalog"}
    assert grant_of(full).store_id == 1003
    # The stand-in's answer has the documented fields, with the documented types.
    async with httpx.AsyncClient() as client:
        code = site.oauth.consent(STORE_ID)
        answer = await client.post(
            site.oauth.url("/api/oauth/token"),
            data={
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "code": code,
                "redirect_uri": PUBLIC_URL + CALLBACK_PATH,
                "grant_type": "authorization_code",
            },
        )
    documented = {k: type(v) for k, v in examples.TOKEN_DOCUMENTED.items() if k != "public_token"}
    assert {k: type(v) for k, v in answer.json().items()} == documented
    # The documented webhook reads as an event.
    event = json.dumps(examples.UNINSTALLED_DOCUMENTED).encode()
    assert event_of(event) == ("80aece08-40e8-4145-8764-6c2f0d38678", 1234567, 1003, UNINSTALLED)


async def test_two_stores_tokens_are_in_no_table_and_no_log_in_plain_text(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert (await site.connect(ANNA, STORE_ID)).status_code == 200
    assert (await site.connect(BEN, OTHER_STORE)).status_code == 200
    tokens = [consent.token for consent in site.oauth.consents.values()]
    assert len(tokens) == 2 and all(tokens)
    metadata = MetaData()
    dumped = []
    async with site.store.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                dumped += [str(value) for value in row]
    said = caplog.text + "\n".join(str(record.args) for record in caplog.records)
    for token in tokens:
        assert token is not None
        assert token not in "\n".join(dumped)
        assert token not in said
    assert str(OTHER_STORE) in "\n".join(dumped)  # the rows are there, only sealed
