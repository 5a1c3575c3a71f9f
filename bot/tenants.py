"""Many-stores mode's store contexts (#38): a workspace reaches only the stores linked to it, each
through the token its store was connected with and the workspace's own bot token.

Nothing is trusted from before: each look-up reads the links, the store's sealed token and the
workspace's installation (three small reads), so that an unlinked store, a reconnected one or
an uninstalled workspace is seen at once, in every process. What is built from them is kept: one
Ecwid client a store (its call budget is the store's, whichever workspace calls), its catalog
index, and a context a tenant, each made again only when a token changed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.context import StoreContext
from bot.domain.tenant import Tenant
from bot.ecwid.client import EcwidClient
from bot.ecwid.store import StoreInfo
from bot.jobs.connections import Connections
from bot.slack.client import BoundedWebClient
from bot.tokens import SealedTokenError, TokenKeys

log = logging.getLogger(__name__)

# A store's Ecwid client, from its id and its token (the deployment's API URL and budget).
EcwidFor = Callable[[int, str], EcwidClient]
# A tenant's context, from its store's client and catalog and the workspace's Slack client.
ContextFor = Callable[[Tenant, EcwidClient, StoreInfo, AsyncWebClient], StoreContext]


@dataclass(frozen=True)
class _Store:
    sealed: str  # the token it was built with, as stored
    ecwid: EcwidClient
    catalog: StoreInfo


@dataclass(frozen=True)
class _Built:
    sealed: str
    bot_token: str
    context: StoreContext


class LinkedStores:
    """`Stores` for many-stores mode: a workspace's linked stores, its default first."""

    def __init__(
        self,
        links: Connections,
        keys: TokenKeys,
        installations: AsyncInstallationStore,
        slack: BoundedWebClient,
        ecwid_for: EcwidFor,
        context_for: ContextFor,
    ) -> None:
        self._links = links
        self._keys = keys
        self._installations = installations
        self._slack = slack  # the shared session and bound; each workspace's token per context
        self._ecwid_for = ecwid_for
        self._context_for = context_for
        self._stores: dict[int, _Store] = {}
        self._built: dict[Tenant, _Built] = {}

    async def for_team(
        self, team_id: str | None, store_id: int | None = None
    ) -> StoreContext | None:
        """The workspace's store `store_id` (`store=ID`), else its default store; None when the
        workspace has no such store linked (or none at all)."""
        if not team_id:
            return None
        linked = await self._links.links(team_id)
        if store_id is None:
            store_id = linked[0].store_id if linked else None  # the default comes first
        if store_id is None or all(link.store_id != store_id for link in linked):
            return None
        return await self._context(Tenant(team_id, store_id))

    async def linked(self, team_id: str | None) -> list[int]:
        return [link.store_id for link in await self._links.links(team_id)] if team_id else []

    async def for_tenant(self, tenant: Tenant) -> StoreContext | None:
        """The tenant's context for work outside a request (a job, a drop, a weekly audit);
        None once its store is no longer linked to its workspace, or either is gone."""
        linked = await self._links.links(tenant.team_id)
        if all(link.store_id != tenant.store_id for link in linked):
            return None
        return await self._context(tenant)

    async def _context(self, tenant: Tenant) -> StoreContext | None:
        sealed = await self._links.sealed_token(tenant.store_id)
        bot = await self._installations.async_find_bot(enterprise_id=None, team_id=tenant.team_id)
        if sealed is None or bot is None or not bot.bot_token:
            return None  # the store or the workspace left meanwhile
        built = self._built.get(tenant)
        if built is not None and (built.sealed, built.bot_token) == (sealed, bot.bot_token):
            return built.context
        store = self._store(tenant.store_id, sealed)
        if store is None:
            return None
        slack = self._slack.for_request(token=bot.bot_token, team_id=tenant.team_id)
        context = self._context_for(tenant, store.ecwid, store.catalog, slack)
        self._built[tenant] = _Built(sealed, bot.bot_token, context)
        return context

    def _store(self, store_id: int, sealed: str) -> _Store | None:
        """The store's client, made again when its token changed (connected again)."""
        store = self._stores.get(store_id)
        if store is not None and store.sealed == sealed:
            return store
        try:
            token = self._keys.open("store", str(store_id), sealed)
        except SealedTokenError as exc:  # its words name no token
            log.error("store %s not served: %s", store_id, exc)
            return None
        ecwid = self._ecwid_for(store_id, token)
        store = _Store(sealed, ecwid, StoreInfo(ecwid))
        self._stores[store_id] = store
        return store
