"""Many-stores mode (#38): one deployment, as `python -m bot` serves it (the same HTTP server,
the same Bolt app), three workspaces and three stores. Workspaces install through "Add to
Slack" (loopback Slack's `oauth.v2.access`, its state cookie passed explicitly), stores connect
from each workspace's App Home through the loopback Ecwid's OAuth, and each request is answered
with its own workspace's token. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
import sqlalchemy
from sqlalchemy import MetaData, select, text

from bot.config import load_settings
from bot.domain.audit import Scope
from bot.domain.settings import AccessLists, Naming, WorkspaceSettings
from bot.domain.tenant import Tenant
from bot.jobs.history import History
from bot.jobs.schedules import Schedules
from bot.jobs.schema import audit_schedules, bot_surfaces, connect_requests, waiting_drops
from bot.jobs.store import WaitingDrop
from bot.logs import RedactSecrets
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.connect import COOKIE
from bot.slack.many_app import build_many_app, many_routes
from bot.slack.onboarding import Onboarding
from bot.slack.server import HttpServer
from bot.tokens import generate_key
from tests.bulk_helpers import (
    bulk_form_submission,
    lines_for,
    photo,
    press,
    stock,
    the_plan,
    the_report,
    uploaded_products,
)
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid, Fault
from tests.fakes.ecwid_oauth import CLIENT_ID, CLIENT_SECRET, FakeEcwidOAuth
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import QUICK_PROGRESS_SECONDS, image_pool
from tests.integration.jobs.test_shared_budget import Said
from tests.integration.jobs.test_tenants import _job as _tenant_job
from tests.integration.jobs.test_tenants import _line as _tenant_line
from tests.integration.listeners.test_forms import METADATA, filled
from tests.integration.listeners.test_undo import posted, reply_of, with_an_image
from tests.integration.listeners.test_undo import press as undo_press
from tests.integration.listeners.test_weekly_audit import (
    FIRST_RUN,
    QUIET,
    SUNDAY_NOON,
    weekly_cards,
)
from tests.integration.listeners.test_weekly_audit import Clock as WallClock
from tests.integration.test_ecwid_connect import signed
from tests.slack_requests import (
    SIGNING_SECRET,
    SlackSender,
    block_suggestion,
    home_press,
    modal_action,
    view_submission,
)

PUBLIC_URL = "https://bot.example.com"
AGENCY, BAKERY, CAFE = "T0AGENCY", "T0BAKERY", "T0CAFE"
BAKERY_STORE, MARKET_STORE = 2004, 3005
STATE_COOKIE = "slack-app-oauth-state"


def bot_token(team: str) -> str:
    """The bot token loopback Slack's oauth.v2.access gives a workspace."""
    return f"xoxb-{team}-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


@dataclass
class Deployment:
    url: str
    sender: SlackSender
    browser: httpx.AsyncClient
    onboarding: Onboarding
    runtime: Runtime
    slack: FakeSlack
    oauth: FakeEcwidOAuth

    async def install(self, team: str) -> None:
        page = await self.browser.get(self.url + "/slack/install")
        state = page.cookies[STATE_COOKIE]
        self.slack.oauth_codes[f"code-{team}"] = (team, f"Shop {team}")
        done = await self.browser.get(
            self.url + "/slack/oauth_redirect",
            params={"code": f"code-{team}", "state": state},
            cookies={STATE_COOKIE: state},
        )
        assert done.status_code == 200

    async def event(self, team: str, event: dict[str, Any]) -> None:
        answer = await self.sender.event(event, f"Ev{time.monotonic_ns()}", team_id=team)
        assert answer.status_code == 200

    async def press(self, team: str, user: str, action: dict[str, Any]) -> None:
        payload = home_press(action["action_id"], team_id=team, user=user, action=action)
        answer = await self.sender.interaction(payload)
        assert answer.status_code == 200

    async def choose_default(self, team: str, user: str, store_id: int) -> SlackCall:
        """The person picks a store in the Home's Default store menu: the Home republished."""
        before = len(self.slack.calls_to("views.publish"))
        chosen = {"type": "static_select", "action_id": "default_store"}
        await self.press(team, user, {**chosen, "selected_option": {"value": str(store_id)}})
        return (await self.slack.wait_for_call("views.publish", before + 1))[before]

    async def home(self, team: str, user: str) -> SlackCall:
        """The Home tab the person sees once they open it."""
        before = len(self.slack.calls_to("views.publish"))
        await self.event(team, {"type": "app_home_opened", "user": user, "tab": "home"})
        calls = await self.slack.wait_for_call("views.publish", before + 1)
        return calls[before]

    async def connect(self, team: str, user: str, store_id: int) -> None:
        """The person presses Connect an Ecwid store, follows the link, the owner allows."""
        before = len(self.slack.calls_to("views.open"))
        await self.press(team, user, {"type": "button", "action_id": "connect_store"})
        opened = (await self.slack.wait_for_call("views.open", before + 1))[before]
        assert opened.token == bot_token(team)
        link = shown_link(opened)
        followed = await self.browser.get(self.url + link.removeprefix(PUBLIC_URL))
        assert followed.status_code == 302
        cookie = SimpleCookie(followed.headers["set-cookie"])[COOKIE].value
        told = len(self.slack.calls_to("chat.postMessage"))
        back = await self.browser.get(
            self.url + "/ecwid/oauth/callback",
            params={"code": self.oauth.consent(store_id)},
            headers={"Cookie": f"{COOKIE}={cookie}"},
        )
        assert back.status_code == 200, back.text
        # The asker hears of it in their DM, from their own workspace's bot.
        dm = (await self.slack.wait_for_call("chat.postMessage", told + 1))[told]
        assert (dm.token, dm.params["channel"]) == (bot_token(team), user)
        assert dm.params["text"].startswith(f"Store {store_id} (its owner: owner@shop{store_id}")

    async def command(self, team: str, text: str) -> str:
        before = len(self.slack.responses)
        answer = await self.sender.command(text, team_id=team, user_id=f"U{team}")
        assert answer.status_code == 200
        if answer.content:  # answered in the acknowledgement itself
            return str(answer.json()["text"])
        responses = await self.slack.wait_until(
            lambda: len(self.slack.responses) > before and self.slack.responses
        )
        return str(responses[before]["text"])


def shown_link(opened: SlackCall) -> str:
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    (block,) = view["blocks"]
    return str(block["accessory"]["url"])


def shown_text(published: SlackCall) -> str:
    view = published.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    return json.dumps(view)


@pytest.fixture
async def deployment(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, database_url: str
) -> AsyncIterator[Deployment]:
    async with deployed(slack, ecwid, tls, database_url) as d:
        yield d


@contextlib.asynccontextmanager
async def deployed(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, database_url: str, **runtime: Any
) -> AsyncIterator[Deployment]:
    """One many-stores deployment; `runtime`: Runtime.open's own (a wall clock, say)."""
    oauth = FakeEcwidOAuth(ecwid, PUBLIC_URL + "/ecwid/oauth/callback")
    await oauth.start()
    settings = load_settings(
        {
            "SLACK_CLIENT_ID": slack.oauth_client[0],
            "SLACK_CLIENT_SECRET": slack.oauth_client[1],
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "ECWID_CLIENT_ID": CLIENT_ID,
            "ECWID_CLIENT_SECRET": CLIENT_SECRET,
            "TOKEN_KEYS": generate_key(),
            "PUBLIC_URL": PUBLIC_URL,
            "ECWID_OAUTH_URL": oauth.url(""),
            "SLACK_API_URL": slack.api_url,
            "ECWID_API_URL": ecwid.api_url,
            "DATABASE_URL": database_url,
            # The loopback image host (tests/fakes/image_host.py).
            "PROBE_ALLOW_PRIVATE_NETWORKS": "true",
            "SSL_CERT_FILE": str(tls.ca_file),
            "DROP_GROUP_SECONDS": "0.3",
        }
    )
    onboarding = await Onboarding.open(settings, recheck_seconds=0.05)
    runtime = await Runtime.open(
        settings,
        jobs=onboarding.jobs,
        installations=onboarding.installations,
        image_pool=image_pool(),
        progress_seconds=QUICK_PROGRESS_SECONDS,
        **runtime,
    )
    server = HttpServer(
        build_many_app(onboarding, runtime),
        runtime.workers.priority,
        signing_secret=SIGNING_SECRET,
        routes=many_routes(onboarding),
    )
    port = await server.start("127.0.0.1", 0)
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as browser:
            sender = SlackSender(url + "/slack/events", slack.response_url())
            yield Deployment(url, sender, browser, onboarding, runtime, slack, oauth)
    finally:
        await server.stop_listening()
        await runtime.close()
        await onboarding.close()
        await server.close()
        await oauth.close()


class Written(logging.Handler):
    """The log as the bot writes it (bot.logs: its redaction, at DEBUG: every line there is)."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.addFilter(RedactSecrets(secrets))
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def test_workspaces_install_connect_their_stores_see_only_their_own_and_leave_cleanly(
    deployment: Deployment, slack: FakeSlack
) -> None:
    d = deployment
    written = Written(d.onboarding.settings.secrets)
    root = logging.getLogger()
    level = root.level
    root.addHandler(written)
    root.setLevel(logging.DEBUG)
    try:
        await _install_connect_and_leave(d, slack, written)
    finally:
        root.removeHandler(written)
        root.setLevel(level)


async def _install_connect_and_leave(d: Deployment, slack: FakeSlack, written: Written) -> None:
    slack.admins |= {"U0ANNA", "U0BEN", "U0CARLA"} | {f"U{t}" for t in (AGENCY, BAKERY, CAFE)}
    for team in (AGENCY, BAKERY, CAFE):
        await d.install(team)

    # A workspace with nothing linked sees the button, in a Home published with its own token.
    first = await d.home(AGENCY, "U0ANNA")
    assert first.token == bot_token(AGENCY)
    assert "No Ecwid store is linked" in shown_text(first)
    assert '"action_id": "connect_store"' in shown_text(first)

    # Each connects its own store; the cafe links both.
    await d.connect(AGENCY, "U0ANNA", STORE_ID)
    await d.connect(BAKERY, "U0BEN", BAKERY_STORE)
    await d.connect(CAFE, "U0CARLA", STORE_ID)
    await d.connect(CAFE, "U0CARLA", BAKERY_STORE)

    agency = await d.home(AGENCY, "U0ANNA")
    assert agency.token == bot_token(AGENCY)
    assert f"Store *{STORE_ID}* (default)" in shown_text(agency)
    assert str(BAKERY_STORE) not in shown_text(agency)
    bakery = await d.home(BAKERY, "U0BEN")
    assert f"Store *{BAKERY_STORE}* (default)" in shown_text(bakery)
    assert str(STORE_ID) not in shown_text(bakery)
    cafe = await d.home(CAFE, "U0CARLA")
    assert f"Store *{STORE_ID}* (default)" in shown_text(cafe)
    assert f"Store *{BAKERY_STORE}*" in shown_text(cafe)

    # The cafe makes the bakery's store its default; the others are not touched.
    republished = await d.choose_default(CAFE, "U0CARLA", BAKERY_STORE)
    assert f"Store *{BAKERY_STORE}* (default)" in shown_text(republished)
    # A store not linked to the workspace cannot be made its default: the Home shows it as it is.
    unchanged = await d.choose_default(AGENCY, "U0ANNA", BAKERY_STORE)
    assert f"Store *{STORE_ID}* (default)" in shown_text(unchanged)
    assert str(BAKERY_STORE) not in shown_text(unchanged)

    # An App Market install, claimed from the bakery with the code the page showed.
    page = await d.browser.get(
        d.url + "/ecwid/oauth/callback", params={"code": d.oauth.consent(MARKET_STORE)}
    )
    claim = re.findall(r"/ecwid-image connect ([A-Z0-9]{4}-[A-Z0-9]{4})", page.text)[0]
    said = await d.command(BAKERY, f"connect {claim}")
    assert said == f"Store {MARKET_STORE} is linked to this workspace."
    said = await d.command(AGENCY, f"connect {claim}")  # once
    assert said.startswith("That code is wrong, used already")
    # Image work goes to a store of the workspace's own, never one it has not linked.
    said = await d.command(BAKERY, f"123 https://cdn.example.com/shoe.jpg store={STORE_ID}")
    assert said.startswith(f":electric_plug: Store {STORE_ID} is not one this workspace can")

    # Every token sealed at rest, and none in the log.
    tokens = [bot_token(team) for team in (AGENCY, BAKERY, CAFE)]
    tokens += [c.token for c in d.oauth.consents.values() if c.token]
    assert len(tokens) == 8  # three workspaces; five connections (the cafe two, the market one)
    values = []
    metadata = MetaData()
    async with d.onboarding.jobs.engine.connect() as connection:
        await connection.run_sync(metadata.reflect)
        for table in metadata.sorted_tables:
            for row in await connection.execute(select(table)):
                values += [str(value) for value in row]
    dumped = "\n".join(values)
    logged = "\n".join(written.lines)
    assert "oauth.v2.access" in logged  # slack-sdk's DEBUG lines are there, redacted
    for token in tokens:
        assert token not in dumped and token not in logged

    # Settings of the agency's and the cafe's, and naming rules of their stores.
    kept = d.onboarding.workspace_settings
    chosen = WorkspaceSettings(AccessLists(users=frozenset({"U0ANNA"})), frozenset({"C0DROPS"}))
    rules = Naming(r"(?P<sku>X-[0-9]+)", ("front",))
    for team in (AGENCY, CAFE):
        await kept.save_workspace(team, chosen, "U0ANNA", time.time())
    for tenant in (
        Tenant(AGENCY, STORE_ID),
        Tenant(CAFE, STORE_ID),
        Tenant(CAFE, BAKERY_STORE),
    ):
        await kept.save_store_naming(tenant, rules, "U0ANNA", time.time())
        await d.runtime.surfaces.made(  # type: ignore[union-attr]
            tenant.team_id, f"m:C0{tenant.store_id}:1.2", tenant.store_id, time.time()
        )

    # Work of each: a running job, a planned one, a waiting drop, a weekly audit.
    jobs = d.onboarding.jobs
    letters = {AGENCY: ("r", "p"), CAFE: ("s", "q")}
    for team, (running, planned) in letters.items():
        tenant = Tenant(team, STORE_ID)
        for letter in (running, planned):
            await jobs.create(_tenant_job(letter, tenant), [_tenant_line()])
        assert await jobs.start(tenant, running * 32, "U1", "p1", 30)
        drop = WaitingDrop(
            key=tenant.key("C0DROPS:1.1"),
            channel_id="C0DROPS",
            user_id="U1",
            thread_ts="1.1",
            ts="1.1",
            files="[]",
            text="",
            received_at=1.0,
            due_at=1e12,
            checked=True,
            team_id=team,
            store_id=STORE_ID,
        )
        assert await jobs.keep_drop([drop.key], drop)
        await Schedules(jobs).add(
            tenant=tenant,
            channel_id="C1",
            user_id="U1",
            scope=Scope(),
            weekday=0,
            zone="UTC",
            next_at=1e12,
            now=1.0,
        )

    bakery_at_cafe = Tenant(CAFE, BAKERY_STORE)
    await jobs.create(_tenant_job("b", bakery_at_cafe), [_tenant_line()])
    assert await jobs.start(bakery_at_cafe, "b" * 32, "U1", "p1", 30)

    # The agency uninstalls: exactly its installation, links, settings and waiting work go,
    # and its jobs stop; the cafe keeps the store, its own settings and its own work.
    said = Said(f"workspace {AGENCY} removed the app")
    logging.getLogger("bot.slack.onboarding").addHandler(said)
    try:
        await d.event(AGENCY, {"type": "app_uninstalled"})
        await asyncio.wait_for(said.event.wait(), 5)  # Bolt runs the listener after its ack
    finally:
        logging.getLogger("bot.slack.onboarding").removeHandler(said)
    installations = d.onboarding.installations
    assert await installations.async_find_bot(enterprise_id=None, team_id=AGENCY) is None
    assert await d.onboarding.links.links(AGENCY) == []
    assert await d.onboarding.links.teams_of(STORE_ID) == [CAFE]
    assert await installations.async_find_bot(enterprise_id=None, team_id=CAFE) is not None
    assert await kept.workspace(AGENCY) == WorkspaceSettings()
    assert await kept.store_namings(AGENCY) == {}
    states = {
        team: {
            j.id[0]: str(j.state) for j, _ in await jobs.jobs_of(Tenant(team, STORE_ID), "U1", 9)
        }
        for team in (AGENCY, CAFE)
    }
    assert states == {
        AGENCY: {"r": "stopping", "p": "cancelled"},  # the process running it stops it
        CAFE: {"s": "running", "q": "planned"},
    }
    async with jobs.connect() as connection:
        drops = await connection.execute(select(waiting_drops.c.team_id))
        assert sorted(drops.scalars()) == [CAFE]
        schedules = await connection.execute(select(audit_schedules.c.team_id))
        assert sorted(schedules.scalars()) == [CAFE]
    assert await kept.workspace(CAFE) == chosen
    assert await kept.store_namings(CAFE) == {STORE_ID: rules, BAKERY_STORE: rules}
    assert await _surfaces(d) == {(CAFE, STORE_ID), (CAFE, BAKERY_STORE)}

    # The bakery's store uninstalls the app in Ecwid: gone from the bakery and the cafe.
    d.oauth.uninstall(BAKERY_STORE)
    body, headers = signed(CLIENT_SECRET, storeId=BAKERY_STORE, entityId=str(BAKERY_STORE))
    hook = await d.browser.post(d.url + "/ecwid/webhooks", content=body, headers=headers)
    assert hook.status_code == 200
    assert await d.onboarding.links.teams_of(BAKERY_STORE) == []
    assert [link.store_id for link in await d.onboarding.links.links(CAFE)] == [STORE_ID]
    assert [link.store_id for link in await d.onboarding.links.links(BAKERY)] == [MARKET_STORE]
    assert await kept.store_namings(CAFE) == {STORE_ID: rules}  # the bakery's store's are gone
    stopped = await jobs.jobs_of(bakery_at_cafe, "U1", 9)
    assert [(j.id[0], str(j.state)) for j, _ in stopped] == [("b", "stopping")]
    # Its messages stay its own: a press on one is refused, never taken for another store's.
    assert await _surfaces(d) == {(CAFE, STORE_ID), (CAFE, BAKERY_STORE)}


async def _surfaces(d: Deployment) -> set[tuple[str, int]]:
    """Whose messages' stores are kept: (workspace, store)."""
    async with d.onboarding.jobs.connect() as connection:
        rows = await connection.execute(select(bot_surfaces.c.team_id, bot_surfaces.c.store_id))
        return {(str(team), int(store)) for team, store in rows}


async def test_only_admins_and_the_installer_link_stores_and_other_workspaces_people_nothing(
    deployment: Deployment, slack: FakeSlack
) -> None:
    d = deployment
    await d.install(AGENCY)
    # A member who is neither an admin nor the installer sees the stores, not the button.
    home = await d.home(AGENCY, "U0MEMBER")
    assert "Only the workspace's admins and the person who installed the app" in shown_text(home)
    assert "connect_store" not in shown_text(home)
    # Pressing it anyway (an old Home): told so, and no link is made.
    await d.press(AGENCY, "U0MEMBER", {"type": "button", "action_id": "connect_store"})
    (refused,) = await slack.wait_for_call("views.open")
    assert "Only the workspace's admins" in json.dumps(refused.params["view"])
    assert "nonce" not in json.dumps(refused.params["view"])
    said = await d.command(AGENCY, "connect ABCD-EFGH")  # U{team}: not an admin either
    assert said.startswith("Only the workspace's admins")
    # The installer (oauth.v2.access's authed user) may.
    await d.press(AGENCY, "U1234", {"type": "button", "action_id": "connect_store"})
    (_, shown) = await slack.wait_for_call("views.open", 2)
    assert shown_link(shown).startswith(f"{PUBLIC_URL}/ecwid/connect?nonce=")
    # A person of another workspace (Slack Connect), even an admin there: refused, nothing made.
    slack.admins.add("U0STRANGER")
    payload = home_press("connect_store", team_id=AGENCY, user="U0STRANGER")
    payload["user"]["team_id"] = "T0OTHER"
    said = Said("refused a person of workspace T0OTHER")
    logging.getLogger("bot.slack.many_app").addHandler(said)
    try:
        assert (await d.sender.interaction(payload)).status_code == 200
        await asyncio.wait_for(said.event.wait(), 5)
    finally:
        logging.getLogger("bot.slack.many_app").removeHandler(said)
    # The installer presses again; by the time that link is shown, the stranger's would be too.
    await d.press(AGENCY, "U1234", {"type": "button", "action_id": "connect_store"})
    await slack.wait_for_call("views.open", 3)
    assert len(slack.calls_to("views.open")) == 3
    assert len(await _requests(d)) == 2  # the installer's two links, no other


async def _requests(d: Deployment) -> list[object]:
    """The links from Slack made so far."""
    async with d.onboarding.jobs.connect() as connection:
        return list(await connection.execute(select(connect_requests)))


async def test_a_workspace_whose_token_slack_refuses_is_told_to_reinstall(
    deployment: Deployment, slack: FakeSlack
) -> None:
    d = deployment
    await d.install(BAKERY)
    slack.revoked.add(bot_token(BAKERY))
    said = await d.command(BAKERY, "connect ABCD-EFGH")
    assert said == (
        "The bot's access to this workspace no longer works (the app was removed, or its token "
        "revoked). Ask a workspace admin to reinstall the app, then try again."
    )


async def test_slack_busy_checking_a_token_is_not_a_reason_to_reinstall(
    deployment: Deployment, slack: FakeSlack
) -> None:
    d = deployment
    await d.install(BAKERY)
    slack.errors["auth.test"] = "internal_error"  # Slack's side, not the token
    said = await d.command(BAKERY, "123 https://cdn.example.com/shoe.jpg")
    assert said.startswith(":electric_plug: No Ecwid store is connected to this workspace yet")


async def test_an_uninstall_ecwid_could_not_confirm_is_asked_again_until_it_can(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    d = deployment
    slack.admins.add("U0BEN")
    await d.install(BAKERY)
    await d.connect(BAKERY, "U0BEN", STORE_ID)
    # Message events (the manifest's, for the drop zone) are acknowledged in this mode too.
    message = {"type": "message", "user": "U0BEN", "channel": "C1", "ts": "1.2", "text": "hi"}
    await d.event(BAKERY, message)
    d.oauth.uninstall(STORE_ID)
    ecwid.faults["profile"] = [Fault(503, {"errorMessage": "Unavailable"})]  # Ecwid down, once
    said = Said(f"ecwid store {STORE_ID} uninstalled the app: forgotten")
    flow_log = logging.getLogger("bot.flows.connect")
    flow_log.addHandler(said)
    flow_log.setLevel(logging.INFO)  # the line is at INFO
    try:
        body, headers = signed(CLIENT_SECRET)
        hook = await d.browser.post(d.url + "/ecwid/webhooks", content=body, headers=headers)
        assert hook.status_code == 200
        await asyncio.wait_for(said.event.wait(), 10)  # asked again, in the background
    finally:
        flow_log.removeHandler(said)
        flow_log.setLevel(logging.NOTSET)
    assert await d.onboarding.links.teams_of(STORE_ID) == []
    assert await d.onboarding.links.sealed_token(STORE_ID) is None


async def test_a_database_failure_on_a_home_press_or_a_claim_is_told_not_silent(
    deployment: Deployment, slack: FakeSlack
) -> None:
    """The bot's database away (here: its tables out of reach) while an admin picks the default
    store in the Home tab, or claims a store: each is told in words, never left in silence."""
    d = deployment
    slack.admins.update({"U0BEN", f"U{BAKERY}"})
    await d.install(BAKERY)
    await d.connect(BAKERY, "U0BEN", STORE_ID)
    renames = [("store_links", "store_links_away"), ("ecwid_stores", "ecwid_stores_away")]
    for table, away in renames:
        await d.onboarding.jobs.write(text(f"ALTER TABLE {table} RENAME TO {away}"))
    try:
        told = len(slack.calls_to("chat.postMessage"))
        chosen = {"type": "static_select", "action_id": "default_store"}
        await d.press(BAKERY, "U0BEN", {**chosen, "selected_option": {"value": str(STORE_ID)}})
        dm = (await slack.wait_for_call("chat.postMessage", told + 1))[told]
        assert (dm.token, dm.params["channel"]) == (bot_token(BAKERY), "U0BEN")
        assert dm.params["text"].startswith(":x: Something went wrong on the bot's side, so what")
        said = await d.command(BAKERY, "connect ABCD-EFGH")
        assert said.startswith(":x: Something went wrong on the bot's side, so what you asked")
    finally:
        for table, away in renames:
            await d.onboarding.jobs.write(text(f"ALTER TABLE {away} RENAME TO {table}"))


async def test_each_workspace_uploads_to_its_store_and_hears_back_with_its_own_token(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Image work in many-stores mode: the café and the agency both link the café's store;
    each one's command uploads to it with the store's token, is answered in its own workspace
    (its own bot token), and is its own workspace's history. A workspace with no store is told
    how to connect one."""
    d = deployment
    slack.admins |= {"U0ANNA", "U0BEN"}
    for team in (CAFE, AGENCY, BAKERY):
        await d.install(team)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    await d.connect(AGENCY, "U0BEN", STORE_ID)  # consented again: the store's token is new
    store_token = next(c.token for c in reversed(d.oauth.consents.values()) if c.token)
    shoe = images.link("shoe.png")
    posted = len(slack.calls_to("chat.postMessage"))
    for team, user in ((CAFE, "U0ANNA"), (AGENCY, "U0BEN")):
        answer = await d.sender.command(f"123 {shoe}", team_id=team, user_id=user)
        assert (answer.status_code, answer.text) == (200, "")
        await d.runtime.workers.join()
    assert [u.authorization for u in ecwid.uploads] == [f"Bearer {store_token}"] * 2
    # Each workspace's messages (the upload's and its thread reply) with its own bot token.
    calls = slack.calls_to("chat.postMessage")[posted:]
    assert [c.token for c in calls] == [bot_token(CAFE)] * 2 + [bot_token(AGENCY)] * 2
    assert "New main image id" in calls[1].params["text"]
    # Each workspace's history has its own change, and not the other's.
    for team, user in ((CAFE, "U0ANNA"), (AGENCY, "U0BEN")):
        mine = History(d.onboarding.jobs, Tenant(team, STORE_ID))
        assert [(c.user_id, c.product_id) for c in await mine.of_product(123, 10)] == [(user, 123)]
    said = await d.command(BAKERY, f"123 {shoe}")
    assert said.startswith(":electric_plug: No Ecwid store is connected to this workspace yet")
    naming_default = f"123 {shoe} store={STORE_ID}"  # the default store, named: taken
    answer = await d.sender.command(naming_default, team_id=AGENCY, user_id="U0BEN")
    assert (answer.status_code, answer.text) == (200, "")
    await d.runtime.workers.join()
    assert len(ecwid.uploads) == 3


def _in_workspace(payload: dict[str, Any], team: str, user: str) -> dict[str, Any]:
    """An interaction's payload as a person of `team` sends it."""
    return {
        **payload,
        "team": {"id": team, "domain": team.lower()},
        "user": {"id": user, "username": user.lower(), "team_id": team},
    }


async def test_a_bulk_job_runs_for_its_workspace_and_store_with_its_own_token(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """A bulk job (planned from the form, started from its message, run in the background):
    every Slack call it makes is its workspace's, every line reaches the workspace's store, and
    the job is the workspace's."""
    d = deployment
    slack.admins.add("U0ANNA")
    for team in (CAFE, AGENCY):
        await d.install(team)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    ids = stock(ecwid, 3)
    form = bulk_form_submission("\n".join(lines_for(images, ids)))
    before = len(slack.calls)
    assert (await d.sender.interaction(_in_workspace(form, CAFE, "U0ANNA"))).status_code == 200
    ts, job_id, _ = await the_plan(slack)
    start = press("bulk_start", job_id, ts, user="U0ANNA")
    assert (await d.sender.interaction(_in_workspace(start, CAFE, "U0ANNA"))).status_code == 200
    await the_report(slack)
    assert sorted(uploaded_products(ecwid)) == ids
    made = [c for c in slack.calls[before:] if c.method not in ("auth.test", "users.info")]
    assert made and {c.token for c in made} == {bot_token(CAFE)}
    assert {c.method for c in made} >= {"chat.postMessage", "chat.update"}
    listed = await d.onboarding.jobs.jobs_of(Tenant(CAFE, STORE_ID), "U0ANNA", 5)
    assert [job.id for job, _ in listed] == [job_id]
    assert await d.onboarding.jobs.jobs_of(Tenant(AGENCY, STORE_ID), "U0ANNA", 5) == []


async def test_a_job_resumed_by_the_next_process_speaks_with_its_workspaces_token(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Work no request started: a bulk job paused by a shutdown is resumed by the next process's
    watcher, which finds its store and its workspace's token through the job's tenant."""
    d = deployment
    slack.admins.add("U0ANNA")
    for team in (CAFE, AGENCY):
        await d.install(team)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    ids = stock(ecwid, 60)  # more than the job sends at once
    form = bulk_form_submission("\n".join(lines_for(images, ids)))
    assert (await d.sender.interaction(_in_workspace(form, CAFE, "U0ANNA"))).status_code == 200
    ts, job_id, _ = await the_plan(slack)
    ecwid.upload_delay = 0.3  # the job is mid-way when the process stops
    start = press("bulk_start", job_id, ts, user="U0ANNA")
    assert (await d.sender.interaction(_in_workspace(start, CAFE, "U0ANNA"))).status_code == 200
    await ecwid.wait_until(lambda: ecwid.uploads)
    await d.runtime.close(grace_seconds=5)  # its lines in flight end; the job pauses
    assert len(set(uploaded_products(ecwid))) < len(ids)
    ecwid.upload_delay = 0.0
    before = len(slack.calls)
    settings = d.onboarding.settings
    following = await Runtime.open(
        settings,
        jobs=d.onboarding.jobs,
        installations=d.onboarding.installations,
        image_pool=image_pool(),
        progress_seconds=QUICK_PROGRESS_SECONDS,
    )
    try:
        await the_report(slack)
    finally:
        await following.close()
    assert sorted(set(uploaded_products(ecwid))) == ids
    made = [c for c in slack.calls[before:] if c.method not in ("auth.test", "users.info")]
    assert made and {c.token for c in made} == {bot_token(CAFE)}


def _blocks(call: SlackCall) -> list[dict[str, Any]]:
    blocks = call.params.get("blocks") or []
    return list(json.loads(blocks) if isinstance(blocks, str) else blocks)


def _opened(call: SlackCall) -> dict[str, Any]:
    view = call.params["view"]
    return dict(json.loads(view) if isinstance(view, str) else view)


async def _open_settings(d: Deployment, team: str, user: str) -> dict[str, Any]:
    """The person presses Edit settings in the Home: the form (or a notice) Slack opens."""
    before = len(d.slack.calls_to("views.open"))
    await d.press(team, user, {"type": "button", "action_id": "edit_settings"})
    opened = (await d.slack.wait_for_call("views.open", before + 1))[before]
    assert opened.token == bot_token(team)
    return _opened(opened)


def _settings_form(
    users: list[str] = [],  # noqa: B006 (never changed)
    groups: str = "",
    channels: list[str] = [],  # noqa: B006
    watch: list[str] = [],  # noqa: B006
    pattern: str = "",
    views: str = "",
) -> dict[str, dict[str, Any]]:
    """The settings form's state, as Slack sends it on submit."""
    return {
        "allowed_users": {"type": "multi_users_select", "selected_users": users},
        "allowed_usergroups": {"type": "plain_text_input", "value": groups or None},
        "allowed_channels": {
            "type": "multi_conversations_select",
            "selected_conversations": channels,
        },
        "watch_channels": {"type": "multi_conversations_select", "selected_conversations": watch},
        "filename_pattern": {"type": "plain_text_input", "value": pattern or None},
        "filename_views": {"type": "plain_text_input", "value": views or None},
    }


async def _submit(
    d: Deployment, team: str, user: str, callback: str, values: dict[str, Any], metadata: str = ""
) -> dict[str, Any]:
    """A settings form submitted: Slack's answer to it (empty: the form closes)."""
    payload = _in_workspace(view_submission(callback, values, metadata), team, user)
    answer = await d.sender.interaction(payload)
    assert answer.status_code == 200
    return dict(answer.json()) if answer.content else {}


async def _cafe_and_agency_on_one_store(d: Deployment) -> None:
    """Both install; Anna, an admin of both, links the same store to each."""
    d.slack.admins.add("U0ANNA")
    for team in (CAFE, AGENCY):
        await d.install(team)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    await d.connect(AGENCY, "U0ANNA", STORE_ID)


async def test_an_admin_sets_the_workspaces_allow_lists_and_they_hold_there_only(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Part 5: the café's admin edits its settings in the Home; its allow-lists then hold for
    its people and channels, and the agency (same store) is not touched. Someone who is not an
    admin or the installer can neither open nor submit the form."""
    d = deployment
    await _cafe_and_agency_on_one_store(d)

    # Not an admin: a notice, not the form; a forged submission is refused and saves nothing.
    notice = await _open_settings(d, CAFE, "U0DAN")
    assert "Only the workspace's admins" in json.dumps(notice)
    refused = await _submit(d, CAFE, "U0DAN", "workspace_settings", _settings_form(["U0DAN"]))
    assert refused["response_action"] == "errors"
    assert refused["errors"]["allowed_users"].startswith("Only the workspace's admins")
    assert (await d.onboarding.workspace_settings.workspace(CAFE)).access.users == frozenset()

    # The admin's form; a user group that is no Slack id is shown under its field.
    form = await _open_settings(d, CAFE, "U0ANNA")
    assert form["callback_id"] == "workspace_settings"
    wrong = _settings_form(["U0ANNA"], groups="catalog-team")
    said = await _submit(d, CAFE, "U0ANNA", "workspace_settings", wrong)
    assert said["errors"] == {
        "allowed_usergroups": "User groups must be Slack ids starting with S, e.g. S0123ABCD"
    }
    slack.usergroups = {"S0BUYERS": ["U0ERIN"]}
    typo = _settings_form(["U0ANNA"], groups="S0BUYERS S0BUYRES")
    said = await _submit(d, CAFE, "U0ANNA", "workspace_settings", typo)
    assert said["errors"] == {
        "allowed_usergroups": "This workspace has no user group S0BUYRES: copy each id from "
        "the group's menu (Copy group ID)."
    }
    homes = len(slack.calls_to("views.publish"))
    chosen = _settings_form(["U0ANNA"], groups="S0BUYERS", channels=["C0CATALOG"])
    assert await _submit(d, CAFE, "U0ANNA", "workspace_settings", chosen) == {}
    home = (await slack.wait_for_call("views.publish", homes + 1))[homes]
    assert home.token == bot_token(CAFE)
    assert "<@U0ANNA>, <!subteam^S0BUYERS>" in shown_text(home)
    assert "<#C0CATALOG>" in shown_text(home)
    # Opened again, the form shows what was saved.
    again = json.dumps(await _open_settings(d, CAFE, "U0ANNA"))
    assert '"initial_users": ["U0ANNA"]' in again and '"initial_value": "S0BUYERS"' in again

    shoe = images.link("shoe.png")

    async def command(team: str, user: str, channel: str) -> str:
        answer = await d.sender.command(
            f"123 {shoe}", team_id=team, user_id=user, channel_id=channel
        )
        assert answer.status_code == 200
        if answer.content:
            return str(answer.json()["text"])
        await d.runtime.workers.join()
        return ""

    said = await command(CAFE, "U0DAN", "C0CATALOG")
    assert said.startswith(":no_entry: Sorry, you are not on the list of people")
    said = await command(CAFE, "U0ANNA", "C0ELSEWHERE")
    assert said.startswith(":no_entry: Sorry, this bot can only be used and report in <#C0CATALOG>")
    assert ecwid.uploads == []
    assert await command(CAFE, "U0ANNA", "C0CATALOG") == ""  # listed
    assert await command(CAFE, "U0ERIN", "C0CATALOG") == ""  # in the listed group
    assert await command(AGENCY, "U0DAN", "C0ELSEWHERE") == ""  # the agency has no lists
    assert len(ecwid.uploads) == 3
    group_reads = slack.calls_to("usergroups.users.list")
    assert group_reads and {c.token for c in group_reads} == {bot_token(CAFE)}

    # Emptied again: everyone in the café may.
    assert await _submit(d, CAFE, "U0ANNA", "workspace_settings", _settings_form()) == {}
    assert await command(CAFE, "U0DAN", "C0ELSEWHERE") == ""
    assert len(ecwid.uploads) == 4


async def test_a_drop_zone_channel_and_naming_rules_are_each_workspaces_and_stores(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """Part 5: the café's drop-zone channel plans dropped photos for its default store, with
    that store's own naming rules over the workspace's; the agency's same channel id watches
    nothing; a store's rules emptied fall back to the workspace's."""
    d = deployment
    await _cafe_and_agency_on_one_store(d)
    ids = stock(ecwid, 2)
    workspace_rules = _settings_form(
        watch=["C0DROPS"], pattern=r"(?P<sku>BULK-[0-9]+)@(?P<n>[0-9]+)"
    )
    assert await _submit(d, CAFE, "U0ANNA", "workspace_settings", workspace_rules) == {}

    # The store's own rules, from the Home's menu of stores.
    before = len(slack.calls_to("views.open"))
    menu = {"type": "static_select", "action_id": "store_naming"}
    await d.press(CAFE, "U0ANNA", {**menu, "selected_option": {"value": str(STORE_ID)}})
    form = _opened((await slack.wait_for_call("views.open", before + 1))[before])
    assert (form["callback_id"], form["private_metadata"]) == ("store_naming_form", str(STORE_ID))
    bad = {"filename_pattern": {"type": "plain_text_input", "value": "(?P<code>X)"}}
    said = await _submit(d, CAFE, "U0ANNA", "store_naming_form", bad, str(STORE_ID))
    assert said["errors"]["filename_pattern"].startswith(
        "The file name pattern cannot be used: it needs a named group `sku`"
    )
    own = {
        "filename_pattern": {
            "type": "plain_text_input",
            "value": r"(?P<sku>BULK-[0-9]+)~(?P<n>[0-9]+)",
        }
    }
    assert await _submit(d, CAFE, "U0ANNA", "store_naming_form", own, str(STORE_ID)) == {}
    # A store the workspace has not linked is refused.
    said = await _submit(d, CAFE, "U0ANNA", "store_naming_form", own, str(BAKERY_STORE))
    assert said["errors"]["filename_pattern"] == "That store is no longer linked to this workspace."

    def drop(team: str, name: str, ts: str) -> dict[str, Any]:
        file = slack.add_file(f"F{ts[-4:]}", name, photo(name), "image/jpeg", team=team)
        return {
            "type": "message",
            "subtype": "file_share",
            "user": "U0ANNA",
            "channel": "C0DROPS",
            "channel_type": "channel",
            "ts": ts,
            "event_ts": ts,
            "text": "",
            "files": [file],
        }

    await d.event(AGENCY, drop(AGENCY, f"BULK-{ids[0]}~2.jpg", "1700000400.000001"))
    await d.event(CAFE, drop(CAFE, f"BULK-{ids[1]}~2.jpg", "1700000400.000002"))
    ts, job_id, plan = await the_plan(slack)
    assert plan.token == bot_token(CAFE)
    assert plan.params["channel"] == "C0DROPS"
    start = press("bulk_start", job_id, ts, user="U0ANNA")
    assert (await d.sender.interaction(_in_workspace(start, CAFE, "U0ANNA"))).status_code == 200
    _, rows = await the_report(slack)
    assert [(r["text"], r["slot"], r["outcome"]) for r in rows] == [
        (f"BULK-{ids[1]}~2.jpg", "gallery", "uploaded")
    ]
    assert [c.path for c in ecwid.calls if c.method == "POST"] == [f"/products/{ids[1]}/gallery"]
    jobs = await d.onboarding.jobs.jobs_of(Tenant(AGENCY, STORE_ID), "U0ANNA", 5)
    assert jobs == []  # the agency watches no channel

    # The store's rules emptied: the workspace's pattern reads the names again.
    empty = {"filename_pattern": {"type": "plain_text_input", "value": None}}
    assert await _submit(d, CAFE, "U0ANNA", "store_naming_form", empty, str(STORE_ID)) == {}
    rules = await d.runtime.workspaces.naming(Tenant(CAFE, STORE_ID))
    assert rules.pattern.pattern == r"(?P<sku>BULK-[0-9]+)@(?P<n>[0-9]+)"
    assert (await d.runtime.workspaces.naming(Tenant(AGENCY, STORE_ID))).pattern is None


async def _cafe_with_two_stores(d: Deployment) -> str:
    """The café links the bakery's store (its default: the first linked), then the store
    the loopback Ecwid serves a catalog for; that store's token."""
    d.slack.admins.add("U0ANNA")
    await d.install(CAFE)
    await d.connect(CAFE, "U0ANNA", BAKERY_STORE)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    return next(str(c.token) for c in d.oauth.consents.values() if c.store_id == STORE_ID)


async def test_store_names_any_linked_store_and_its_messages_and_forms_keep_to_it(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """`store=ID` works on any store the workspace has linked, not only its default: the café's
    default is the bakery's store, yet the upload goes to the store named, and so do the Undo
    pressed on its reply and the form the command opened."""
    d = deployment
    token = await _cafe_with_two_stores(d)
    previous = with_an_image(ecwid, images)
    shoe = images.link("shoe.png")
    answer = await d.sender.command(f"123 {shoe} store={STORE_ID}", team_id=CAFE, user_id="U0ANNA")
    assert (answer.status_code, answer.text) == (200, "")
    reply = await reply_of(slack)
    assert reply.token == bot_token(CAFE)
    assert [u.authorization for u in ecwid.uploads] == [f"Bearer {token}"]
    # Each message names the store it is about (its text, and its blocks once).
    label = f"_Ecwid store {STORE_ID}_"
    assert reply.params["text"].endswith("\n" + label)
    offered = [c for c in slack.calls_to("chat.update") if c.params["ts"] == reply.answer["ts"]]  # type: ignore[index]
    for message in (reply, offered[-1]):
        labels = [b for b in _blocks(message) if b.get("block_id") == "store_label"]
        assert [b["elements"][0]["text"] for b in labels] == [label]

    # Its Undo acts on the store the reply was made for, not on the default.
    undo = undo_press(reply, slack.response_url("undo"), user="U0ANNA")
    assert (await d.sender.interaction(_in_workspace(undo, CAFE, "U0ANNA"))).status_code == 200
    undone = await posted(slack, "put back")
    assert undone[0].token == bot_token(CAFE)
    assert undone[0].params["text"].endswith(label)
    assert ecwid.byte_uploads[-1].path == "/products/123/image"
    assert ecwid.byte_uploads[-1].body == previous

    # The form opened by `store=ID` alone: its submission uploads to that store.
    opened_before = len(slack.calls_to("views.open"))
    answer = await d.sender.command(f"store={STORE_ID}", team_id=CAFE, user_id="U0ANNA")
    assert answer.status_code == 200
    opened = (await slack.wait_for_call("views.open", opened_before + 1))[opened_before]
    assert _opened(opened)["callback_id"] == "ecwid_image_upload"
    (field,) = [b for b in _opened(opened)["blocks"] if b.get("block_id") == "store"]
    assert field["element"]["initial_option"]["value"] == str(STORE_ID)
    boot = images.link("anim.gif")
    submission = view_submission("ecwid_image_upload", filled(boot), METADATA)
    submission["view"]["id"] = opened.answer["view"]["id"]  # type: ignore[index]
    answer = await d.sender.interaction(_in_workspace(submission, CAFE, "U0ANNA"))
    assert (answer.status_code, answer.text) == (200, "")
    await d.runtime.workers.join()
    assert [(u.path, u.body["url"]) for u in ecwid.uploads[1:]] == [
        ("/products/123/image/async", boot)
    ]
    assert {u.authorization for u in ecwid.uploads} == {f"Bearer {token}"}


async def test_the_bulk_form_asks_which_store_when_the_workspace_has_several(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """With two stores linked, the bulk form has a store field (the default chosen first); the
    store chosen there is the one the plan and every line are for. A store that is not
    linked is refused under the field."""
    d = deployment
    token = await _cafe_with_two_stores(d)
    opened_before = len(slack.calls_to("views.open"))
    answer = await d.sender.command("bulk", team_id=CAFE, user_id="U0ANNA")
    assert answer.status_code == 200
    opened = (await slack.wait_for_call("views.open", opened_before + 1))[opened_before]
    (field,) = [b for b in _opened(opened)["blocks"] if b.get("block_id") == "store"]
    options = [o["value"] for o in field["element"]["options"]]
    assert (options, field["element"]["initial_option"]["value"]) == (
        [str(BAKERY_STORE), str(STORE_ID)],
        str(BAKERY_STORE),
    )

    ids = stock(ecwid, 2)
    form = bulk_form_submission("\n".join(lines_for(images, ids)))
    form["view"]["id"] = opened.answer["view"]["id"]  # type: ignore[index]

    def choose(store: int) -> dict[str, Any]:
        chosen = {"type": "static_select", "selected_option": {"value": str(store)}}
        form["view"]["state"]["values"]["store"] = {"store": chosen}
        return _in_workspace(form, CAFE, "U0ANNA")

    refused = await d.sender.interaction(choose(MARKET_STORE))
    assert refused.json() == {
        "response_action": "errors",
        "errors": {"store": texts.store_not_linked(MARKET_STORE)},
    }
    assert (await d.sender.interaction(choose(STORE_ID))).status_code == 200
    ts, job_id, plan = await the_plan(slack)
    assert plan.params["text"].endswith(f"_Ecwid store {STORE_ID}_")
    start = press("bulk_start", job_id, ts, user="U0ANNA")
    assert (await d.sender.interaction(_in_workspace(start, CAFE, "U0ANNA"))).status_code == 200
    await the_report(slack)
    assert sorted(uploaded_products(ecwid)) == ids
    assert {u.authorization for u in ecwid.uploads} == {f"Bearer {token}"}
    listed = await d.onboarding.jobs.jobs_of(Tenant(CAFE, STORE_ID), "U0ANNA", 5)
    assert [job.id for job, _ in listed] == [job_id]


async def test_an_event_needing_no_store_reads_no_links_but_its_own(
    deployment: Deployment, slack: FakeSlack
) -> None:
    """Many-stores mode's middleware does not look the workspace's store up for an event that
    needs none (the Home tab opened): the links are read once, by the Home itself."""
    d = deployment
    slack.admins.add("U0ANNA")
    await d.install(CAFE)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = d.onboarding.jobs.engine.sync_engine
    sqlalchemy.event.listen(engine, "before_cursor_execute", seen)
    try:
        home = await d.home(CAFE, "U0ANNA")
    finally:
        sqlalchemy.event.remove(engine, "before_cursor_execute", seen)
    assert f"Store *{STORE_ID}* (default)" in shown_text(home)
    assert len([s for s in statements if "FROM store_links" in s]) == 1
    # No store's sealed token read (the uninstall rechecks in the background read others).
    assert [s for s in statements if s.startswith("SELECT ecwid_stores.token ")] == []


async def test_a_drop_kept_unchecked_whose_store_is_then_unlinked_is_told_by_its_workspace(
    deployment: Deployment, slack: FakeSlack
) -> None:
    """Work no request started: a drop kept because its person's user group could not be
    read, whose store is unlinked before the check comes back. The note that it will not be
    planned is sent with its workspace's token (its other store's context), not lost."""
    d = deployment
    slack.admins.add("U0ANNA")
    await d.install(CAFE)
    await d.connect(CAFE, "U0ANNA", BAKERY_STORE)  # the default: drops are for it
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    slack.usergroups = {"S0BUYERS": []}
    lists = _settings_form(groups="S0BUYERS", watch=["C0DROPS"])
    assert await _submit(d, CAFE, "U0ANNA", "workspace_settings", lists) == {}
    slack.errors["usergroups.users.list"] = "ratelimited"  # Slack cannot say, for now
    file = slack.add_file("F0HOLD", "BULK-1.jpg", photo("BULK-1"), "image/jpeg", team=CAFE)
    drop = {
        "type": "message",
        "subtype": "file_share",
        "user": "U0DAN",
        "channel": "C0DROPS",
        "channel_type": "channel",
        "ts": "1700000500.000001",
        "event_ts": "1700000500.000001",
        "text": "",
        "files": [file],
    }
    await d.event(CAFE, drop)

    def notes(words: str) -> list[SlackCall]:
        return [c for c in slack.calls_to("chat.postEphemeral") if words in c.params["text"]]

    (kept,) = await slack.wait_until(lambda: notes("are kept: I will check again"))
    assert kept.token == bot_token(CAFE)
    sealed = await d.onboarding.links.sealed_token(BAKERY_STORE)
    assert sealed is not None and await d.onboarding.links.forget_store(BAKERY_STORE, sealed)
    (told,) = await slack.wait_until(lambda: notes("is no longer the bot's here"))
    assert "_Ecwid store" not in told.params["text"]  # it speaks for no store linked now
    assert (told.token, told.params["user"], told.params["channel"]) == (
        bot_token(CAFE),
        "U0DAN",
        "C0DROPS",
    )


async def test_a_press_whose_store_is_unknown_or_unlinked_changes_nothing_and_says_why(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """With two stores linked, a button on a message whose store the bot has no record of (a
    message from before this version) is never guessed onto the default store; a button on a
    message of a store unlinked since is refused too; and a form's refusal is shown under a
    field the form has."""
    d = deployment
    slack.admins.add("U0ANNA")
    await d.install(CAFE)
    await d.connect(CAFE, "U0ANNA", STORE_ID)
    await d.connect(CAFE, "U0ANNA", MARKET_STORE)
    with_an_image(ecwid, images)
    answer = await d.sender.command(
        f"123 {images.link('shoe.png')}", team_id=CAFE, user_id="U0ANNA"
    )
    assert answer.status_code == 200
    reply = await reply_of(slack)
    calls = len(ecwid.calls)

    async def press_undo(ts: str) -> str:
        undo = undo_press(reply, slack.response_url(ts), user="U0ANNA")
        undo["container"]["message_ts"] = undo["message"]["ts"] = ts
        answered = len(slack.responses)
        assert (await d.sender.interaction(_in_workspace(undo, CAFE, "U0ANNA"))).status_code == 200
        said = await slack.wait_until(lambda: slack.responses[answered:])
        return str(said[0]["text"])

    said = await press_undo("1600000000.000001")  # a message the bot has no record of
    assert said == texts.SURFACE_STORE_UNKNOWN
    # A form of no known store, refused under the one field it has.
    form = view_submission("ecwid_image_upload", filled(images.link("shoe.png")), METADATA)
    form["view"]["blocks"] = [{"type": "input", "block_id": "image_url"}]
    refused = await d.sender.interaction(_in_workspace(form, CAFE, "U0ANNA"))
    assert refused.json() == {
        "response_action": "errors",
        "errors": {"image_url": texts.SURFACE_STORE_UNKNOWN},
    }
    sealed = await d.onboarding.links.sealed_token(STORE_ID)
    assert sealed is not None and await d.onboarding.links.forget_store(STORE_ID, sealed)
    said = await press_undo(reply.answer["ts"])  # type: ignore[index]
    assert said == texts.surface_store_gone(STORE_ID)
    assert len(ecwid.calls) == calls  # nothing was asked of any store


async def test_the_upload_forms_store_field_makes_it_the_chosen_stores_form(
    deployment: Deployment, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The upload form opened without `store=` is the default store's; choosing another store
    in its field makes it anew for that store: its product search and its submission are
    then that store's."""
    d = deployment
    token = await _cafe_with_two_stores(d)
    opened_before = len(slack.calls_to("views.open"))
    assert (await d.sender.command("", team_id=CAFE, user_id="U0ANNA")).status_code == 200
    opened = (await slack.wait_for_call("views.open", opened_before + 1))[opened_before]
    view_id = opened.answer["view"]["id"]  # type: ignore[index]
    (field,) = [b for b in _opened(opened)["blocks"] if b.get("block_id") == "store"]
    assert [o["value"] for o in field["element"]["options"]] == [str(BAKERY_STORE), str(STORE_ID)]
    assert field["element"]["initial_option"]["value"] == str(BAKERY_STORE)

    chosen = {"type": "static_select", "selected_option": {"value": str(STORE_ID)}}
    press_store = _in_workspace(
        modal_action(
            _opened(opened),
            {**chosen, "action_id": "store", "block_id": "store"},
            "1.h",
            view_id=view_id,
            values={"store": chosen},
        ),
        CAFE,
        "U0ANNA",
    )
    updates = len(slack.calls_to("views.update"))
    assert (await d.sender.interaction(press_store)).status_code == 200
    anew = (await slack.wait_for_call("views.update", updates + 1))[updates]
    assert anew.params["view_id"] == view_id
    (field,) = [b for b in _opened(anew)["blocks"] if b.get("block_id") == "store"]
    assert field["element"]["initial_option"]["value"] == str(STORE_ID)

    # The type-ahead sends no state: the form is the chosen store's now.
    asked = len(ecwid.calls)
    search = _in_workspace(block_suggestion("product", "Red"), CAFE, "U0ANNA")
    search["view"]["id"] = view_id
    found = (await d.sender.interaction(search)).json()["options"]
    assert [o["value"] for o in found][:1] == ["123"]
    assert {c.authorization for c in ecwid.calls[asked:]} == {f"Bearer {token}"}

    boot = images.link("anim.gif")
    submission = view_submission("ecwid_image_upload", filled(boot), METADATA)
    submission["view"]["id"] = view_id
    submission["view"]["state"]["values"]["store"] = {"store": chosen}
    answer = await d.sender.interaction(_in_workspace(submission, CAFE, "U0ANNA"))
    assert (answer.status_code, answer.text) == (200, "")
    await d.runtime.workers.join()
    assert [(u.path, u.body["url"], u.authorization) for u in ecwid.uploads] == [
        ("/products/123/image/async", boot, f"Bearer {token}")
    ]


async def test_a_weekly_audit_runs_for_its_workspace_and_store_with_its_own_token(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, database_url: str
) -> None:
    """Work no request started: the café's weekly audit, due on Monday at 09:00 in its
    person's time zone, runs on the café's store and is posted with the café's bot token,
    naming its store."""
    clock = WallClock(SUNDAY_NOON)
    async with deployed(slack, ecwid, tls, database_url, wall_clock=clock, weekly_tick=QUIET) as d:
        slack.admins.add("U0ANNA")
        slack.time_zones["U0ANNA"] = "Europe/Amsterdam"
        for team in (CAFE, AGENCY):
            await d.install(team)
        await d.connect(CAFE, "U0ANNA", STORE_ID)
        answer = await d.sender.command("audit every monday", team_id=CAFE, user_id="U0ANNA")
        assert answer.status_code == 200
        await slack.wait_until(
            lambda: [r for r in slack.responses if "Every Monday" in r.get("text", "")]
        )
        zones = slack.calls_to("users.info")
        assert zones and {c.token for c in zones} == {bot_token(CAFE)}
        assert await d.runtime.weekly.run_due() == 0  # Sunday
        clock.now = FIRST_RUN
        assert await d.runtime.weekly.run_due() == 1
        await d.runtime.weekly.idle()
        card = (await slack.wait_until(lambda: weekly_cards(slack)))[0]
        assert card.token == bot_token(CAFE)
        assert card.params["text"].endswith(f"_Ecwid store {STORE_ID}_")
        assert {c.authorization for c in ecwid.calls} == {
            f"Bearer {c.token}" for c in d.oauth.consents.values() if c.store_id == STORE_ID
        }
