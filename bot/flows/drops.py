"""The drop zone: image files dropped in a watched channel become a plan in the drop's thread,
as **Upload these images** makes one, without a command.

- One drop, one plan: the event's id and the message's files are marked seen in the store
  before anything is planned, so a re-delivered event (Slack's retries, or another process)
  plans nothing again.
- One person's messages in one channel within DROP_GROUP_SECONDS make one plan, in the first
  message's thread (Slack sends at most 10 files a message).
- A caption (`sku:RS-1`, and `to=gallery`) puts every file on that product.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from bot.domain.bulk import read_caption
from bot.domain.requests import Requester, SharedFile
from bot.flows.bulk import BulkFlow
from bot.jobs.store import JobStore

log = logging.getLogger(__name__)

CLOSE_SECONDS = 5.0  # a restart plans the drops still waiting for their group, at most this long


@dataclass(frozen=True)
class Drop:
    """A message with image files in a watched channel, as its event tells it."""

    event_id: str | None
    channel_id: str
    user_id: str
    ts: str
    files: tuple[SharedFile, ...]
    text: str = ""


@dataclass
class _Group:
    first: Drop
    files: list[SharedFile] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


class DropReport(Protocol):
    async def tell(self, who: Requester, kind: str) -> None:
        """A private note: `refused` (the allow-lists refuse the person), or `unavailable` (the
        bot's database could not be reached, so the drop was not planned)."""
        ...


class DropZone:
    def __init__(
        self, *, jobs: JobStore, bulk: BulkFlow, group_seconds: float, report: DropReport
    ) -> None:
        self._jobs = jobs
        self._bulk = bulk
        self._group_seconds = group_seconds
        self._report = report
        self._groups: dict[tuple[str, str], _Group] = {}

    async def dropped(self, drop: Drop) -> None:
        """A drop: grouped with the person's others, planned once; never raises."""
        keys = [f"files:{','.join(sorted(f.id for f in drop.files))}"]
        if drop.event_id:
            keys.append(f"event:{drop.event_id}")
        try:
            first = await self._jobs.first_time(*keys)
        except Exception as exc:
            log.warning("drop not checked, the store is away: %s", type(exc).__name__)
            who = Requester(user_id=drop.user_id, channel_id=drop.channel_id)
            await self._report.tell(who, "unavailable")
            return
        if not first:
            log.info("drop already planned: channel=%s ts=%s", drop.channel_id, drop.ts)
            return
        key = (drop.channel_id, drop.user_id)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(drop)
            group.timer = asyncio.create_task(self._plan_later(key), name="drop-group")
        group.files.extend(drop.files)
        group.texts.append(drop.text)
        log.info(
            "drop channel=%s user=%s files=%d grouped_with=%s",
            drop.channel_id,
            drop.user_id,
            len(drop.files),
            group.first.ts,
        )

    async def refused(self, who: Requester, channel_id: str) -> None:
        """A drop by someone the allow-lists refuse: told once, privately; never planned."""
        try:
            first = await self._jobs.first_time(f"refused:{who.user_id}:{channel_id}")
        except Exception as exc:
            log.warning("drop refusal not checked: %s", type(exc).__name__)
            return
        if first:
            await self._report.tell(who, "refused")

    async def _plan_later(self, key: tuple[str, str]) -> None:
        await asyncio.sleep(self._group_seconds)  # the person's next messages join this plan
        group = self._groups.pop(key, None)
        if group is not None:
            await self._plan(group)

    async def _plan(self, group: _Group) -> None:
        drop = group.first
        who = Requester(user_id=drop.user_id, channel_id=drop.channel_id)
        caption = next((c for c in map(read_caption, group.texts) if c is not None), None)
        await self._bulk.plan_files(
            who, drop.channel_id, _unique(group.files), thread_ts=drop.ts, caption=caption
        )

    async def close(self) -> None:
        """A restart: the drops waiting for their group are planned now."""
        groups = list(self._groups.values())
        self._groups.clear()
        for group in groups:
            if group.timer is not None:
                group.timer.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_SECONDS):
                await asyncio.gather(*(self._plan(g) for g in groups), return_exceptions=True)

    async def idle(self) -> None:
        """Every drop received has been planned (tests wait on this)."""
        while self._groups:
            timers = [g.timer for g in self._groups.values() if g.timer is not None]
            await asyncio.gather(*timers, return_exceptions=True)


def _unique(files: Sequence[SharedFile]) -> list[SharedFile]:
    return list({f.id: f for f in files}.values())
