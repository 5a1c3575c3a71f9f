"""Weekly audits (#37) in Slack: the person's time zone (`users.info` `tz`, with `users:read`),
and what `/ecwid-image audit every …` and `audit stop` answer, privately."""

from __future__ import annotations

import logging

from bot.domain.audit import Scope
from bot.domain.errors import UserFacingError
from bot.domain.requests import Requester
from bot.domain.schedule import MAX_ZONE, WeeklyAudit
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error
from bot.slack.notify import Notifier

log = logging.getLogger(__name__)


class SlackTimeZones:
    def __init__(self, slack: BoundedWebClient) -> None:
        self._slack = slack

    async def zone_of(self, user_id: str) -> str | None:
        """Slack's users.info reference: `user.tz`, e.g. "America/Los_Angeles" (needs the
        `users:read` scope); None when it cannot be read."""
        try:
            answer = await self._slack.users_info(user=user_id)
        except SLACK_FAILURES as exc:
            log.warning("the time zone of %s is unknown: %s", user_id, slack_error(exc))
            return None
        user = answer.get("user")
        found = user.get("tz") if isinstance(user, dict) else None
        if not isinstance(found, str) or not found or len(found) > MAX_ZONE:
            return None
        return found


class SlackWeeklyReport:
    def __init__(self, notifier: Notifier) -> None:
        self._notifier = notifier

    async def scheduled(
        self, who: Requester, schedule: WeeklyAudit, *, replaced: bool, zone_known: bool
    ) -> None:
        text = texts.weekly_scheduled(
            schedule.scope,
            schedule.weekday,
            schedule.zone,
            schedule.next_at,
            replaced=replaced,
            zone_known=zone_known,
            channel_id=schedule.channel_id,
        )
        await self._notifier.tell(who, text)

    async def stopped(self, who: Requester, count: int, scope: Scope | None) -> None:
        await self._notifier.tell(who, texts.weekly_stopped(count, scope))

    async def failed(self, who: Requester, problem: UserFacingError) -> None:
        await self._notifier.tell(who, f":warning: {texts.escape(problem.message)}")
