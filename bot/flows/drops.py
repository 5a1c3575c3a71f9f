"""The drop zone: image files dropped in a watched channel become a plan in the drop's thread,
as **Upload these images** makes one, without a command.

- One delivery, one answer. A drop is taken in by its event's id and by its message (channel
  and ts), both marked seen in the store in the transaction that keeps it: a re-delivered event
  (Slack's retries, another process, before or after its plan) makes nothing again. Files are
  never the key: the same file shared in a new message is a new drop, and gets its own answer.
- Who dropped it is checked, and told the true reason when refused: not on the allow-lists, or
  a channel outside ALLOWED_CHANNELS. When Slack could not say (usergroups.users.list failed),
  the drop is kept, the person is told so, and they are checked again every DROP_GROUP_SECONDS
  for up to HOLD_SECONDS: then the drop is planned (or refused), or they are told to share the
  files again.
- One person's messages in one channel within DROP_GROUP_SECONDS make one plan, in the first
  message's thread (Slack sends at most 10 files a message).
- Waiting drops are kept in the store (`waiting_drops`) until their group is planned: a process
  killed meanwhile loses none, and whichever process reads them next (a new one at its start,
  or another one on the same database) plans each group once, when it is due.
- A caption (`sku:RS-1`, and `to=gallery`) puts every file on that product.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.changes.context import StoreContext, Stores, unnamed, working_for
from bot.domain.bulk import Caption, read_caption
from bot.domain.requests import Requester, SharedFile
from bot.domain.tenant import Tenant
from bot.jobs.store import DropGroup, JobStore, WaitingDrop

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0  # a shutdown lets the plans under way finish, at most this long
HOLD_SECONDS = 600.0  # a drop whose person could not be checked is kept this long
SWEEP_SECONDS = 30.0  # the store is read at least this often (groups other processes kept)
RETRY_SECONDS = 5.0  # the store was away: read again after this long

# What the allow-lists say of a drop: planned, or why not.
Admission = Literal["allowed", "refused", "channel", "unchecked"]


class FilesPlanner(Protocol):
    """What the drop zone needs of bulk jobs: files planned as a job (bot.flows.bulk)."""

    async def plan_files(
        self,
        store: StoreContext,
        who: Requester,
        channel_id: str,
        files: Sequence[SharedFile],
        *,
        thread_ts: str | None = None,
        caption: Caption | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class Drop:
    """A message with image files in a watched channel, as its event tells it."""

    tenant: Tenant  # the workspace it was dropped in, and its store then
    event_id: str | None
    channel_id: str
    user_id: str
    ts: str
    files: tuple[SharedFile, ...]
    text: str = ""


class DropAccess(Protocol):
    async def drop_admission(self, team_id: str, user_id: str, channel_id: str) -> Admission:
        """Under the workspace's allow-lists: `refused`, not on them; `channel`, a channel
        outside its allowed channels; `unchecked`, the lists could not be read just now."""
        ...


class DropReport(Protocol):
    async def tell(self, team_id: str, who: Requester, kind: str) -> None:
        """A private note: `refused` or `channel` (the allow-lists refuse the drop, for that
        reason); `unchecked` (Slack could not say whether the person may: the drop is kept and
        checked again); `expired` (still could not say, past HOLD_SECONDS: not planned);
        `unavailable` (the bot's database could not be reached, so the drop was not taken); or
        `unlinked` (its store is no longer linked to its workspace: not planned)."""
        ...


class DropZone:
    def __init__(
        self,
        *,
        jobs: JobStore,
        stores: Stores,
        bulk: FilesPlanner,
        access: DropAccess,
        report: DropReport,
        group_seconds: float,
        hold_seconds: float = HOLD_SECONDS,
        clock: Callable[[], float] = time.time,  # wall time: the store is shared by processes
    ) -> None:
        self._jobs = jobs
        self._stores = stores
        self._bulk = bulk
        self._access = access
        self._report = report
        self._group_seconds = group_seconds
        self._hold_seconds = hold_seconds
        self._clock = clock
        self._intake = asyncio.Lock()  # this process's drops join their group one at a time
        self._poke = asyncio.Event()  # a drop was kept, or a plan ended: look again
        self._passed = asyncio.Condition()  # the watcher went through the due groups
        self._plans: set[asyncio.Task[None]] = set()
        self._watcher: asyncio.Task[None] | None = None
        self._closing = False

    def watch(self) -> None:
        """Plan each group when it is due: those kept before this process started (a process
        killed while they waited) at once if their time has come, the rest when it does."""
        self._watcher = asyncio.create_task(self._watch(), name="drop-watcher")

    async def dropped(self, drop: Drop) -> None:
        """A drop: checked, kept with the person's others, and answered once; never raises."""
        who = Requester(user_id=drop.user_id, channel_id=drop.channel_id)
        keys = _keys(drop)
        try:
            admission = await self._access.drop_admission(
                drop.tenant.team_id, drop.user_id, drop.channel_id
            )
        except Exception:  # not expected (the policy fails closed): not lost in silence
            log.exception("drop access not checked")
            admission = "unchecked"
        if admission in ("refused", "channel"):
            await self._refuse(drop.tenant.team_id, who, keys, admission)
            return
        try:
            kept = await self._keep(drop, keys, checked=admission == "allowed")
        except Exception as exc:
            log.warning("drop not kept, the store is away: %s", type(exc).__name__)
            await self._report.tell(drop.tenant.team_id, who, "unavailable")
            return
        if not kept:
            log.info(
                "drop seen before: event=%s channel=%s ts=%s",
                drop.event_id,
                drop.channel_id,
                drop.ts,
            )
            return
        if admission == "unchecked":
            log.warning("drop kept unchecked: channel=%s user=%s", drop.channel_id, drop.user_id)
            await self._report.tell(drop.tenant.team_id, who, "unchecked")

    async def _refuse(self, team_id: str, who: Requester, keys: list[str], reason: str) -> None:
        try:
            first = await self._jobs.first_time(*keys)
        except Exception as exc:  # better told twice than never
            log.warning("drop refusal not recorded: %s", type(exc).__name__)
            first = True
        if first:
            log.info(
                "drop refused: channel=%s user=%s reason=%s", who.channel_id, who.user_id, reason
            )
            await self._report.tell(team_id, who, reason)

    async def _keep(self, drop: Drop, keys: list[str], *, checked: bool) -> bool:
        """Kept with the person's group still open (or as a new group's first); whether this
        delivery is the first."""
        async with self._intake:
            now = self._clock()
            team_id = drop.tenant.team_id
            group = await self._jobs.open_drop_group(team_id, drop.channel_id, drop.user_id, now)
            thread_ts, due_at = (
                (group[0][3], group[1]) if group else (drop.ts, now + self._group_seconds)
            )
            waiting = WaitingDrop(
                key=drop.tenant.key(f"{drop.channel_id}:{drop.ts}"),
                channel_id=drop.channel_id,
                user_id=drop.user_id,
                thread_ts=thread_ts,
                ts=drop.ts,
                files=_files_json(drop.files),
                text=drop.text.replace("\x00", ""),  # PostgreSQL's text takes no NUL
                received_at=now,
                due_at=due_at,
                checked=checked,
                team_id=team_id,
                store_id=drop.tenant.store_id,
            )
            kept = await self._jobs.keep_drop(keys, waiting)
        if kept:
            log.info(
                "drop kept: channel=%s user=%s files=%d thread=%s due_in=%.1fs",
                drop.channel_id,
                drop.user_id,
                len(drop.files),
                thread_ts,
                due_at - now,
            )
            self._poke.set()
        return kept

    # ---- the watcher ------------------------------------------------------------------

    async def _watch(self) -> None:
        while not self._closing:
            self._poke.clear()  # before reading: a drop kept from now on wakes the wait below
            wait = SWEEP_SECONDS
            try:
                for group in await self._jobs.due_drop_groups(self._clock()):
                    if self._closing:
                        break
                    try:
                        await self._settle(group)
                    except Exception as exc:  # one group's trouble holds back no other group
                        log.warning("a waiting drop could not be settled: %s", type(exc).__name__)
                        wait = RETRY_SECONDS
                due = await self._jobs.next_drop_due()
                if due is not None:
                    wait = min(wait, max(0.0, due - self._clock()))
            except Exception as exc:  # the database may be briefly away; try again later
                log.warning("waiting drops could not be read: %s", type(exc).__name__)
                wait = RETRY_SECONDS
            async with self._passed:
                self._passed.notify_all()
            if self._closing:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._poke.wait(), wait)

    async def _settle(self, group: DropGroup) -> None:
        """A due group: planned; or, when its person could not be checked, checked again."""
        drops = await self._jobs.waiting_group(group)
        if not drops:
            return
        team_id, channel_id, user_id, _ = group
        who = Requester(user_id=user_id, channel_id=channel_id)
        if not all(d.checked for d in drops):
            # Checked again, and any note sent, as the workspace: its user groups are read, and
            # its person told, with its token (its store's, else its default store's).
            store = await self._stores.for_tenant(drops[0].tenant)
            if store is not None:
                with working_for(store):
                    await self._recheck(group, drops, who, unlinked=False)
                return
            with self._as_workspace(await self._stores.for_team(team_id)):
                await self._recheck(group, drops, who, unlinked=True)
            return
        await self._take(group)

    @staticmethod
    @contextlib.contextmanager
    def _as_workspace(speaker: StoreContext | None) -> Iterator[None]:
        """Speaking for the workspace with another of its stores' token (its default's), as
        none of its stores: the note is about a store no longer linked."""
        if speaker is None:
            yield
            return
        with working_for(speaker), unnamed():
            yield

    async def _recheck(
        self, group: DropGroup, drops: Sequence[WaitingDrop], who: Requester, *, unlinked: bool
    ) -> None:
        """A group whose person could not be checked when it was dropped: checked now; planned
        if allowed, kept a while longer if Slack still cannot say, else refused and told."""
        team_id, channel_id, user_id, _ = group
        admission = "unlinked"
        if not unlinked:
            admission = await self._access.drop_admission(team_id, user_id, channel_id)
        if admission == "unchecked":
            if self._clock() < min(d.received_at for d in drops) + self._hold_seconds:
                await self._jobs.postpone_drops(group, self._clock() + self._group_seconds)
                return
            if await self._jobs.take_drops(group):
                log.warning("drop not planned, still unchecked: %s", group)
                await self._report.tell(team_id, who, "expired")
            return
        if admission != "allowed":
            if await self._jobs.take_drops(group):
                log.info("drop refused after its check: %s (%s)", group, admission)
                await self._report.tell(team_id, who, admission)
            return
        await self._take(group)

    async def _take(self, group: DropGroup) -> None:
        taken = await self._jobs.take_drops(group)
        if taken:  # else another process took it first
            task = asyncio.create_task(self._plan(taken), name="drop-plan")
            self._plans.add(task)
            task.add_done_callback(self._plan_ended)

    def _plan_ended(self, task: asyncio.Task[None]) -> None:
        self._plans.discard(task)
        self._poke.set()  # idle() waits on the watcher's next pass

    async def _plan(self, drops: Sequence[WaitingDrop]) -> None:
        first = drops[0]
        who = Requester(user_id=first.user_id, channel_id=first.channel_id)
        files = _unique(f for d in drops for f in _read_files(d.files))
        caption = next((c for c in (read_caption(d.text) for d in drops) if c is not None), None)
        log.info(
            "drop plan channel=%s user=%s thread=%s messages=%d files=%d",
            first.channel_id,
            first.user_id,
            first.thread_ts,
            len(drops),
            len(files),
        )
        try:
            store = await self._stores.for_tenant(first.tenant)  # as it was when dropped
            if store is None:  # the store was unlinked meanwhile: nothing to plan it for
                log.warning("drop plan: store %s no longer served", first.store_id)
                with self._as_workspace(await self._stores.for_team(first.team_id)):
                    await self._report.tell(first.team_id, who, "unlinked")
                return
            with working_for(store):
                await self._bulk.plan_files(
                    store, who, first.channel_id, files, thread_ts=first.thread_ts, caption=caption
                )
        except Exception:  # plan_files answers every way it ends; this is the unexpected
            log.exception("drop plan failed")

    # ---- shutdown, tests ----------------------------------------------------------------

    async def close(self) -> None:
        """A shutdown: the groups not yet due stay in the store for the next process; the
        plans under way get CLOSE_SECONDS to finish."""
        self._closing = True
        self._poke.set()
        if self._watcher is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._watcher), CLOSE_SECONDS)
            except TimeoutError:
                self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        plans = list(self._plans)
        if plans:
            _, late = await asyncio.wait(plans, timeout=CLOSE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def idle(self) -> None:
        """Every drop kept has been planned, or answered (tests wait on this)."""
        if self._watcher is None:
            return
        while not self._watcher.done():
            if self._plans:
                await asyncio.gather(*self._plans, return_exceptions=True)
                continue
            async with self._passed:
                if not self._plans and await self._jobs.next_drop_due() is None:
                    return
                await self._passed.wait()


def _keys(drop: Drop) -> list[str]:
    """The delivery's marks in seen_events: its event, and its message, in its workspace (a
    channel shared by Slack Connect delivers one message to each workspace)."""
    keys = [f"message:{drop.channel_id}:{drop.ts}"]
    if drop.event_id:
        keys.append(f"event:{drop.event_id}")
    return [drop.tenant.key(key) for key in keys]


def _files_json(files: Iterable[SharedFile]) -> str:
    return json.dumps([dataclasses.asdict(f) for f in files])


_FILE_FIELDS = {f.name for f in dataclasses.fields(SharedFile)}


def _read_files(stored: str) -> list[SharedFile]:
    return [
        SharedFile(**{k: v for k, v in f.items() if k in _FILE_FIELDS}) for f in json.loads(stored)
    ]


def _unique(files: Iterable[SharedFile]) -> list[SharedFile]:
    return list({f.id: f for f in files}.values())
