"""Who may change the catalog, and from where: the store owner's allow-lists (ids, never names).

User-group membership is read from Slack before the ack, so it has a tight time budget. Each
group has at most one lookup in flight, shared by every request waiting on it; what it finds is
kept for GROUP_CACHE_SECONDS. When a lookup fails, the failure is remembered briefly (no storm of
lookups against a rate-limited Slack), and a membership read earlier is trusted for at most
MAX_STALE_SECONDS: a removed member loses access within that bound whatever Slack does.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import Callable

from bot.domain.settings import AccessLists
from bot.flows.drops import Admission
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error

log = logging.getLogger(__name__)

GROUP_CACHE_SECONDS = 300.0
LOOKUP_BUDGET_SECONDS = 1.5  # of Slack's 3 s for the ack
FAILURE_CACHE_SECONDS = 30.0
MAX_STALE_SECONDS = 600.0


class Verdict(enum.Enum):
    ALLOWED = "allowed"
    REFUSED = "refused"  # not on the lists
    UNKNOWN = "unknown"  # the groups could not be read: refused, for now


class _Group:
    def __init__(self) -> None:
        self.members: frozenset[str] | None = None
        self.read_at = 0.0  # when `members` was read
        self.failed_at = -FAILURE_CACHE_SECONDS
        self.lookup: asyncio.Task[None] | None = None


class AccessPolicy:
    def __init__(
        self,
        lists: AccessLists,
        slack: BoundedWebClient,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self.lists = lists
        self._users = lists.users
        self._groups = lists.usergroups
        self._channels = lists.channels
        self._slack = slack
        self._state = {group: _Group() for group in self._groups}

    @property
    def channels(self) -> frozenset[str]:
        return self._channels

    def channel_allowed(self, channel_id: str | None) -> bool:
        """No channel (a global shortcut, the type-ahead) is checked later, where one is chosen."""
        return not self._channels or channel_id is None or channel_id in self._channels

    async def drop_admission(self, user_id: str, channel_id: str) -> Admission:
        """For a drop (bot.flows.drops), the true reason it may not be planned: `refused` (not on
        the lists), `channel` (outside ALLOWED_CHANNELS), `unchecked` (the user groups could not
        be read just now); else `allowed`."""
        verdict = await self.user_allowed(user_id)
        if verdict is Verdict.REFUSED:
            return "refused"
        if not self.channel_allowed(channel_id):
            return "channel"  # whoever it is: this channel is refused
        return "unchecked" if verdict is Verdict.UNKNOWN else "allowed"

    async def user_allowed(self, user_id: str) -> Verdict:
        if not self._users and not self._groups:
            return Verdict.ALLOWED
        if user_id in self._users:
            return Verdict.ALLOWED
        if not self._groups:
            return Verdict.REFUSED
        deadline = self._clock() + LOOKUP_BUDGET_SECONDS
        memberships = await asyncio.gather(
            *(self._members(group, deadline) for group in sorted(self._groups))
        )
        if any(members is not None and user_id in members for members in memberships):
            return Verdict.ALLOWED
        if any(members is None for members in memberships):
            return Verdict.UNKNOWN
        return Verdict.REFUSED

    async def _members(self, group: str, deadline: float) -> frozenset[str] | None:
        """The group's members, or None when they are not known well enough to decide."""
        state = self._state[group]
        now = self._clock()
        if state.members is not None and now - state.read_at < GROUP_CACHE_SECONDS:
            return state.members
        if now - state.failed_at >= FAILURE_CACHE_SECONDS and state.lookup is None:
            state.lookup = asyncio.create_task(self._read(group, state))
        if state.lookup is not None:
            # The lookup goes on after the budget (it fills the cache for the next request).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(state.lookup), deadline - now)
        fresh_enough = self._clock() - state.read_at < MAX_STALE_SECONDS
        return state.members if state.members is not None and fresh_enough else None

    async def _read(self, group: str, state: _Group) -> None:
        try:
            response = await self._slack.usergroups_users_list(usergroup=group)
            state.members = frozenset(response.get("users") or ())
            state.read_at = self._clock()
        except SLACK_FAILURES as exc:  # fail closed, but loudly
            state.failed_at = self._clock()
            log.error("cannot read user group %s: %s", group, slack_error(exc))
        finally:
            state.lookup = None
