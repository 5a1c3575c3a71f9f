"""A store's context: everything a change to one store needs from outside, looked up per request
or per job, never captured by a flow at start-up.

With one store (today's set-up: `ECWID_STORE_ID`, `ECWID_TOKEN`) there is one context, built
from the settings; a deployment of many stores adds a registry of contexts behind `Stores`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.runner import ChangeRunner
from bot.domain.tenant import Tenant
from bot.ecwid.client import EcwidClient
from bot.ecwid.store import StoreInfo
from bot.jobs.history import History


@dataclass(frozen=True)
class StoreContext:
    tenant: Tenant  # the workspace asking, and its store: every row it writes is keyed so
    ecwid: EcwidClient  # with the store's call budget (ecwid.budget), shared by all its calls
    catalog: StoreInfo  # the catalog index (SKUs, names) and the store's languages, cached
    runner: ChangeRunner  # applies a change to this store
    history: History  # the tenant's changes and kept copies (its runner records there)
    # The workspace's Slack client, bounded (bot.slack.client), for work outside a request;
    # a request's answers use the request's own client.
    slack: AsyncWebClient

    @property
    def store_id(self) -> int:
        return self.tenant.store_id


class Stores(Protocol):
    """Where a request or a job finds its store's context."""

    def for_team(self, team_id: str | None) -> StoreContext: ...

    def for_tenant(self, tenant: Tenant) -> StoreContext | None:
        """The tenant's context (a job's, a drop's, a weekly audit's: work outside a request);
        None when its store is not served here, or no longer linked to its workspace."""
        ...


class OneStore:
    """A deployment of one store: every request and job is that store's."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    def for_team(self, team_id: str | None) -> StoreContext:
        del team_id  # one workspace, one store
        return self._context

    def for_tenant(self, tenant: Tenant) -> StoreContext | None:
        return self._context if tenant == self._context.tenant else None
