"""The catalog's image history, shown: a product's changes (`/ecwid-image history PRODUCT`, the
App Home's Product history), a person's App Home (their changes and jobs), and the retention of
the kept copies (pruned at start, daily, and after each bulk job)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.changes.context import StoreContext
from bot.domain import texts
from bot.domain.errors import UserFacingError
from bot.domain.requests import CategoryId, ProductId, ProductRef, Requester
from bot.domain.schedule import WeeklyAudit
from bot.ecwid.errors import EcwidError, ProductNotFound
from bot.jobs.history import Change, History, Pruned, Pruner
from bot.jobs.schedules import Schedules
from bot.jobs.store import Counts, Job, JobStore

log = logging.getLogger(__name__)

PRODUCT_CHANGES = 20  # shown by the history command (Slack: 50 blocks in a message)
HOME_CHANGES = 10
HOME_JOBS = 5
PRUNE_SECONDS = 24 * 3600.0
HOME_REFRESH_SECONDS = 1.0  # views.publish is tier 4: about 100 a minute
STORE_AWAY = UserFacingError(texts.HISTORY_STORE_AWAY)


@dataclass(frozen=True)
class Retention:
    days: int
    max_mb: float

    @property
    def max_bytes(self) -> int:
        return int(self.max_mb * 1024 * 1024)


class HistoryReport(Protocol):
    async def product_history(
        self,
        who: Requester,
        product_id: int,
        name: str | None,
        changes: Sequence[Change],
        view_id: str | None = None,
        *,
        category: bool = False,
    ) -> None:
        """Privately, or in the Product history form (`view_id`); `category`: the changes are
        a category's (`product_id` is its id)."""
        ...

    async def home(
        self,
        user_id: str,
        changes: Sequence[Change],
        jobs: Sequence[tuple[Job, Counts]],
        error: UserFacingError | None = None,
        *,
        weekly: Sequence[WeeklyAudit] = (),
    ) -> None:
        """The person's Home tab (`error`: why their history could not be read; `weekly`: the
        weekly audits)."""
        ...

    async def failed(
        self, who: Requester, error: UserFacingError, view_id: str | None = None
    ) -> None: ...


class HistoryFlow:
    def __init__(
        self,
        *,
        history: History | None,
        pruner: Pruner,
        jobs: JobStore,
        report: HistoryReport,
        retention: Retention,
        schedules: Schedules | None = None,
    ) -> None:
        """`history`: single-store mode's one tenant's, for its Home tab (many-stores mode's
        Home is the workspace's stores: None); `schedules`: the weekly audits, listed in the
        Home tab."""
        self._schedules = schedules
        self._history = history
        self._everyones_history = pruner
        self._jobs = jobs
        self._report = report
        self.retention = retention
        self._pruning = asyncio.Lock()
        self._pruner: asyncio.Task[None] | None = None
        self._home_users: set[str] = set()  # who opened their Home tab while this process ran
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def product(
        self, store: StoreContext, who: Requester, ref: ProductRef, view_id: str | None = None
    ) -> None:
        """A product's changes (or a category's, for `category:ID`), newest first, privately
        (or in the form `view_id`); never raises."""
        category = isinstance(ref, CategoryId)
        try:
            name = None
            try:
                product = await store.catalog.product(ref)
                product_id, name = product.id, product.name
            except ProductNotFound:
                if not isinstance(ref, ProductId | CategoryId):
                    raise
                product_id = ref.id  # deleted from the store: its history is still worth seeing
            try:
                changes = await store.history.of_product(
                    product_id, PRODUCT_CHANGES, category=category
                )
            except Exception as exc:
                log.warning("history unreadable: %s", type(exc).__name__)
                raise STORE_AWAY from exc
            await self._report.product_history(
                who, product_id, name, changes, view_id, category=category
            )
        except (UserFacingError, EcwidError) as error:
            await self._report.failed(who, error, view_id)
        except Exception:
            log.exception("history failed unexpectedly")
            unexpected = UserFacingError(texts.UNEXPECTED)
            await self._report.failed(who, unexpected, view_id)

    def changed(self, user_id: str) -> None:
        """The person changed something: their Home tab (if they opened it) is refreshed, once
        for a burst of changes."""
        if user_id in self._home_users and user_id not in self._refreshing:
            self._refreshing[user_id] = asyncio.create_task(self._refresh(user_id))

    async def _refresh(self, user_id: str) -> None:
        await asyncio.sleep(HOME_REFRESH_SECONDS)  # a burst of changes: one refresh
        del self._refreshing[user_id]
        await self.home(user_id)

    async def home(self, user_id: str) -> None:
        """The person's Home tab, as it is now; never raises."""
        if self._history is None:
            return  # many-stores mode: its Home is bot.slack.listeners.connect's
        self._home_users.add(user_id)
        try:
            # Single-store mode's Home: its one tenant's (many-stores mode has its own Home).
            tenant = self._history.tenant
            changes = await self._history.of_user(user_id, HOME_CHANGES)
            jobs = await self._jobs.jobs_of(tenant, user_id, HOME_JOBS)
            weekly = await self._schedules.listed(tenant) if self._schedules else []
        except Exception as exc:
            log.warning("home unreadable: %s", type(exc).__name__)
            await self._report.home(user_id, [], [], STORE_AWAY)
            return
        await self._report.home(user_id, changes, jobs, weekly=weekly)

    async def prune(self) -> Pruned:
        """Kept copies past HISTORY_DAYS, then the oldest past HISTORY_MAX_MB, dropped; and
        the changes, ended jobs (with their lines) past HISTORY_DAYS and the drop zone's old
        marks (bot.jobs.history)."""
        async with self._pruning:
            pruned = await self._everyones_history.prune(
                self.retention.days * 86400.0, self.retention.max_bytes
            )
        if pruned.copies or pruned.changes or pruned.jobs or pruned.seen:
            log.info(
                "history pruned copies=%d bytes=%d changes=%d jobs=%d lines=%d seen=%d",
                pruned.copies,
                pruned.bytes,
                pruned.changes,
                pruned.jobs,
                pruned.lines,
                pruned.seen,
            )
        return pruned

    async def prune_quietly(self) -> None:
        try:
            await self.prune()
        except Exception as exc:  # tried again later
            log.warning("history not pruned: %s", type(exc).__name__)

    def keep_pruning(self) -> None:
        """Prune now and daily."""

        async def daily() -> None:
            while True:
                await self.prune_quietly()
                await asyncio.sleep(PRUNE_SECONDS)

        self._pruner = asyncio.create_task(daily(), name="history-pruner")

    async def close(self) -> None:
        tasks = [*self._refreshing.values(), *([self._pruner] if self._pruner else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
