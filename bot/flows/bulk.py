"""Bulk jobs: check every line first, then run the valid ones at the speed Ecwid allows, with
each line's outcome kept in the job store as it happens, so that a restart loses nothing.

    plan   → bulk_plan: look every product up, check every link, store the job, show the plan
    start  → the job is this process's (a lease: bulk_lease); bulk_run runs its lines, several at
             once, a product's one after the other, in Ecwid's bulk lane; progress every 2 s
    stop   → no new lines; those in flight finish; the rest are reported as not run
    finish → the totals, every failed line, and a CSV report of all lines
    undo   → bulk_undo: a finished job's changes put back, as a job of its own

A line is one change applied by the same runner as a single upload's (`ChangeRunner.apply`), so
a line uploads exactly as the command would. How a job is shown is the reporter's (`BulkReport`, bulk_report).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable, Sequence

from bot.changes.context import StoreContext, Stores, working_for
from bot.domain.bulk import BulkLine, Caption
from bot.domain.grammar import OptionUpload
from bot.domain.requests import Requester, SharedFile
from bot.domain.tenant import Tenant
from bot.flows.alt_fix import AltFix
from bot.flows.bulk_lease import Lease
from bot.flows.bulk_plan import PARSE_SECONDS, NamingOf, Planner
from bot.flows.bulk_report import BulkReport
from bot.flows.bulk_run import PROGRESS_SECONDS, JobRun, LineUndoer
from bot.flows.bulk_undo import JobUndoer
from bot.flows.duplicates import DuplicateCheck
from bot.flows.square_fix import SquareFix
from bot.flows.variation_fix import VariationFix
from bot.flows.workers import AckPriority
from bot.jobs.history import KeepLimit
from bot.jobs.store import Job, JobStore

log = logging.getLogger(__name__)

SCAN_SECONDS = 10.0  # how often unclaimed jobs are looked for


def process_name() -> str:
    """Who holds a lease: this process, told apart from its restarts by a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BulkFlow:
    def __init__(
        self,
        *,
        jobs: JobStore,
        stores: Stores,
        duplicates: DuplicateCheck,
        report: BulkReport,
        undos: LineUndoer,
        lease_seconds: float = 30.0,
        priority: AckPriority | None = None,
        after_finish: Callable[[Job], Awaitable[None]] | None = None,
        naming: NamingOf | None = None,
        duplicate_lines: int = 200,
        parse_seconds: float = PARSE_SECONDS,
        keep: KeepLimit | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        """`keep`: HISTORY_MAX_MB, which a job's copies for Undo never pass (None: no limit
        while a job runs; the prune alone applies it); `progress_seconds`: the least time
        between two updates of a job's message (Slack's pace; tests shorten it)."""
        self._progress_seconds = progress_seconds
        self._keep = keep
        self._undos = undos
        self._after_finish = after_finish
        self._jobs = jobs
        self._priority = priority or AckPriority()
        self._stores = stores  # a job's store's context, looked up when it runs
        self._report = report
        self.lease_seconds = lease_seconds
        self.owner = process_name()
        self._planner = Planner(
            jobs=jobs,
            report=report,
            owner=self.owner,
            lease_seconds=lease_seconds,
            naming=naming,
            duplicates=duplicates,
            duplicate_lines=duplicate_lines,
            parse_seconds=parse_seconds,
            keep=keep,
            progress_seconds=progress_seconds,
        )
        self._undoer = JobUndoer(
            jobs=jobs,
            report=report,
            owner=self.owner,
            lease_seconds=lease_seconds,
            launch=self._launch,
        )
        self._runs: dict[str, JobRun] = {}
        self._foreign: set[str] = set()  # jobs of a store not served here, logged once
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False

    # ---- planning (bulk_plan) ----------------------------------------------------------

    async def plan_lines(
        self, store: StoreContext, who: Requester, channel_id: str, lines: list[BulkLine]
    ) -> None:
        await self._planner.plan_lines(store, who, channel_id, lines)

    async def plan_csv(
        self, store: StoreContext, who: Requester, channel_id: str, file: SharedFile
    ) -> None:
        await self._planner.plan_csv(store, who, channel_id, file)

    async def plan_alt_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: AltFix
    ) -> None:
        await self._planner.plan_alt_fix(store, who, channel_id, fix)

    async def plan_square_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: SquareFix
    ) -> None:
        await self._planner.plan_square_fix(store, who, channel_id, fix)

    async def plan_variation_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: VariationFix
    ) -> None:
        await self._planner.plan_variation_fix(store, who, channel_id, fix)

    async def plan_option(
        self, store: StoreContext, who: Requester, channel_id: str, upload: OptionUpload
    ) -> None:
        await self._planner.plan_option(store, who, channel_id, upload)

    async def plan_files(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        files: Sequence[SharedFile],
        *,
        thread_ts: str | None = None,
        caption: Caption | None = None,
    ) -> None:
        await self._planner.plan_files(
            store, who, channel_id, files, thread_ts=thread_ts, caption=caption
        )

    # ---- start, stop -------------------------------------------------------------------

    async def start(self, store: StoreContext, job_id: str, who: Requester) -> None:
        """Never raises: the press is answered, by the job's progress or privately."""
        try:
            await self._start(store.tenant, job_id, who)
        except Exception:  # the database is away: nothing started, and the user knows
            log.exception("bulk start failed")
            await self._report.notice(who, "unavailable", None)

    async def stop(self, store: StoreContext, job_id: str, who: Requester) -> None:
        """Cancel a planned job, or stop a running one (wherever it runs); never raises."""
        try:
            await self._stop(store.tenant, job_id, who)
        except Exception:
            log.exception("bulk stop failed")
            await self._report.notice(who, "unavailable", None)

    async def _start(self, tenant: Tenant, job_id: str, who: Requester) -> None:
        if await self._jobs.start(tenant, job_id, who.user_id, self.owner, self.lease_seconds):
            log.info("bulk start job=%s user=%s", job_id, who.user_id)
            await self._launch(job_id)
            return
        job = await self._jobs.job(job_id, tenant)  # another tenant's job is not found
        await self._report.notice(who, "not_found" if job is None else job.state, job)

    async def _stop(self, tenant: Tenant, job_id: str, who: Requester) -> None:
        if await self._jobs.cancel(tenant, job_id, who.user_id):
            log.info("bulk cancel job=%s user=%s", job_id, who.user_id)
            job = await self._jobs.job(job_id)
            if job is not None:
                await self._report.cancelled(job)
            return
        if await self._jobs.request_stop(tenant, job_id, who.user_id):
            log.info("bulk stop job=%s user=%s", job_id, who.user_id)
            run = self._runs.get(job_id)
            if run is not None:
                run.stop()
            return
        job = await self._jobs.job(job_id, tenant)
        await self._report.notice(who, "not_found" if job is None else job.state, job)

    async def include_duplicates(self, store: StoreContext, job_id: str, who: Requester) -> None:
        await self._planner.include_duplicates(store, job_id, who)

    async def use_suggestion(
        self, store: StoreContext, job_id: str, number: int, who: Requester
    ) -> None:
        """Did you mean: a line's file to the suggested SKU, the plan shown again."""
        await self._planner.use_suggestion(store, job_id, number, who)

    async def undo(self, store: StoreContext, job_id: str, who: Requester) -> None:
        """Undo this job: never raises; the press is answered by the undo job's message or
        privately."""
        await self._undoer.undo(store, job_id, who)

    # ---- running (bulk_run) ------------------------------------------------------------

    def watch(self) -> None:
        """Resume the jobs nobody holds (this process's own after a restart), now and on."""
        self._watcher = asyncio.create_task(self._watch(), name="bulk-watcher")

    async def _watch(self) -> None:
        while not self._closing:
            try:
                for job_id in await self._jobs.abandoned_checks():
                    if await self._jobs.give_up_check(job_id, only_if_abandoned=True):
                        log.info("bulk job %s: its checks were cut short by a restart", job_id)
                        await self._given_up(job_id)
                for job_id in await self._jobs.claimable():
                    if (
                        job_id not in self._runs
                        and not self._closing
                        and await self._jobs.claim(job_id, self.owner, self.lease_seconds)
                    ):
                        log.info("bulk resume job=%s", job_id)
                        await self._launch(job_id)
            except Exception as exc:  # the database may be briefly away; try again later
                log.warning("bulk jobs could not be checked: %s", type(exc).__name__)
            await asyncio.sleep(min(SCAN_SECONDS, self.lease_seconds / 3))

    async def _given_up(self, job_id: str) -> None:
        """A job's checks a restart cut short, said in its message, with its workspace's token."""
        job = await self._jobs.job(job_id)
        store = await self._stores.for_tenant(job.tenant) if job is not None else None
        if store is None:
            return  # another store's (or gone): nobody here can tell its workspace
        with working_for(store):
            await self._planner.check_given_up(job_id)

    async def _launch(self, job_id: str) -> None:
        """Run a job whose lease was just taken (started or claimed) by this process."""
        lease = Lease(self._jobs, job_id, self.owner, self.lease_seconds)
        job = await self._jobs.job(job_id)
        if job is None:
            return
        store = await self._stores.for_tenant(job.tenant)
        if store is None:  # never run against another store than its own
            if job_id not in self._foreign:
                self._foreign.add(job_id)
                log.warning(
                    "bulk job %s is store %s's, which this bot does not serve: left as it is",
                    job_id,
                    job.store_id,
                )
            return
        run = JobRun(
            self._jobs,
            store,
            self._report,
            job,
            lease,
            self._priority,
            self._undos,
            self._after_finish,
            keep=self._keep,
            progress_seconds=self._progress_seconds,
        )
        self._runs[job_id] = run
        task = asyncio.create_task(run.run(), name=f"bulk-{job_id}")
        run.task = task
        task.add_done_callback(lambda _: self._runs.pop(job_id, None))

    async def idle(self) -> None:
        """Wait until no job runs here (tests wait on this instead of sleeping)."""
        while self._runs:
            await asyncio.gather(
                *(r.task for r in list(self._runs.values()) if r.task), return_exceptions=True
            )

    async def close(self, grace_seconds: float) -> None:
        """A restart: running jobs pause (lines in flight finish) and are given up at once, so
        that the next process resumes them without waiting for the lease to run out."""
        self._closing = True
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        runs = list(self._runs.values())
        for run in runs:
            run.pause()
        tasks = [r.task for r in runs if r.task]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
