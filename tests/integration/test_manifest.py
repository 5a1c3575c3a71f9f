"""The Slack app manifest is valid and matches the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.slack.listeners.commands import COMMAND
from bot.slack.listeners.shortcuts import (
    BULK_MESSAGE_SHORTCUT,
    GALLERY_SHORTCUT,
    GLOBAL_SHORTCUT,
    MESSAGE_SHORTCUT,
)
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import SlackSender, global_shortcut, message_shortcut

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "tests" / "manifest_schema" / "manifest.schema.1.0.0.json"  # vendored, MIT


@pytest.fixture
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema(manifest: dict) -> None:
    errors = list(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(manifest))
    assert [e.message for e in errors] == []


def test_manifest_declares_the_command_the_code_handles(manifest: dict) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [COMMAND]
    for command in manifest["features"]["slash_commands"]:
        assert command["url"].endswith("/slack/events")
    assert {"commands", "chat:write", "files:read"} <= set(
        manifest["oauth_config"]["scopes"]["bot"]
    )


def test_manifest_declares_the_shortcuts_and_the_options_url(manifest: dict) -> None:
    shortcuts = {(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {
        ("global", GLOBAL_SHORTCUT),
        ("message", MESSAGE_SHORTCUT),
        ("message", BULK_MESSAGE_SHORTCUT),
        ("message", GALLERY_SHORTCUT),
    }
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")


async def test_every_declared_command_and_shortcut_reaches_a_listener(
    manifest: dict, bot: SlackSender, slack: FakeSlack
) -> None:
    """Bolt answers 404 to a request no listener matches."""
    for command in manifest["features"]["slash_commands"]:
        response = await bot.command("help", command=command["command"])
        assert response.status_code == 200, command
    for shortcut in manifest["features"]["shortcuts"]:
        if shortcut["type"] == "global":
            payload = global_shortcut(shortcut["callback_id"])
        else:
            payload = message_shortcut(shortcut["callback_id"], {"text": "x"}, "C1")
        response = await bot.interaction(payload)
        assert response.status_code == 200, shortcut
    # Every shortcut opens a form, but the bulk one, which answers a message without files
    # privately, and Manage gallery, which answers a message naming no product privately.
    await slack.wait_for_call("views.open", count=len(manifest["features"]["shortcuts"]) - 2)
    await slack.wait_for_call("chat.postEphemeral", count=2)
    unknown = await bot.interaction(global_shortcut("not_in_the_manifest"))
    assert unknown.status_code == 404


async def test_every_subscribed_event_reaches_a_listener_in_one_store_mode(
    manifest: dict, bot: SlackSender, caplog: pytest.LogCaptureFixture
) -> None:
    """Bolt answers 404 to an event no listener matches, and Slack delivers it again."""
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        # message.channels and message.groups arrive as `message` events (Slack's Events API).
        kind = name.split(".")[0]
        event: dict[str, object] = {"type": kind, "user": "U123", "channel": "C9", "ts": "1.2"}
        if name == "tokens_revoked":
            event = {"type": name, "tokens": {"bot": ["U0BOT"]}}
        response = await bot.event(event, event_id=f"Ev{name}")
        assert response.status_code == 200, name
    said = [r.getMessage() for r in caplog.records if r.name == "bot.slack.listeners.workspace"]
    assert any("removed from workspace T1: SLACK_BOT_TOKEN no longer works" in s for s in said)
