"""A store's context: everything a change to one store needs from outside, looked up per request
or per job, never captured by a flow at start-up.

With one store (today's set-up: `ECWID_STORE_ID`, `ECWID_TOKEN`) there is one context, built
from the settings; a deployment of many stores adds a registry of contexts behind `Stores`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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


# The store context the current work is for: set where work begins (a request's middleware, a
# job's run, a drop's plan, a weekly audit), and inherited by the tasks it starts. In
# many-stores mode the process's one Slack client has no token of its own, and takes the
# workspace's from here (bot.slack.client); one-store mode's client has its own.
_working_for: ContextVar[StoreContext | None] = ContextVar("working_for", default=None)


@contextmanager
def working_for(store: StoreContext) -> Iterator[None]:
    mark = _working_for.set(store)
    try:
        yield
    finally:
        _working_for.reset(mark)


def work_for(store: StoreContext) -> None:
    """The rest of the current task (a request's, in its own task: Bolt runs its middleware one
    after the other, not around the listener) is for `store`."""
    _working_for.set(store)


def working_store() -> StoreContext | None:
    """The store the current work is for (None outside any store's work)."""
    return _working_for.get()


# Whether the messages the current work posts name its store (many-stores mode): not a note
# that speaks for the workspace with another store's token (bot.flows.drops).
_named: ContextVar[bool] = ContextVar("named", default=True)


@contextmanager
def unnamed() -> Iterator[None]:
    mark = _named.set(False)
    try:
        yield
    finally:
        _named.reset(mark)


def named_store() -> StoreContext | None:
    """The store the current work's messages name, if they name one."""
    return _working_for.get() if _named.get() else None


def workspace_token() -> str | None:
    """The current work's workspace's bot token (None outside any store's work)."""
    store = _working_for.get()
    return store.slack.token if store is not None else None


class Stores(Protocol):
    """Where a request or a job finds its store's context (many-stores mode reads its links and
    tokens from the database: bot.tenants)."""

    async def for_team(
        self, team_id: str | None, store_id: int | None = None
    ) -> StoreContext | None:
        """The workspace's store `store_id` (a command's `store=ID`), else its default store;
        None when the workspace has no such store."""
        ...

    async def for_tenant(self, tenant: Tenant) -> StoreContext | None:
        """The tenant's context (a job's, a drop's, a weekly audit's: work outside a request);
        None when its store is not served here, or no longer linked to its workspace."""
        ...

    async def linked(self, team_id: str | None) -> list[int]:
        """The workspace's stores, its default first (a form offers them)."""
        ...


class OneStore:
    """A deployment of one store: every request and job is that store's."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context

    async def for_team(
        self, team_id: str | None, store_id: int | None = None
    ) -> StoreContext | None:
        del team_id  # one workspace, one store
        return self._context if store_id in (None, self._context.store_id) else None

    async def for_tenant(self, tenant: Tenant) -> StoreContext | None:
        return self._context if tenant == self._context.tenant else None

    async def linked(self, team_id: str | None) -> list[int]:
        return [self._context.store_id]
