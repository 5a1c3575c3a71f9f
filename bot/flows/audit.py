"""An audit of the catalog's images (#37): its products in pages of 100 (trimmed to what the
audit needs, never one product at a time), then its categories, counted as they come
(bot.domain.audit.Tally: counts and a row a finding, not the answers); the card, a chart of alt
text coverage and the CSV of every finding; and what changed since the last audit of the scope.

It downloads no image: sizes are Ecwid's metadata (`originalImage`, `galleryImages[]`), and a
variation's image, which has none, is counted as of unknown size.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.changes.context import StoreContext
from bot.changes.recognise import Recogniser
from bot.domain import texts
from bot.domain.audit import AuditItem, Delta, Picture, Result, Scope, Tally, since
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.domain.tenant import Tenant
from bot.ecwid.budget import bulk_lane
from bot.images.chart import alt_coverage_chart
from bot.images.identity import Identity, NoIdentity
from bot.images.similar import same_pictures
from bot.jobs.audits import Audits

log = logging.getLogger(__name__)

MAX_PRODUCTS = 50_000  # an audit reads at most this many (500 pages), and says so past it
MAX_CATEGORIES = 10_000
COMPARE_AT_ONCE = 8  # small copies read and recognised at once (decoded in the conversion pool)
COMPARE_BATCH = 500  # … and started a batch at a time
PROGRESS_SECONDS = 3.0  # between two updates of the audit's message
NOTICE_SECONDS = 2.0  # an audit cut short by a restart: how long its message is tried


@dataclass(frozen=True)
class Weekly:
    """A weekly audit's run (bot.flows.weekly): its day and zone, and when it was due when it
    runs late (the bot was not running then)."""

    weekday: int
    zone: str
    late_since: float | None = None


@dataclass(frozen=True)
class Audited:
    """An audit's outcome, as its card shows it."""

    scope: Scope
    result: Result
    changes: Sequence[Delta]  # since the last audit of the scope
    chart: bytes  # PNG
    csv: bytes
    cut_at: int | None = None  # the products read, when the catalog had more than MAX_PRODUCTS
    seconds: float = 0.0
    first: bool = False  # no audit of the scope before
    compared: bool = True  # False: the last audit could not be read (the store was away)
    categories_cut: bool = False  # the store has more than MAX_CATEGORIES categories
    weekly: Weekly | None = None  # a weekly audit's run


class AuditReport(Protocol):
    """How an audit is shown: its message (the handle), its progress, its card, or why not."""

    async def started(
        self, who: Requester, channel_id: str, scope: Scope, weekly: Weekly | None = None
    ) -> tuple[str, str] | None:
        """Its first message: the channel it is in (a weekly audit's, when the bot cannot post
        in its channel: the person's DM) and its handle; None when it could not be posted."""
        ...

    async def progress(self, channel_id: str, handle: str, read: int, total: int) -> None: ...

    async def finished(
        self, who: Requester, channel_id: str, handle: str, audited: Audited
    ) -> None: ...

    async def failed(
        self, who: Requester, channel_id: str, handle: str, problem: UserFacingError
    ) -> None: ...

    async def busy(self, who: Requester) -> None:
        """An audit of the store is running already: said to the person, privately."""
        ...


class AuditFlow:
    def __init__(
        self,
        report: AuditReport,
        audits: Audits,
        recognise: Recogniser,
        *,
        min_side: int,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        self._report = report
        self._audits = audits
        self._recognise = recognise
        self._min_side = min_side
        self._progress_seconds = progress_seconds
        # One audit a store at a time: a person's is refused while one runs; a weekly one waits.
        self._turns: dict[int, asyncio.Lock] = {}

    async def run(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        scope: Scope,
        weekly: Weekly | None = None,
    ) -> None:
        """The audit, from its first message to its card; never raises. One store's audits
        run one at a time, and their calls are paced as a bulk job's (its lane): single
        uploads go first. `weekly`: a weekly audit's run (it waits for the audit running)."""
        turn = self._turns.setdefault(store.store_id, asyncio.Lock())
        if turn.locked() and weekly is None:
            await self._report.busy(who)
            return
        async with turn:
            with bulk_lane():
                await self._run(store, who, channel_id, scope, weekly)

    async def _run(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        scope: Scope,
        weekly: Weekly | None,
    ) -> None:
        posted = await self._report.started(who, channel_id, scope, weekly)
        if posted is None:
            return
        channel_id, handle = posted
        started = time.monotonic()
        try:
            languages = await store.catalog.languages()
            ordered = (languages.default, *languages.others)
            tally = Tally(languages.default, ordered, self._min_side)
            cut_at = await self._products(store, scope, tally, channel_id, handle)
            categories_cut = False
            if scope.search is None:
                categories_cut = await self._categories(store, scope, tally)
            await self._compare(tally)
            result = tally.finish()
            if result.empty:
                raise UserFacingError(texts.audit_nothing(scope.key))
            compared, previous = await self._previous(store.tenant, scope)
            changes = since(previous, result)
            title = texts.AUDIT_CHART_TITLE
            chart = await asyncio.to_thread(alt_coverage_chart, result.coverage, title)
            csv = await asyncio.to_thread(result.csv)
            if cut_at is None:  # a cut audit is no baseline for the next
                await self._keep(store.tenant, scope, who, channel_id, result)
        except UserFacingError as problem:
            await self._report.failed(who, channel_id, handle, problem)
            return
        except asyncio.CancelledError:  # the bot is stopping: the message says so, then stop
            interrupted = UserFacingError(texts.AUDIT_INTERRUPTED)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(
                    self._report.failed(who, channel_id, handle, interrupted), NOTICE_SECONDS
                )
            raise
        except Exception:
            log.exception("the audit failed unexpectedly")
            await self._report.failed(who, channel_id, handle, UserFacingError(texts.UNEXPECTED))
            return
        seconds = time.monotonic() - started
        first = compared and previous is None
        audited = Audited(
            scope,
            result,
            changes,
            chart,
            csv,
            cut_at,
            seconds,
            first,
            compared,
            categories_cut,
            weekly,
        )
        log.info(
            "audit scope=%s products=%d images=%d findings=%d seconds=%.1f",
            scope.key,
            result.products,
            sum(result.images.values()),
            len(result.rows),
            audited.seconds,
        )
        await self._report.finished(who, channel_id, handle, audited)

    async def _products(
        self, store: StoreContext, scope: Scope, tally: Tally, channel_id: str, handle: str
    ) -> int | None:
        """Every page of the scope's products, counted; the products read when the catalog
        had more than MAX_PRODUCTS (None when it did not)."""
        offset = 0
        shown = time.monotonic()
        while True:
            items, total = await store.ecwid.audit_page(scope, offset)
            await asyncio.to_thread(tally.add, items)  # a page's counting: not on the loop
            offset += len(items)
            if not items or offset >= total:
                return None
            if offset >= MAX_PRODUCTS:
                return offset
            if time.monotonic() - shown >= self._progress_seconds:
                shown = time.monotonic()
                await self._report.progress(channel_id, handle, offset, min(total, MAX_PRODUCTS))

    async def _compare(self, tally: Tally) -> None:
        """The same picture on several products: each main and gallery image's small copy
        (160 px) read and recognised, then grouped (bot.images.similar) off the event loop. A
        copy that cannot be read is counted as not compared."""
        gate = asyncio.Semaphore(COMPARE_AT_ONCE)

        async def identity(url: str) -> Identity | None:
            async with gate:
                try:
                    return await self._recognise.of_link(url)
                except (UserFacingError, NoIdentity) as exc:
                    log.info("an audited image could not be compared: %s", exc)
                    return None

        read: list[tuple[Picture, Identity]] = []
        for start in range(0, len(tally.pictures), COMPARE_BATCH):
            batch = tally.pictures[start : start + COMPARE_BATCH]
            found = await asyncio.gather(*(identity(url) for _, url in batch))
            read += [(where, i) for (where, _), i in zip(batch, found, strict=True) if i]
        groups = await asyncio.to_thread(same_pictures, read)
        tally.same_pictures(groups, len(read))

    async def _categories(self, store: StoreContext, scope: Scope, tally: Tally) -> bool:
        """The categories' images: all of them, or the scope's category and those under it.
        Whether the store has more than MAX_CATEGORIES (the rest are not read)."""
        found: list[tuple[AuditItem, int]] = []
        offset = 0
        total = 0
        while offset < MAX_CATEGORIES:
            page, total = await store.ecwid.category_audit_page(offset)
            found += page
            offset += len(page)
            if not page or offset >= total:
                break
        cut = total > MAX_CATEGORIES
        if scope.category is None:
            tally.add(item for item, _ in found)
            return cut
        under = {scope.category}
        parents = {item.id: parent for item, parent in found}
        for item_id in parents:  # a category is the scope's when one of its ancestors is
            seen, at = set(), item_id
            while at and at not in under and at not in seen:
                seen.add(at)
                at = parents.get(at, 0)
            if at in under:
                under |= seen
        tally.add(item for item, _ in found if item.id in under)
        return cut

    async def _previous(self, tenant: Tenant, scope: Scope) -> tuple[bool, str | None]:
        """Whether the last audit of the scope could be read, and its numbers (None: none)."""
        try:
            return True, await self._audits.last(tenant, scope.key)
        except Exception as exc:  # the card goes out without "since last time", and says so
            log.warning("the last audit could not be read: %s", type(exc).__name__)
            return False, None

    async def _keep(
        self, tenant: Tenant, scope: Scope, who: Requester, channel_id: str, result: Result
    ) -> None:
        try:
            await self._audits.add(tenant, scope.key, who.user_id, channel_id, result.numbers())
        except Exception as exc:  # the next audit then compares with an older one
            log.warning("the audit's numbers were not kept: %s", type(exc).__name__)
