"""The client a listener answers its request with is bounded: Bolt builds a plain AsyncWebClient
per request, and the bot's middleware swaps in one whose every call ends within the bot's bound.
The loopback Slack never answers views.open here; the bot's bound is made short."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.config import Settings
from bot.slack import texts
from bot.slack.forms import OPEN_BUDGET_SECONDS
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_gallery import PRODUCT, menu_of, pressed, stocked, the_card
from tests.integration.listeners.test_undo import blocks_of
from tests.slack_requests import global_shortcut, home_press

BOUND = 0.25  # the bot's bound on a Slack call, for these tests
# A form's own budget (OPEN_BUDGET_SECONDS) would end the call too, but later: an answer within
# half of it comes from the client's bound.
WELL_WITHIN = OPEN_BUDGET_SECONDS / 2
NOT_OPENED = texts.form_not_opened("timeout")


@pytest.fixture
async def bounded_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotUnderTest]:
    async with serving(settings, slack, slack_call_timeout=BOUND) as sender:
        yield sender


def home_button(action: str) -> dict[str, Any]:
    return home_press(action)


async def test_a_views_open_slack_never_answers_ends_by_the_bots_bound_and_the_user_is_told(
    bounded_bot: BotUnderTest, slack: FakeSlack
) -> None:
    slack.hold_method("views.open")
    answer = await asyncio.wait_for(bounded_bot.command("bulk"), WELL_WITHIN)
    assert answer.status_code == 200  # acknowledged at once, whatever views.open does
    await slack.wait_for_call("views.open")
    told = await slack.wait_for_response(timeout=WELL_WITHIN)
    assert told["text"] == NOT_OPENED


@pytest.mark.parametrize(
    "payload",
    [
        global_shortcut("upload_product_image"),
        home_button("home_upload"),
        home_button("home_bulk"),
        home_button("home_history"),
        home_button("home_gallery"),
    ],
    ids=lambda p: p.get("callback_id") or p["actions"][0]["action_id"],
)
async def test_each_way_to_a_form_calls_slack_with_the_requests_bounded_client(
    bounded_bot: BotUnderTest, slack: FakeSlack, payload: dict[str, Any]
) -> None:
    slack.hold_method("views.open")
    assert (await bounded_bot.interaction(payload)).status_code == 200
    (call,) = await slack.wait_for_call("views.open")
    assert call.token == BOT_TOKEN  # the request's client carries the bot's token
    # No response_url nor channel: the answer is a direct message.
    dm = await slack.wait_for_call("chat.postMessage", timeout=WELL_WITHIN)
    assert (dm[0].params["channel"], dm[0].params["text"]) == ("U123", NOT_OPENED)


async def test_copy_to_variations_whose_form_slack_never_opens_is_explained_within_the_bound(
    bounded_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    ecwid.combinations[PRODUCT] = [{"id": 901, "options": [{"name": "Color", "value": "Blue"}]}]
    await bounded_bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    slack.hold_method("views.open")
    press = pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "copy")
    assert (await bounded_bot.interaction(press)).status_code == 200
    await slack.wait_for_call("views.open")
    told = await slack.wait_for_call("chat.postEphemeral", timeout=WELL_WITHIN)
    assert (told[0].params["channel"], told[0].params["text"]) == ("C123", NOT_OPENED)
