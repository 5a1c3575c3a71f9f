"""Ecwid stores connected by OAuth and the Slack workspaces they are linked to (#38), as rows
of the job store's database. Tokens arrive sealed (bot.tokens) and are kept as they came; every
one-time secret (a link's nonce, a browser's cookie, a claim code) is kept as its SHA-256, so a
copy of the database opens no door. Each secret is used once: by a conditional UPDATE, the job
store's one lock concept, whichever process is asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select, update

from bot.jobs.schema import (
    audit_schedules,
    bot_surfaces,
    connect_requests,
    ecwid_codes,
    ecwid_stores,
    ecwid_webhook_events,
    jobs,
    store_links,
    store_naming,
    waiting_drops,
    workspace_settings,
)

if TYPE_CHECKING:
    from bot.jobs.store import JobStore

# Who stopped a workspace's or a store's jobs when it removed the app (`stopped_by`): no person.
UNINSTALLED = "app_uninstalled"

EVENT_MEMORY_SECONDS = 7 * 24 * 3600  # past Ecwid's day of retries, and the 5-minute window
CODE_MEMORY_SECONDS = 24 * 3600  # a code lives minutes (Ecwid: "a few"); kept a day
REQUEST_MEMORY_SECONDS = 24 * 3600  # links from Slack, used or not
UNCLAIMED_SECONDS = 7 * 24 * 3600  # an App Market store nobody claimed, its code past


@dataclass(frozen=True)
class Asker:
    """Who started a connection: their workspace and themselves."""

    team_id: str
    user_id: str


@dataclass(frozen=True)
class Link:
    team_id: str
    store_id: int
    linked_by: str
    is_default: bool


class Connections:
    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def ask(self, asker: Asker, nonce_hash: str, expires_at: float, now: float) -> None:
        """A new one-time link for `asker`; links and App Market stores long past are
        forgotten."""
        await self._store.write(
            connect_requests.insert().values(
                nonce_hash=nonce_hash,
                team_id=asker.team_id,
                user_id=asker.user_id,
                expires_at=expires_at,
            ),
            delete(connect_requests).where(
                connect_requests.c.expires_at < now - REQUEST_MEMORY_SECONDS
            ),
            delete(ecwid_stores).where(
                ecwid_stores.c.claim_until < now - UNCLAIMED_SECONDS,
                ~select(store_links.c.store_id)
                .where(store_links.c.store_id == ecwid_stores.c.store_id)
                .exists(),
            ),
        )

    async def open(
        self, nonce_hash: str, session_hash: str, now: float, session_until: float
    ) -> bool:
        """The link followed, once and in time: the browser's cookie now stands for it, until
        `session_until` (the way through Ecwid and back)."""
        (opened,) = await self._store.write(
            update(connect_requests)
            .where(
                connect_requests.c.nonce_hash == nonce_hash,
                connect_requests.c.opened_at.is_(None),
                connect_requests.c.expires_at > now,
            )
            .values(opened_at=now, session_hash=session_hash, expires_at=session_until)
        )
        return opened == 1

    async def finish(self, session_hash: str, now: float) -> Asker | None:
        """Ecwid's callback for the browser's cookie, taken once and in time: who asked."""
        (finished,) = await self._store.write(
            update(connect_requests)
            .where(
                connect_requests.c.session_hash == session_hash,
                connect_requests.c.finished_at.is_(None),
                connect_requests.c.expires_at > now,
            )
            .values(finished_at=now)
        )
        if finished != 1:
            return None
        query = select(connect_requests.c.team_id, connect_requests.c.user_id).where(
            connect_requests.c.session_hash == session_hash
        )
        async with self._store.connect() as connection:
            row = (await connection.execute(query)).first()
        return Asker(str(row.team_id), str(row.user_id)) if row else None

    async def keep_store(
        self,
        store_id: int,
        sealed_token: str,
        now: float,
        *,
        claim_hash: str | None = None,
        claim_until: float | None = None,
        link_to: Asker | None = None,
    ) -> bool:
        """The store's token, new or replacing the one it had (its links stay), and, with
        `link_to`, its link to that workspace, in one transaction. With a claim code, a
        workspace may link it once (`claim`); without, an older code is void. Whether the link
        is new."""
        row = {
            "token": sealed_token,
            "connected_at": now,
            "claim_hash": claim_hash,
            "claim_until": claim_until,
        }
        statements = [self._store.upsert(ecwid_stores, "store_id", store_id=store_id, **row)]
        if link_to is not None:
            statements.append(self._link(link_to.team_id, store_id, link_to.user_id, now))
        written = await self._store.write(*statements)
        return link_to is not None and written[-1] == 1

    async def link(self, team_id: str, store_id: int, user_id: str, now: float) -> bool:
        """The store linked to the workspace; False when it was already."""
        (added,) = await self._store.write(self._link(team_id, store_id, user_id, now))
        return added == 1

    def _link(self, team_id: str, store_id: int, user_id: str, now: float) -> Any:
        return self._store.insert_once(store_links, "team_id", "store_id").values(
            team_id=team_id, store_id=store_id, linked_by=user_id, linked_at=now
        )

    async def claim(self, claim_hash: str, now: float) -> int | None:
        """The store a claim code stands for, taken once and in time."""
        query = select(ecwid_stores.c.store_id).where(
            ecwid_stores.c.claim_hash == claim_hash, ecwid_stores.c.claim_until > now
        )
        async with self._store.connect() as connection:
            store_id = (await connection.execute(query)).scalar()
        if store_id is None:
            return None
        (taken,) = await self._store.write(
            update(ecwid_stores)
            .where(ecwid_stores.c.store_id == store_id, ecwid_stores.c.claim_hash == claim_hash)
            .values(claim_hash=None, claim_until=None)
        )
        return int(store_id) if taken == 1 else None

    async def sealed_token(self, store_id: int) -> str | None:
        query = select(ecwid_stores.c.token).where(ecwid_stores.c.store_id == store_id)
        async with self._store.connect() as connection:
            token = (await connection.execute(query)).scalar()
        return str(token) if token is not None else None

    async def links(self, team_id: str) -> list[Link]:
        """The workspace's stores, its default first (chosen, else the first linked)."""
        query = (
            select(store_links)
            .where(store_links.c.team_id == team_id)
            .order_by(store_links.c.linked_at, store_links.c.store_id)
        )
        async with self._store.connect() as connection:
            rows = list(await connection.execute(query))
        chosen = next((row.store_id for row in rows if row.is_default), None)
        default = chosen if chosen is not None else (rows[0].store_id if rows else None)
        found = [
            Link(str(row.team_id), int(row.store_id), str(row.linked_by), row.store_id == default)
            for row in rows
        ]
        return sorted(found, key=lambda link: not link.is_default)

    async def teams_of(self, store_id: int) -> list[str]:
        query = select(store_links.c.team_id).where(store_links.c.store_id == store_id)
        async with self._store.connect() as connection:
            return sorted(str(team) for team in (await connection.execute(query)).scalars())

    async def forget_store(self, store_id: int, sealed_token: str) -> bool:
        """The store gone: its token, every workspace's link to it and its naming rules, unless
        its token changed since it was read (connected again meanwhile). Whether it was
        forgotten. The records of its messages stay (bot.jobs.surfaces): a button on one is
        then refused as the store's, never taken for the default store's."""
        async with self._store.connect() as connection:
            current = (
                await connection.execute(
                    select(ecwid_stores.c.token).where(ecwid_stores.c.store_id == store_id)
                )
            ).scalar()
        if current != sealed_token:
            return False
        gone, *_ = await self._store.write(
            delete(ecwid_stores).where(
                ecwid_stores.c.store_id == store_id, ecwid_stores.c.token == sealed_token
            ),
            delete(store_links).where(
                store_links.c.store_id == store_id,
                ~select(ecwid_stores.c.store_id)
                .where(ecwid_stores.c.store_id == store_id)
                .exists(),
            ),
            delete(store_naming).where(
                store_naming.c.store_id == store_id,
                ~select(ecwid_stores.c.store_id)
                .where(ecwid_stores.c.store_id == store_id)
                .exists(),
            ),
        )
        return gone == 1

    async def uninstall_said(self, store_id: int, now: float) -> None:
        """Ecwid said the store uninstalled the app, and could not confirm it just now."""
        await self._store.write(
            update(ecwid_stores)
            .where(ecwid_stores.c.store_id == store_id, ecwid_stores.c.uninstall_said_at.is_(None))
            .values(uninstall_said_at=now)
        )

    async def unconfirmed(self) -> list[tuple[int, str, float]]:
        """The stores said uninstalled and not yet confirmed: id, sealed token, when said."""
        query = select(
            ecwid_stores.c.store_id, ecwid_stores.c.token, ecwid_stores.c.uninstall_said_at
        ).where(ecwid_stores.c.uninstall_said_at.is_not(None))
        async with self._store.connect() as connection:
            rows = await connection.execute(query)
            return [(int(r.store_id), str(r.token), float(r.uninstall_said_at)) for r in rows]

    async def uninstall_settled(self, store_id: int) -> None:
        """Ecwid says the store still takes its token (or it was asked long enough)."""
        await self._store.write(
            update(ecwid_stores)
            .where(ecwid_stores.c.store_id == store_id)
            .values(uninstall_said_at=None)
        )

    async def first_code(self, code_hash: str, now: float) -> bool:
        """Whether this code from Ecwid is new: each is exchanged once, never again."""
        added, _ = await self._store.write(
            self._store.insert_once(ecwid_codes, "code_hash").values(
                code_hash=code_hash, seen_at=now
            ),
            delete(ecwid_codes).where(ecwid_codes.c.seen_at < now - CODE_MEMORY_SECONDS),
        )
        return added == 1

    async def choose_default(self, team_id: str, store_id: int) -> bool:
        """The workspace's default store, if it is linked to it."""
        if store_id not in [link.store_id for link in await self.links(team_id)]:
            return False
        await self._store.write(
            update(store_links)
            .where(store_links.c.team_id == team_id)
            .values(is_default=store_links.c.store_id == store_id)
        )
        return True

    async def stop_team_work(self, team_id: str, now: float) -> tuple[int, int]:
        """The workspace left: its running jobs stop (the process running each sees it at its
        next lease renewal), those not started are cancelled, its waiting drops and weekly
        audits are deleted. (stopped, cancelled)."""
        return await self._stop_work(
            jobs.c.team_id == team_id,
            waiting_drops.c.team_id == team_id,
            audit_schedules.c.team_id == team_id,
            now,
        )

    async def stop_store_work(self, store_id: int, now: float) -> tuple[int, int]:
        """The store left (uninstalled in Ecwid): the same for every workspace's work on it."""
        return await self._stop_work(
            jobs.c.store_id == store_id,
            waiting_drops.c.store_id == store_id,
            audit_schedules.c.store_id == store_id,
            now,
        )

    async def _stop_work(
        self, of_jobs: Any, of_drops: Any, of_schedules: Any, now: float
    ) -> tuple[int, int]:
        from bot.jobs.store import JobState  # the store imports this module

        stopped, cancelled, _, _ = await self._store.write(
            update(jobs)
            .where(of_jobs, jobs.c.state == JobState.RUNNING)
            .values(state=JobState.STOPPING, stopped_by=UNINSTALLED),
            update(jobs)
            .where(of_jobs, jobs.c.state.in_([JobState.CHECKING, JobState.PLANNED]))
            .values(state=JobState.CANCELLED, stopped_by=UNINSTALLED, finished_at=now),
            delete(waiting_drops).where(of_drops),
            delete(audit_schedules).where(of_schedules),
        )
        return stopped, cancelled

    async def forget_team(self, team_id: str) -> list[int]:
        """The workspace gone: its links, its links in the making, its settings and the records
        of its messages. A store it leaves linked to no workspace is forgotten too (its token
        was for this workspace's use), unless a claim code waits for it. The stores forgotten."""
        linked = [link.store_id for link in await self.links(team_id)]
        await self._store.write(
            delete(store_links).where(store_links.c.team_id == team_id),
            delete(connect_requests).where(connect_requests.c.team_id == team_id),
            delete(workspace_settings).where(workspace_settings.c.team_id == team_id),
            delete(store_naming).where(store_naming.c.team_id == team_id),
            delete(bot_surfaces).where(bot_surfaces.c.team_id == team_id),
        )
        orphans = []
        for store_id in linked:
            if not await self.teams_of(store_id):
                (gone,) = await self._store.write(
                    delete(ecwid_stores).where(
                        ecwid_stores.c.store_id == store_id,
                        ecwid_stores.c.claim_hash.is_(None),
                        ~select(store_links.c.store_id)
                        .where(store_links.c.store_id == store_id)
                        .exists(),
                    )
                )
                if gone:
                    orphans.append(store_id)
        return orphans

    async def first_sight(self, event_id: str, now: float) -> bool:
        """Whether this webhook event is new (a replay is not); old ones are forgotten."""
        added, _ = await self._store.write(
            self._store.insert_once(ecwid_webhook_events, "event_id").values(
                event_id=event_id, seen_at=now
            ),
            delete(ecwid_webhook_events).where(
                ecwid_webhook_events.c.seen_at < now - EVENT_MEMORY_SECONDS
            ),
        )
        return added == 1
