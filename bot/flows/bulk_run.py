"""Running a bulk job in this process: its lines, decoded once, queued per product; the lease;
the pace (Ecwid's bulk lane); progress; the outcomes, kept until the store has them; the report.

Invariants (each tested):
- a line is marked started, durably, before anything of it is sent; a started line found on
  resume is checked (is its image on the slot already?) before it is sent again;
- outcomes are kept in memory until a write of them succeeds; new lines wait while too many are
  unwritten;
- no line is marked not run while any outcome of the run is unwritten;
- one product's lines run one after the other (its gallery keeps their order);
- every background task is supervised: a failure is logged with its cause, and the job pauses
  and says so at once (another scan resumes it). The lease fails when it cannot be renewed in
  time, the recorder when outcomes could not be written for as long as a lease lasts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.changes import codec
from bot.changes.context import StoreContext, working_for
from bot.changes.runner import (
    UNREAD,
    AltSet,
    Applied,
    Current,
    FoundThere,
    LeftAsIs,
    NotSent,
    Telling,
)
from bot.changes.slot_change import (
    AltOnly,
    Asker,
    FromLink,
    FromSlackFile,
    Origin,
    SlotChange,
    ToSquare,
)
from bot.domain import texts
from bot.domain.errors import UserFacingError
from bot.ecwid.budget import bulk_lane
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot, ProductState
from bot.flows.bulk_lease import Lease, LeaseLapsed
from bot.flows.bulk_report import BeforeAfter, BulkReport, Progress
from bot.flows.option_lines import SOURCE
from bot.flows.relay import Relay
from bot.flows.square_fix import SOURCE as SQUARE_FIX
from bot.flows.workers import HOLD_BACK_SECONDS, AckPriority
from bot.images.shared_files import FileImage
from bot.jobs.history import Change, KeepLimit
from bot.jobs.store import Counts, Job, JobState, JobStore, Line, LineState, Outcome, count_lines

log = logging.getLogger(__name__)

# Lines in flight: 8 fill Ecwid's 10 calls a second while its answers take up to 0.8 s (they
# take about 0.3 s); 16 only loaded the event loop: acks during a fast job 1.6-2x idle, not 1.2x.
LINES_AT_ONCE = 8
# Lines marked started in one write, ahead of their turn: one write per so many lines, not one
# each. A line marked but not begun is marked pending again when the run ends; after a crash it
# is checked before it is sent, as any started line.
START_BATCH = 32
PROGRESS_SECONDS = 2.1  # Slack allows about 50 chat.update calls a minute
RECORD_SECONDS = 0.1  # outcomes are written in batches at least this often
MAX_UNWRITTEN = 64  # outcomes not yet in the store: past this, no new line starts
RETRY_MAX_SECONDS = 5.0  # the longest wait between two tries at the store
FINAL_WRITE_SECONDS = 60.0  # how long the last outcomes are tried before the job is left as is


class LineUndoer(Protocol):
    """What an undo job's run needs: one change put back, or skipped (bot.flows.undo)."""

    async def undo_line(
        self,
        store: StoreContext,
        change: Change,
        *,
        started: bool,
        user_id: str,
        job_id: str,
        message_ts: str | None,
    ) -> Outcome: ...


@dataclass(frozen=True)
class BulkItem:
    """One line to run, decoded once when the job is loaded: its change (an upload; in an undo
    job, the inverse of the change it undoes, which names it)."""

    number: int
    change: SlotChange
    started: bool  # begun by an earlier process: checked before it is sent again
    name: str | None = None  # the product's name and the variation's, for the history
    variation: str | None = None

    @property
    def slot(self) -> ImageSlot:
        return self.change.target.slot

    @property
    def undo(self) -> str | None:
        """An undo job's line: the history entry it undoes."""
        return self.change.undoes

    @classmethod
    def decode(cls, line: Line) -> BulkItem | None:
        """The line's stored change (bot.changes.codec); None when it cannot be read, or is
        no line's (an undo that names no entry, a change that is no upload)."""
        try:
            change = codec.loads(line.request or "")
        except codec.ChangeFormatError:
            return None
        undo = change.origin is Origin.UNDO
        if undo != (change.undoes is not None):
            return None
        if not undo and not isinstance(
            change.source, FromLink | FromSlackFile | AltOnly | ToSquare
        ):
            return None
        started = line.status == LineState.STARTED
        return cls(line.number, change, started, line.product_name, line.variation_label)


class LineQueue:
    """The lines left, one queue per product: a product is handed out again only when its line
    before has ended. Taking and giving back are O(1), whatever the job's size."""

    def __init__(self, items: list[BulkItem]) -> None:
        self._by_product: dict[int, deque[BulkItem]] = {}
        for item in items:
            self._by_product.setdefault(item.slot.product_id, deque()).append(item)
        self._ready: deque[int] = deque(self._by_product)  # products none of whose lines runs
        self._left = len(items)
        self.changed = asyncio.Event()  # a product became ready again

    def __len__(self) -> int:
        return self._left

    def take(self) -> BulkItem | None:
        """The next line of a product that has none running; None when every product left is
        busy (wait for `changed`)."""
        if not self._ready:
            return None
        queue = self._by_product[self._ready.popleft()]
        self._left -= 1
        return queue.popleft()

    def upcoming(self, count: int, skip: set[int]) -> list[BulkItem]:
        """Up to `count` lines likely to be taken next (each product's first ones), leaving out
        the numbers in `skip`."""
        found: list[BulkItem] = []
        for queue in self._by_product.values():
            for item in queue:
                if item.number not in skip:
                    found.append(item)
                    break
            if len(found) >= count:
                break
        return found

    def take_alike(
        self, product_id: int, alike: Callable[[BulkItem], bool], limit: int
    ) -> list[BulkItem]:
        """Up to `limit` more of the product's lines, from the front of its queue, while they
        are `alike` (the product is taken already: its lines run together)."""
        queue = self._by_product[product_id]
        found: list[BulkItem] = []
        while queue and len(found) < limit and alike(queue[0]):
            found.append(queue.popleft())
        self._left -= len(found)
        return found

    def put_back(self, item: BulkItem) -> None:
        """A line taken but not run (the store was away): first again for its product."""
        self._by_product[item.slot.product_id].appendleft(item)
        self._left += 1

    def done_with(self, product_id: int) -> bool:
        """The product's line has ended: its next line may be taken. Whether it has one."""
        left = bool(self._by_product[product_id])
        if left:
            self._ready.append(product_id)
        else:
            del self._by_product[product_id]
        self.changed.set()
        return left


class JobRun:
    """One job running in this process, until it ends, is stopped, pauses, or is lost."""

    def __init__(
        self,
        jobs: JobStore,
        store: StoreContext,
        report: BulkReport,
        job: Job,
        lease: Lease,
        priority: AckPriority,
        undos: LineUndoer,
        after_finish: Callable[[Job], Awaitable[None]] | None = None,
        *,
        keep: KeepLimit | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        self._after_finish = after_finish  # e.g. prune the kept copies: they just grew
        self._progress_seconds = progress_seconds  # between two updates of the job's message
        # HISTORY_MAX_MB: a line's copy is kept with its outcome only if it fits (its reason
        # then says "no copy for Undo"), decided as the outcome is written (JobStore.record).
        self._keep = keep
        self._undos = undos
        self._jobs = jobs
        self._priority = priority  # Slack requests being answered: a line waits a moment
        self._store = store  # the job's store
        self._runner = store.runner
        self._report = report
        self.job = job
        self.lease = lease
        self.task: asyncio.Task[None] | None = None
        self._paused = False
        self._fault = False
        self._fault_shown: asyncio.Task[None] | None = None  # the pause said, as it happened
        self._queue = LineQueue([])
        # Outcomes not yet in the store: kept until a write succeeds (never dropped).
        self._outcomes: list[Outcome] = []
        self._written = asyncio.Event()  # set after each successful write of outcomes
        # One write of outcomes at a time: the last write waits for the recorder's, which is
        # never cut short (a write cancelled mid-transaction can leave SQLite's lock held).
        self._writing = asyncio.Lock()
        self._retry = RECORD_SECONDS  # the wait before the next try at the store, grows
        self._done = 0
        self._failed = 0
        self._skipped = 0
        self._started = time.monotonic()
        self._last_shown = 0.0
        self._base = Counts()
        self._helpers: list[asyncio.Task[None]] = []
        # Slots read ahead, a batch at a time: the read, by product, and when it began.
        self._read: dict[int, tuple[asyncio.Task[dict[int, ProductState]], float]] = {}
        self._reading: set[asyncio.Task[dict[int, ProductState]]] = set()  # reads not over yet
        self._sending: set[int] = set()  # products whose line has read its slot: may be sending
        # When the last line ended that may have changed a slot (`_touched`): a slot read
        # before then is read again.
        self._last_done: dict[tuple[int, int | None], float] = {}
        self._relay = Relay(store.runner, [])
        self._marked: set[int] = set()  # lines this run marked started
        self._begun: set[int] = set()  # … and began
        self._marking = asyncio.Lock()

    def stop(self) -> None:
        self.lease.stopping.set()

    def pause(self) -> None:
        """A restart: no new lines; those in flight finish; the lease is given up."""
        self._paused = True
        self.lease.stopping.set()
        self._written.set()  # workers waiting for the store or a product see the pause
        self._queue.changed.set()

    def _halt(self, part: str, cause: BaseException | None) -> None:
        """A part of the run failed: logged with its cause; the job pauses and says so now, not
        at the end of the run (the store may be what failed: the run may end without a word)."""
        if self._fault:
            return
        log.error("bulk job %s: its %s stopped; pausing the job", self.job.id, part, exc_info=cause)
        self._fault = True
        self.pause()
        self._fault_shown = asyncio.create_task(self._show(force=True))

    @property
    def _stopping(self) -> bool:
        return self.lease.stopping.is_set() or self.lease.lost.is_set()

    async def run(self) -> None:
        try:
            with working_for(self._store):  # its Slack calls are its workspace's
                await self._run()
        except Exception:
            log.exception("bulk job %s failed unexpectedly", self.job.id)
            with contextlib.suppress(Exception):
                await self.lease.release()

    def _supervise(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """A helper of the run (lease, recorder, progress): should it fail, the failure is
        logged with its cause and the job pauses, saying so; nothing dies silently."""
        task = asyncio.create_task(work, name=f"bulk-{self.job.id}-{name}")

        def ended(task: asyncio.Task[None]) -> None:
            if task.cancelled() or task.exception() is None:
                return
            self._halt(name, task.exception())

        task.add_done_callback(ended)
        self._helpers.append(task)

    async def _run(self) -> None:
        job = self.job
        if job.state == JobState.FINISHED:  # its report was not posted: the process died first
            await self._report_result()
            return
        items: list[BulkItem] = []
        for line in await self._jobs.pending(job.id):
            item = BulkItem.decode(line)
            if item is None:
                reason = texts.LINE_UNREADABLE
                self._outcomes.append(Outcome(line.number, LineState.FAILED, reason=reason))
                self._failed += 1
            else:
                items.append(item)
        if job.undo_of is not None:  # a product's later changes are undone first
            items.reverse()
        self._queue = LineQueue(items)
        self._relay = Relay(self._runner, [item.change for item in items])
        self._base = await self._jobs.counts(job.id)
        if job.state == JobState.STOPPING:
            self.lease.stopping.set()
        self._supervise(self.lease.keep(), "lease")
        self._supervise(self._record_often(), "recorder")
        self._supervise(self._show_progress(), "progress")
        try:
            await self._show(force=True)
            workers = [
                asyncio.create_task(self._work()) for _ in range(min(LINES_AT_ONCE, len(items)))
            ]
            await asyncio.gather(*workers)
        finally:
            with bulk_lane():  # lines given a link, whose product's last line did not run
                ours = not self.lease.lost.is_set()
                with contextlib.suppress(Exception):
                    self._correct(await self._relay.finish(ours=ours))
            reads = set(self._reading)
            for task in [*self._helpers, *reads]:
                task.cancel()
            await asyncio.gather(*self._helpers, *reads, return_exceptions=True)
            if self._fault_shown is not None:
                await asyncio.gather(self._fault_shown, return_exceptions=True)
            written = await self._flush_all()
            if written:
                await self._unmark_unbegun()
        if not written:  # nothing is marked not run, and no line is run twice: its start is kept
            log.error(
                "bulk job %s: %d outcomes could not be written; the job is left to resume",
                job.id,
                len(self._outcomes),
            )
            return
        if self.lease.lost.is_set() and not self._paused:
            log.warning("bulk job %s: another process holds it now; stopped here", job.id)
            return
        if self._paused:  # shown first: the next process may be showing its own progress soon
            # After a fault it was said as it happened; said again (with the lines in flight
            # counted) only while the job is surely still this process's to show.
            if not self._fault or self.lease.surely_held():
                await self._show(force=True)
            try:
                await self.lease.release()
            except Exception as exc:  # it runs out by itself; then the job is resumed
                log.warning("bulk job %s: lease not given up: %s", job.id, type(exc).__name__)
            log.info("bulk job %s paused", job.id)
            return
        if not await self._jobs.finish(job.id, self.lease.owner):
            return
        log.info(
            "bulk finished job=%s done=%d failed=%d skipped=%d",
            job.id,
            self._done,
            self._failed,
            self._skipped,
        )
        await self._report_result()
        if self._after_finish is not None:
            await self._after_finish(job)

    async def _report_result(self) -> None:
        job = await self._jobs.job(self.job.id) or self.job
        lines = await self._jobs.lines(job.id)
        example = await self._example(job, lines)
        await self._wait_to_show()
        await self._report.finished(job, lines, count_lines(lines), example=example)
        await self._jobs.reported(job.id)

    async def _example(self, job: Job, lines: Sequence[Line]) -> BeforeAfter | None:
        """An image by option value: its first variation done, before and after (from the
        history), and the others it went to; a square fix: its first image padded, before and
        after. None for any other job, or when the history cannot be read (the report goes
        out without it)."""
        if job.source not in (SOURCE, SQUARE_FIX) or job.undo_of is not None:
            return None
        done = [line for line in lines if line.status == LineState.DONE]
        try:
            entries = await self._store.history.of_job(job.id) if done else {}
        except Exception as exc:
            log.info("bulk job %s: no before and after: %s", job.id, type(exc).__name__)
            return None
        first = next((line for line in done if line.number in entries), None)
        if first is None:
            return None
        entry = entries[first.number]
        if job.source == SQUARE_FIX:
            before, after = await self._pictures(entry)
            return BeforeAfter(first.text, entry.before_url, entry.after_url, (), before, after)
        others = tuple(line.variation_label or line.text for line in done if line is not first)
        label = first.variation_label or first.text
        return BeforeAfter(label, entry.before_url, entry.after_url, others)

    async def _pictures(self, entry: Change) -> tuple[bytes | None, bytes | None]:
        """A square fix's example: the original (its kept copy) and the padded image as Ecwid
        serves it (read with the bounds of any image); None for what cannot be read."""
        before = after = None
        try:
            before = await self._store.history.kept_copy(entry.id)
        except Exception as exc:
            log.info("bulk job %s: no copy to show: %s", self.job.id, type(exc).__name__)
        if entry.after_url:
            try:
                after = await self._runner.sources.read_url(entry.after_url)
            except Exception as exc:
                log.info("bulk job %s: the padded image unread: %s", self.job.id, exc)
        return before, after

    async def _work(self) -> None:
        queue = self._queue
        while not self._stopping and queue:
            if not self.lease.surely_held():  # not renewed in time: the store is away
                self._halt("lease", LeaseLapsed("not renewed in time"))
                return
            if len(self._outcomes) >= MAX_UNWRITTEN:  # the store is behind: let it catch up
                self._written.clear()
                await self._written.wait()
                continue
            # Acks have Slack's 3 s deadline and lines do not: hold back a moment while one is
            # being answered, as single uploads do.
            await self._priority.wait_quiet(HOLD_BACK_SECONDS)
            item = queue.take()
            if item is None:  # every product left is being worked on: wait for one
                queue.changed.clear()
                await queue.changed.wait()
                continue
            try:
                begun = await self._begin(item)
                if begun is None:  # the store is away: the line waits its turn again
                    queue.put_back(item)
                    await asyncio.sleep(self._retry)
                    continue
                if not begun:  # no longer this process's to run
                    continue
                if _media_alt(item):  # the product's media images' alt texts: one update
                    together = await self._alike(item)
                    *earlier, last = await self._alts_together([item, *together])
                    for outcome in earlier:
                        self._count([outcome])
                    outcomes = [last]
                else:
                    outcomes = await self._one(item)
            finally:
                self._sending.discard(item.slot.product_id)
                self._last_done[_touched(item.slot)] = time.monotonic()
                if not queue.done_with(item.slot.product_id):
                    self._read.pop(item.slot.product_id, None)  # no line of it is left
            self._count(outcomes)

    def _count(self, outcomes: list[Outcome]) -> None:
        """A line's outcome, then any corrections of earlier lines' (bot.flows.relay)."""
        first, *corrections = outcomes
        self._outcomes.append(first)
        if first.status == LineState.DONE:
            self._done += 1
        elif first.status == LineState.SKIPPED:
            self._skipped += 1
        else:
            self._failed += 1
        self._correct(corrections)

    def _correct(self, corrections: list[Outcome]) -> None:
        """Outcomes recorded again: a relayed line done, found failed at the check (written
        after the first, so that it wins), or done with a note."""
        for correction in corrections:
            self._outcomes.append(correction)
            if correction.status == LineState.FAILED:
                self._done -= 1
                self._failed += 1

    async def _begin(self, item: BulkItem) -> bool | None:
        """Mark the line started, durably, before anything of it is sent: True to run it, False
        when it is not this process's to run, None when the store could not be reached. Lines
        are marked a batch at a time (the line, and those likely to be taken next)."""
        if item.started or item.number in self._marked:
            self._begun.add(item.number)
            return True
        async with self._marking:
            if item.number in self._marked:
                self._begun.add(item.number)
                return True
            batch = [item, *self._queue.upcoming(START_BATCH - 1, self._marked | {item.number})]
            numbers = [i.number for i in batch if not i.started]
            try:
                begun = await self._jobs.start_lines(self.job.id, numbers, self.lease.owner)
            except Exception as exc:
                self._retry = min(self._retry * 2, RETRY_MAX_SECONDS)
                log.warning(
                    "bulk job %s: line %d not begun, the store is away: %s",
                    self.job.id,
                    item.number,
                    type(exc).__name__,
                )
                return None
            self._retry = RECORD_SECONDS
            if not begun:  # the job is not ours any more, or a line changed: begin none
                return False
            self._read_ahead(batch)
            self._marked.update(numbers)
            self._begun.add(item.number)
            return True

    async def _unmark_unbegun(self) -> None:
        """Lines marked started ahead but not begun go back to pending (to run later, or to be
        reported not run): only a line that was begun can have reached Ecwid."""
        ahead = sorted(self._marked - self._begun)
        if not ahead:
            return
        try:
            await self._jobs.unstart_lines(self.job.id, ahead, self.lease.owner)
        except Exception as exc:  # they stay started: checked before they are sent, later
            log.warning("bulk job %s: lines marked ahead stay started: %s", self.job.id, exc)

    async def _one(self, item: BulkItem) -> list[Outcome]:
        """The line run: its outcome, and those of the lines its end lets out (bot.flows.relay:
        relayed lines wait for their product's last)."""
        if item.undo is not None:
            return [await self._undo_one(item, item.undo)]
        if isinstance(item.change.source, AltOnly | ToSquare):  # the audit's fixes
            return [await self._fix_one(item)]
        number = item.number
        if item.change.store_id != self._runner.store_id:  # planned for another store
            return [Outcome(number, LineState.FAILED, reason=texts.OTHER_STORE)]
        # Sent for whoever started the job (the plan's change names who planned it).
        planned = replace(item.change, asker=self._asker)
        with bulk_lane():
            change, image = self._relay.route(planned)
            outcome, sent = await self._upload(item, change, image)
            return [outcome, *await self._relay.settle(planned, change, outcome, sent)]

    async def _alike(self, item: BulkItem) -> list[BulkItem]:
        """The product's next alt-text lines of media images, begun, to go in `item`'s update
        (a line the store could not mark goes back, with those after it)."""
        more = self._queue.take_alike(item.slot.product_id, _media_alt, MAX_TOGETHER - 1)
        begun: list[BulkItem] = []
        for index, other in enumerate(more):
            started = await self._begin(other)
            if started is None:  # the store is away: these wait their turn again
                for later in reversed(more[index:]):
                    self._queue.put_back(later)
                break
            if started:
                begun.append(other)
        return begun

    async def _alts_together(self, items: list[BulkItem]) -> list[Outcome]:
        """Alt-text lines of one product's media images, in one update (the audit's fix):
        each line's outcome, its entry recorded with it."""
        if items[0].change.store_id != self._runner.store_id:
            return [Outcome(i.number, LineState.FAILED, reason=texts.OTHER_STORE) for i in items]
        lines = [
            (
                replace(item.change, asker=self._asker),
                Telling(
                    item.name,
                    item.variation,
                    self.job.message_ts,
                    job=(self.job.id, item.number),
                ),
                item.started,
            )
            for item in items
        ]
        try:
            with bulk_lane():
                await self._hold_back()
                found = await self._runner.apply_alts(lines)
        except UserFacingError as problem:  # the update refused: every line says why
            return [
                Outcome(i.number, LineState.FAILED, reason=problem.message, quoted=problem.quoted)
                for i in items
            ]
        except Exception:
            log.exception("alt-text lines failed unexpectedly")
            return [Outcome(i.number, LineState.FAILED, reason=texts.UNEXPECTED) for i in items]
        outcomes = []
        for item, done in zip(items, found, strict=True):
            if isinstance(done, UserFacingError):
                reason, quoted = done.message, done.quoted
                outcomes.append(
                    Outcome(item.number, LineState.FAILED, reason=reason, quoted=quoted)
                )
            elif done.entry is None:
                reason = texts.FOUND_AFTER_RESTART
                outcomes.append(Outcome(item.number, LineState.DONE, reason=reason))
            else:
                outcomes.append(Outcome(item.number, LineState.DONE, change=done.entry))
        return outcomes

    async def _fix_one(self, item: BulkItem) -> Outcome:
        """A line of the audit's fixes: an image's alt texts set, or the image padded to a
        square in its place (again, if a restart cut it short: checked first), its entry
        recorded with its outcome."""
        number = item.number
        if item.change.store_id != self._runner.store_id:
            return Outcome(number, LineState.FAILED, reason=texts.OTHER_STORE)
        change = replace(item.change, asker=self._asker)
        telling = Telling(item.name, item.variation, self.job.message_ts, job=(self.job.id, number))
        try:
            with bulk_lane():
                await self._hold_back()
                outcome = await self._runner.apply(
                    change,
                    telling=telling,
                    resumed=item.started,
                    pace=self._hold_back,
                    keep=self._keep,
                )
        except UserFacingError as problem:
            return Outcome(number, LineState.FAILED, reason=problem.message, quoted=problem.quoted)
        except Exception:
            log.exception("a fix's line failed unexpectedly")
            return Outcome(number, LineState.FAILED, reason=texts.UNEXPECTED)
        if isinstance(outcome, AltSet):
            if outcome.entry is None:
                return Outcome(number, LineState.DONE, reason=texts.FOUND_AFTER_RESTART)
            return Outcome(number, LineState.DONE, change=outcome.entry)
        if isinstance(outcome, LeftAsIs):
            square = outcome.reason == texts.ALREADY_SQUARE
            state = LineState.DONE if square else LineState.FAILED
            return Outcome(number, state, reason=outcome.reason)
        if isinstance(outcome, NotSent):
            error = outcome.error
            return Outcome(number, LineState.FAILED, reason=error.message, quoted=error.quoted)
        if not isinstance(outcome, Applied):
            raise TypeError(f"a fix's line ended {type(outcome).__name__}")
        done = _line_done(number, outcome)
        if outcome.undo_missing is not None:  # the gallery's order could not be kept
            return replace(done, reason=outcome.undo_missing)
        return done

    async def _upload(
        self, item: BulkItem, change: SlotChange, image: FileImage | None
    ) -> tuple[Outcome, FileImage | None]:
        """The line's change applied: its outcome, and the bytes it sent (if it sent bytes)."""
        number = item.number
        try:
            current: Current = UNREAD
            if item.slot.kind != "gallery":
                current = await self._ahead(item)
                self._sending.add(item.slot.product_id)
            outcome = await self._runner.apply(
                change,
                telling=Telling(
                    item.name, item.variation, self.job.message_ts, job=(self.job.id, number)
                ),
                image=image,
                current=current,
                resumed=item.started,
                pace=self._hold_back,
            )
        except UserFacingError as problem:
            failed = Outcome(
                number, LineState.FAILED, reason=problem.message, quoted=problem.quoted
            )
            return failed, None
        except Exception:
            log.exception("bulk line failed unexpectedly")
            return Outcome(number, LineState.FAILED, reason=texts.UNEXPECTED), None
        if isinstance(outcome, FoundThere):
            return Outcome(number, LineState.DONE, reason=texts.FOUND_AFTER_RESTART), None
        if isinstance(outcome, NotSent):
            error = outcome.error
            failed = Outcome(number, LineState.FAILED, reason=error.message, quoted=error.quoted)
            return failed, None
        if not isinstance(outcome, Applied):
            raise TypeError(f"a line's upload ended {type(outcome).__name__}")
        sent = outcome.sent.image
        return _line_done(number, outcome), sent if isinstance(sent, FileImage) else None

    @property
    def _asker(self) -> Asker:
        return Asker(self.job.started_by or self.job.user_id, self.job.channel_id)

    async def _hold_back(self) -> None:
        await self._priority.wait_quiet(HOLD_BACK_SECONDS)

    def _read_ahead(self, batch: list[BulkItem]) -> None:
        """Read what the batch's slots show now, a hundred products a call, ahead of their
        lines: keeping the replaced images for Undo then costs a call a batch, not a call a
        line. A product whose line may be sending is left out (its slot may be changing): its line reads the slot itself. A line waits for the read before it sends."""
        busy = self._sending
        wanted = list(
            dict.fromkeys(
                i.slot.product_id
                for i in batch
                if i.undo is None
                and not isinstance(i.change.source, AltOnly | ToSquare)
                and i.slot.kind in ("main", "variation")
                and not i.started
                and i.slot.product_id not in busy
                and i.slot.product_id not in self._read
            )
        )
        if not wanted:
            return
        with bulk_lane():  # the task inherits the lane: paced as the job's other calls
            task = asyncio.create_task(self._runner.slot_states(wanted))
        task.add_done_callback(lambda t: t.cancelled() or t.exception())  # awaited by its lines
        self._reading.add(task)
        task.add_done_callback(self._reading.discard)
        started = time.monotonic()
        for product_id in wanted:
            self._read[product_id] = (task, started)

    async def _ahead(self, item: BulkItem) -> Current:
        """What the line's slot shows now: as read ahead with its batch, unless a line of the
        product ended since (UNREAD: the runner reads it)."""
        product_id = item.slot.product_id
        ahead = self._read.get(product_id)
        if ahead is None or ahead[1] <= self._last_done.get(_touched(item.slot), float("-inf")):
            return UNREAD
        try:
            state = (await ahead[0]).get(product_id)
        except (UserFacingError, EcwidError) as exc:
            log.info("bulk job %s: slots not read ahead: %s", self.job.id, exc)
            self._read.pop(product_id, None)  # its next lines read their slots, or a batch does
            return UNREAD
        return state.current(item.slot) if state is not None else UNREAD

    async def _undo_one(self, item: BulkItem, change_id: str) -> Outcome:
        """An undo job's line: the change put back (bot.flows.undo), paced as any line."""
        try:
            with bulk_lane():
                change = await self._store.history.change(change_id)
                if change is None:
                    reason = texts.CHANGE_NOT_IN_HISTORY
                    return Outcome(item.number, LineState.FAILED, reason=reason)
                await self._priority.wait_quiet(HOLD_BACK_SECONDS)
                outcome = await self._undos.undo_line(
                    self._store,
                    change,
                    started=item.started,
                    user_id=self.job.started_by or self.job.user_id,
                    job_id=self.job.id,
                    message_ts=self.job.message_ts,
                )
        except Exception:
            log.exception("undo line failed unexpectedly")
            reason = texts.UNEXPECTED
            return Outcome(item.number, LineState.FAILED, reason=reason)
        return replace(outcome, number=item.number)

    async def _flush(self) -> None:
        """Write the outcomes kept so far; they are let go only once the write succeeded."""
        async with self._writing:
            outcomes = list(self._outcomes)
            if outcomes:
                await self._jobs.record(self.job.id, outcomes, self._keep)
                del self._outcomes[: len(outcomes)]
        self._written.set()

    async def _flush_all(self) -> bool:
        """The last outcomes, tried with backoff for a while; whether all are written."""
        deadline = time.monotonic() + FINAL_WRITE_SECONDS
        while True:
            try:
                await self._flush()
                return True
            except Exception as exc:
                if time.monotonic() >= deadline:
                    return False
                log.warning("bulk job %s: outcomes not recorded yet: %s", self.job.id, exc)
                self._retry = min(self._retry * 2, RETRY_MAX_SECONDS)
                await asyncio.sleep(self._retry)

    async def _record_often(self) -> None:
        """Write the outcomes every RECORD_SECONDS. A failed write keeps them, and is tried
        again after a longer wait each time; writes failing for as long as a lease lasts are
        raised (the run pauses, saying so, and writes them as it ends)."""
        failing_since: float | None = None
        while True:
            await asyncio.sleep(self._retry)
            await self._priority.wait_quiet(HOLD_BACK_SECONDS)  # not while an ack is due
            try:
                # Stopping the recorder (the run ends) must not cut a write short: it finishes,
                # and the run's last write waits for it.
                write = asyncio.ensure_future(self._flush())
                write.add_done_callback(lambda t: t.cancelled() or t.exception())
                await asyncio.shield(write)
                self._retry = RECORD_SECONDS
                failing_since = None
            except Exception as exc:  # kept: tried again, after a longer wait each time
                now = time.monotonic()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self.lease.seconds:
                    raise
                self._retry = min(self._retry * 2, RETRY_MAX_SECONDS)
                log.warning(
                    "bulk job %s: outcomes not recorded yet (%d kept): %s",
                    self.job.id,
                    len(self._outcomes),
                    type(exc).__name__,
                )

    def _progress(self) -> Progress:
        base = self._base
        finished = self._done + self._failed + self._skipped
        counts = Counts(
            done=base.done + self._done,
            failed=base.failed + self._failed,
            skipped=base.skipped + self._skipped,
            pending=max(0, base.pending - finished),
            invalid=base.invalid,
            not_run=base.not_run,
        )
        elapsed = time.monotonic() - self._started
        per_minute = finished / elapsed * 60 if finished and elapsed >= 1 else None
        left = counts.pending / (per_minute / 60) if per_minute else None
        return Progress(counts, per_minute, left, paused=self._paused, fault=self._fault)

    async def _wait_to_show(self) -> None:
        wait = self._last_shown + self._progress_seconds - time.monotonic()
        if self._last_shown and wait > 0:
            await asyncio.sleep(wait)

    async def _show(self, *, force: bool = False) -> None:
        if force:
            await self._wait_to_show()
        self._last_shown = time.monotonic()
        await self._report.progress(self.job, self._progress())

    async def _show_progress(self) -> None:
        shown = None
        while True:
            await asyncio.sleep(
                max(0.0, self._last_shown + self._progress_seconds - time.monotonic())
            )
            now = (self._done, self._failed, self._skipped)
            if now != shown:
                shown = now
                await self._show()
            else:
                await asyncio.sleep(self._progress_seconds)


def _line_done(number: int, applied: Applied) -> Outcome:
    sent = applied.sent
    prepared = applied.prepared
    done = Outcome(
        number,
        LineState.DONE,
        image_id=sent.result.image_id,
        changes=(prepared.summary() or None) if prepared is not None else None,
        change=applied.entry,
        kept=applied.kept,
    )
    if sent.alt_error is None:
        return done
    return replace(
        done,
        reason=texts.alt_not_set(sent.alt_error.message),
        quoted=sent.alt_error.quoted,
    )


MAX_TOGETHER = 100  # alt-text lines of one product's media images in one update


def _media_alt(item: BulkItem) -> bool:
    """An alt-text line of a product's main or gallery image (not an undo's)."""
    source = item.change.source
    return item.undo is None and isinstance(source, AltOnly) and item.slot.kind == "gallery"


def _touched(slot: ImageSlot) -> tuple[int, int | None]:
    """What a line's end may have changed: its variation's image alone, or else its product's
    main image and gallery (a first gallery image may become the main image)."""
    return (slot.product_id, slot.variation_id if slot.kind == "variation" else None)
