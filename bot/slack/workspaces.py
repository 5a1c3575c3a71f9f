"""Each workspace's settings as the bot applies them (#38): who may use it and where (its
access policy), the drop zone's channels, and each store's naming rules. Single-store mode's
come from the environment (`OneWorkspace`); many-stores mode's are read from the database on
each use (`StoredWorkspaces`), so that a change in the App Home holds at once in every process.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Protocol

from bot.config import Settings
from bot.domain.bulk import NamingRules
from bot.domain.settings import AccessLists, Naming, WorkspaceSettings
from bot.domain.tenant import Tenant
from bot.flows.drops import Admission
from bot.jobs.settings import SettingsStore
from bot.slack.access import AccessPolicy
from bot.slack.client import BoundedWebClient


class Workspaces(Protocol):
    async def settings(self, team_id: str) -> WorkspaceSettings: ...

    async def policy(self, team_id: str) -> AccessPolicy: ...

    async def naming(self, tenant: Tenant) -> NamingRules: ...

    async def drop_admission(self, team_id: str, user_id: str, channel_id: str) -> Admission: ...


async def drop_admission(
    workspaces: Workspaces, team_id: str, user_id: str, channel_id: str
) -> Admission:
    """A drop's (or a weekly audit's) admission under its workspace's allow-lists."""
    return await (await workspaces.policy(team_id)).drop_admission(user_id, channel_id)


class OneWorkspace:
    """Single-store mode: the environment's allow-lists, WATCH_CHANNELS and FILENAME_*."""

    def __init__(self, settings: Settings, policy: AccessPolicy) -> None:
        self._settings = WorkspaceSettings(
            access=policy.lists, watch_channels=settings.watch_channels
        )
        self._policy = policy
        self._naming = settings.naming

    async def settings(self, team_id: str) -> WorkspaceSettings:
        return self._settings

    async def policy(self, team_id: str) -> AccessPolicy:
        return self._policy

    async def naming(self, tenant: Tenant) -> NamingRules:
        return self._naming

    async def drop_admission(self, team_id: str, user_id: str, channel_id: str) -> Admission:
        return await drop_admission(self, team_id, user_id, channel_id)


@functools.lru_cache(maxsize=256)
def _compiled(naming: Naming) -> NamingRules:
    return naming.rules()


class StoredWorkspaces:
    """Many-stores mode: each workspace's settings as saved in its App Home. A store's naming
    rules are its own, else the workspace's default, else the deployment's (FILENAME_*)."""

    def __init__(
        self,
        store: SettingsStore,
        slack: BoundedWebClient,
        default_naming: NamingRules,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._slack = slack  # each workspace's token from the work under way (bot.changes)
        self._default_naming = default_naming
        self._clock = clock
        # One policy a workspace, kept while its lists stay the same: its user groups' cache.
        self._policies: dict[str, AccessPolicy] = {}

    async def settings(self, team_id: str) -> WorkspaceSettings:
        return await self._store.workspace(team_id)

    async def policy(self, team_id: str) -> AccessPolicy:
        lists = (await self._store.workspace(team_id)).access
        return self._policy(team_id, lists)

    def _policy(self, team_id: str, lists: AccessLists) -> AccessPolicy:
        policy = self._policies.get(team_id)
        if policy is None or policy.lists != lists:
            policy = AccessPolicy(lists, self._slack, self._clock)
            self._policies[team_id] = policy
        return policy

    async def naming(self, tenant: Tenant) -> NamingRules:
        own = await self._store.store_naming(tenant)
        if own is None:
            own = (await self._store.workspace(tenant.team_id)).naming
        return _compiled(own) if own is not None else self._default_naming

    async def drop_admission(self, team_id: str, user_id: str, channel_id: str) -> Admission:
        return await drop_admission(self, team_id, user_id, channel_id)
