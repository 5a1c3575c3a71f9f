"""The job store: bulk jobs and each line's outcome, written as the job runs.

SQLite (a file, nothing to set up) by default; PostgreSQL when DATABASE_URL names one, where
several bot processes share the jobs. A job runs in one process at a time: the one holding its
lease, which it renews while it works. A process that dies stops renewing, and the job goes to
whichever process claims it after the lease ran out.

Every change of state is one conditional UPDATE, so that two processes (or two people pressing
Start at once) cannot both win: the database decides, by the rows it changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
import time
import weakref
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext, MigrationInfo
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, bindparam, delete, event, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.domain.requests import SharedFile
from bot.domain.tenant import Tenant
from bot.jobs.history import Change, KeepLimit, change_row, fit_copies, kept_row, order_rows
from bot.jobs.schema import (
    change_orders,
    changes,
    jobs,
    kept_images,
    lines,
    seen_events,
    undo_claims,
    waiting_drops,
)

T = TypeVar("T")
CLOSE_WRITES_SECONDS = 5.0  # a write in flight at shutdown gets this long to end
log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# One number for every process of this app: PostgreSQL's advisory lock around the migrations,
# so that two dynos starting at once do not both create the tables.
_MIGRATION_LOCK = 0x6563_7769_6462
# Held while a job decides which copies fit under HISTORY_MAX_MB and writes them (PostgreSQL:
# every process's jobs, one at a time; SQLite's write lock does the same there).
_KEEP_LOCK = 0x6563_7769_6B65
SQLITE_LOCK_SECONDS = 10.0
CONNECT_SECONDS = 10.0  # a PostgreSQL server that does not answer
OPEN_SECONDS = 30.0  # connecting and bringing the schema up to date, in all
PRUNE_CHUNK = 500  # jobs (or changes) deleted a statement: bounded IN lists


class JobStoreError(Exception):
    """The job store could not be opened or written (its message never includes a password)."""


class NewerDatabaseError(JobStoreError):
    """The database's revision is not one of this code's migrations: a newer version of the bot
    upgraded it. Nothing is changed (an older bot cannot know what a newer schema means)."""

    def __init__(self, revision: str, head: str) -> None:
        super().__init__(
            f"this database was upgraded by a newer ecwid-image ({revision}); this version "
            f"knows up to {head}: run the newer version, or restore the backup taken before "
            "upgrading"
        )
        self.revision = revision
        self.head = head


class JobState(StrEnum):
    """checking → planned → running (→ stopping) → finished; checking or planned → cancelled."""

    CHECKING = "checking"
    PLANNED = "planned"
    RUNNING = "running"
    STOPPING = "stopping"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class LineState(StrEnum):
    INVALID = "invalid"  # had a problem: never to run
    PENDING = "pending"
    STARTED = "started"  # its upload may have begun: checked before it is sent again
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"  # an undo line whose slot changed since: left as it is
    DUPLICATE = "duplicate"  # its image is on the product already, or twice in the plan
    NOT_RUN = "not_run"  # the job was stopped before it


# A line's outcome, for `JobStore.record`: only a line not yet finished takes one.
_RECORD = (
    update(lines)
    .where(
        lines.c.job_id == bindparam("b_job"),
        lines.c.number == bindparam("b_number"),
        # Not IN (…): an expanding parameter cannot be run once per row.
        or_(lines.c.status == LineState.PENDING, lines.c.status == LineState.STARTED),
    )
    .values(
        status=bindparam("b_status"),
        image_id=bindparam("b_image_id"),
        reason=bindparam("b_reason"),
        quoted=bindparam("b_quoted"),
        changes=bindparam("b_changes"),
        finished_at=bindparam("b_finished"),
    )
)

# A done line recorded again (bot.flows.relay: its variation took neither the link nor the
# bytes): only a line done already, after its first outcome (the same transaction, in order).
_CORRECT = (
    update(lines)
    .where(
        lines.c.job_id == bindparam("b_job"),
        lines.c.number == bindparam("b_number"),
        lines.c.status == LineState.DONE,
    )
    .values(
        status=bindparam("b_status"),
        reason=bindparam("b_reason"),
        quoted=bindparam("b_quoted"),
        finished_at=bindparam("b_finished"),
    )
)


@dataclass(frozen=True)
class Job:
    id: str
    user_id: str
    channel_id: str
    message_ts: str | None
    source: str
    state: JobState
    created_at: float
    team_id: str  # its tenant (bot.domain.tenant): the workspace that made it …
    store_id: int  # … and the store it changes
    started_at: float | None = None
    finished_at: float | None = None
    started_by: str | None = None
    stopped_by: str | None = None
    lease_owner: str | None = None
    lease_until: float = 0.0
    reported_at: float | None = None
    undo_of: str | None = None  # an undo job: the job it undoes
    thread_ts: str | None = None  # the thread its message is in (a drop's plan), if any

    @classmethod
    def from_row(cls, row: Any) -> Job:
        values = dict(row._mapping)
        values["state"] = JobState(values["state"])
        return cls(**values)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.team_id, self.store_id)


@dataclass(frozen=True)
class Suggestion:
    """A line whose file's name matched no SKU, and the store's closest SKU ("did you mean"):
    what Use SKU plans the line with."""

    sku: str
    target: str  # main or gallery, as the name said
    file: SharedFile


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    product: str
    slot: str | None
    # The line's change (bot.changes.codec: an upload, or in an undo job the inverse of the
    # change it undoes); None for a line that had a problem. The job store keeps it as text:
    # the flows encode and decode it.
    request: str | None
    status: LineState
    image_id: int | None = None
    reason: str | None = None  # our words
    quoted: str | None = None  # Ecwid's own words, if it gave any
    changes: str | None = None  # what was done to the image (converted, turned upright…)
    # What is not part of the change: the SKU the image goes on (the variation's own, else the
    # product's), the product's name and the variation's label, as the plan and history say.
    sku: str | None = None
    product_name: str | None = None
    variation_label: str | None = None
    suggestion: Suggestion | None = None  # a problem line's "did you mean", for Use SKU

    @classmethod
    def from_row(cls, row: Any) -> Line:
        values = row._mapping
        suggestion = None
        if values["suggested_sku"] is not None:
            suggestion = Suggestion(
                values["suggested_sku"],
                values["suggested_target"],
                SharedFile(
                    values["suggested_file_id"],
                    values["suggested_file_name"],
                    values["suggested_file_mimetype"],
                    values["suggested_file_size"],
                    values["suggested_file_url"],
                ),
            )
        return cls(
            number=values["number"],
            text=values["text"],
            product=values["product"],
            slot=values["slot"],
            request=values["request"],
            status=LineState(values["status"]),
            image_id=values["image_id"],
            reason=values["reason"],
            quoted=values["quoted"],
            changes=values["changes"],
            sku=values["sku"],
            product_name=values["product_name"],
            variation_label=values["variation_label"],
            suggestion=suggestion,
        )

    def row(self) -> dict[str, Any]:
        """Its columns as the plan writes them (its outcome's are written as it runs)."""
        suggestion = self.suggestion
        file = suggestion.file if suggestion else None
        return {
            "number": self.number,
            "text": self.text,
            "product": self.product,
            "slot": self.slot,
            "request": self.request,
            "status": self.status,
            "image_id": self.image_id,
            "reason": self.reason,
            "quoted": self.quoted,
            "sku": self.sku,
            "product_name": self.product_name,
            "variation_label": self.variation_label,
            "suggested_sku": suggestion.sku if suggestion else None,
            "suggested_target": suggestion.target if suggestion else None,
            "suggested_file_id": file.id if file else None,
            "suggested_file_name": file.name if file else None,
            "suggested_file_mimetype": file.mimetype if file else None,
            "suggested_file_size": file.size if file else None,
            "suggested_file_url": file.download_url if file else None,
        }


@dataclass(frozen=True)
class Outcome:
    number: int
    status: LineState  # done or failed
    image_id: int | None = None
    reason: str | None = None
    quoted: str | None = None  # Ecwid's own words
    changes: str | None = None  # what was done to the image to make it ready
    change: Change | None = None  # the history's record of it (written with the outcome)
    kept: bytes | None = None  # the previous image, kept for Undo
    corrects: bool = False  # a done line's outcome, recorded again (bot.flows.relay)


@dataclass(frozen=True)
class WaitingDrop:
    """A drop waiting out DROP_GROUP_SECONDS (or a check of who dropped it), kept so that the
    next process plans it should this one die."""

    key: str  # the message: `{channel}:{ts}`
    channel_id: str
    user_id: str
    thread_ts: str  # its group's first message: where the plan goes
    ts: str
    files: str  # JSON (bot.flows.drops)
    text: str
    received_at: float
    due_at: float  # when its group is planned (or its person checked again)
    checked: bool  # whether its person was found on the allow-lists when it came
    team_id: str  # its tenant: the workspace it was dropped in …
    store_id: int  # … and the store that was the workspace's then

    @classmethod
    def from_row(cls, row: Any) -> WaitingDrop:
        values = dict(row._mapping)
        values["checked"] = bool(values["checked"])
        return cls(**values)

    @property
    def group(self) -> DropGroup:
        return (self.team_id, self.channel_id, self.user_id, self.thread_ts)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.team_id, self.store_id)


# One person's drops in one channel of one workspace (Slack Connect shares channels), planned
# together: (workspace, channel, user, first message's ts).
DropGroup = tuple[str, str, str, str]


def _in_group(group: DropGroup) -> Any:
    team_id, channel_id, user_id, thread_ts = group
    return (
        (waiting_drops.c.team_id == team_id)
        & (waiting_drops.c.channel_id == channel_id)
        & (waiting_drops.c.user_id == user_id)
        & (waiting_drops.c.thread_ts == thread_ts)
    )


@dataclass(frozen=True)
class Counts:
    done: int = 0
    failed: int = 0
    skipped: int = 0
    duplicate: int = 0  # left out of Start unless included
    pending: int = 0  # with the started ones: not finished yet
    invalid: int = 0
    not_run: int = 0


STARTED_NOT_CHECKED = (
    "The bot restarted while this line was being uploaded, and the job was stopped before it "
    "could check: the image may or may not be on the product."
)


def count_lines(lines: Iterable[Line]) -> Counts:
    """How many lines are in each state (started ones count as pending: not finished yet)."""
    found: dict[str, int] = {}
    for line in lines:
        status = LineState.PENDING if line.status == LineState.STARTED else line.status
        found[status.value] = found.get(status.value, 0) + 1
    return Counts(**{k: v for k, v in found.items() if k in Counts.__dataclass_fields__})


def _of_tenant(tenant: Tenant) -> Any:
    """A job of the tenant's: its workspace's, for its store."""
    return (jobs.c.team_id == tenant.team_id) & (jobs.c.store_id == tenant.store_id)


# Running, stopping, or finished with the report not yet posted (the process died in between).
_UNFINISHED = jobs.c.state.in_((JobState.RUNNING, JobState.STOPPING)) | (
    (jobs.c.state == JobState.FINISHED) & jobs.c.reported_at.is_(None)
)


def _insert_lines(job_id: str, job_lines: Sequence[Line]) -> list[Any]:
    """The INSERT of the lines (one statement, many rows: the driver's executemany)."""
    rows = [{"job_id": job_id, **line.row()} for line in job_lines]
    return [(lines.insert(), rows)] if rows else []


Step = tuple[str, str]  # a migration applied: the revision before it ("(empty)"), and after


def _migrate(connection: Connection, store_id: int | None = None) -> list[Step]:
    """Bring the schema up to the head; the migrations applied, in order. A revision this code
    does not know (a newer bot's) is refused before anything is changed. `store_id`: the
    deployment's one Ecwid store, which the stored changes of older lines are given (0009)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
    script = _migration_scripts()
    current = MigrationContext.configure(connection).get_current_heads()
    known = {revision.revision for revision in script.walk_revisions()}
    for revision in current:
        if revision not in known:
            raise NewerDatabaseError(revision, script.get_current_head() or "(none)")
    if current == (script.get_current_head(),):
        log.debug("database at %s", ", ".join(current))
        return []  # at the head: Alembic's environment is not loaded for nothing
    config = _migration_config()
    config.attributes["connection"] = connection
    config.attributes["store_id"] = store_id
    applied: list[Step] = []

    def on_version_apply(*, step: MigrationInfo, **_: Any) -> None:  # Alembic's, after each
        if step.is_upgrade:
            before = ", ".join(step.source_revision_ids) or "(empty)"
            applied.append((before, ", ".join(step.destination_revision_ids)))

    config.attributes["on_version_apply"] = on_version_apply  # migrations/env.py hands it on
    command.upgrade(config, "head")
    return applied


def _migration_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


@functools.cache
def _migration_scripts() -> ScriptDirectory:
    """The migrations, read once a process (each read compiles every script again)."""
    return ScriptDirectory.from_config(_migration_config())


_migration_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)


def _migrations_lock() -> asyncio.Lock:
    """Alembic's `context` and `op` are module globals: two stores of one process (the tests'
    two "processes") must not migrate at the same time."""
    loop = asyncio.get_running_loop()
    lock = _migration_locks.get(loop)
    if lock is None:
        lock = _migration_locks[loop] = asyncio.Lock()
    return lock


def _driver_said(exc: BaseException, password: str | None) -> str:
    """The driver's own words (a wrong password, a refused connection…), on one line, with the
    password never in them."""
    root: BaseException = exc
    for _ in range(10):  # SQLAlchemy's error → the adapter's → the driver's own
        below = getattr(root, "orig", None) or root.__cause__
        if not isinstance(below, BaseException) or below is root:
            break
        root = below
    if isinstance(root, TimeoutError) or isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_SECONDS:g} s (TimeoutError)"
    message = " ".join(str(root).split())[:300]
    if password:
        message = message.replace(password, "***")
    name = type(root).__name__
    return f"{name} ({message})" if message and message != name else name


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    # WAL: readers do not wait for the writer; NORMAL: a commit survives the process being
    # killed (only a power cut may lose the last ones). How long a write waits for another
    # writer's lock is the driver's `timeout` (see JobStore.open).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class JobStore:
    def __init__(self, engine: AsyncEngine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        # Wall-clock time (unix seconds), as every time in the store is: injected for tests.
        self.clock = clock
        # SQLite has one writer at a time: the bot's own writes queue here instead of in the
        # file lock's retry loop.
        self._write_lock = asyncio.Lock() if engine.dialect.name == "sqlite" else None
        self._writes: set[asyncio.Future[Any]] = set()  # in flight, finished before close

    @classmethod
    async def open(
        cls, url: str, *, clock: Callable[[], float] = time.time, store_id: int | None = None
    ) -> JobStore:
        """Connect and bring the schema up to date. `store_id`: the deployment's Ecwid store
        (ECWID_STORE_ID); an older database's lines need it to be brought up to date (a
        database with lines to convert is refused without it, never guessed)."""
        parsed = make_url(url)
        options: dict[str, Any] = {}
        if parsed.get_backend_name() == "sqlite" and "timeout" not in parsed.query:
            # Wait up to 10 s for another writer's lock before a write fails (and is retried);
            # `?timeout=SECONDS` in DATABASE_URL changes it.
            options["connect_args"] = {"timeout": SQLITE_LOCK_SECONDS}
        elif parsed.get_backend_name() == "postgresql":
            # A silent server must not hold start-up past Heroku's 60 s boot limit.
            options["connect_args"] = {"timeout": CONNECT_SECONDS}
        engine = create_async_engine(url, pool_pre_ping=True, **options)
        if engine.dialect.name == "sqlite":
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            async with asyncio.timeout(OPEN_SECONDS):
                async with _migrations_lock(), engine.begin() as connection:
                    applied = await connection.run_sync(_migrate, store_id)
        except NewerDatabaseError:
            await engine.dispose()
            raise
        except Exception as exc:
            await engine.dispose()
            where = parsed.render_as_string(hide_password=True)
            raise JobStoreError(
                f"cannot open the job store at {where}: {_driver_said(exc, parsed.password)}"
            ) from None
        for before, after in applied:  # said once committed: each is now true
            log.info("database upgraded %s → %s", before, after)
        return cls(engine, clock=clock)

    @property
    def engine(self) -> AsyncEngine:
        """The database's engine, for the stores that live beside the job store's tables
        (slack-sdk's installations: bot.slack.installations)."""
        return self._engine

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    async def close(self) -> None:
        if self._writes:  # writes asked for are finished first (see _write), not waited for forever
            await asyncio.wait(set(self._writes), timeout=CLOSE_WRITES_SECONDS)
        await self._engine.dispose()

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[Any]:
        """A connection to read with (bot.jobs.history)."""
        async with self._engine.connect() as connection:
            yield connection

    async def write(self, *statements: Any) -> list[int]:
        """Run the statements in one transaction (bot.jobs.history); the rows each changed."""
        return await self._write(*statements)

    async def _write(self, *statements: Any) -> list[int]:
        """Run the statements in one transaction; the rows each changed."""
        return await self._unbroken(self._guarded_write(statements))

    async def _unbroken(self, transaction: Coroutine[Any, Any, T]) -> T:
        """A write, once begun, runs to its end even if its caller is cancelled (a shutdown, a
        run that ends): cut short mid-transaction, it could leave SQLite's write lock held."""
        write = asyncio.ensure_future(transaction)
        self._writes.add(write)
        write.add_done_callback(self._written)
        return await asyncio.shield(write)

    def _written(self, write: asyncio.Future[Any]) -> None:
        self._writes.discard(write)
        if not write.cancelled() and (error := write.exception()) is not None:
            # Its caller may have been cancelled meanwhile and not see it: said here.
            log.warning("a job store write failed: %s", type(error).__name__)

    async def _guarded_write(self, statements: Sequence[Any]) -> list[int]:
        async with self._write_guard():
            return await self._write_now(statements)

    @contextlib.asynccontextmanager
    async def _write_guard(self) -> AsyncIterator[None]:
        """SQLite's one writer at a time, queued here (nothing to wait for on PostgreSQL)."""
        if self._write_lock is None:
            yield
            return
        async with self._write_lock:
            yield

    async def _write_now(self, statements: Sequence[Any]) -> list[int]:
        async with self._engine.begin() as connection:
            counts = []
            for statement in statements:
                # A (statement, rows) pair: a list of rows runs as the driver's executemany,
                # one row (a dict) as one execute.
                if isinstance(statement, tuple):
                    result = await connection.execute(*statement)
                else:
                    result = await connection.execute(statement)
                counts.append(result.rowcount)
            return counts

    # ---- jobs --------------------------------------------------------------------------

    async def create(self, job: Job, job_lines: Sequence[Line] = ()) -> None:
        """A new job (with its lines, or none yet while they are being checked)."""
        await self._write(
            jobs.insert().values(**dataclasses.asdict(job)), *_insert_lines(job.id, job_lines)
        )

    async def planned(self, job_id: str, job_lines: Sequence[Line]) -> bool:
        """checking → planned (or finished, with nothing to run), with its lines; False when it
        was no longer being checked (given up for a restart)."""
        # A plan of duplicates only stays planned: Include duplicates may make it runnable.
        runnable = any(
            line.status in (LineState.PENDING, LineState.DUPLICATE) for line in job_lines
        )
        now = self.clock()
        values: dict[str, Any] = {
            "state": JobState.PLANNED,
            "lease_owner": None,
            "lease_until": 0.0,
        }
        if not runnable:
            values.update(state=JobState.FINISHED, finished_at=now, reported_at=now)
        # One transaction: the lines arrive with the state that makes them count.
        *_, changed = await self._write(
            *_insert_lines(job_id, job_lines),
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.state == JobState.CHECKING)
            .values(**values),
        )
        return changed == 1

    async def give_up_check(self, job_id: str, *, only_if_abandoned: bool = False) -> bool:
        """checking → cancelled: its checks failed, or a restart cut them short (with
        `only_if_abandoned`: only when the process checking them stopped renewing its lease)."""
        now = self.clock()
        condition = [jobs.c.id == job_id, jobs.c.state == JobState.CHECKING]
        if only_if_abandoned:
            condition.append(jobs.c.lease_until < now)
        # An undo job given up lets go of the job it undoes: Undo this job may be pressed again.
        (changed,) = await self._write(
            update(jobs)
            .where(*condition)
            .values(state=JobState.CANCELLED, finished_at=now, undo_of=None)
        )
        return changed == 1

    async def abandoned_checks(self) -> list[str]:
        """Jobs still being checked by a process that died."""
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(jobs.c.id).where(
                    jobs.c.state == JobState.CHECKING, jobs.c.lease_until < self.clock()
                )
            )
            return [row.id for row in result]

    async def create_undo(self, job: Job) -> Job | None:
        """A new undo job, unless the job it undoes has one already: then that one (the
        unique `undo_of` decides between two presses, in any process)."""
        try:
            await self._write(jobs.insert().values(**dataclasses.asdict(job)))
        except IntegrityError:
            async with self._engine.connect() as connection:
                row = (
                    await connection.execute(select(jobs).where(jobs.c.undo_of == job.undo_of))
                ).first()
            return Job.from_row(row) if row else job
        return None

    async def set_message(self, job_id: str, message_ts: str) -> None:
        await self._write(update(jobs).where(jobs.c.id == job_id).values(message_ts=message_ts))

    async def undo_job_of(self, job_id: str) -> Job | None:
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(jobs).where(jobs.c.undo_of == job_id))).first()
        return Job.from_row(row) if row else None

    async def jobs_of(self, tenant: Tenant, user_id: str, limit: int) -> list[tuple[Job, Counts]]:
        """The person's jobs for the tenant's store, newest first, with how far each got."""
        async with self._engine.connect() as connection:
            found = [
                Job.from_row(row)
                for row in await connection.execute(
                    select(jobs)
                    .where(
                        _of_tenant(tenant),
                        jobs.c.user_id == user_id,
                        jobs.c.state != JobState.CHECKING,
                    )
                    .order_by(jobs.c.created_at.desc())
                    .limit(limit)
                )
            ]
        return [(job, await self.counts(job.id)) for job in found]

    async def job(self, job_id: str, tenant: Tenant | None = None) -> Job | None:
        """The job; with `tenant` (a person's press), only if it is that tenant's."""
        where = [jobs.c.id == job_id]
        if tenant is not None:
            where.append(_of_tenant(tenant))
        async with self._engine.connect() as connection:
            row = (await connection.execute(select(jobs).where(*where))).first()
        return Job.from_row(row) if row else None

    async def start(
        self, tenant: Tenant, job_id: str, user_id: str, owner: str, lease_seconds: float
    ) -> bool:
        """planned → running, held by `owner`; False when it was not planned any more (or is
        not the tenant's)."""
        now = self.clock()
        (changed,) = await self._write(
            update(jobs)
            .where(jobs.c.id == job_id, _of_tenant(tenant), jobs.c.state == JobState.PLANNED)
            .values(
                state=JobState.RUNNING,
                started_at=now,
                started_by=user_id,
                lease_owner=owner,
                lease_until=now + lease_seconds,
            )
        )
        return changed == 1

    async def cancel(self, tenant: Tenant, job_id: str, user_id: str) -> bool:
        """planned → cancelled; False when it was not planned any more (or not the tenant's)."""
        (changed,) = await self._write(
            update(jobs)
            .where(jobs.c.id == job_id, _of_tenant(tenant), jobs.c.state == JobState.PLANNED)
            .values(state=JobState.CANCELLED, stopped_by=user_id, finished_at=self.clock())
        )
        return changed == 1

    async def request_stop(self, tenant: Tenant, job_id: str, user_id: str) -> bool:
        """running → stopping (the process running it stops); False when it was not running
        (or is not the tenant's)."""
        (changed,) = await self._write(
            update(jobs)
            .where(jobs.c.id == job_id, _of_tenant(tenant), jobs.c.state == JobState.RUNNING)
            .values(state=JobState.STOPPING, stopped_by=user_id)
        )
        return changed == 1

    async def claim(self, job_id: str, owner: str, lease_seconds: float) -> bool:
        """Take an unfinished job whose lease ran out (or is already ours)."""
        now = self.clock()
        (changed,) = await self._write(
            update(jobs)
            .where(
                jobs.c.id == job_id,
                _UNFINISHED,
                (jobs.c.lease_until < now) | (jobs.c.lease_owner == owner),
            )
            .values(lease_owner=owner, lease_until=now + lease_seconds)
        )
        return changed == 1

    async def renew(self, job_id: str, owner: str, lease_seconds: float) -> Job | None:
        """Keep the lease; the job as it is now, or None when the lease is no longer ours."""
        (changed,) = await self._write(
            update(jobs)
            .where(
                jobs.c.id == job_id,
                jobs.c.lease_owner == owner,
                jobs.c.state.in_((JobState.CHECKING, JobState.RUNNING, JobState.STOPPING)),
            )
            .values(lease_until=self.clock() + lease_seconds)
        )
        return await self.job(job_id) if changed == 1 else None

    async def release(self, job_id: str, owner: str) -> None:
        """Give the lease up at once (a restart): the next process need not wait for it."""
        await self._write(
            update(jobs)
            .where(jobs.c.id == job_id, jobs.c.lease_owner == owner)
            .values(lease_until=0.0)
        )

    async def claimable(self) -> list[str]:
        """Unfinished jobs that nobody holds: their process died or was restarted."""
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(jobs.c.id)
                .where(_UNFINISHED, jobs.c.lease_until < self.clock())
                .order_by(jobs.c.created_at)
            )
            return [row.id for row in result]

    async def finish(self, job_id: str, owner: str) -> bool:
        """Done (or stopped): lines not run are marked so, and a line started by a process that
        died and not checked since (the job was stopped) is marked failed, saying it may have
        been uploaded. The caller has written every outcome of its run first. False when the
        lease was lost."""
        now = self.clock()
        owned = select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.lease_owner == owner).exists()
        _, _, changed = await self._write(
            update(lines)
            .where(lines.c.job_id == job_id, lines.c.status == LineState.STARTED, owned)
            .values(status=LineState.FAILED, reason=STARTED_NOT_CHECKED, finished_at=now),
            update(lines)
            .where(lines.c.job_id == job_id, lines.c.status == LineState.PENDING, owned)
            .values(status=LineState.NOT_RUN, finished_at=now),
            update(jobs)
            .where(
                jobs.c.id == job_id,
                jobs.c.lease_owner == owner,
                jobs.c.state.in_((JobState.RUNNING, JobState.STOPPING)),
            )
            .values(state=JobState.FINISHED, finished_at=now),
        )
        return changed == 1

    async def reported(self, job_id: str) -> None:
        await self._write(update(jobs).where(jobs.c.id == job_id).values(reported_at=self.clock()))

    # ---- lines -------------------------------------------------------------------------

    async def pending(self, job_id: str) -> list[Line]:
        """The lines still to run, in order: pending ones, and started ones (to check first)."""
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(lines)
                .where(
                    lines.c.job_id == job_id,
                    lines.c.status.in_((LineState.PENDING, LineState.STARTED)),
                )
                .order_by(lines.c.number)
            )
            return [Line.from_row(row) for row in result]

    async def lines(self, job_id: str) -> list[Line]:
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(lines).where(lines.c.job_id == job_id).order_by(lines.c.number)
            )
            return [Line.from_row(row) for row in result]

    async def start_lines(self, job_id: str, numbers: Sequence[int], owner: str) -> bool:
        """pending → started for several lines at once, durably, before their uploads begin;
        False (and nothing changed) unless every one of them was pending and the job `owner`'s."""
        owned = select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.lease_owner == owner).exists()
        statement = (
            update(lines)
            .where(
                lines.c.job_id == job_id,
                lines.c.number.in_(list(numbers)),
                lines.c.status == LineState.PENDING,
                owned,
            )
            .values(status=LineState.STARTED)
        )

        async def start() -> bool:
            async with self._write_guard(), self._engine.begin() as connection:
                changed = (await connection.execute(statement)).rowcount
                if changed != len(numbers):
                    await connection.rollback()
                    return False
            return True

        return await self._unbroken(start())

    async def unstart_lines(self, job_id: str, numbers: Sequence[int], owner: str) -> None:
        """started → pending: lines marked ahead that this run did not begin after all."""
        owned = select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.lease_owner == owner).exists()
        if numbers:
            await self._write(
                update(lines)
                .where(
                    lines.c.job_id == job_id,
                    lines.c.number.in_(list(numbers)),
                    lines.c.status == LineState.STARTED,
                    owned,
                )
                .values(status=LineState.PENDING)
            )

    async def record(
        self, job_id: str, outcomes: Iterable[Outcome], keep: KeepLimit | None = None
    ) -> None:
        """Each line's outcome, in one transaction; a line recorded done is never run again.
        One statement for the batch, run once per line (compiled once, not once per line).
        With `keep`, a line's kept copy is written only if it fits (`_keep_within`)."""
        now = self.clock()
        outcomes = list(outcomes)
        rows = [
            {
                "b_job": job_id,
                "b_finished": now,
                "b_number": outcome.number,
                "b_status": outcome.status,
                "b_image_id": outcome.image_id,
                "b_reason": outcome.reason,
                "b_quoted": outcome.quoted,
                "b_changes": outcome.changes,
            }
            for outcome in outcomes
        ]
        corrected = [row for row, o in zip(rows, outcomes, strict=True) if o.corrects]
        rows = [row for row, o in zip(rows, outcomes, strict=True) if not o.corrects]
        history = [change_row(o.change) for o in outcomes if o.change is not None]
        if history:
            await self._check_tenant(job_id, [o.change for o in outcomes if o.change is not None])
        orders = [row for o in outcomes if o.change is not None for row in order_rows(o.change)]
        kept = [
            kept_row(o.change.store_id, o.change.id, o.kept, now)
            for o in outcomes
            if o.change is not None and o.kept is not None
        ]
        # A write may have reached the database when its task was cancelled (the outcomes are
        # then written again): the history's rows are inserted once, whatever the retries.
        statements: list[Any] = [(_RECORD, rows)] if rows else []
        if corrected:
            statements.append((_CORRECT, corrected))
        if history:
            statements.append((self.insert_once(changes, "id"), history))
        if orders:
            key = ("change_id", "side", "position")
            statements.append((self.insert_once(change_orders, *key), orders))
        if kept and keep is not None:
            reasons = {o.change.id: o for o in outcomes if o.change is not None}

            async def within() -> None:
                async with self._write_guard():
                    await self._keep_within(job_id, statements, kept, keep, reasons)

            await self._unbroken(within())
            return
        if kept:
            statements.append((self.insert_once(kept_images, "change_id"), kept))
        if statements:
            await self._write(*statements)

    async def _check_tenant(self, job_id: str, made: Sequence[Change]) -> None:
        """Each change a job's line made is its job's workspace's and store's: a change of
        another tenant's is a bug, refused before anything is written."""
        query = select(jobs.c.team_id, jobs.c.store_id).where(jobs.c.id == job_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).first()
        if row is None:
            return  # the job is gone (forgotten): its lines' outcomes change nothing
        strangers = {(c.team_id, c.store_id) for c in made} - {(row.team_id, row.store_id)}
        if strangers:
            raise ValueError(f"job {job_id} is not the tenant of changes of {sorted(strangers)}")

    async def _keep_within(
        self,
        job_id: str,
        statements: Sequence[Any],
        kept: Sequence[dict[str, Any]],
        keep: KeepLimit,
        outcomes: dict[str, Outcome],
    ) -> None:
        """The outcomes (`statements`: the lines', their changes'), and of their copies those
        that fit under `keep.max_bytes`, in one transaction; older copies of jobs not running
        make way, oldest first (bot.jobs.history.fit_copies). A line whose copy does not fit
        keeps none, and its reason says so (`keep.note`): its Undo says its copy is gone.

        The total is read and the copies written with no other writer of copies in between:
        on PostgreSQL under an advisory lock, on SQLite under the database's write lock (the
        first statement, the lines' UPDATE, takes it). So HISTORY_MAX_MB is never passed, by
        two jobs in two processes either. (Without the locks, the overshoot would be bounded by
        the copies of the lines each other job has in flight.)"""
        async with self._engine.begin() as connection:
            if self.dialect == "postgresql":
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEEP_LOCK}
                )
            await connection.execute(*statements[0])  # the lines' outcomes: SQLite's lock
            # A write retried after it went through: its changes are in, and its copies were
            # kept or refused then. Decided once.
            ids = [str(row["change_id"]) for row in kept]
            written = set(
                (
                    await connection.execute(select(changes.c.id).where(changes.c.id.in_(ids)))
                ).scalars()
            )
            # A copy kept ahead of its line (bot.jobs.history.History.keep_ahead) is in already.
            ahead = set(
                (
                    await connection.execute(
                        select(kept_images.c.change_id).where(kept_images.c.change_id.in_(ids))
                    )
                ).scalars()
            )
            new = [row for row in kept if row["change_id"] not in written | ahead]
            store_id = next((int(row["store_id"]) for row in kept), 0)  # one job, one store
            fitting, dropped, refused = await fit_copies(connection, store_id, new, keep.max_bytes)
            for statement in statements[1:]:
                await connection.execute(*statement)
            if dropped:
                await connection.execute(
                    delete(kept_images).where(kept_images.c.change_id.in_(dropped))
                )
            if fitting:
                await connection.execute(self.insert_once(kept_images, "change_id"), fitting)
            if refused:
                notes = []
                for change_id in refused:
                    outcome = outcomes[change_id]
                    reason = " ".join(filter(None, [outcome.reason, keep.note]))
                    notes.append({"b_number": outcome.number, "b_reason": reason})
                await connection.execute(
                    update(lines)
                    .where(lines.c.job_id == job_id, lines.c.number == bindparam("b_number"))
                    .values(reason=bindparam("b_reason")),
                    notes,
                )

    async def keep_ahead(self, row: dict[str, Any], keep: KeepLimit | None) -> bool:
        """A kept copy written ahead of its line's outcome (bot.jobs.history.History.
        keep_ahead), within `keep.max_bytes` as `_keep_within` keeps copies: under the same
        locks, older copies of jobs not running making way. Whether it fits (written once,
        whatever the retries)."""

        async def write() -> bool:
            async with self._write_guard(), self._engine.begin() as connection:
                if self.dialect == "postgresql":
                    await connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEEP_LOCK}
                    )
                there = (
                    await connection.execute(
                        select(kept_images.c.change_id).where(
                            kept_images.c.change_id == row["change_id"]
                        )
                    )
                ).first()
                if there is not None:
                    return True
                dropped: list[str] = []
                if keep is None:
                    fitting = [row]
                else:
                    fitting, dropped, _ = await fit_copies(
                        connection, int(row["store_id"]), [row], keep.max_bytes
                    )
                if not fitting:
                    return False
                if dropped:
                    await connection.execute(
                        delete(kept_images).where(kept_images.c.change_id.in_(dropped))
                    )
                await connection.execute(self.insert_once(kept_images, "change_id"), fitting)
                return True

        return await self._unbroken(write())

    def insert_once(self, table: Any, *key: str) -> Any:
        """INSERT … ON CONFLICT (key) DO NOTHING, in this database's dialect."""
        insert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        return insert(table).on_conflict_do_nothing(index_elements=list(key))

    def upsert(self, table: Any, key: str | tuple[str, ...], **row: Any) -> Any:
        """INSERT … ON CONFLICT (key) DO UPDATE: the row, new or replacing the one there."""
        insert = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        keys = (key,) if isinstance(key, str) else key
        statement = insert(table).values(**row)
        changed = {name: value for name, value in row.items() if name not in keys}
        return statement.on_conflict_do_update(index_elements=list(keys), set_=changed)

    async def counts(self, job_id: str) -> Counts:
        async with self._engine.connect() as connection:
            result = await connection.execute(
                select(lines.c.status, func.count())
                .where(lines.c.job_id == job_id)
                .group_by(lines.c.status)
            )
            found = {row[0]: int(row[1]) for row in result}
        found["pending"] = found.get("pending", 0) + found.pop("started", 0)
        return Counts(**{k: v for k, v in found.items() if k in Counts.__dataclass_fields__})

    async def include_duplicates(self, job_id: str) -> int:
        """duplicate → pending for every line of a planned job; how many."""
        planned = select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.state == JobState.PLANNED)
        (changed,) = await self._write(
            update(lines)
            .where(
                lines.c.job_id == job_id,
                lines.c.status == LineState.DUPLICATE,
                planned.exists(),
            )
            .values(status=LineState.PENDING)
        )
        return changed

    async def replan_line(self, job_id: str, line: Line) -> bool:
        """A line with a problem, planned again (Use SKU): only while the job is planned and
        the line still has its problem; whether it changed."""
        planned = select(jobs.c.id).where(jobs.c.id == job_id, jobs.c.state == JobState.PLANNED)
        (changed,) = await self._write(
            update(lines)
            .where(
                lines.c.job_id == job_id,
                lines.c.number == line.number,
                lines.c.status == LineState.INVALID,
                planned.exists(),
            )
            .values(
                {
                    name: value
                    for name, value in line.row().items()
                    if name not in ("number", "text", "image_id")
                }
            )
        )
        return changed == 1

    # ---- the drop zone -----------------------------------------------------------------

    async def first_time(self, *keys: str) -> bool:
        """Whether none of the keys was seen before; all are marked seen (in one transaction:
        two deliveries of one event in two processes cannot both be first)."""
        return await self.keep_drop(keys)

    async def keep_drop(self, keys: Sequence[str], drop: WaitingDrop | None = None) -> bool:
        """Whether none of the keys was seen before: then all are marked seen and the drop (if
        any) is kept, in one transaction; else nothing is written."""
        now = self.clock()
        statements: list[Any] = [
            seen_events.insert().values(key=k[:200], seen_at=now) for k in keys
        ]
        if drop is not None:
            statements.append(waiting_drops.insert().values(**dataclasses.asdict(drop)))
        try:
            await self._write(*statements)
        except IntegrityError:
            return False
        return True

    async def open_drop_group(
        self, team_id: str, channel_id: str, user_id: str, now: float
    ) -> tuple[DropGroup, float] | None:
        """The person's group in the workspace's channel still open at `now`, and when it is
        due."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(waiting_drops.c.thread_ts, waiting_drops.c.due_at)
                    .where(
                        waiting_drops.c.team_id == team_id,
                        waiting_drops.c.channel_id == channel_id,
                        waiting_drops.c.user_id == user_id,
                        waiting_drops.c.due_at > now,
                    )
                    .order_by(waiting_drops.c.due_at)
                    .limit(1)
                )
            ).first()
        if row is None:
            return None
        return (team_id, channel_id, user_id, str(row.thread_ts)), float(row.due_at)

    async def due_drop_groups(self, now: float) -> list[DropGroup]:
        """The groups whose time has come (whichever process kept them), oldest first."""
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        waiting_drops.c.team_id,
                        waiting_drops.c.channel_id,
                        waiting_drops.c.user_id,
                        waiting_drops.c.thread_ts,
                        func.min(waiting_drops.c.due_at).label("due"),
                    )
                    .group_by(
                        waiting_drops.c.team_id,
                        waiting_drops.c.channel_id,
                        waiting_drops.c.user_id,
                        waiting_drops.c.thread_ts,
                    )
                    .having(func.min(waiting_drops.c.due_at) <= now)
                    .order_by("due")
                )
            ).all()
        return [(str(r.team_id), str(r.channel_id), str(r.user_id), str(r.thread_ts)) for r in rows]

    async def next_drop_due(self) -> float | None:
        """When the next group is due; None when no drop waits."""
        async with self._engine.connect() as connection:
            due = await connection.scalar(select(func.min(waiting_drops.c.due_at)))
        return float(due) if due is not None else None

    async def waiting_group(self, group: DropGroup) -> list[WaitingDrop]:
        async with self._engine.connect() as connection:
            rows = (
                await connection.execute(
                    select(waiting_drops)
                    .where(_in_group(group))
                    .order_by(waiting_drops.c.received_at, waiting_drops.c.ts)
                )
            ).all()
        return [WaitingDrop.from_row(r) for r in rows]

    async def postpone_drops(self, group: DropGroup, due_at: float) -> None:
        await self._write(update(waiting_drops).where(_in_group(group)).values(due_at=due_at))

    async def take_drops(self, group: DropGroup) -> list[WaitingDrop]:
        """The group's drops, deleted: the process that gets them plans them (one DELETE …
        RETURNING: two processes taking one group cannot both get a drop)."""
        async with self._write_guard(), self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    delete(waiting_drops).where(_in_group(group)).returning(*waiting_drops.c)
                )
            ).all()
        taken = [WaitingDrop.from_row(r) for r in rows]
        return sorted(taken, key=lambda d: (d.received_at, d.ts))

    async def forget_seen(self, before: float) -> int:
        """Drop the drop zone's marks older than `before` (Slack re-delivers an event for
        minutes, not days); how many."""
        (dropped,) = await self._write(delete(seen_events).where(seen_events.c.seen_at < before))
        return dropped

    # ---- pruning -----------------------------------------------------------------------

    async def forget_jobs(self, before: float) -> tuple[int, int]:
        """Drop the jobs that ended before `before` (finished and reported, or cancelled), and
        plans never started made before it, with their lines; how many jobs and lines. A job
        still checking, running or stopping is never touched, nor one that an undo job still
        under way undoes."""
        undoing = jobs.alias("undoing")
        ended = or_(
            (jobs.c.state == JobState.FINISHED)
            & jobs.c.reported_at.is_not(None)
            & (jobs.c.finished_at < before),
            (jobs.c.state == JobState.CANCELLED) & (jobs.c.finished_at < before),
            (jobs.c.state == JobState.PLANNED) & (jobs.c.created_at < before),
        )
        busy_undo = (
            select(undoing.c.id)
            .where(
                undoing.c.undo_of == jobs.c.id,
                undoing.c.state.not_in((JobState.FINISHED, JobState.CANCELLED)),
            )
            .exists()
        )
        async with self._engine.connect() as connection:
            doomed = [
                str(row.id)
                for row in await connection.execute(select(jobs.c.id).where(ended, ~busy_undo))
            ]
        dropped_jobs = dropped_lines = 0
        for start in range(0, len(doomed), PRUNE_CHUNK):
            chunk = doomed[start : start + PRUNE_CHUNK]
            # Checked again in the deletes: a job planned a moment ago may have been started.
            still = select(jobs.c.id).where(jobs.c.id == lines.c.job_id, ended).exists()
            gone_lines, gone_jobs = await self._write(
                delete(lines).where(lines.c.job_id.in_(chunk), still),
                delete(jobs).where(
                    jobs.c.id.in_(chunk),
                    ended,
                    ~select(lines.c.job_id).where(lines.c.job_id == jobs.c.id).exists(),
                ),
            )
            dropped_lines += gone_lines
            dropped_jobs += gone_jobs
        return dropped_jobs, dropped_lines

    # ---- undo claims -------------------------------------------------------------------

    async def undone_by(self, store_id: int, change: str) -> str | None:
        """Who undid the store's change, if anyone has."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(undo_claims.c.user_id).where(
                        undo_claims.c.store_id == store_id, undo_claims.c.change == change
                    )
                )
            ).first()
        return str(row.user_id) if row else None

    async def claim_undo(self, store_id: int, change: str, user_id: str) -> str | None:
        """Claim the undoing of a store's change, once for every process: None when this claim
        won, else who claimed it first (a conditional insert: the key is the change itself)."""
        try:
            await self._write(
                undo_claims.insert().values(
                    store_id=store_id, change=change, user_id=user_id, claimed_at=self.clock()
                )
            )
        except IntegrityError:
            return await self.undone_by(store_id, change) or "someone"
        return None

    async def release_undo(self, store_id: int, change: str) -> None:
        """The undo failed: it may be tried again."""
        await self._write(
            delete(undo_claims).where(
                undo_claims.c.store_id == store_id, undo_claims.c.change == change
            )
        )
