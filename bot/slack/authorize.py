"""Each request's workspace and token, in many-stores mode (#38): the workspace's bot from the
sealed installations, its token checked with `auth.test` (bounded in time). Only Slack refusing
the token itself makes the request unauthorized, which Bolt answers with "reinstall"
(texts.SLACK_REINSTALL); Slack being slow or busy does not: the stored token is used, and a call
it makes later says what went wrong. (Bolt's own installation-store authorize turns every
auth.test error into "reinstall".)"""

from __future__ import annotations

import logging

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.async_authorize import AsyncAuthorize
from slack_bolt.context.async_context import AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error
from bot.slack.installations import SealedInstallationStore

log = logging.getLogger(__name__)

# auth.test's errors that mean the token itself is refused (Slack's auth.test reference, and the
# errors every method may answer).
REFUSED_TOKEN = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "not_allowed_token_type",
    }
)


class CheckedAuthorize(AsyncAuthorize):
    def __init__(self, installations: SealedInstallationStore, slack: BoundedWebClient) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._installations = installations
        self._slack = slack

    async def __call__(
        self,
        *,
        context: AsyncBoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        bot = await self._installations.async_find_bot(enterprise_id=enterprise_id, team_id=team_id)
        if bot is None:
            log.warning("a request from workspace %s, where the app is not installed", team_id)
            return None
        client = self._slack.for_request(token=bot.bot_token, team_id=team_id)
        try:
            answer = await client.auth_test()
        except SLACK_FAILURES as exc:
            error = slack_error(exc)
            if isinstance(exc, SlackApiError) and error in REFUSED_TOKEN:
                log.warning("workspace %s: Slack refuses its bot token (%s)", team_id, error)
                return None
            log.warning("workspace %s: its token not checked (%s): used as stored", team_id, error)
            return AuthorizeResult(
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                bot_user_id=bot.bot_user_id,
                bot_id=bot.bot_id,
                bot_token=bot.bot_token,
                bot_scopes=bot.bot_scopes,
                user_id=user_id,
            )
        return AuthorizeResult.from_auth_test_response(
            auth_test_response=answer,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_token=None,
            user_auth_test_response=None,
        )
