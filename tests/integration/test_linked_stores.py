"""Many-stores mode's registry of store contexts (bot.tenants, #38), on SQLite and PostgreSQL,
against loopback Ecwid: a workspace reaches its default store, or another linked one by id, and
never a store it has not linked; two workspaces sharing a store share its Ecwid client (one
call budget a store); a store connected again is called with its new token; a store unlinked,
or a workspace uninstalled, is reached no more."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.context import StoreContext
from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.ecwid.client import EcwidClient
from bot.ecwid.store import StoreInfo
from bot.jobs.connections import Connections
from bot.jobs.history import History
from bot.jobs.store import JobStore
from bot.slack.client import BoundedWebClient, slack_session
from bot.slack.installations import SealedInstallationStore
from bot.tenants import LinkedStores
from bot.tokens import TokenKeys, generate_key
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.slack_api import FakeSlack

CAFE, AGENCY, BAKERY = "T1CAFE", "T2AGENCY", "T3BAKERY"
OTHER = STORE_ID + 100  # the agency's own store: only its profile is served


@dataclass
class Registry:
    stores: LinkedStores
    links: Connections
    keys: TokenKeys
    installations: SealedInstallationStore
    jobs: JobStore

    async def connect(self, store_id: int, token: str, team: str) -> None:
        sealed = self.keys.seal("store", str(store_id), token)
        await self.links.keep_store(store_id, sealed, time.time())
        await self.links.link(team, store_id, "U1", time.time())

    async def install(self, team: str) -> None:
        await self.installations.async_save_bot(
            Bot(
                app_id="A1",
                team_id=team,
                bot_token=f"xoxb-{team}-1",
                bot_id=f"B{team}",
                bot_user_id=f"U{team}",
                installed_at=time.time(),
            )
        )


@pytest.fixture
async def registry(
    ecwid: FakeEcwid, slack: FakeSlack, database_url: str
) -> AsyncIterator[Registry]:
    jobs = await JobStore.open(sqlalchemy_url(database_url) or "")
    keys = TokenKeys.parse(generate_key())
    installations = SealedInstallationStore(
        AsyncSQLAlchemyInstallationStore(client_id="A1", engine=jobs.engine), keys
    )
    session = slack_session(limit=10)

    def ecwid_for(store_id: int, token: str) -> EcwidClient:
        return EcwidClient(
            session, api_url=ecwid.api_url, store_id=store_id, token=token, timeout=5.0
        )

    def context_for(
        tenant: Tenant, client: EcwidClient, catalog: StoreInfo, workspace: AsyncWebClient
    ) -> StoreContext:
        # The runner is the runtime's to compose; the registry only chooses and keeps.
        runner: Any = None
        return StoreContext(tenant, client, catalog, runner, History(jobs, tenant), workspace)

    slack_client = BoundedWebClient(token=None, base_url=slack.api_url, session=session)
    stores = LinkedStores(
        Connections(jobs), keys, installations, slack_client, ecwid_for, context_for
    )
    try:
        yield Registry(stores, Connections(jobs), keys, installations, jobs)
    finally:
        await session.close()
        await jobs.close()


async def test_a_workspace_reaches_only_its_linked_stores(
    registry: Registry, ecwid: FakeEcwid
) -> None:
    r = registry
    ecwid.other_stores.add(OTHER)
    ecwid.tokens["agency-token"] = OTHER
    for team in (CAFE, AGENCY, BAKERY):
        await r.install(team)
    await r.connect(STORE_ID, TOKEN, CAFE)
    await r.links.link(AGENCY, STORE_ID, "U1", time.time())  # the agency links the café's too
    await r.connect(OTHER, "agency-token", AGENCY)

    cafe = await r.stores.for_team(CAFE)
    assert cafe is not None and cafe.tenant == Tenant(CAFE, STORE_ID)
    assert cafe.slack.token == f"xoxb-{CAFE}-1"
    assert await r.stores.for_team(CAFE, OTHER) is None  # not the café's
    assert await r.stores.for_team(BAKERY) is None  # nothing linked yet
    assert await r.stores.for_tenant(Tenant(BAKERY, STORE_ID)) is None
    agency_default = await r.stores.for_team(AGENCY)  # its first linked: the café's store
    agency_own = await r.stores.for_team(AGENCY, OTHER)
    assert agency_default is not None and agency_own is not None
    assert agency_default.tenant == Tenant(AGENCY, STORE_ID)
    assert agency_own.tenant == Tenant(AGENCY, OTHER)
    # One store, one client (its call budget), whichever workspace calls; a context each.
    assert agency_default.ecwid is cafe.ecwid and agency_default.catalog is cafe.catalog
    assert agency_default is not cafe and agency_default.history.tenant != cafe.history.tenant
    assert await r.stores.for_team(CAFE) is cafe  # kept while nothing changed
    # Each store is called with its own token.
    await agency_own.ecwid.get_profile()
    await cafe.ecwid.get_profile()
    assert [(c.path, c.authorization) for c in ecwid.calls] == [
        (f"/api/v3/{OTHER}/profile", "Bearer agency-token"),
        ("/profile", f"Bearer {TOKEN}"),  # the stand-in's main store: its paths below its base
    ]


async def test_a_reconnected_store_gets_its_new_token_and_a_gone_one_is_reached_no_more(
    registry: Registry, ecwid: FakeEcwid
) -> None:
    r = registry
    await r.install(CAFE)
    await r.connect(STORE_ID, "old-token", CAFE)
    first = await r.stores.for_team(CAFE)
    assert first is not None
    ecwid.tokens["new-token"] = STORE_ID
    await r.connect(STORE_ID, "new-token", CAFE)  # connected again: its links stay
    again = await r.stores.for_team(CAFE)
    assert again is not None and again is not first and again.ecwid is not first.ecwid
    await again.ecwid.get_profile()
    assert [c.authorization for c in ecwid.calls] == ["Bearer new-token"]
    # The workspace uninstalls: its bot is gone, so is every context of it.
    await r.installations.async_delete_bot(enterprise_id=None, team_id=CAFE)
    assert await r.stores.for_tenant(Tenant(CAFE, STORE_ID)) is None
    await r.install(CAFE)  # back, and then the store forgotten (Ecwid's uninstall)
    assert await r.stores.for_tenant(Tenant(CAFE, STORE_ID)) is not None
    sealed = await r.links.sealed_token(STORE_ID)
    assert sealed is not None and await r.links.forget_store(STORE_ID, sealed)
    assert await r.stores.for_team(CAFE) is None
    assert await r.stores.for_tenant(Tenant(CAFE, STORE_ID)) is None
