"""How long a user-group membership is trusted while Slack cannot be asked (over real HTTP)."""

from __future__ import annotations

from dataclasses import replace

from bot.config import Settings
from bot.slack.access import AccessPolicy, Verdict
from bot.slack.client import BoundedWebClient
from tests.fakes.slack_api import FakeSlack


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_removed_member_loses_access_within_ten_minutes_whatever_slack_does(
    settings: Settings, slack: FakeSlack
) -> None:
    slack.usergroups = {"S1": ["U1"]}
    clock = Clock()
    client = BoundedWebClient(token="xoxb-test", base_url=slack.api_url)
    policy = AccessPolicy(
        replace(settings, allowed_usergroups=frozenset({"S1"})).access_lists, client, clock
    )

    assert await policy.user_allowed("U1") is Verdict.ALLOWED
    assert await policy.user_allowed("U2") is Verdict.REFUSED
    assert len(slack.calls_to("usergroups.users.list")) == 1  # cached

    slack.usergroups = {"S1": []}  # U1 is removed, but Slack stops answering
    slack.errors["usergroups.users.list"] = "ratelimited"
    clock.now += 301  # past the cache: a lookup is tried, fails; the old membership still holds
    assert await policy.user_allowed("U1") is Verdict.ALLOWED
    clock.now += 10  # within the 30 s the failure is remembered: no new lookup
    assert await policy.user_allowed("U1") is Verdict.ALLOWED
    assert len(slack.calls_to("usergroups.users.list")) == 2

    clock.now += 300  # 611 s since the membership was read: no longer trusted
    assert await policy.user_allowed("U1") is Verdict.UNKNOWN

    del slack.errors["usergroups.users.list"]
    clock.now += 31
    assert await policy.user_allowed("U1") is Verdict.REFUSED
