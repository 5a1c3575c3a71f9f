"""The catalog's image history, in the job store: every change the bot made (single uploads,
bulk lines, undos), read back by product, by person and by job; and the previous images of bulk
lines, kept as bytes for Undo and pruned oldest first past HISTORY_DAYS or HISTORY_MAX_MB.

HISTORY_MAX_MB holds while a job runs: a line's copy is kept only if it fits with every copy
kept already (`fit_copies`, in the transaction that writes it), older copies of jobs not running
making way, oldest first; a copy that does not fit is not kept, and its line says so. A job's
copies are never dropped while it runs (`running_copy`): not to make room, not by the prune.

Nothing grows for ever: `History.prune` also drops the changes older than HISTORY_DAYS, the
jobs that ended before then with their lines, and the drop zone's marks of events older than a
day, and the audits' numbers older than HISTORY_DAYS. The time is the job store's clock
(injected for tests). The undo claims stay.

A bulk line's change is written in the same transaction as the line's outcome
(`JobStore.record`): a line recorded done always has its history.
"""

from __future__ import annotations

import dataclasses
import json
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, desc, func, or_, select

from bot.domain.tenant import Tenant
from bot.jobs.schema import audits, change_orders, changes, jobs, kept_images, undo_claims

if TYPE_CHECKING:
    from bot.jobs.store import JobStore


class Action(StrEnum):
    REPLACED = "replaced"  # the slot had an image: it was replaced
    SET = "set"  # the slot was empty
    ADDED = "added"  # to the gallery
    UNDONE = "undone"  # an undo of another change (`undo_of`)
    REORDERED = "reordered"  # the gallery's order, from its card
    REMOVED = "removed"  # an image deleted from its card (its bytes kept)
    ALT = "alt"  # an image's alt texts set from its card (the previous ones kept)
    # A gallery image put in another's place, at its place with its alt texts (the audit's
    # square fix): the other's bytes kept, for Undo to put it back the same way.
    SWAPPED = "swapped"


@dataclass(frozen=True)
class Change:
    """One change, as the history keeps it. `undone_by` and `copy_kept` are read, not written:
    who undid it (its claim), and whether the kept bytes are still there."""

    id: str
    at: float
    user_id: str
    product_id: int
    slot: str  # main, gallery or variation
    action: Action
    team_id: str  # its tenant (bot.domain.tenant): the workspace it was made from …
    store_id: int  # … and the store it changed
    outcome: str = "done"
    channel_id: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    product_name: str | None = None
    variation_id: int | None = None
    variation_label: str | None = None
    image_id: int | None = None
    before_fp: str | None = None
    after_fp: str | None = None
    before_url: str | None = None  # one image's; a reorder has its orders instead
    # Where the new image was served from right after the change: the link it was given by, or
    # (a square fix's) Ecwid's own URL as read back; an undo's, the image it put back.
    after_url: str | None = None
    after_url_fp: str | None = None
    kept_file: str | None = None
    kept_in_store: bool = False
    alt_main: str | None = None
    alt_translated: tuple[tuple[str, str], ...] = ()
    job_id: str | None = None
    line: int | None = None
    undo_of: str | None = None
    change_key: str | None = None
    undone_by: str | None = None
    copy_kept: bool | None = None
    # A reorder (and its undo): the gallery's images by URL, before and after (change_orders).
    before_order: tuple[str | None, ...] | None = None
    after_order: tuple[str | None, ...] | None = None

    @classmethod
    def from_row(
        cls,
        row: Any,
        before_order: tuple[str | None, ...] | None = None,
        after_order: tuple[str | None, ...] | None = None,
    ) -> Change:
        """A row of image_changes (with `_read`'s columns), and its orders if it has any."""
        values = dict(row._mapping)
        values["action"] = Action(values["action"])
        values["kept_in_store"] = bool(values["kept_in_store"])
        try:
            translated = json.loads(values.get("alt_translated") or "{}")
        except ValueError:
            translated = {}
        values["alt_translated"] = tuple((str(k), str(v)) for k, v in translated.items())
        if "copy_kept" in values:
            values["copy_kept"] = bool(values["copy_kept"]) if values["kept_in_store"] else None
        return Change(**values, before_order=before_order, after_order=after_order)

    @property
    def tenant(self) -> Tenant:
        return Tenant(self.team_id, self.store_id)

    @property
    def had_previous(self) -> bool:
        return self.action == Action.REPLACED

    @property
    def undoable(self) -> bool:
        """Whether Undo is offered: done, not undone, and what it replaced is still had."""
        if self.action == Action.UNDONE or self.outcome != "done" or self.undone_by:
            return False
        if self.action == Action.REMOVED:
            return bool(self.copy_kept)  # put back from its kept bytes
        if self.action not in (Action.REPLACED, Action.SWAPPED):
            return True  # taken away again, reordered back, its alt text put back
        return self.kept_file is not None or (self.kept_in_store and bool(self.copy_kept))


_NOT_COLUMNS = ("undone_by", "copy_kept", "before_order", "after_order")
SIDES = ("before", "after")


def change_row(change: Change) -> dict[str, Any]:
    """Its row of image_changes (its orders: `order_rows`)."""
    row = dataclasses.asdict(change)
    for name in _NOT_COLUMNS:
        row.pop(name)
    row["action"] = str(change.action)
    row["alt_translated"] = json.dumps(dict(change.alt_translated), ensure_ascii=False)
    return row


def order_rows(change: Change) -> list[dict[str, Any]]:
    """Its rows of change_orders: each order's images, in order."""
    return [
        {"change_id": change.id, "side": side, "position": position, "url": url}
        for side, order in zip(SIDES, (change.before_order, change.after_order), strict=True)
        for position, url in enumerate(order or ())
    ]


def kept_row(store_id: int, change_id: str, data: bytes, at: float) -> dict[str, Any]:
    return {
        "change_id": change_id,
        "data": data,
        "size": len(data),
        "kept_at": at,
        "store_id": store_id,
    }


@dataclass(frozen=True)
class KeepLimit:
    """HISTORY_MAX_MB as a bulk job keeps its copies (`JobStore.record`): `max_bytes` in all,
    and `note`, what a line whose copy did not fit adds to its outcome (bot.slack.texts)."""

    max_bytes: int
    note: str


_ORDERED = (Action.REORDERED, Action.UNDONE)  # the actions whose change may have orders


async def _orders_of(
    connection: Any, ids: Sequence[str]
) -> dict[str, dict[str, tuple[str | None, ...]]]:
    """The orders of these changes: by change, by side."""
    found: dict[str, dict[str, list[str | None]]] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await connection.execute(
            select(change_orders)
            .where(change_orders.c.change_id.in_(ids[start : start + _CHUNK]))
            .order_by(change_orders.c.change_id, change_orders.c.side, change_orders.c.position)
        )
        for row in rows:
            found.setdefault(str(row.change_id), {}).setdefault(str(row.side), []).append(row.url)
    return {
        change_id: {side: tuple(urls) for side, urls in sides.items()}
        for change_id, sides in found.items()
    }


def _read(tenant: Tenant) -> Any:
    """The tenant's changes, with who undid each and whether its kept bytes are still there."""
    copy = select(kept_images.c.change_id).where(kept_images.c.change_id == changes.c.id)
    claim = (undo_claims.c.store_id == changes.c.store_id) & (
        undo_claims.c.change == changes.c.change_key
    )
    return (
        select(
            changes,
            undo_claims.c.user_id.label("undone_by"),
            copy.exists().label("copy_kept"),
        )
        .outerjoin(undo_claims, claim)
        .where(changes.c.team_id == tenant.team_id, changes.c.store_id == tenant.store_id)
    )


SEEN_KEEP_SECONDS = 86400.0  # the drop zone's marks: Slack re-delivers an event within minutes
_CHUNK = 500  # rows deleted a statement: bounded IN lists
# A job not over yet keeps its changes, however old (a job's lines are never pruned under it).
_UNDER_WAY = ("checking", "planned", "running", "stopping")


def running_copy() -> Any:
    """Whether a kept copy is of a job not over yet, or kept ahead of a line whose change is
    not written yet (`History.keep_ahead`): such a copy is never dropped to make room
    (correlated with the statement on kept_images it is used in). `orphan_copy` ages out."""
    of_running_job = (
        select(changes.c.id)
        .join(jobs, jobs.c.id == changes.c.job_id)
        .where(changes.c.id == kept_images.c.change_id, jobs.c.state.in_(_UNDER_WAY))
        .exists()
    )
    return or_(of_running_job, orphan_copy())


def orphan_copy() -> Any:
    """A kept copy with no change (yet): kept ahead of its line, which then did not end."""
    return ~select(changes.c.id).where(changes.c.id == kept_images.c.change_id).exists()


async def fit_copies(
    connection: Any, store_id: int, copies: Sequence[dict[str, Any]], max_bytes: int
) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """Of the copies a job of the store is about to keep (`kept_row`s, in order): those that
    fit under the store's `max_bytes` with every copy of the store kept already; the store's
    copies to drop to make room for them (the oldest first, never one of a job not over yet,
    the running job's own included; never another store's: each store has its quota); and the
    change ids of those that do not fit. Run in the transaction that writes them, once no
    other can write kept copies (JobStore.record), so that the sum read here stays true."""
    of_store = kept_images.c.store_id == store_id
    summed = await connection.execute(
        select(func.coalesce(func.sum(kept_images.c.size), 0)).where(of_store)
    )
    total = int(summed.scalar() or 0)
    spare: deque[tuple[str, int]] | None = None  # the copies that may make way, oldest first
    spare_bytes = 0
    fitting: list[dict[str, Any]] = []
    dropped: list[str] = []
    refused: list[str] = []
    for copy in copies:
        size = int(copy["size"])
        if total + size > max_bytes:
            if spare is None:  # read once, when first needed
                rows = await connection.execute(
                    select(kept_images.c.change_id, kept_images.c.size)
                    .where(of_store, ~running_copy())
                    .order_by(kept_images.c.kept_at, kept_images.c.change_id)
                )
                spare = deque((str(row.change_id), int(row.size)) for row in rows)
                spare_bytes = sum(size for _, size in spare)
            if total - spare_bytes + size <= max_bytes:  # enough can make way: the oldest go
                while total + size > max_bytes:
                    change_id, freed = spare.popleft()
                    dropped.append(change_id)
                    spare_bytes -= freed
                    total -= freed
        if total + size <= max_bytes:
            fitting.append(copy)
            total += size
        else:
            refused.append(str(copy["change_id"]))
    return fitting, dropped, refused


@dataclass(frozen=True)
class Pruned:
    copies: int
    bytes: int
    changes: int = 0  # past HISTORY_DAYS
    jobs: int = 0  # ended before HISTORY_DAYS, with their lines
    lines: int = 0
    seen: int = 0  # the drop zone's marks of events past a day


class History:
    """Reads and writes of one tenant's history (a workspace's, of one store), on the job
    store's database; the prune is every tenant's."""

    def __init__(
        self, store: JobStore, tenant: Tenant, *, clock: Callable[[], float] | None = None
    ) -> None:
        self._store = store
        self.tenant = tenant
        self._clock = clock or store.clock

    async def add(self, change: Change, kept: bytes | None = None) -> None:
        """The change, its orders and its kept bytes, in one transaction."""
        # (statement, rows) pairs: a plain insert is compiled once and cached, where `.values()`
        # builds a new statement each time (a tenth of the loop's time in burst.py's profile).
        statements: list[Any] = [(changes.insert(), change_row(change))]
        if orders := order_rows(change):
            statements.append((change_orders.insert(), orders))
        if kept is not None:
            row = kept_row(change.store_id, change.id, kept, self._clock())
            statements.append((kept_images.insert(), row))
        await self._store.write(*statements)

    async def _many(self, query: Any) -> list[Change]:
        async with self._store.connect() as connection:
            rows = (await connection.execute(query)).all()
            ordered = [str(row.id) for row in rows if row.action in _ORDERED]
            orders = await _orders_of(connection, ordered) if ordered else {}
        found = []
        for row in rows:
            sides = orders.get(str(row.id), {})
            found.append(Change.from_row(row, sides.get("before"), sides.get("after")))
        return found

    async def change(self, change_id: str) -> Change | None:
        found = await self._many(_read(self.tenant).where(changes.c.id == change_id))
        return found[0] if found else None

    async def of_product(
        self, product_id: int, limit: int, *, category: bool = False
    ) -> list[Change]:
        """Newest first, across its slots: a product's (main, gallery, variations), or with
        `category` the category's of that id. Ecwid numbers products and categories apart, so
        product 12 and category 12 are two things, each with its own changes."""
        kind = changes.c.slot == "category" if category else changes.c.slot != "category"
        return await self._many(
            _read(self.tenant)
            .where(changes.c.product_id == product_id, kind)
            .order_by(desc(changes.c.at), desc(changes.c.id))
            .limit(limit)
        )

    async def of_user(self, user_id: str, limit: int) -> list[Change]:
        return await self._many(
            _read(self.tenant)
            .where(changes.c.user_id == user_id)
            .order_by(desc(changes.c.at), desc(changes.c.id))
            .limit(limit)
        )

    async def of_job(self, job_id: str) -> dict[int, Change]:
        """A job's changes (not its undos), by line."""
        found = await self._many(
            _read(self.tenant).where(changes.c.job_id == job_id, changes.c.action != Action.UNDONE)
        )
        return {c.line: c for c in found if c.line is not None}

    async def keep_ahead(self, change_id: str, data: bytes, keep: KeepLimit | None) -> bool:
        """A line's copy kept before the line changes anything (the audit's square fix, whose
        original is replaced or deleted), within `keep.max_bytes` with every copy kept already
        (older copies of jobs not running make way): whether it fits. Its change, written
        later with the line's outcome under the same id, finds it there; a restart between
        the two finds it too."""
        row = kept_row(self.tenant.store_id, change_id, data, self._clock())
        return await self._store.keep_ahead(row, keep)

    async def drop_ahead(self, change_id: str) -> None:
        """A copy kept ahead for a line that changed nothing after all."""
        await self._store.write(
            delete(kept_images).where(
                kept_images.c.change_id == change_id,
                ~select(changes.c.id).where(changes.c.id == change_id).exists(),
            )
        )

    async def kept_copy(self, change_id: str) -> bytes | None:
        """The previous image's bytes, kept for the change; None once pruned."""
        async with self._store.connect() as connection:
            row = (
                await connection.execute(
                    select(kept_images.c.data).where(
                        kept_images.c.change_id == change_id,
                        kept_images.c.store_id == self.tenant.store_id,
                    )
                )
            ).first()
        return bytes(row.data) if row else None

    async def kept_bytes(self) -> int:
        """The size of the store's kept copies (its quota's use)."""
        async with self._store.connect() as connection:
            total = (
                await connection.execute(
                    select(func.sum(kept_images.c.size)).where(self._of_store())
                )
            ).scalar()
        return int(total or 0)

    def _of_store(self) -> Any:
        return kept_images.c.store_id == self.tenant.store_id

    async def copy_room(self, max_bytes: int) -> tuple[int, int | None]:
        """The room a job of the store about to start has for its copies under the store's
        `max_bytes` (every copy of the store but a running job's may make way for them), and
        the mean size of the copies kept, if any."""
        async with self._store.connect() as connection:
            count, total = (
                await connection.execute(
                    select(func.count(), func.coalesce(func.sum(kept_images.c.size), 0)).where(
                        self._of_store()
                    )
                )
            ).one()
            running = (
                await connection.execute(
                    select(func.coalesce(func.sum(kept_images.c.size), 0)).where(
                        self._of_store(), running_copy()
                    )
                )
            ).scalar()
        mean = int(total) // int(count) if count else None
        return max(0, max_bytes - int(running or 0)), mean

    async def prune(self, max_age_seconds: float, max_bytes: int) -> Pruned:
        """Every tenant's prune (`Pruner.prune`), on this history's clock."""
        return await Pruner(self._store, clock=self._clock).prune(max_age_seconds, max_bytes)


class Pruner:
    """What nothing keeps for ever, pruned across every tenant: kept copies (each store to its
    quota), old changes, ended jobs, the drop zone's marks, old audits' numbers."""

    def __init__(self, store: JobStore, *, clock: Callable[[], float] | None = None) -> None:
        self._store = store
        self._clock = clock or store.clock

    async def prune(self, max_age_seconds: float, max_bytes: int) -> Pruned:
        """Every tenant's: drop kept copies older than the age, then each store's oldest until
        the rest of its copies fit in `max_bytes`; the changes older than the age, the jobs that ended
        before it with their lines, and the drop zone's marks past a day. A job not over yet
        keeps everything: its copies (they count towards `max_bytes`, and stay, however old),
        its changes and its lines. A change whose copy alone was dropped stays, and an undo of
        it then says its copy has gone."""
        now = self._clock()
        cutoff = now - max_age_seconds
        async with self._store.connect() as connection:
            rows = (
                await connection.execute(
                    select(
                        kept_images.c.store_id,
                        kept_images.c.change_id,
                        kept_images.c.size,
                        kept_images.c.kept_at,
                        running_copy().label("running"),
                    ).order_by(desc(kept_images.c.kept_at), desc(kept_images.c.change_id))
                )
            ).all()
        doomed: list[str] = []
        freed = 0
        totals: dict[int, int] = {}  # by store: each has its quota
        for row in rows:  # newest first: the copies that fit stay
            total = totals[row.store_id] = totals.get(row.store_id, 0) + int(row.size)
            if row.running:  # a running job's: it stays, and takes its room
                continue
            if row.kept_at < cutoff or total > max_bytes:
                doomed.append(str(row.change_id))
                freed += int(row.size)
        for start in range(0, len(doomed), _CHUNK):
            chunk: Sequence[str] = doomed[start : start + _CHUNK]
            # Checked again as it is deleted: a job may have been resumed since the read.
            await self._store.write(
                delete(kept_images).where(kept_images.c.change_id.in_(chunk), ~running_copy())
            )
        # Copies kept ahead of a line that never ended (a job given up mid-line): past the age.
        await self._store.write(
            delete(kept_images).where(kept_images.c.kept_at < cutoff, orphan_copy())
        )
        dropped_changes = await self._drop_changes(cutoff)
        dropped_jobs, dropped_lines = await self._store.forget_jobs(cutoff)
        seen = await self._store.forget_seen(now - SEEN_KEEP_SECONDS)
        await self._store.write(delete(audits).where(audits.c.at < cutoff))  # their numbers
        return Pruned(len(doomed), freed, dropped_changes, dropped_jobs, dropped_lines, seen)

    async def _drop_changes(self, cutoff: float) -> int:
        """The changes made before `cutoff` (but a job's not over yet) and their kept copies;
        how many changes."""
        under_way = (
            select(jobs.c.id)
            .where(jobs.c.id == changes.c.job_id, jobs.c.state.in_(_UNDER_WAY))
            .exists()
        )
        old = (changes.c.at < cutoff) & or_(changes.c.job_id.is_(None), ~under_way)
        async with self._store.connect() as connection:
            doomed = [
                str(row.id) for row in await connection.execute(select(changes.c.id).where(old))
            ]
        dropped = 0
        for start in range(0, len(doomed), _CHUNK):
            chunk = doomed[start : start + _CHUNK]
            going = select(changes.c.id).where(changes.c.id.in_(chunk), old)
            _, _, gone = await self._store.write(
                delete(kept_images).where(kept_images.c.change_id.in_(chunk)),
                delete(change_orders).where(change_orders.c.change_id.in_(going)),
                delete(changes).where(changes.c.id.in_(chunk), old),
            )
            dropped += gone
        # The undo claims stay (a row an undo): an old message's Undo, pressed again, must still
        # find that it was undone.
        return dropped
