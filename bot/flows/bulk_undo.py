"""Undoing a whole bulk job: a job of its own, whose lines are the changes the job made.

    press  → one undo job a job (the store's unique `undo_of` decides, in any process); a
             second press, or one while it runs, changes nothing and says so
    plan   → each line the job uploaded becomes a line to undo, or a problem listed with its
             reason (no copy was kept, the copy was pruned, undone already)
    run    → as any job (bulk_run: leased, paced in Ecwid's bulk lane, progress, report); each
             line is put back by bot.flows.undo, which skips a slot that changed since

A product's lines are undone newest first, so that two lines of one job on one slot end with
the image from before the job.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from bot.changes import codec
from bot.changes.context import StoreContext
from bot.changes.edits import inverse
from bot.changes.records import record_of
from bot.changes.slot_change import Asker, Delete, Origin, SlotChange, Target
from bot.domain import texts
from bot.domain.bulk import BulkInputError
from bot.domain.requests import Requester
from bot.flows.bulk_report import BulkReport
from bot.jobs.history import Action, Change
from bot.jobs.store import Job, JobState, JobStore, Line, LineState, count_lines

log = logging.getLogger(__name__)

NOT_CHECKED = BulkInputError(texts.UNDO_NOT_CHECKED)


def undo_line(line: Line, change: Change | None, store_id: int, asker: Asker) -> Line:
    """A line of the job, as a line of its undo job: to run (its change: the inverse of the
    line's, naming it), or with the reason it cannot."""

    def problem(reason: str) -> Line:
        return Line(
            line.number, line.text, line.product, line.slot, None, LineState.INVALID, reason=reason
        )

    if change is None and line.reason == texts.ALREADY_SQUARE:  # it changed nothing
        return Line(
            line.number,
            line.text,
            line.product,
            line.slot,
            None,
            LineState.SKIPPED,
            reason=texts.NOTHING_CHANGED,
        )
    if change is None:
        return problem(texts.NO_RECORD)
    if change.undone_by:
        return problem(texts.ALREADY_UNDONE)
    if change.action == Action.REPLACED and not change.kept_in_store:
        return problem(texts.NOT_KEPT)
    if change.kept_in_store and not change.copy_kept:
        return problem(texts.COPY_GONE)
    record = record_of(change)
    base = SlotChange(store_id, Target.of_slot(record.slot), Delete(), asker, Origin.UNDO)
    undo = inverse(record, change, base)
    return Line(
        line.number, line.text, line.product, line.slot, codec.dumps(undo), LineState.PENDING
    )


class JobUndoer:
    """Turns a press of Undo this job into a running undo job; never raises."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        report: BulkReport,
        owner: str,
        lease_seconds: float,
        launch: Callable[[str], Awaitable[None]],
    ) -> None:
        self._jobs = jobs
        self._report = report
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._launch = launch

    async def undo(self, store: StoreContext, job_id: str, who: Requester) -> None:
        try:
            await self._undo(store, job_id, who)
        except Exception:
            log.exception("bulk undo failed")
            await self._report.notice(who, "unavailable", None)

    async def _undo(self, store: StoreContext, job_id: str, who: Requester) -> None:
        tenant = store.tenant
        job = await self._jobs.job(job_id, tenant)  # another tenant's job is not found
        if job is None or job.undo_of is not None:
            await self._report.notice(who, "not_found", job)
            return
        if job.state != JobState.FINISHED:
            await self._report.notice(who, f"undo_{job.state}", job)
            return
        now = time.time()
        undoing = Job(
            id=uuid.uuid4().hex,
            user_id=who.user_id,
            channel_id=job.channel_id,
            message_ts=None,
            source="undo",
            state=JobState.CHECKING,
            created_at=now,
            team_id=job.team_id,
            store_id=job.store_id,
            lease_owner=self._owner,
            lease_until=now + self._lease_seconds,
            undo_of=job.id,
        )
        existing = await self._jobs.create_undo(undoing)
        if existing is not None:
            await self._report.notice(who, "undo_exists", existing)
            return
        handle = None
        try:
            lines = [line for line in await self._jobs.lines(job.id) if line.status == "done"]
            handle = await self._report.checking(who, job.channel_id, len(lines), undoing=job)
            if handle is not None:
                await self._jobs.set_message(undoing.id, handle)
            changes = await store.history.of_job(job.id)
            asker = Asker(undoing.user_id, undoing.channel_id)
            planned = [
                undo_line(line, changes.get(line.number), tenant.store_id, asker) for line in lines
            ]
            if not await self._jobs.planned(undoing.id, planned):
                return
        except Exception:  # given up: Undo this job may be pressed again
            with contextlib.suppress(Exception):
                await self._jobs.give_up_check(undoing.id)
            if handle is not None:
                await self._report.not_planned(who, job.channel_id, handle, NOT_CHECKED)
            raise
        undoing = await self._jobs.job(undoing.id) or undoing
        counts = count_lines(planned)
        log.info(
            "bulk undo job=%s of=%s user=%s lines=%d problems=%d",
            undoing.id,
            job.id,
            who.user_id,
            counts.pending,
            counts.invalid,
        )
        if not counts.pending:  # nothing can be put back: the plan is the end
            await self._report.finished(undoing, planned, counts)
            return
        # The confirm dialog was the plan's Start: it runs at once.
        started = await self._jobs.start(
            tenant, undoing.id, who.user_id, self._owner, self._lease_seconds
        )
        if started:
            await self._launch(undoing.id)
