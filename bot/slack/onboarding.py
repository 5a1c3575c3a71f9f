"""Many-stores mode (#38): what one deployment needs to take workspaces and stores on. Slack's
"Add to Slack" (bot.slack.install), Ecwid's "Connect your store" (bot.flows.connect), each
workspace's links, and the App Home that shows them. Every token is sealed at rest under
TOKEN_KEYS, and every Slack call is made with the token of the workspace it is for.

Image work (commands, forms, jobs) is served by the runtime (bot.runtime), on each workspace's
stores."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
from slack_bolt.oauth.async_oauth_flow import AsyncOAuthFlow
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore

from bot.config import ManyStores, Settings
from bot.ecwid.client import EcwidClient
from bot.ecwid.oauth import EcwidOAuth
from bot.flows.connect import RECHECK_SECONDS, StoreConnections
from bot.jobs.connections import Asker, Connections
from bot.jobs.settings import SettingsStore
from bot.jobs.store import JobStore
from bot.slack import texts
from bot.slack.authorize import CheckedAuthorize
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error, slack_session
from bot.slack.connect import CALLBACK_PATH
from bot.slack.install import install_flow
from bot.slack.installations import SealedInstallationStore

log = logging.getLogger(__name__)

SESSION_CONNECTIONS = 64


@dataclass
class Onboarding:
    settings: Settings
    many: ManyStores
    session: aiohttp.ClientSession
    jobs: JobStore
    slack: BoundedWebClient  # no token of its own: each request's workspace's (for_request)
    installations: SealedInstallationStore
    install: AsyncOAuthFlow
    links: Connections
    connections: StoreConnections
    workspace_settings: SettingsStore  # each workspace's, edited in its Home
    rechecking: asyncio.Task[None] | None = None  # uninstalls Ecwid could not confirm yet

    @classmethod
    async def open(
        cls,
        settings: Settings,
        *,
        clock: Callable[[], float] = time.time,
        recheck_seconds: float = RECHECK_SECONDS,
    ) -> Onboarding:
        """`recheck_seconds`: how often uninstalls Ecwid could not confirm are asked again."""
        many = settings.many
        if many is None:
            raise ValueError("many-stores mode only")
        jobs = await JobStore.open(settings.database_url, clock=clock)
        session = slack_session(limit=SESSION_CONNECTIONS)
        slack = BoundedWebClient(token=None, base_url=settings.slack_api_url, session=session)
        installations = SealedInstallationStore(
            AsyncSQLAlchemyInstallationStore(client_id=many.slack_client_id, engine=jobs.engine),
            many.token_keys,
        )
        flow = install_flow(
            client_id=many.slack_client_id,
            client_secret=many.slack_client_secret,
            public_url=many.public_url,
            engine=jobs.engine,
            installations=installations,
            client=slack,
        )
        # Bolt's app takes its authorize from the flow's settings: "reinstall" only for a token
        # Slack refuses (bot.slack.authorize).
        flow.settings.authorize = CheckedAuthorize(installations, slack)
        links = Connections(jobs)

        async def store_gone(store_id: int, token: str) -> bool | None:
            ecwid = EcwidClient(
                session,
                api_url=settings.ecwid_api_url,
                store_id=store_id,
                token=token,
                timeout=settings.ecwid_timeout_seconds,
            )
            return await ecwid.token_refused()

        oauth = EcwidOAuth(
            session,
            oauth_url=many.ecwid_oauth_url,
            client_id=many.ecwid_client_id,
            client_secret=many.ecwid_client_secret,
            redirect_uri=many.public_url + CALLBACK_PATH,
        )

        async def linked(asker: Asker, store_id: int, email: str | None) -> None:
            """The asker hears of the store linked in their name, in their DM with the bot."""
            bot = await installations.async_find_bot(enterprise_id=None, team_id=asker.team_id)
            if bot is None:  # an Enterprise Grid workspace's (out of scope), or gone meanwhile
                log.warning(
                    "store %s linked; its asker not told: no bot for the workspace", store_id
                )
                return
            client = slack.for_request(token=bot.bot_token, team_id=asker.team_id)
            try:
                await client.chat_postMessage(
                    channel=asker.user_id, text=texts.connect_linked_dm(store_id, email)
                )
            except SLACK_FAILURES as exc:
                log.warning("store %s linked; its asker not told: %s", store_id, slack_error(exc))

        connections = StoreConnections(
            links,
            oauth,
            many.token_keys,
            store_gone,
            client_secret=many.ecwid_client_secret,
            public_url=many.public_url,
            linked=linked,
            clock=clock,
        )
        onboarding = cls(
            settings,
            many,
            session,
            jobs,
            slack,
            installations,
            flow,
            links,
            connections,
            SettingsStore(jobs),
        )
        onboarding.rechecking = asyncio.create_task(onboarding._recheck_forever(recheck_seconds))
        return onboarding

    async def _recheck_forever(self, seconds: float) -> None:
        """Uninstalls Ecwid could not confirm, asked again (bot.flows.connect, `recheck`)."""
        while True:
            await asyncio.sleep(seconds)
            try:
                await self.connections.recheck()
            except Exception as exc:  # the database, most likely: asked again next time
                log.warning("uninstalls not checked again: %s", type(exc).__name__)

    async def forget_workspace(self, enterprise_id: str | None, team_id: str) -> None:
        """The app uninstalled from the workspace, or its bot token revoked: its installation,
        links, settings, waiting drops and weekly audits are deleted, and its bulk jobs stop
        (the token is gone: there is no one to tell in Slack, so the log says it)."""
        await self.installations.async_delete_all(enterprise_id=enterprise_id, team_id=team_id)
        stopped, cancelled = await self.links.stop_team_work(team_id, time.time())
        stores = await self.links.forget_team(team_id)
        log.info(
            "workspace %s removed the app: its installation, links, settings and waiting work "
            "are deleted; %d running bulk jobs stop, %d not started are cancelled%s",
            team_id,
            stopped,
            cancelled,
            f" (and stores {', '.join(map(str, stores))}, linked nowhere else)" if stores else "",
        )

    async def close(self) -> None:
        if self.rechecking is not None:
            self.rechecking.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.rechecking
        await self.jobs.close()
        await self.session.close()
