"""Planning a bulk job: read its input (lines, a CSV file, files named by SKU), look every
product up (a hundred a call, SKUs as bot.ecwid.catalog chooses), check every link, store the
job and its lines, and show the plan (Start / Cancel). Nothing is uploaded here.

A job is stored as soon as its checks begin, held by a lease like a running one: should this
process die while checking, the next one finds it and says so in its message.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace

from bot.changes import codec
from bot.changes.context import StoreContext
from bot.changes.slot_change import (
    AltText,
    Asker,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    SlotChange,
    Target,
)
from bot.domain import texts
from bot.domain.bulk import (
    MAX_LINES,
    BulkInputError,
    BulkLine,
    Caption,
    NamedFile,
    NamingRules,
    ParseDeadline,
    captioned,
    name_files,
    parse_csv,
    reading_note,
    too_many,
    value_note,
)
from bot.domain.errors import UserFacingError
from bot.domain.grammar import OptionUpload
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
from bot.domain.tenant import Tenant
from bot.ecwid.catalog import CONFIRM_MISSES
from bot.ecwid.errors import EcwidError, ProductNotFound
from bot.ecwid.models import ImageSlot, Product
from bot.ecwid.store import SkuNotChecked
from bot.flows.alt_fix import SOURCE as ALT_FIX
from bot.flows.alt_fix import AltFix, fix_lines
from bot.flows.bulk_lease import Lease
from bot.flows.bulk_report import BulkReport, CopyRoom
from bot.flows.bulk_run import PROGRESS_SECONDS, START_BATCH
from bot.flows.duplicates import Candidate, DuplicateCheck
from bot.flows.option_lines import (
    SOURCE,
    Chosen,
    Lacking,
    choose,
    expand_options,
    matched_note,
    option_lines,
    unmatched,
    value_states,
    variation_lines,
)
from bot.flows.square_fix import SOURCE as SQUARE_FIX
from bot.flows.square_fix import SquareFix, square_lines
from bot.flows.upload import (
    INTERRUPTED_NOTICE_SECONDS,
    checked_translations,
    describe_ref,
    slot_for,
)
from bot.flows.variation_fix import SOURCE as VARIATION_FIX
from bot.flows.variation_fix import VariationFix, fill_lines
from bot.images.convert import format_name, format_to_convert
from bot.images.probe import ImageInfo
from bot.jobs.history import KeepLimit
from bot.jobs.store import Job, JobState, JobStore, Line, LineState, Suggestion, count_lines

log = logging.getLogger(__name__)

PLAN_CHECKS_AT_ONCE = 16  # image links checked at once while planning
PARSE_SECONDS = 20.0  # reading a CSV file (at most 20 MB) takes a second or two
# The naming rules of a tenant's store (its own, its workspace's, or the deployment's: #38).
NamingOf = Callable[[Tenant], Awaitable[NamingRules]]


async def _usual_naming(tenant: Tenant) -> NamingRules:
    return NamingRules()


NAMING_THREADS = 2  # names read at once, whatever the plans: the default pool is DNS's too
_naming: list[ThreadPoolExecutor] = []


def _naming_pool() -> ThreadPoolExecutor:
    if not _naming:
        _naming.append(ThreadPoolExecutor(NAMING_THREADS, thread_name_prefix="naming"))
    return _naming[0]


RESTARTED = BulkInputError(texts.CHECK_RESTARTED)
NOT_A_NAME = ValidationError(texts.NOT_A_NAME)
RESTARTED_UNDO = BulkInputError(texts.UNDO_CHECK_RESTARTED)
UNEXPECTED = BulkInputError(texts.UNEXPECTED_SEE_LOG)


class Suggested(ValidationError):
    """A file name whose SKU matches nothing, with the store's closest SKUs ("did you mean")."""

    def __init__(
        self,
        sku: str,
        close: list[str],
        file: SharedFile,
        target: str,
        unchecked: SkuNotChecked | None = None,
    ) -> None:
        said = texts.no_sku(sku)
        if close:
            said += " Did you mean " + " or ".join(close) + "?"
        if unchecked is not None:  # past the plan's first misses searched for again
            said += f" ({unchecked.message})"
        super().__init__(said)
        self.sku = sku
        self.close = close
        self.file = file
        self.target = target

    def replan(self) -> Suggestion | None:
        """What the line keeps for Use SKU: the first suggestion, the file, the slot."""
        if not self.close:
            return None
        return Suggestion(self.close[0], self.target, self.file)


@dataclass(frozen=True)
class Stamp:
    """What the changes of a job's lines share: the store, who asked and where, the way in."""

    store_id: int
    asker: Asker
    origin: Origin

    @classmethod
    def of(cls, store_id: int, job: Job) -> Stamp:
        origin = Origin.DROP if job.source == "drop" else Origin.BULK_LINE
        return cls(store_id, Asker(job.user_id, job.channel_id), origin)


@dataclass(frozen=True)
class _Checked:
    """A line ready to run: where it goes and what goes there."""

    product: Product
    slot: ImageSlot
    request: UploadRequest
    size: Size | None
    translated: dict[str, str]
    convert: str | None = None  # the format a link is converted from before it is sent


def line_change(checked: _Checked, stamp: Stamp) -> SlotChange:
    """What running the line does: its change (kept encoded by the job store, decoded once:
    bulk_run)."""
    request = checked.request
    source: FromLink | FromSlackFile
    if request.file is not None:
        source = FromSlackFile(request.file)
    else:
        assert request.image_url is not None
        source = FromLink(request.image_url)
    return SlotChange(
        store_id=stamp.store_id,
        target=Target.of_slot(checked.slot),
        source=source,
        asker=stamp.asker,
        origin=stamp.origin,
        alt=AltText.of(request.alt_main, checked.translated),
        known=Known(size=checked.size, convert=checked.convert is not None),
        external_id=request.external_id,
    )


class Planner:
    """Turns an input into a planned job (or says why it cannot be one); never raises."""

    def __init__(
        self,
        *,
        jobs: JobStore,
        report: BulkReport,
        owner: str,
        lease_seconds: float,
        naming: NamingOf | None = None,
        duplicates: DuplicateCheck | None = None,
        duplicate_lines: int = 200,
        parse_seconds: float = PARSE_SECONDS,
        keep: KeepLimit | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
    ) -> None:
        self._progress_seconds = progress_seconds  # between two updates of the plan's message
        self._keep = keep
        self._naming = naming or _usual_naming
        self._parse_seconds = parse_seconds
        self._duplicate_check = duplicates
        self._duplicate_lines = duplicate_lines
        self._jobs = jobs
        self._report = report
        self.owner = owner
        self.lease_seconds = lease_seconds
        self._readers: dict[str, asyncio.Lock] = {}  # user → the lock their inputs take turns at

    @contextlib.asynccontextmanager
    async def _reading(self, user_id: str) -> AsyncIterator[None]:
        """At most one input of a user is read and parsed at a time; the others wait their
        turn (never refused), so that one person cannot take every core."""
        async with self._readers.setdefault(user_id, asyncio.Lock()):  # a lock a person
            yield

    async def plan_lines(
        self, store: StoreContext, who: Requester, channel_id: str, lines: list[BulkLine]
    ) -> None:
        await self._plan(store, who, channel_id, "lines", len(lines), lambda: _ready(lines))

    async def plan_option(
        self, store: StoreContext, who: Requester, channel_id: str, upload: OptionUpload
    ) -> None:
        """One image for every variation with the option values asked for (bot.flows.
        option_lines): a line a variation."""
        await self._plan(store, who, channel_id, SOURCE, None, lambda: option_lines(store, upload))

    async def plan_alt_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: AltFix
    ) -> None:
        """The audit's alt-text fix (bot.flows.alt_fix): a line an image whose alt texts change;
        never raises."""
        asker = Asker(who.user_id, channel_id)
        await self._plan_fix(
            store,
            who,
            channel_id,
            ALT_FIX,
            lambda: fix_lines(store, fix, asker, Origin.BULK_LINE),
            texts.NO_ALT_TO_FIX,
        )

    async def plan_square_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: SquareFix
    ) -> None:
        """The audit's square fix (bot.flows.square_fix): a line an image not square; never
        raises."""
        asker = Asker(who.user_id, channel_id)
        await self._plan_fix(
            store,
            who,
            channel_id,
            SQUARE_FIX,
            lambda: square_lines(store, fix, asker, Origin.BULK_LINE),
            texts.NO_SQUARE_TO_FIX,
            keeps_copies=True,  # each original, replaced or deleted, is kept for Undo
        )

    async def plan_variation_fix(
        self, store: StoreContext, who: Requester, channel_id: str, fix: VariationFix
    ) -> None:
        """The audit's fix for missing variation images (bot.flows.variation_fix): a line a
        variation given the image of one of its values; never raises."""
        asker = Asker(who.user_id, channel_id)
        await self._plan_fix(
            store,
            who,
            channel_id,
            VARIATION_FIX,
            lambda: fill_lines(store, fix, asker, Origin.BULK_LINE),
            texts.NO_VARIATION_TO_FILL,
        )

    async def _plan_fix(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        source: str,
        read: Callable[[], Awaitable[tuple[list[Line], bool]]],
        nothing: str,
        *,
        keeps_copies: bool = False,
    ) -> None:
        """One of the audit's fixes planned from the catalog as it is now (`read`: its lines,
        and whether there were too many); `nothing`: what is said when no image needs it."""
        job = await self._checking(store.tenant, who, channel_id, source, None)
        if job is None:
            return
        lease = Lease(self._jobs, job.id, self.owner, self.lease_seconds)

        async def keep_lease() -> None:  # the catalog's pages take a while: the check is alive
            while True:
                await asyncio.sleep(self.lease_seconds / 3)
                with contextlib.suppress(Exception):
                    await lease.renew()

        keeper = asyncio.create_task(keep_lease())
        try:
            records, cut = await read()
            if not records:
                raise BulkInputError(nothing)
            if cut:
                raise BulkInputError(texts.fix_too_many(len(records)))
            if not await self._jobs.planned(job.id, records):
                return
        except asyncio.CancelledError:  # a restart cut the reading short: say so, then stop
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self._give_up(job, RESTARTED), INTERRUPTED_NOTICE_SECONDS)
            raise
        except UserFacingError as problem:
            await self._give_up(job, problem)
            return
        except Exception:
            log.exception("the audit's fix was not planned")
            await self._give_up(job, UNEXPECTED)
            return
        finally:
            keeper.cancel()
        log.info("fix plan job=%s source=%s lines=%d", job.id, source, len(records))
        copies = await self._room_for(store, len(records)) if keeps_copies else None
        await self._report.planned(job, records, count_lines(records), {}, copies=copies)

    async def plan_csv(
        self, store: StoreContext, who: Requester, channel_id: str, file: SharedFile
    ) -> None:
        async def read() -> list[BulkLine]:
            data = await store.runner.sources.read_file(file)
            seconds = self._parse_seconds
            # CPU work: in a thread, so that acks are not held up. The parse watches its own
            # time limit and stops there: a thread cannot be stopped from outside, and one left
            # running would go on taking a core (and the person's turn) after the refusal.
            try:
                lines = await asyncio.to_thread(parse_csv, data, seconds)
            except ParseDeadline:
                raise BulkInputError(texts.csv_too_slow(seconds)) from None
            return await expand_options(store, lines)

        await self._plan(store, who, channel_id, "csv", None, read)

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
        """Files named by SKU (or all on the product a caption names); the plan in the channel,
        or in the thread `thread_ts` (a drop's)."""
        source = "drop" if thread_ts else "files"

        async def read() -> list[BulkLine]:
            if caption is not None:
                return await expand_options(store, captioned(files, caption))
            return await self._name_files(store, files)

        await self._plan(store, who, channel_id, source, len(files), read, thread_ts=thread_ts)

    async def _plan(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        source: str,
        count: int | None,
        read: Callable[[], Awaitable[list[BulkLine]]],
        *,
        thread_ts: str | None = None,
    ) -> None:
        """Never raises: every way it ends is shown to the user."""
        job = await self._checking(
            store.tenant, who, channel_id, source, count, thread_ts=thread_ts
        )
        if job is None:
            return
        try:
            async with self._reading(who.user_id):  # one person's inputs are read one by one
                lines = await read()
            checked = await self._check(store, lines, job)
            converting = _conversions(checked)
            stamp = Stamp.of(store.store_id, job)
            records = [
                _record(line, result, stamp) for line, result in zip(lines, checked, strict=True)
            ]
            records, duplicates_skipped = await self._duplicates(store, records, checked)
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
        ready = sum(r.status == LineState.PENDING for r in records)
        log.info(
            "bulk plan job=%s user=%s channel=%s source=%s ready=%d problems=%d",
            job.id,
            who.user_id,
            channel_id,
            source,
            ready,
            len(records) - ready,
        )
        await self._report.planned(
            job,
            records,
            count_lines(records),
            converting,
            copy_reads=_copy_reads(checked),
            replacing=sum(
                line.replaces
                for line, record in zip(lines, records, strict=True)
                if record.status == LineState.PENDING
            ),
            duplicates_skipped=duplicates_skipped,
            copies=await self._copy_room(store, checked),
        )

    async def _checking(
        self,
        tenant: Tenant,
        who: Requester,
        channel_id: str,
        source: str,
        count: int | None,
        *,
        thread_ts: str | None = None,
    ) -> Job | None:
        """The job's message ("checking…") and the job, stored at once and held like a running
        job: should this process die while checking, the next one finds it and says so. None
        when either could not be (the person was told)."""
        handle = await self._report.checking(who, channel_id, count, thread_ts=thread_ts)
        if handle is None:
            return None
        job = Job(
            id=uuid.uuid4().hex,
            user_id=who.user_id,
            channel_id=channel_id,
            message_ts=handle,
            source=source,
            state=JobState.CHECKING,
            created_at=time.time(),
            team_id=tenant.team_id,
            store_id=tenant.store_id,
            lease_owner=self.owner,
            lease_until=time.time() + self.lease_seconds,
            thread_ts=thread_ts,
        )
        try:
            await self._jobs.create(job)
        except Exception:
            log.exception("cannot store bulk job")
            problem = BulkInputError(texts.JOB_NOT_SAVED)
            await self._report.not_planned(who, channel_id, handle, problem)
            return None
        return job

    async def _copy_room(
        self, store: StoreContext, checked: Sequence[_Checked | UserFacingError]
    ) -> CopyRoom | None:
        """Whether the copies for Undo the job may keep fit under HISTORY_MAX_MB, as far as it
        can be told before they are read: each line replacing an image keeps a copy, of about
        the mean size of those kept so far (or TYPICAL_COPY_BYTES). None when it cannot be
        told (the store is away: the job itself still keeps within the limit)."""
        images = sum(c.slot.kind != "gallery" for c in checked if isinstance(c, _Checked))
        return await self._room_for(store, images)

    async def _room_for(self, store: StoreContext, images: int) -> CopyRoom | None:
        """`_copy_room` for `images` copies."""
        if self._keep is None or not images:
            return None
        try:
            room, mean = await store.history.copy_room(self._keep.max_bytes)
        except Exception as exc:
            log.warning("the room for copies could not be read: %s", type(exc).__name__)
            return None
        return CopyRoom(images, room, images * (mean or TYPICAL_COPY_BYTES), mean is not None)

    async def _give_up(self, job: Job, problem: UserFacingError) -> None:
        """The job will not be planned: the message says why (the store may be away too)."""
        with contextlib.suppress(Exception):
            await self._jobs.give_up_check(job.id)
        who = Requester(user_id=job.user_id, channel_id=job.channel_id)
        await self._report.not_planned(who, job.channel_id, job.message_ts, problem)

    async def _name_files(self, store: StoreContext, files: Sequence[SharedFile]) -> list[BulkLine]:
        """Files named SKU.jpg (main or variation image) and SKU_2.jpg… (gallery), in gallery
        order; names that match no SKU are listed as problems, never guessed."""
        described = await asyncio.gather(
            *(store.runner.sources.describe_file(file) for file in files), return_exceptions=True
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
        # Off the event loop, in threads of their own: a store's own pattern is a workspace
        # admin's, tried on every name, each within its limit.
        rules = await self._naming(store.tenant)
        loop = asyncio.get_running_loop()
        named = await loop.run_in_executor(_naming_pool(), name_files, readable, rules)
        skus = {reading.sku for item in named for reading in item.readings}
        found = await store.catalog.products(ProductSku(s) for s in skus)
        # The names no plain reading of which is a SKU in the (just brought up to date) index:
        # their plain readings are searched for once more, the first few plan-wide, before a
        # reading with an option value may hold (SHIRT-purple may be a product the index has
        # not caught up with, not SHIRT's Purple variations).
        unfound = [
            r.sku
            for item in named
            if (plain := [r for r in item.readings if r.value is None])
            and all(isinstance(found.get(ProductSku(r.sku)), ProductNotFound) for r in plain)
            for r in plain
        ]
        if unfound:
            found.update(await store.catalog.confirm(unfound, CONFIRM_MISSES))
        lines: list[tuple[tuple[str, int, str], BulkLine]] = []
        unknown: list[tuple[NamedFile, str]] = []  # no reading's SKU exists: did they mean…
        states = await value_states(store, [item.readings for item in named], found)
        for item in named:
            text = item.file.name or item.file.id
            if not item.readings:
                lines.append(((text, 0, text), BulkLine(0, text, problem=NOT_A_NAME)))
                continue
            # A SKU that exists wins, in the order the readings are likeliest.
            chosen = choose(item.readings, found, states)
            if isinstance(chosen, Lacking):
                lacks = ValidationError(unmatched(chosen.product, chosen.unmatched))
                lines.append(((chosen.reading.sku, 0, text), BulkLine(0, text, problem=lacks)))
                continue
            if chosen is None:
                results = [found.get(ProductSku(r.sku)) for r in item.readings]
                errors = [r for r in results if isinstance(r, UserFacingError)]
                # Several products for a SKU says more than "no such SKU".
                problem = next((e for e in errors if not isinstance(e, ProductNotFound)), None)
                if problem is None and errors:
                    unknown.append((item, text))
                    continue
                problem = problem or NOT_A_NAME
                sku = item.readings[0].sku
                lines.append(((sku, 0, text), BulkLine(0, text, problem=problem)))
                continue
            lines += self._named_lines(item, text, chosen)
        if unknown:
            suggestions = await self._suggest(store, [item.readings[0].sku for item, _ in unknown])
            for item, text in unknown:
                reading = item.readings[0]
                unchecked = next(
                    (
                        e
                        for r in item.readings
                        if isinstance(e := found.get(ProductSku(r.sku)), SkuNotChecked)
                    ),
                    None,
                )
                problem = Suggested(
                    reading.sku,
                    suggestions.get(reading.sku, []),
                    item.file,
                    reading.target,
                    unchecked,
                )
                lines.append(((reading.sku, 0, text), BulkLine(0, text, problem=problem)))
        lines.sort(key=lambda pair: pair[0])
        ordered = [line for _, line in lines] + stubs
        if len(ordered) > MAX_LINES:  # a file for many variations is a line each
            raise too_many(len(ordered))
        return [
            replace(line, number=number, request=None if line.problem else line.request)
            for number, line in enumerate(ordered, 1)
        ]

    @staticmethod
    def _named_lines(
        item: NamedFile, text: str, chosen: Chosen
    ) -> list[tuple[tuple[str, int, str], BulkLine]]:
        """A file's line (or a line for each variation with the value its name says), with the
        key that orders it among the plan's: its SKU, its place in the gallery, its name."""
        reading = chosen.reading
        key = (reading.sku, reading.place, text)
        # A name that reads two ways: the plan says which reading it took.
        others = {r.sku for r in item.readings if r.sku != reading.sku}
        plain = reading_note(reading.sku, reading.target, reading.place, reading.how)
        if chosen.matched is None:
            request = UploadRequest(
                ProductSku(reading.sku), None, None, file=item.file, target=reading.target
            )
            return [(key, BulkLine(0, text, request, reading=plain if others else None))]
        value = chosen.matched.choice.value
        notes = [value_note(reading.sku, value, reading.target, reading.how)]
        if (said := matched_note(chosen.matched)) is not None:
            notes.append(said)
        if reading.target == "gallery":  # a value with a place: a variation holds one image
            request = UploadRequest(
                ProductId(chosen.product.id), None, None, file=item.file, target="gallery"
            )
            return [(key, BulkLine(0, text, request, reading="; ".join(notes)))]
        assert chosen.state is not None
        request = UploadRequest(ProductId(chosen.product.id), None, None, file=item.file)
        try:
            fanned = variation_lines(
                chosen.state, [chosen.matched.choice], request, text, "; ".join(notes)
            )
        except UserFacingError as problem:
            return [(key, BulkLine(0, text, problem=problem))]
        return [(key, line) for line in fanned]

    async def _duplicates(
        self,
        store: StoreContext,
        records: list[Line],
        checked: Sequence[_Checked | UserFacingError],
    ) -> tuple[list[Line], int]:
        """The lines whose image is on its product already, or twice in the plan, marked so
        (left out of Start unless included); past the limit, the limit (the plan says the
        check was skipped)."""
        candidates = [
            Candidate(index, record.number, result.slot, result.request)
            for index, (record, result) in enumerate(zip(records, checked, strict=True))
            if isinstance(result, _Checked) and record.status == LineState.PENDING
        ]
        if not candidates or self._duplicate_check is None:
            return records, 0
        if len(candidates) > self._duplicate_lines:
            return records, self._duplicate_lines
        found = await self._duplicate_check.find(store, candidates)

        def marked_line(index: int, record: Line) -> Line:
            if index in found.refused:
                return replace(record, status=LineState.INVALID, reason=found.refused[index])
            if index in found.duplicates:
                return replace(record, status=LineState.DUPLICATE, reason=found.duplicates[index])
            if index in found.notes:  # after a reading's note, if the line has one
                note = found.notes[index]
                return replace(record, reason=f"{record.reason}; {note}" if record.reason else note)
            return record

        marked = [marked_line(index, record) for index, record in enumerate(records)]
        return marked, 0

    async def include_duplicates(self, store: StoreContext, job_id: str, who: Requester) -> None:
        """Include duplicates: they run with the others; the plan is shown again; never raises."""
        try:
            job = await self._jobs.job(job_id, store.tenant)
            if job is None or job.state != JobState.PLANNED:
                await self._report.notice(who, "not_found" if job is None else job.state, job)
                return
            included = await self._jobs.include_duplicates(job_id)
            log.info(
                "bulk include_duplicates job=%s lines=%d user=%s", job_id, included, who.user_id
            )
            lines = await self._jobs.lines(job_id)
            await self._report.planned(job, lines, count_lines(lines), {})
        except Exception:
            log.exception("bulk include_duplicates failed")
            await self._report.notice(who, "unavailable", None)

    async def _suggest(self, store: StoreContext, skus: list[str]) -> dict[str, list[str]]:
        """The closest SKUs of the store to each (none when Ecwid cannot be asked now)."""
        try:
            return await store.catalog.catalog.suggest(skus)
        except EcwidError as exc:
            log.info("no SKU suggestions: %s", exc)
            return {}

    async def use_suggestion(
        self, store: StoreContext, job_id: str, number: int, who: Requester
    ) -> None:
        """Did you mean: the line's file goes to the suggested SKU, and the plan is shown again
        with it; never raises."""
        try:
            job = await self._jobs.job(job_id, store.tenant)
            line = next((x for x in await self._jobs.lines(job_id) if x.number == number), None)
            if job is None or line is None:
                await self._report.notice(who, "not_found", job)
                return
            if job.state != JobState.PLANNED:
                await self._report.notice(who, str(job.state), job)
                return
            suggestion = line.suggestion
            if suggestion is None:
                await self._report.notice(who, "not_found", None)
                return
            sku, target = suggestion.sku, suggestion.target
            request = UploadRequest(
                ProductSku(sku), None, None, file=suggestion.file, target=target
            )
            try:
                product = await store.catalog.product(ProductSku(sku))
                checked: _Checked | UserFacingError = _Checked(
                    product, slot_for(product, target), request, None, {}
                )
            except UserFacingError as problem:
                checked = problem
            stamp = Stamp.of(store.store_id, job)
            replanned = _record(BulkLine(number, line.text, request), checked, stamp)
            if not await self._jobs.replan_line(job_id, replanned):
                await self._report.notice(who, "planned_changed", job)
                return
            log.info("bulk use_sku job=%s line=%d sku=%s user=%s", job_id, number, sku, who.user_id)
            lines = await self._jobs.lines(job_id)
            await self._report.planned(job, lines, count_lines(lines), {})
        except Exception:
            log.exception("bulk use_sku failed")
            await self._report.notice(who, "unavailable", None)

    async def check_given_up(self, job_id: str) -> None:
        """A job whose checks a restart cut short: its message says so."""
        job = await self._jobs.job(job_id)
        if job is not None:
            who = Requester(user_id=job.user_id, channel_id=job.channel_id)
            problem = RESTARTED_UNDO if job.source == "undo" else RESTARTED
            await self._report.not_planned(who, job.channel_id, job.message_ts, problem)

    async def _check(
        self, store: StoreContext, lines: list[BulkLine], job: Job
    ) -> list[_Checked | UserFacingError]:
        """Each line's product, slot, image and alt languages; or its problem. A long check
        (thousands of links) shows how far it got, every few seconds."""
        refs: list[ProductRef] = [line.request.product for line in lines if line.request]
        products = await store.catalog.products(refs, confirm=CONFIRM_MISSES) if refs else {}
        limit = asyncio.Semaphore(PLAN_CHECKS_AT_ONCE)
        checked = 0

        async def show_progress() -> None:
            """Keep the lease (the check is alive), and show how far it got."""
            lease = Lease(self._jobs, job.id, self.owner, self.lease_seconds)
            who = Requester(user_id=job.user_id, channel_id=job.channel_id)
            shown = time.monotonic()
            while True:
                await asyncio.sleep(min(self._progress_seconds, self.lease_seconds / 3))
                with contextlib.suppress(Exception):
                    await lease.renew()
                if time.monotonic() - shown >= self._progress_seconds:
                    shown = time.monotonic()
                    with contextlib.suppress(Exception):
                        await self._report.still_checking(
                            who, job.channel_id, job.message_ts or "", checked, len(lines)
                        )

        headers: dict[tuple[str, bool], asyncio.Task[ImageInfo]] = {}  # a link's, read once

        async def read_header(url: str, need_size: bool) -> ImageInfo:
            async with limit:  # the header only: a conversion waits for the run
                return await store.runner.sources.check_link(url, need_size=need_size)

        async def header(url: str, need_size: bool) -> ImageInfo:
            key = (url, need_size)
            if key not in headers:
                headers[key] = asyncio.ensure_future(read_header(url, need_size))
            return await headers[key]

        async def check(line: BulkLine) -> _Checked | UserFacingError:
            if line.problem is not None or line.request is None:
                return line.problem or ValidationError(texts.NOTHING_TO_UPLOAD)
            request = line.request
            product = products.get(request.product)
            if not isinstance(product, Product):
                return product or ValidationError(texts.NOT_LOOKED_UP)
            try:
                slot = slot_for(product, request.target)
                translated = await checked_translations(store.catalog, request.alt_translated)
                size = request.size
                convert = None
                if request.image_url is not None:
                    info = await header(request.image_url, request.size is None)
                    if not info.ready_for_ecwid:
                        convert = info.format
                    elif size is None:
                        size = check_size(info.width or 0, info.height or 0)
            except UserFacingError as problem:
                return problem
            return _Checked(product, slot, request, size, translated, convert)

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
            for task in headers.values():  # each awaited by its lines, unless they were cut short
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await shower


# A copy's size, until copies have been kept to take their mean: a product photo of about
# 2000 px as a JPEG. Only the plan's note uses it; the job keeps by the copies' real sizes.
TYPICAL_COPY_BYTES = 500 * 1024


def _copy_reads(checked: Sequence[_Checked | UserFacingError]) -> int:
    """About how many Ecwid calls keeping the replaced images for Undo costs: the slots are
    read a batch of lines at a time (bulk_run), and a further line for a slot an earlier line
    changed reads it when it runs (a product's variations are each their own slot)."""
    ready = [c for c in checked if isinstance(c, _Checked)]
    replacing = [
        (c.slot.product_id, c.slot.variation_id) for c in ready if c.slot.kind != "gallery"
    ]
    if not replacing:
        return 0
    batches = min(len(replacing), math.ceil(len(ready) / START_BATCH))
    return batches + len(replacing) - len(set(replacing))


def _conversions(checked: Sequence[_Checked | UserFacingError]) -> dict[str, int]:
    """How many of the lines' images will be converted, by the format they come in: a link's
    as its header showed, a file's as its type or name says."""
    found: Counter[str] = Counter()
    for result in checked:
        if not isinstance(result, _Checked):
            continue
        file = result.request.file
        kind = result.convert or (format_to_convert(file.name, file.mimetype) if file else None)
        if kind:
            found[format_name(kind)] += 1
    return dict(found)


async def _ready(lines: list[BulkLine]) -> list[BulkLine]:
    return lines


def _record(line: BulkLine, checked: _Checked | UserFacingError, stamp: Stamp) -> Line:
    request = line.request
    product = describe_ref(request.product) if request else "-"
    if isinstance(checked, UserFacingError):
        # A name with a suggestion keeps what re-planning it takes (never run as it is).
        kept = checked.replan() if isinstance(checked, Suggested) else None
        return Line(
            line.number,
            line.text,
            f"sku:{checked.sku}" if isinstance(checked, Suggested) else product,
            None,
            None,
            LineState.INVALID,
            reason=checked.message,
            quoted=checked.quoted,
            suggestion=kept,
        )
    name = checked.product.name
    shown = f"{product} ({name})" if name else product
    note = line.reading
    if checked.product.asked_sku is not None:
        used = checked.product.matched_sku
        note = f'uses SKU "{used}": no product has "{checked.product.asked_sku}" exactly'
        shown = f"{product} → sku:{used}" + (f" ({name})" if name else "")
    if line.cleaned is not None:
        note = f"{note}; {line.cleaned}" if note else line.cleaned
    variation = checked.product.variation
    return Line(
        line.number,
        line.text,
        shown,
        checked.slot.kind,
        codec.dumps(line_change(checked, stamp)),
        LineState.PENDING,
        reason=note,
        # The SKU the image goes on (the variation's own, else the product's), for the plan;
        # the names, for the history.
        sku=checked.product.matched_sku,
        product_name=checked.product.name,
        variation_label=variation.describe() if variation else None,
    )
