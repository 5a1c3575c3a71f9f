"""Who may change the catalog, and from where: the store owner's allow-lists (ids, never names)."""

from __future__ import annotations

import asyncio
import logging
import time

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import Settings
from bot.notify import slack_error

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 300.0


class AccessPolicy:
    def __init__(self, settings: Settings, slack: AsyncWebClient) -> None:
        self._users = settings.allowed_users
        self._groups = settings.allowed_usergroups
        self._channels = settings.allowed_channels
        self._slack = slack
        self._members: dict[str, tuple[float, frozenset[str]]] = {}
        self._lock = asyncio.Lock()

    @property
    def channels(self) -> frozenset[str]:
        return self._channels

    def channel_allowed(self, channel_id: str | None) -> bool:
        """No channel (a global shortcut, the type-ahead) is checked later, where one is chosen."""
        return not self._channels or channel_id is None or channel_id in self._channels

    async def user_allowed(self, user_id: str) -> bool:
        if not self._users and not self._groups:
            return True
        if user_id in self._users:
            return True
        for group in sorted(self._groups):
            if user_id in await self._group_members(group):
                return True
        return False

    async def _group_members(self, group: str) -> frozenset[str]:
        async with self._lock:  # one usergroups.users.list per group per period, even in a burst
            cached = self._members.get(group)
            if cached and time.monotonic() - cached[0] < GROUP_CACHE_SECONDS:
                return cached[1]
            try:
                response = await self._slack.usergroups_users_list(usergroup=group)
                members = frozenset(response.get("users") or ())
            except SlackApiError as exc:  # fail closed, but loudly
                log.error("cannot read user group %s: %s", group, slack_error(exc))
                return cached[1] if cached else frozenset()
            self._members[group] = (time.monotonic(), members)
            return members
