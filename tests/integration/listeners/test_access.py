"""The allow-lists hold for every way in: command, shortcuts, form submission, type-ahead."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import pytest

from bot.config import ConfigError, load_settings
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, environment, serving
from tests.slack_requests import (
    block_suggestion,
    global_shortcut,
    message_shortcut,
    view_submission,
)

NOT_ALLOWED = (
    ":no_entry: Sorry, you are not on the list of people who may change the store's catalog "
    "with this bot. Nothing was changed. Ask the store owner to add you."
)


Starter = Callable[..., contextlib.AbstractAsyncContextManager[BotUnderTest]]


@pytest.fixture
def allow(slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority) -> Starter:
    """Start the bot with the given allow-list settings."""

    def start(**lists: str) -> contextlib.AbstractAsyncContextManager[BotUnderTest]:
        return serving(load_settings({**environment(slack, ecwid, tls), **lists}), slack)

    return start


@pytest.fixture
async def only_someone_else(allow: Starter) -> AsyncIterator[BotUnderTest]:
    async with allow(ALLOWED_USERS="U999") as bot:
        yield bot


def form_values(url: str, channel: str = "C123") -> dict[str, dict[str, object]]:
    return {
        "product": {"selected_option": {"value": "123"}},
        "image_url": {"value": url},
        "channel": {"selected_conversation": channel},
    }


async def test_command_from_someone_not_allowed_is_refused(
    only_someone_else: BotUnderTest,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="bot")
    response = await only_someone_else.command(f"123 {images.link('shoe.png')}")
    assert response.json() == {"response_type": "ephemeral", "text": NOT_ALLOWED}
    await only_someone_else.idle()  # every queued upload has run its course
    assert ecwid.calls == [] and images.hits == []
    assert "access refused: user=U123 channel=C123 kind=command reason=user" in caplog.text


async def test_form_submitted_by_someone_not_allowed_uploads_nothing(
    only_someone_else: BotUnderTest, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    payload = view_submission("ecwid_image_upload", form_values(images.link("shoe.png")), "{}")
    response = await only_someone_else.interaction(payload)
    assert response.json() == {
        "response_action": "errors",
        "errors": {
            "product": "You are not allowed to change the catalog with this bot; ask the store owner."
        },
    }
    await only_someone_else.idle()  # every queued upload has run its course
    assert ecwid.calls == []


async def test_shortcuts_from_someone_not_allowed_open_nothing(
    only_someone_else: BotUnderTest, slack: FakeSlack
) -> None:
    await only_someone_else.interaction(global_shortcut("upload_product_image"))
    dm = (await slack.wait_for_call("chat.postMessage"))[0].params
    assert (dm["channel"], dm["text"]) == ("U123", NOT_ALLOWED)

    payload = message_shortcut("use_as_product_image", {"text": "x"}, "C9")
    payload["response_url"] = only_someone_else.response_url
    await only_someone_else.interaction(payload)
    assert (await slack.wait_for_response())["text"] == NOT_ALLOWED
    assert slack.calls_to("views.open") == []


async def test_type_ahead_for_someone_not_allowed_finds_nothing(
    only_someone_else: BotUnderTest, ecwid: FakeEcwid
) -> None:
    response = await only_someone_else.interaction(block_suggestion("product", "red"))
    assert response.json() == {"options": []}
    assert ecwid.calls == []


async def test_listed_user_may_act(
    allow: Starter, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    async with allow(ALLOWED_USERS="U999,U123") as bot:
        await bot.command(f"123 {images.link('shoe.png')}")
        await slack.wait_for_call("chat.postMessage", count=2)
    assert len(ecwid.uploads) == 1


async def test_user_group_members_may_act_and_membership_is_cached(
    allow: Starter, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.usergroups = {"S100": ["U777"], "S200": ["U123"]}
    async with allow(ALLOWED_USERGROUPS="S100,S200") as bot:
        await bot.command(f"123 {images.link('shoe.png')}")
        await bot.command(f"456 {images.link('photo.jpg')}")
        refused = await bot.command(f"123 {images.link('shoe.png')}", user_id="U555")
        await slack.wait_for_call("chat.postMessage", count=4)
    assert refused.json()["text"] == NOT_ALLOWED
    assert len(ecwid.uploads) == 2
    lookups = slack.calls_to("usergroups.users.list")
    assert sorted(c.params["usergroup"] for c in lookups) == ["S100", "S200"]


async def test_channel_allow_list_for_commands_and_forms(
    allow: Starter, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    async with allow(ALLOWED_CHANNELS="C123,C456") as bot:
        refused = await bot.command(f"123 {images.link('shoe.png')}", channel_id="C999")
        form = await bot.interaction(
            view_submission(
                "ecwid_image_upload", form_values(images.link("shoe.png"), "C999"), "{}"
            )
        )
        allowed = await bot.interaction(
            view_submission(
                "ecwid_image_upload", form_values(images.link("shoe.png"), "C456"), "{}"
            )
        )
        await slack.wait_for_call("chat.postMessage", count=2)
    assert refused.json()["text"] == (
        ":no_entry: Sorry, this bot can only be used and report in <#C123>, <#C456>. Nothing was changed."
    )
    assert form.json()["errors"] == {
        "channel": "The bot may not report in this channel; choose one the store owner allowed."
    }
    assert allowed.text == ""
    assert len(ecwid.uploads) == 1
    assert slack.calls_to("chat.postMessage")[0].params["channel"] == "C456"


def test_allow_lists_take_ids_only(slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings(
            {
                **environment(slack, ecwid, tls),
                "ALLOWED_USERS": "@alice",
                "ALLOWED_CHANNELS": "#catalog",
            }
        )
    assert "ALLOWED_USERS must be comma-separated Slack ids starting with U or W" in str(
        error.value
    )
    assert "ALLOWED_CHANNELS must be comma-separated Slack ids starting with C, G or D" in str(
        error.value
    )
