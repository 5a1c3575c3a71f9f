"""Bulk jobs: check every line first, then run the valid ones at the speed Ecwid allows, with
each line's outcome kept in the job store as it happens, so that a restart loses nothing.

    plan   → look every product up (a hundred a call), check every link, store the job, show
             the plan (Start / Cancel)
    start  → the job is this process's (a lease in the store); lines run in order, several at
             once, in Ecwid's bulk lane; progress is shown every few seconds
    stop   → no new lines; those in flight finish; the rest are reported as not run
    finish → the totals, every failed line, and a CSV report of all lines

The same image calls as a single upload (`UploadFlow.send`), so a line uploads exactly as the
command would. How a job is shown is the reporter's (`BulkReport`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain.bulk import BulkInputError, BulkLine, name_files, parse_csv
from bot.domain.errors import UserFacingError
from bot.domain.requests import (
    ProductId,
    ProductRef,
    ProductSku,
    Requester,
    SharedFile,
    Size,
    UploadRequest,
    ValidationError,
    check_size,
)
from bot.ecwid.budget import bulk_lane
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot, Product
from bot.ecwid.store import StoreInfo
from bot.flows.upload import INTERRUPTED_NOTICE_SECONDS, UploadFlow, describe_ref, slot_for
from bot.images.probe import ImageInfo
from bot.images.shared_files import FileImage
from bot.jobs.store import Counts, Job, JobStore, Line, Outcome

log = logging.getLogger(__name__)

LINES_AT_ONCE = 16  # lines in flight: Ecwid's answers take 0.3 s or more, its budget decides
PLAN_CHECKS_AT_ONCE = 16  # image links checked at once while planning
# Slack allows about 50 chat.update calls a minute; progress is shown at most every 2 s.
PROGRESS_SECONDS = 2.1
STATE_POLL_SECONDS = 1.0  # how soon a Stop pressed in another process is seen
RECORD_SECONDS = 0.1  # outcomes are written in batches at least this often
MAX_UNWRITTEN = 64  # outcomes not yet in the store: past this, no new line starts
RETRY_MAX_SECONDS = 5.0  # the longest wait between two tries at the store
FINAL_WRITE_SECONDS = 60.0  # how long the last outcomes are tried before the job is left as is
SCAN_SECONDS = 10.0  # how often unclaimed jobs are looked for
PARSE_SECONDS = 20.0  # reading a CSV file (at most 20 MB) takes a second or two


FOUND_AFTER_RESTART = (
    "The bot restarted during this line's upload; the image was found on the product, so it "
    "was not sent again."
)
RESTARTED = BulkInputError(
    "The bot restarted while checking the lines: send them again in a minute."
)
UNEXPECTED = BulkInputError(
    "Something went wrong on the bot's side: tell whoever runs the bot; the log has the details."
)


@dataclass(frozen=True)
class Progress:
    counts: Counts
    per_minute: float | None  # images a minute in this run, once it is known
    seconds_left: float | None
    paused: bool = False  # the bot is restarting; the job resumes by itself


class BulkReport(Protocol):
    """How a job is shown. `checking` returns the job message's handle (its ts), or None when
    the channel cannot be posted in (the user was then told)."""

    async def checking(self, who: Requester, channel_id: str, lines: int | None) -> str | None: ...

    async def still_checking(
        self, who: Requester, channel_id: str, handle: str, checked: int, lines: int
    ) -> None: ...

    async def not_planned(
        self, who: Requester, channel_id: str, handle: str | None, problem: UserFacingError
    ) -> None: ...

    async def planned(self, job: Job, lines: Sequence[Line], counts: Counts) -> None: ...

    async def cancelled(self, job: Job) -> None: ...

    async def progress(self, job: Job, progress: Progress) -> None: ...

    async def finished(self, job: Job, lines: Sequence[Line], counts: Counts) -> None: ...

    async def notice(self, who: Requester, notice: str, job: Job | None) -> None:
        """Why a press changed nothing: the job's state (`running`, `finished`, …),
        `not_found`, or `unavailable` (the database could not be reached)."""
        ...


@dataclass(frozen=True)
class _Checked:
    """A line ready to run: where it goes and what goes there."""

    product: Product
    slot: ImageSlot
    request: UploadRequest
    size: Size | None
    translated: dict[str, str]


def _file_json(file: SharedFile) -> dict[str, Any]:
    return {
        "id": file.id,
        "name": file.name,
        "mimetype": file.mimetype,
        "size": file.size,
        "download_url": file.download_url,
    }


def encode_line(checked: _Checked) -> str:
    request = checked.request
    data: dict[str, Any] = {
        "product_id": checked.slot.product_id,
        "kind": checked.slot.kind,
        "variation_id": checked.slot.variation_id,
        "url": request.image_url,
        "file": _file_json(request.file) if request.file else None,
        "width": checked.size.width if checked.size else None,
        "height": checked.size.height if checked.size else None,
        "alt": request.alt_main,
        "alt_translated": checked.translated,
        "external_id": request.external_id,
        "target": request.target,
        "product": describe_ref(request.product),
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def decode_line(text: str) -> tuple[ImageSlot, UploadRequest, Size | None, dict[str, str]]:
    data = json.loads(text)
    slot = ImageSlot(int(data["product_id"]), str(data["kind"]), data.get("variation_id"))
    file = SharedFile(**data["file"]) if data.get("file") else None
    size = Size(data["width"], data["height"]) if data.get("width") else None
    named = str(data.get("product") or slot.product_id)
    product: ProductRef = (
        ProductSku(named[4:]) if named.startswith("sku:") else ProductId(slot.product_id)
    )
    request = UploadRequest(
        product=product,
        image_url=data.get("url"),
        size=size,
        alt_main=data.get("alt"),
        external_id=data.get("external_id"),
        file=file,
        target=str(data.get("target") or "main"),
    )
    return slot, request, size, dict(data.get("alt_translated") or {})


def process_name() -> str:
    """Who holds a lease: this process, told apart from its restarts by a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class BulkFlow:
    def __init__(
        self,
        *,
        jobs: JobStore,
        store: StoreInfo,
        uploads: UploadFlow,
        report: BulkReport,
        lease_seconds: float = 30.0,
    ) -> None:
        self._jobs = jobs
        self._store = store
        self._uploads = uploads
        self._report = report
        self.lease_seconds = lease_seconds
        self.owner = process_name()
        self._runs: dict[str, _Run] = {}
        self._readers: dict[str, asyncio.Lock] = {}  # user → the lock their inputs take turns at
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False

    # ---- planning ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _reading(self, user_id: str) -> AsyncIterator[None]:
        """At most one input of a user is read and parsed at a time; the others wait their
        turn (never refused), so that one person cannot take every core."""
        async with self._readers.setdefault(user_id, asyncio.Lock()):  # a lock a person
            yield

    async def plan_lines(self, who: Requester, channel_id: str, lines: list[BulkLine]) -> None:
        await self._plan(who, channel_id, "lines", len(lines), lambda: _ready(lines))

    async def plan_csv(self, who: Requester, channel_id: str, file: SharedFile) -> None:
        async def read() -> list[BulkLine]:
            data = await self._uploads.read_file(file)
            try:  # CPU work: in a thread, so that acks are not held up, and under a time limit
                return await asyncio.wait_for(asyncio.to_thread(parse_csv, data), PARSE_SECONDS)
            except TimeoutError:
                raise BulkInputError(
                    f"The CSV file could not be read within {PARSE_SECONDS:g} s: send a smaller "
                    "one."
                ) from None

        await self._plan(who, channel_id, "csv", None, read)

    async def plan_files(
        self, who: Requester, channel_id: str, files: Sequence[SharedFile]
    ) -> None:
        await self._plan(who, channel_id, "files", len(files), lambda: self._name_files(files))

    async def _plan(
        self,
        who: Requester,
        channel_id: str,
        source: str,
        count: int | None,
        read: Callable[[], Awaitable[list[BulkLine]]],
    ) -> None:
        """Never raises: every way it ends is shown to the user."""
        handle = await self._report.checking(who, channel_id, count)
        if handle is None:
            return
        # Stored at once, held like a running job: should this process die while checking, the
        # next one finds the job and says so in its message.
        job = Job(
            id=uuid.uuid4().hex,
            user_id=who.user_id,
            channel_id=channel_id,
            message_ts=handle,
            source=source,
            state="checking",
            created_at=time.time(),
            lease_owner=self.owner,
            lease_until=time.time() + self.lease_seconds,
        )
        try:
            await self._jobs.create(job)
        except Exception:
            log.exception("cannot store bulk job")
            problem = BulkInputError("The job could not be saved in the bot's database; try again.")
            await self._report.not_planned(who, channel_id, handle, problem)
            return
        try:
            async with self._reading(who.user_id):  # one person's inputs are read one by one
                lines = await read()
            checked = await self._check(lines, job)
            records = [_record(line, result) for line, result in zip(lines, checked, strict=True)]
            if not await self._jobs.planned(job.id, records):
                return  # given up meanwhile (its lease ran out): that was already said
        except asyncio.CancelledError:  # a restart cut the checks short: say so, then stop
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._give_up(job, RESTARTED), INTERRUPTED_NOTICE_SECONDS)
            raise
        except UserFacingError as problem:
            await self._give_up(job, problem)
            return
        except Exception:
            log.exception("bulk planning failed unexpectedly")
            await self._give_up(job, UNEXPECTED)
            return
        ready = sum(r.status == "pending" for r in records)
        log.info(
            "bulk plan job=%s user=%s channel=%s source=%s ready=%d problems=%d",
            job.id,
            who.user_id,
            channel_id,
            source,
            ready,
            len(records) - ready,
        )
        await self._report.planned(job, records, _count(records))

    async def _give_up(self, job: Job, problem: UserFacingError) -> None:
        """The job will not be planned: the message says why (the store may be away too)."""
        with contextlib.suppress(Exception):
            await self._jobs.give_up_check(job.id)
        who = Requester(user_id=job.user_id, channel_id=job.channel_id)
        await self._report.not_planned(who, job.channel_id, job.message_ts, problem)

    async def _name_files(self, files: Sequence[SharedFile]) -> list[BulkLine]:
        """Files named SKU.jpg (main or variation image) and SKU_2.jpg… (gallery), in gallery
        order; names that match no SKU are listed as problems, never guessed."""
        described = await asyncio.gather(
            *(self._uploads.describe_file(file) for file in files), return_exceptions=True
        )
        stubs: list[BulkLine] = []
        readable: list[SharedFile] = []
        for file, answer in zip(files, described, strict=True):
            if isinstance(answer, SharedFile):
                readable.append(answer)
            elif isinstance(answer, UserFacingError):  # a stub Slack would not describe
                stubs.append(BulkLine(0, file.name or file.id, problem=answer))
            else:
                raise answer
        named = name_files(readable)
        skus = {n.sku for n in named if n.sku} | {n.gallery[0] for n in named if n.gallery}
        found = await self._store.products(ProductSku(s) for s in skus)
        lines: list[tuple[tuple[str, int, str], BulkLine]] = []
        for item in named:
            text = item.file.name or item.file.id
            whole = found.get(ProductSku(item.sku)) if item.sku else None
            first = found.get(ProductSku(item.gallery[0])) if item.gallery else None
            if item.sku is None:
                problem = ValidationError(
                    "The name is not SKU.jpg (the main image) or SKU_2.jpg, SKU_3.jpg… (the "
                    "gallery), with .jpg, .png or .gif."
                )
                lines.append(((text, 0, text), BulkLine(0, text, problem=problem)))
            elif isinstance(whole, Product) or item.gallery is None or first is None:
                request = UploadRequest(ProductSku(item.sku), None, None, file=item.file)
                bad = whole if isinstance(whole, UserFacingError) else None
                lines.append(((item.sku, 1, text), BulkLine(0, text, request, bad)))
            elif isinstance(first, Product):
                sku, place = item.gallery
                request = UploadRequest(
                    ProductSku(sku), None, None, file=item.file, target="gallery"
                )
                lines.append(((sku, place, text), BulkLine(0, text, request)))
            else:
                lines.append(((item.sku, 1, text), BulkLine(0, text, problem=whole or first)))
        lines.sort(key=lambda pair: pair[0])
        ordered = [line for _, line in lines] + stubs
        return [
            BulkLine(number, line.text, None if line.problem else line.request, line.problem)
            for number, line in enumerate(ordered, 1)
        ]

    async def _check(self, lines: list[BulkLine], job: Job) -> list[_Checked | UserFacingError]:
        """Each line's product, slot, image and alt languages; or its problem. A long check
        (thousands of links) shows how far it got, every few seconds."""
        refs: list[ProductRef] = [line.request.product for line in lines if line.request]
        products = await self._store.products(refs) if refs else {}
        limit = asyncio.Semaphore(PLAN_CHECKS_AT_ONCE)
        checked = 0

        async def show_progress() -> None:
            """Keep the lease (the check is alive), and show how far it got."""
            who = Requester(user_id=job.user_id, channel_id=job.channel_id)
            shown = time.monotonic()
            while True:
                await asyncio.sleep(min(PROGRESS_SECONDS, self.lease_seconds / 3))
                with contextlib.suppress(Exception):
                    await self._jobs.renew(job.id, self.owner, self.lease_seconds)
                if time.monotonic() - shown >= PROGRESS_SECONDS:
                    shown = time.monotonic()
                    with contextlib.suppress(Exception):
                        await self._report.still_checking(
                            who, job.channel_id, job.message_ts or "", checked, len(lines)
                        )

        async def check(line: BulkLine) -> _Checked | UserFacingError:
            if line.problem is not None or line.request is None:
                return line.problem or ValidationError("Nothing to upload.")
            request = line.request
            product = products.get(request.product)
            if not isinstance(product, Product):
                return product or ValidationError("The product was not looked up.")
            try:
                slot = slot_for(product, request.target)
                translated = await self._uploads.translated_alt(request)
                size = request.size
                if request.image_url is not None:
                    async with limit:
                        info = await self._uploads.read_image(request)
                    if size is None and isinstance(info, ImageInfo):
                        size = check_size(info.width or 0, info.height or 0)
            except UserFacingError as problem:
                return problem
            return _Checked(product, slot, request, size, translated)

        async def counted(line: BulkLine) -> _Checked | UserFacingError:
            nonlocal checked
            try:
                return await check(line)
            finally:
                checked += 1

        shower = asyncio.create_task(show_progress())
        try:
            return await asyncio.gather(*(counted(line) for line in lines))
        finally:
            shower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shower

    # ---- start, stop -------------------------------------------------------------------

    async def start(self, job_id: str, who: Requester) -> None:
        """Never raises: the press is answered, by the job's progress or privately."""
        try:
            await self._start(job_id, who)
        except Exception:  # the database is away: nothing started, and the user knows
            log.exception("bulk start failed")
            await self._report.notice(who, "unavailable", None)

    async def stop(self, job_id: str, who: Requester) -> None:
        """Cancel a planned job, or stop a running one (wherever it runs); never raises."""
        try:
            await self._stop(job_id, who)
        except Exception:
            log.exception("bulk stop failed")
            await self._report.notice(who, "unavailable", None)

    async def _start(self, job_id: str, who: Requester) -> None:
        if await self._jobs.start(job_id, who.user_id, self.owner, self.lease_seconds):
            log.info("bulk start job=%s user=%s", job_id, who.user_id)
            await self._launch(job_id)
            return
        job = await self._jobs.job(job_id)
        await self._report.notice(who, "not_found" if job is None else job.state, job)

    async def _stop(self, job_id: str, who: Requester) -> None:
        if await self._jobs.cancel(job_id, who.user_id):
            log.info("bulk cancel job=%s user=%s", job_id, who.user_id)
            job = await self._jobs.job(job_id)
            if job is not None:
                await self._report.cancelled(job)
            return
        if await self._jobs.request_stop(job_id, who.user_id):
            log.info("bulk stop job=%s user=%s", job_id, who.user_id)
            run = self._runs.get(job_id)
            if run is not None:
                run.stop()
            return
        job = await self._jobs.job(job_id)
        await self._report.notice(who, "not_found" if job is None else job.state, job)

    # ---- running -----------------------------------------------------------------------

    def watch(self) -> None:
        """Resume the jobs nobody holds (this process's own after a restart), now and on."""
        self._watcher = asyncio.create_task(self._watch(), name="bulk-watcher")

    async def _watch(self) -> None:
        while not self._closing:
            try:
                for job_id in await self._jobs.abandoned_checks():
                    if await self._jobs.give_up_check(job_id, only_if_abandoned=True):
                        log.info("bulk job %s: its checks were cut short by a restart", job_id)
                        job = await self._jobs.job(job_id)
                        if job is not None:
                            who = Requester(user_id=job.user_id, channel_id=job.channel_id)
                            await self._report.not_planned(
                                who, job.channel_id, job.message_ts, RESTARTED
                            )
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

    async def _launch(self, job_id: str) -> None:
        job = await self._jobs.job(job_id)
        if job is None:
            return
        run = _Run(self, job, self._uploads)
        self._runs[job_id] = run
        task = asyncio.create_task(run.run(), name=f"bulk-{job_id}")
        run.task = task
        task.add_done_callback(lambda _: self._runs.pop(job_id, None))

    async def idle(self) -> None:
        """Wait until no job runs here (for tests)."""
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


class _Run:
    """One job running in this process."""

    def __init__(self, flow: BulkFlow, job: Job, uploads: UploadFlow) -> None:
        self._flow = flow
        self._uploads = uploads
        self._jobs = flow._jobs
        self._report = flow._report
        self.job = job
        self.task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._paused = False
        self._lost = False
        self._lines: deque[Line] = deque()
        self._busy: set[int | None] = set()  # products a line is being uploaded to
        self._freed = asyncio.Event()
        # Outcomes not yet in the store: kept until a write succeeds (never dropped).
        self._outcomes: list[Outcome] = []
        self._written = asyncio.Event()  # set after each successful write of outcomes
        self._retry = RECORD_SECONDS  # the wait before the next try at the store, grows on failure
        self._done = 0
        self._failed = 0
        self._started = time.monotonic()
        # The lease was taken (started or claimed) just before this run began.
        self._held_until = self._started + flow.lease_seconds
        self._last_shown = 0.0
        self._base = Counts()

    def stop(self) -> None:
        self._stopping.set()

    def pause(self) -> None:
        self._paused = True
        self._stopping.set()

    async def run(self) -> None:
        try:
            await self._run()
        except Exception:
            log.exception("bulk job %s failed unexpectedly", self.job.id)
            with contextlib.suppress(Exception):
                await self._jobs.release(self.job.id, self._flow.owner)

    async def _run(self) -> None:
        job = self.job
        if job.state == "finished":  # its report was not posted: the process died first
            await self._report_result()
            return
        self._lines.extend(await self._jobs.pending(job.id))
        self._base = await self._jobs.counts(job.id)
        if job.state == "stopping":
            self._stopping.set()
        keeper = asyncio.create_task(self._keep())
        recorder = asyncio.create_task(self._record_often())
        shower = asyncio.create_task(self._show_progress())
        try:
            await self._show(force=True)
            workers = [
                asyncio.create_task(self._work())
                for _ in range(min(LINES_AT_ONCE, len(self._lines)))
            ]
            await asyncio.gather(*workers)
        finally:
            for task in (keeper, recorder, shower):
                task.cancel()
            await asyncio.gather(keeper, recorder, shower, return_exceptions=True)
            written = await self._flush_all()
        if not written:  # nothing is marked not run, and no line is run twice: its start is kept
            log.error(
                "bulk job %s: %d outcomes could not be written; the job is left to resume",
                job.id,
                len(self._outcomes),
            )
            return
        if self._lost:
            log.warning("bulk job %s: another process holds it now; stopped here", job.id)
            return
        if self._paused:  # shown first: the next process may be showing its own progress soon
            await self._show(force=True)
            await self._jobs.release(job.id, self._flow.owner)
            log.info("bulk job %s paused for a restart", job.id)
            return
        if not await self._jobs.finish(job.id, self._flow.owner):
            return
        log.info("bulk finished job=%s done=%d failed=%d", job.id, self._done, self._failed)
        await self._report_result()

    async def _report_result(self) -> None:
        job = await self._jobs.job(self.job.id) or self.job
        lines = await self._jobs.lines(job.id)
        await self._wait_to_show()
        await self._report.finished(job, lines, _count(lines))
        await self._jobs.reported(job.id)

    def _next_line(self) -> Line | None:
        """The first line whose product no other line is at: one product's lines run one after
        the other, so that its gallery keeps their order and its alt texts do not race."""
        for index, line in enumerate(self._lines):
            if _product_of(line) not in self._busy:
                del self._lines[index]
                return line
        return None

    def _still_held(self) -> bool:
        """Whether the lease surely lasts a while yet: a line is only begun when no other
        process can take the job over before it ends (say, while renewals are failing)."""
        if time.monotonic() < self._held_until - self._flow.lease_seconds / 3:
            return True
        log.warning("bulk job %s: the lease could not be renewed; pausing here", self.job.id)
        self._lost = True
        self._stopping.set()
        return False

    async def _work(self) -> None:
        while not self._stopping.is_set() and self._lines and self._still_held():
            if len(self._outcomes) >= MAX_UNWRITTEN:  # the store is behind: let it catch up
                self._written.clear()
                await self._written.wait()
                continue
            line = self._next_line()
            if line is None:  # every product left is being worked on: wait for one
                self._freed.clear()
                await self._freed.wait()
                continue
            product = _product_of(line)
            self._busy.add(product)
            try:
                begun = await self._begin(line)
                if begun is None:  # the store is away: the line waits its turn again
                    self._lines.appendleft(line)
                    await asyncio.sleep(self._retry)
                    continue
                if not begun:  # no longer this process's to run
                    continue
                outcome = await self._one(line)
            finally:
                self._busy.discard(product)
                self._freed.set()
            self._outcomes.append(outcome)
            if outcome.status == "done":
                self._done += 1
            else:
                self._failed += 1

    async def _begin(self, line: Line) -> bool | None:
        """Mark the line started, durably, before anything of it is sent: True to run it, False
        when it is not this process's to run, None when the store could not be reached. A line
        started by an earlier process is run again only after a check (see _one)."""
        if line.status == "started":
            return True
        try:
            begun = await self._jobs.start_line(self.job.id, line.number, self._flow.owner)
        except Exception as exc:
            self._retry = min(self._retry * 2, RETRY_MAX_SECONDS)
            log.warning(
                "bulk job %s: line %d not begun, the store is away: %s",
                self.job.id,
                line.number,
                type(exc).__name__,
            )
            return None
        self._retry = RECORD_SECONDS
        return begun

    async def _one(self, line: Line) -> Outcome:
        try:
            slot, request, size, translated = decode_line(line.request or "")
        except (ValueError, KeyError, TypeError):
            return Outcome(line.number, "failed", reason="The line could not be read back.")
        try:
            with bulk_lane():
                data = None
                if request.file is not None:
                    image = await self._uploads.read_image(request)
                    if isinstance(image, FileImage):
                        data = image.data
                        size = size or check_size(image.info.width or 0, image.info.height or 0)
                if size is None:
                    return Outcome(line.number, "failed", reason="The image's size is unknown.")
                # Begun before a restart: its upload may have reached Ecwid. Look before sending.
                if line.status == "started" and await self._uploads.already_there(
                    slot, request, data
                ):
                    return Outcome(line.number, "done", reason=FOUND_AFTER_RESTART)
                answer = await self._uploads.send(slot, request, size, translated, data)
        except UserFacingError as problem:
            return Outcome(line.number, "failed", reason=problem.message, quoted=problem.quoted)
        except Exception:
            log.exception("bulk line failed unexpectedly")
            return Outcome(line.number, "failed", reason="Something went wrong on the bot's side.")
        if isinstance(answer, EcwidError):
            return Outcome(line.number, "failed", reason=answer.message, quoted=answer.quoted)
        result, alt_error = answer
        if alt_error is None:
            return Outcome(line.number, "done", image_id=result.image_id)
        return Outcome(
            line.number,
            "done",
            image_id=result.image_id,
            reason=f"Uploaded, but the alt text was not set: {alt_error.message}",
            quoted=alt_error.quoted,
        )

    async def _flush(self) -> None:
        """Write the outcomes kept so far; they are let go only once the write succeeded."""
        outcomes = list(self._outcomes)
        if outcomes:
            await self._jobs.record(self.job.id, outcomes)
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
        while True:
            await asyncio.sleep(self._retry)
            try:
                await self._flush()
                self._retry = RECORD_SECONDS
            except Exception as exc:  # kept: tried again, after a longer wait each time
                self._retry = min(self._retry * 2, RETRY_MAX_SECONDS)
                log.warning(
                    "bulk job %s: outcomes not recorded yet (%d kept): %s",
                    self.job.id,
                    len(self._outcomes),
                    type(exc).__name__,
                )

    async def _keep(self) -> None:
        """Renew the lease, and notice a Stop pressed in another process."""
        renewed = time.monotonic()
        while True:
            await asyncio.sleep(min(STATE_POLL_SECONDS, self._flow.lease_seconds / 6))
            try:
                if time.monotonic() - renewed >= self._flow.lease_seconds / 3:
                    asked = time.monotonic()  # the new lease runs from no later than this
                    job = await self._jobs.renew(
                        self.job.id, self._flow.owner, self._flow.lease_seconds
                    )
                    renewed = time.monotonic()
                    if job is not None:
                        self._held_until = asked + self._flow.lease_seconds
                    if job is None:
                        self._lost = True
                        self._stopping.set()
                        return
                else:
                    job = await self._jobs.job(self.job.id)
            except Exception as exc:
                log.warning("bulk job %s: lease not renewed: %s", self.job.id, type(exc).__name__)
                continue
            if job is not None and job.state == "stopping":
                self._stopping.set()

    def _progress(self) -> Progress:
        base = self._base
        counts = Counts(
            done=base.done + self._done,
            failed=base.failed + self._failed,
            pending=max(0, base.pending - self._done - self._failed),
            invalid=base.invalid,
            not_run=base.not_run,
        )
        elapsed = time.monotonic() - self._started
        finished = self._done + self._failed
        per_minute = finished / elapsed * 60 if finished and elapsed >= 1 else None
        left = counts.pending / (per_minute / 60) if per_minute else None
        return Progress(counts, per_minute, left, paused=self._paused)

    async def _wait_to_show(self) -> None:
        wait = self._last_shown + PROGRESS_SECONDS - time.monotonic()
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
            await asyncio.sleep(max(0.0, self._last_shown + PROGRESS_SECONDS - time.monotonic()))
            now = (self._done, self._failed)
            if now != shown:
                shown = now
                await self._show()
            else:
                await asyncio.sleep(PROGRESS_SECONDS)


def _product_of(line: Line) -> int | None:
    try:
        return int(json.loads(line.request or "{}")["product_id"])
    except (ValueError, KeyError, TypeError):
        return None


async def _ready(lines: list[BulkLine]) -> list[BulkLine]:
    return lines


def _record(line: BulkLine, checked: _Checked | UserFacingError) -> Line:
    request = line.request
    product = describe_ref(request.product) if request else "-"
    if isinstance(checked, UserFacingError):
        return Line(
            line.number,
            line.text,
            product,
            None,
            None,
            "invalid",
            reason=checked.message,
            quoted=checked.quoted,
        )
    name = checked.product.name
    shown = f"{product} ({name})" if name else product
    note = None
    if checked.product.asked_sku is not None:
        used = checked.product.matched_sku
        note = f'uses SKU "{used}": no product has "{checked.product.asked_sku}" exactly'
        shown = f"{product} → sku:{used}" + (f" ({name})" if name else "")
    return Line(
        line.number,
        line.text,
        shown,
        checked.slot.kind,
        encode_line(checked),
        "pending",
        reason=note,
    )


def _count(lines: Sequence[Line]) -> Counts:
    found: dict[str, int] = {}
    for line in lines:
        found[line.status] = found.get(line.status, 0) + 1
    return Counts(**{k: v for k, v in found.items() if k in Counts.__dataclass_fields__})
