"""Weekly audits (#37): `/ecwid-image audit every monday` (or the card's button) keeps a row
(bot.jobs.schedules); a watcher in every process looks for the rows that are due, claims each
week's run with the job store's conditional update (one process runs it, whatever the number of
processes), and runs the audit in the row's channel (the person's DM when the bot is not in it).
A process that starts after a run was due runs it once, saying that it is late, and the next
run is the next one after now: missed weeks are not caught up one by one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol

from bot.changes.context import StoreContext, Stores, working_for
from bot.domain import texts
from bot.domain.audit import Scope
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.domain.schedule import UTC, WeeklyAudit, next_run
from bot.flows.audit import Weekly
from bot.jobs.schedules import Schedules

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0  # how often each process looks for weekly audits that are due

# Whether a person (workspace, user) may use the bot in a channel now: "allowed", "refused",
# "channel" (outside its allowed channels) or "unchecked" (the user groups could not be read).
Admit = Callable[[str, str, str], Awaitable[str]]
# An audit run: the store, who it is for, its channel, its scope, the weekly run it is.
RunAudit = Callable[[StoreContext, Requester, str, Scope, Weekly], Coroutine[Any, Any, None]]


class TimeZones(Protocol):
    async def zone_of(self, user_id: str) -> str | None:
        """The person's IANA time zone (Slack's `users.info` `tz`); None when it cannot be
        read (e.g. the app lacks `users:read`)."""
        ...


class WeeklyReport(Protocol):
    async def scheduled(
        self, who: Requester, schedule: WeeklyAudit, *, replaced: bool, zone_known: bool
    ) -> None: ...

    async def stopped(self, who: Requester, count: int, scope: Scope | None) -> None: ...

    async def failed(self, who: Requester, problem: UserFacingError) -> None: ...


class WeeklyAudits:
    def __init__(
        self,
        schedules: Schedules,
        zones: TimeZones,
        report: WeeklyReport,
        stores: Stores,
        run_audit: RunAudit,
        *,
        clock: Callable[[], float],
        tick_seconds: float = TICK_SECONDS,
        on_changed: Callable[[str], None] | None = None,
        admit: Admit | None = None,
    ) -> None:
        """`clock`: wall-clock time (unix seconds), injected for tests; `tick_seconds`: how
        often due audits are looked for; `on_changed`: told who set up or stopped one;
        `admit`: the access rules, asked again before each run (a person taken off the lists
        since gets no more audits)."""
        self._admit = admit
        self._on_changed = on_changed
        self._schedules = schedules
        self._zones = zones
        self._report = report
        self._stores = stores
        self._run_audit = run_audit
        self._clock = clock
        self._tick = tick_seconds
        self._watcher: asyncio.Task[None] | None = None
        self._runs: set[asyncio.Task[None]] = set()

    async def start(
        self, store: StoreContext, who: Requester, channel_id: str, scope: Scope, weekday: int
    ) -> None:
        """The scope's audit in the channel every `weekday` at 09:00 in the person's time
        zone, from now on; never raises."""
        found = await self._zones.zone_of(who.user_id)
        zone_name = found or UTC
        now = self._clock()
        next_at = next_run(now, weekday, zone_name)
        try:
            replaced = await self._schedules.add(
                tenant=store.tenant,
                channel_id=channel_id,
                user_id=who.user_id,
                scope=scope,
                weekday=weekday,
                zone=zone_name,
                next_at=next_at,
                now=now,
            )
        except Exception as exc:
            log.warning("a weekly audit was not saved: %s", type(exc).__name__)
            await self._report.failed(who, UserFacingError(texts.WEEKLY_NOT_SAVED))
            return
        schedule = WeeklyAudit(
            "",
            store.store_id,
            channel_id,
            who.user_id,
            scope,
            weekday,
            zone_name,
            next_at,
            team_id=store.tenant.team_id,
        )
        log.info("weekly audit scope=%s channel=%s day=%d", scope.key, channel_id, weekday)
        if self._on_changed is not None:
            self._on_changed(who.user_id)
        await self._report.scheduled(who, schedule, replaced=replaced, zone_known=found is not None)

    async def stop(
        self, store: StoreContext, who: Requester, channel_id: str, scope: Scope | None
    ) -> None:
        """The channel's weekly audits (only the scope's, when given) end; never raises."""
        try:
            count = await self._schedules.stop(store.tenant, channel_id, scope)
        except Exception as exc:
            log.warning("weekly audits not stopped: %s", type(exc).__name__)
            await self._report.failed(who, UserFacingError(texts.WEEKLY_NOT_SAVED))
            return
        if count and self._on_changed is not None:
            self._on_changed(who.user_id)
        await self._report.stopped(who, count, scope)

    def watch(self) -> None:
        """Look for due audits now and every `tick_seconds`, until `close`."""

        async def ticking() -> None:
            while True:
                try:
                    await self.run_due()
                except Exception as exc:  # the store is away: the next tick tries again
                    log.warning("weekly audits not looked for: %s", type(exc).__name__)
                await asyncio.sleep(self._tick)

        self._watcher = asyncio.create_task(ticking(), name="weekly-audits")

    async def run_due(self) -> int:
        """Each due audit this process wins the claim of, started; how many."""
        now = self._clock()
        started = 0
        for schedule in await self._schedules.due(now):
            store = await self._stores.for_tenant(schedule.tenant)
            if store is None:  # another deployment's store: its own processes run it
                continue
            with working_for(store):  # its Slack calls are its workspace's
                started += await self._start(store, schedule, now)
        return started

    async def _start(self, store: StoreContext, schedule: WeeklyAudit, now: float) -> int:
        """The due audit checked, claimed and started (1), or not (0)."""
        admitted = "allowed"
        if self._admit is not None:
            admitted = await self._admit(schedule.team_id, schedule.user_id, schedule.channel_id)
        if admitted == "unchecked":  # the groups could not be read: the next tick asks
            return 0
        following = next_run(now, schedule.weekday, schedule.zone)
        if not await self._schedules.claim(schedule, following, now):
            return 0  # another process runs it
        if admitted != "allowed":
            log.warning("a weekly audit skipped: its person or channel is %s", admitted)
            return 0
        late = schedule.next_at if schedule.late(now) else None
        weekly = Weekly(schedule.weekday, schedule.zone, late)
        who = Requester(user_id=schedule.user_id, channel_id=schedule.channel_id)
        log.info("weekly audit runs scope=%s late=%s", schedule.scope.key, late is not None)
        run = asyncio.create_task(
            self._run_audit(store, who, schedule.channel_id, schedule.scope, weekly)
        )
        self._runs.add(run)
        run.add_done_callback(self._runs.discard)
        return 1

    async def idle(self) -> None:
        """The audits started so far have ended (for tests)."""
        while self._runs:
            await asyncio.gather(*list(self._runs), return_exceptions=True)

    async def close(self) -> None:
        tasks = [*self._runs, *([self._watcher] if self._watcher else [])]
        for task in tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*tasks, return_exceptions=True)
