"""The history in Slack (`SlackHistoryReport`, the history flow's reporter): a product's changes
privately (or in the Product history form), and each person's App Home, published with
views.publish. Images that Slack cannot fetch (an old image's URL may be gone) would refuse the
whole message or view: it is then sent again without them."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, MarkdownTextObject, SectionBlock

from bot.config import Settings
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.domain.schedule import WeeklyAudit
from bot.jobs.history import Change, History
from bot.jobs.store import Counts, Job
from bot.slack import texts
from bot.slack.access import AccessPolicy, Verdict
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error
from bot.slack.notify import Notifier
from bot.slack.views.history import history_blocks, history_modal, home_view

log = logging.getLogger(__name__)


class SlackHistoryReport:
    def __init__(
        self,
        slack: BoundedWebClient,
        notifier: Notifier,
        settings: Settings,
        access: AccessPolicy,
        history: History | None,  # single-store mode's (many-stores mode has no such Home)
        database: str,
    ) -> None:
        self._slack = slack
        self._notifier = notifier
        self._settings = settings
        self._access = access
        self._history = history
        self._database = database
        self._workspace_url: str | None = None

    async def _base_url(self) -> str | None:
        """The workspace's URL (auth.test's `url`), for links to messages; read once."""
        if self._workspace_url is None:
            try:
                url = (await self._slack.auth_test()).get("url")
            except SLACK_FAILURES as exc:
                log.warning("workspace URL unknown: %s", slack_error(exc))
                return None
            self._workspace_url = url if isinstance(url, str) and url.startswith("https://") else ""
        return self._workspace_url or None

    async def product_history(
        self,
        who: Requester,
        product_id: int,
        name: str | None,
        changes: Sequence[Change],
        view_id: str | None = None,
        *,
        category: bool = False,
    ) -> None:
        base = await self._base_url()
        text = texts.history_head(product_id, name, len(changes), category=category)
        for images in (True, False):
            blocks = history_blocks(
                product_id, name, changes, base, images=images, category=category
            )
            try:
                if view_id is not None:
                    await self._slack.views_update(view_id=view_id, view=history_modal(blocks))
                elif who.channel_id:
                    await self._slack.chat_postEphemeral(
                        channel=who.channel_id, user=who.user_id, text=text, blocks=blocks
                    )
                else:
                    await self._slack.chat_postMessage(
                        channel=who.user_id, text=text, blocks=blocks
                    )
                return
            except SlackApiError as exc:
                log.info(
                    "history refused (%s)%s", slack_error(exc), "; without images" if images else ""
                )
            except SLACK_FAILURES as exc:
                log.warning("history not shown: %s", slack_error(exc))
                break
        await self._notifier.tell(who, text + " " + texts.history_not_shown(_UNSHOWN))

    async def home(
        self,
        user_id: str,
        changes: Sequence[Change],
        jobs: Sequence[tuple[Job, Counts]],
        error: UserFacingError | None = None,
        *,
        weekly: Sequence[WeeklyAudit] = (),
    ) -> None:
        allowed = await self._access.user_allowed(user_id) is Verdict.ALLOWED
        glance = await self._glance() if allowed and self._sees_settings(user_id) else None
        base = await self._base_url()
        problem = texts.history_not_shown(error) if error else None
        for images in (True, False):
            view = home_view(
                allowed=allowed,
                changes=changes,
                jobs=jobs,
                glance=glance,
                base_url=base,
                problem=problem,
                images=images,
                weekly=weekly,
            )
            try:
                await self._slack.views_publish(user_id=user_id, view=view)
                return
            except SlackApiError as exc:
                log.info("home refused (%s)", slack_error(exc))
            except SLACK_FAILURES as exc:
                log.warning("home not published: %s", slack_error(exc))
                return

    async def failed(
        self, who: Requester, error: UserFacingError, view_id: str | None = None
    ) -> None:
        text = texts.history_not_shown(error)
        if view_id is not None:
            try:
                blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
                await self._slack.views_update(view_id=view_id, view=history_modal(blocks))
                return
            except SLACK_FAILURES as exc:
                log.warning("history form not updated: %s", slack_error(exc))
        await self._notifier.tell(who, text)

    def _sees_settings(self, user_id: str) -> bool:
        """People on ALLOWED_USERS, or everyone when there is no allow-list."""
        settings = self._settings
        if settings.allowed_users or settings.allowed_usergroups:
            return user_id in settings.allowed_users
        return True

    async def _glance(self) -> str:
        settings = self._settings
        try:
            kept_mb: float | None = (
                await self._history.kept_bytes() / (1024 * 1024) if self._history else None
            )
        except Exception as exc:
            log.warning("kept copies unmeasured: %s", type(exc).__name__)
            kept_mb = None
        budget = settings.ecwid_rate_limit
        return texts.settings_glance(
            store_id=settings.ecwid_store_id,
            users=settings.allowed_users,
            usergroups=settings.allowed_usergroups,
            channels=settings.allowed_channels,
            budget=f"{budget.calls:,} calls every {budget.seconds:g} s",
            database=self._database,
            days=settings.history_days,
            max_mb=settings.history_max_mb,
            kept_mb=kept_mb,
        )


_UNSHOWN = UserFacingError("Slack would not show it here.")
