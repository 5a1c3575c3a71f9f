"""The long-lived pieces: shared HTTP clients, the Ecwid client, the job store, the flows and
their workers."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from bot.changes.context import (
    OneStore,
    StoreContext,
    Stores,
    named_store,
    working_store,
    workspace_token,
)
from bot.changes.events import ChangeEvents
from bot.changes.recognise import Recogniser
from bot.changes.runner import ChangeRunner
from bot.changes.sources import ImageSources
from bot.config import Settings
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.ecwid.client import EcwidClient
from bot.ecwid.store import StoreInfo
from bot.flows.audit import AuditFlow
from bot.flows.bulk import BulkFlow
from bot.flows.bulk_run import PROGRESS_SECONDS
from bot.flows.drops import DropZone
from bot.flows.duplicates import DuplicateCheck
from bot.flows.gallery import GalleryFlow
from bot.flows.history import HistoryFlow, Retention
from bot.flows.undo import UndoFlow
from bot.flows.upload import UploadFlow
from bot.flows.weekly import TICK_SECONDS, WeeklyAudits
from bot.flows.workers import WorkerPool
from bot.images.convert import ImagePreparer
from bot.images.probe import ImageProbe
from bot.images.shared_files import SharedFileReader
from bot.jobs.audits import Audits
from bot.jobs.budgets import SharedBudgets
from bot.jobs.connections import Connections
from bot.jobs.history import History, KeepLimit, Pruner
from bot.jobs.schedules import Schedules
from bot.jobs.settings import SettingsStore
from bot.jobs.store import Job, JobStore
from bot.jobs.surfaces import Surfaces
from bot.slack import texts
from bot.slack.access import AccessPolicy
from bot.slack.audit_report import SlackAuditReport
from bot.slack.client import CALL_TIMEOUT_SECONDS, BoundedWebClient, slack_session
from bot.slack.files import describer
from bot.slack.gallery_report import SlackGalleryReport
from bot.slack.home import SlackHistoryReport
from bot.slack.notify import (
    Notifier,
    SlackBulkReport,
    SlackDropReport,
    SlackUndoReport,
    SlackUploadReport,
)
from bot.slack.weekly_report import SlackTimeZones, SlackWeeklyReport
from bot.slack.workspaces import OneWorkspace, StoredWorkspaces, Workspaces
from bot.tenants import LinkedStores

log = logging.getLogger(__name__)

# Concurrent uploads; more requests wait in the queue. Uploads mostly wait on Ecwid (0.3 s or more
# each), so a burst of a few hundred is only answered promptly when they can all be in flight.
UPLOAD_WORKERS = 256
# Heroku kills a dyno 30 s after SIGTERM; the bot is gone within 25 s: uploads in flight get 21 s
# to finish, those cut off are told so (up to 2 s), then handlers and connections close (1 s).
SHUTDOWN_GRACE_SECONDS = 25.0
UPLOAD_GRACE_SECONDS = SHUTDOWN_GRACE_SECONDS - 4.0


def _keeper(surfaces: Surfaces, clock: Callable[[], float]) -> Callable[[str], Awaitable[None]]:
    """Keeps a message or a form with the store the current work is for (none: no store's)."""

    async def made(surface: str) -> None:
        store = working_store()
        if store is not None:
            await surfaces.made(store.tenant.team_id, surface, store.store_id, clock())

    return made


def _store_label() -> str | None:
    store = named_store()
    return texts.store_label(store.store_id) if store is not None else None


def _allowed_channels(workspaces: Workspaces) -> Callable[[str], Awaitable[frozenset[str]]]:
    async def allowed(team_id: str) -> frozenset[str]:
        return (await workspaces.settings(team_id)).access.channels

    return allowed


@dataclass
class Runtime:
    settings: Settings
    session: aiohttp.ClientSession  # the one connection pool under every call but the probe's
    http: httpx.AsyncClient  # response_url calls
    slack: BoundedWebClient
    access: AccessPolicy  # single-store mode's (its Home); each workspace's: `workspaces`
    workspaces: Workspaces  # each workspace's settings: access, drop zone, naming
    surfaces: Surfaces | None  # many-stores mode: the store each message and form was made for
    probe: ImageProbe
    images: ImagePreparer  # its process pool starts with the first image to convert
    stores: Stores  # each request's and each job's store context
    notifier: Notifier
    uploads: UploadFlow
    undos: UndoFlow
    workers: WorkerPool
    jobs: JobStore
    bulk: BulkFlow
    history: HistoryFlow
    gallery: GalleryFlow
    drops: DropZone
    audit: AuditFlow
    weekly: WeeklyAudits

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.monotonic,
        slack_call_timeout: float = CALL_TIMEOUT_SECONDS,
        image_pool: ProcessPoolExecutor | None = None,
        progress_seconds: float = PROGRESS_SECONDS,
        wall_clock: Callable[[], float] = time.time,
        weekly_tick: float = TICK_SECONDS,
        jobs: JobStore | None = None,
        installations: AsyncInstallationStore | None = None,
    ) -> Runtime:
        """`clock`: the access rules' (their caches of user groups and of failed reads);
        `slack_call_timeout`: the bound on each Slack call, each request's client's too;
        `image_pool`: for tests, a conversion pool their bots share (bot.images.convert);
        `progress_seconds`: the least time between two updates of a job's message (Slack's
        pace: tests that do not look at the pace shorten it); `wall_clock` and `weekly_tick`:
        the weekly audits' time and how often they are looked for (tests turn the clock).
        Many-stores mode's: its onboarding's `jobs` (the same database, one pool) and Slack
        `installations` (each workspace's bot token)."""
        many = settings.many
        if many is not None and installations is None:
            raise ValueError("many-stores mode: the workspaces' installations are needed")
        if jobs is None:
            # First: it may refuse to start. The store's id: older lines' changes need it.
            jobs = await JobStore.open(
                settings.database_url, store_id=settings.ecwid_store_id or None
            )
        session = slack_session(limit=UPLOAD_WORKERS)
        # httpx's API over aiohttp's connection pool: httpcore's pool costs time that grows with
        # the square of the connections in use (measured: seconds of CPU in a 200-upload burst).
        http = httpx.AsyncClient(
            transport=AiohttpTransport(client=session),
            headers={"User-Agent": "ecwid-image-slack-bot"},
        )
        surfaces = Surfaces(jobs) if many is not None else None
        slack = BoundedWebClient(
            token=settings.slack_bot_token,
            base_url=settings.slack_api_url,
            session=session,
            call_timeout=slack_call_timeout,
            # Many-stores mode: no token of its own; each call's workspace's; and each message
            # and form kept with the store it was made for.
            workspace_token=workspace_token,
            made=_keeper(surfaces, wall_clock) if surfaces is not None else None,
            label=_store_label if many is not None else None,  # "every answer names its store"
        )
        notifier = Notifier(slack, http, blocks_by_api=many is not None)
        probe = ImageProbe(
            allow_private_networks=settings.probe_allow_private_networks,
            ca_file=settings.ssl_cert_file,
        )
        files = SharedFileReader(
            probe,
            settings.slack_bot_token or workspace_token,
            describe=describer(slack),
            slack_api_url=settings.slack_api_url,
        )
        images = ImagePreparer(settings.images, pool=image_pool)
        recognise = Recogniser(probe, images)
        schedules = Schedules(jobs)
        retention = Retention(settings.history_days, settings.history_max_mb)
        events = ChangeEvents()
        sources = ImageSources(probe, files, images)
        store_jobs = jobs  # (for the closures below: mypy keeps `jobs` optional there)

        def ecwid_for(store_id: int, token: str) -> EcwidClient:
            # Several processes share one PostgreSQL, and each store's budget with it; SQLite
            # serves one process, whose own budget is the store's.
            shared = (
                SharedBudgets(store_jobs).for_store(store_id)
                if store_jobs.dialect == "postgresql"
                else None
            )
            return EcwidClient(
                session,
                api_url=settings.ecwid_api_url,
                store_id=store_id,
                token=token,
                timeout=settings.ecwid_timeout_seconds,
                rate_limit=settings.ecwid_rate_limit,
                shared=shared,
            )

        def context_for(
            tenant: Tenant, ecwid: EcwidClient, catalog: StoreInfo, workspace: AsyncWebClient
        ) -> StoreContext:
            history = History(store_jobs, tenant)
            runner = ChangeRunner(ecwid, sources, recognise, history, files)
            return StoreContext(tenant, ecwid, catalog, runner, history, workspace)

        stores: Stores
        kept: History | None = None  # single-store mode's one tenant's (its Home lists it)
        access = AccessPolicy(settings.access_lists, slack, clock)  # single-store mode's
        workspaces: Workspaces = OneWorkspace(settings, access)
        if many is None or installations is None:
            ecwid = ecwid_for(settings.ecwid_store_id, settings.ecwid_token or "")
            one = Tenant(ONE_WORKSPACE, settings.ecwid_store_id)
            store = context_for(one, ecwid, StoreInfo(ecwid), slack)
            stores, kept = OneStore(store), store.history
        else:
            links = Connections(jobs)
            stores = LinkedStores(
                links, many.token_keys, installations, slack, ecwid_for, context_for
            )
            workspaces = StoredWorkspaces(SettingsStore(jobs), slack, settings.naming, clock)
        uploads = UploadFlow(SlackUploadReport(slack, notifier), events)
        undos = UndoFlow(jobs, SlackUndoReport(slack, notifier), recognise, events)
        database = "PostgreSQL" if jobs.dialect == "postgresql" else "SQLite"
        history = HistoryFlow(
            history=kept,
            pruner=Pruner(jobs),
            jobs=jobs,
            report=SlackHistoryReport(slack, notifier, settings, access, kept, database),
            retention=retention,
            schedules=schedules,
        )
        events.on_person_changed(history.changed)
        gallery = GalleryFlow(SlackGalleryReport(slack, notifier))
        events.on_card_undone(gallery.card_undone)

        async def after_job(job: Job) -> None:
            await history.prune_quietly()  # the kept copies just grew
            history.changed(job.user_id)

        workers = WorkerPool(UPLOAD_WORKERS)
        bulk = BulkFlow(
            jobs=jobs,
            stores=stores,
            duplicates=DuplicateCheck(recognise),
            report=SlackBulkReport(slack, notifier),
            undos=undos,
            lease_seconds=settings.bulk_lease_seconds,
            priority=workers.priority,  # a job's lines hold back while requests are answered
            after_finish=after_job,
            naming=workspaces.naming,
            duplicate_lines=settings.duplicate_check_max_lines,
            parse_seconds=settings.csv_parse_seconds,
            keep=KeepLimit(retention.max_bytes, texts.NO_COPY_FOR_UNDO),
            progress_seconds=progress_seconds,
        )
        workers.start()
        bulk.watch()  # jobs a restart interrupted carry on
        history.keep_pruning()
        drops = DropZone(
            jobs=jobs,
            stores=stores,
            bulk=bulk,
            access=workspaces,
            report=SlackDropReport(notifier, _allowed_channels(workspaces)),
            group_seconds=settings.drop_group_seconds,
        )
        if settings.watch_channels or many is not None:  # many: each workspace's channels
            drops.watch()  # drops kept before a restart (even a kill) are planned
        min_side = settings.images.min_side
        audit = AuditFlow(
            SlackAuditReport(slack, notifier, min_side=min_side),
            Audits(jobs),
            recognise,
            min_side=min_side,
            progress_seconds=progress_seconds,
        )
        weekly = WeeklyAudits(
            schedules,
            SlackTimeZones(slack),
            SlackWeeklyReport(notifier),
            stores,
            audit.run,
            clock=wall_clock,
            tick_seconds=weekly_tick,
            on_changed=history.changed,  # their Home tab lists the weekly audits
            admit=workspaces.drop_admission,
        )
        weekly.watch()
        return cls(
            settings=settings,
            session=session,
            http=http,
            slack=slack,
            access=access,
            workspaces=workspaces,
            surfaces=surfaces,
            probe=probe,
            images=images,
            stores=stores,
            notifier=notifier,
            uploads=uploads,
            undos=undos,
            workers=workers,
            jobs=jobs,
            bulk=bulk,
            history=history,
            gallery=gallery,
            drops=drops,
            audit=audit,
            weekly=weekly,
        )

    async def close(self, grace_seconds: float = UPLOAD_GRACE_SECONDS) -> None:
        """Finish the uploads in flight (up to the grace period), then release connections.
        Bulk jobs pause: their lines in flight finish, and the next process resumes them."""
        await self.drops.close()  # the plans under way end; waiting drops stay in the store
        await self.weekly.close()  # an audit under way ends; the next week's is in the store
        await asyncio.gather(self.workers.close(grace_seconds), self.bulk.close(grace_seconds))
        await self.history.close()
        await self.jobs.close()
        await self.http.aclose()  # closes the shared session too
        await self.probe.aclose()
        self.images.close()
        await self.session.close()
