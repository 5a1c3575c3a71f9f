"""The Slack app manifest is valid and matches the code."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from bot.listeners.commands import COMMAND
from bot.listeners.shortcuts import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "slack-manifest-schema" / "schemas" / "manifest.schema.1.0.0.json"


@pytest.fixture
def manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_is_valid_against_slacks_schema(manifest: dict) -> None:
    if not SCHEMA.exists():
        pytest.skip("Slack's manifest schema is in ../shared, beside the checkout")
    errors = list(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())).iter_errors(manifest))
    assert [e.message for e in errors] == []


def test_manifest_declares_the_command_the_code_handles(manifest: dict) -> None:
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [COMMAND]
    for command in manifest["features"]["slash_commands"]:
        assert command["url"].endswith("/slack/events")
    assert {"commands", "chat:write"} <= set(manifest["oauth_config"]["scopes"]["bot"])


def test_manifest_declares_the_shortcuts_and_the_options_url(manifest: dict) -> None:
    shortcuts = {(s["type"], s["callback_id"]) for s in manifest["features"]["shortcuts"]}
    assert shortcuts == {("global", GLOBAL_SHORTCUT), ("message", MESSAGE_SHORTCUT)}
    interactivity = manifest["settings"]["interactivity"]
    assert interactivity["is_enabled"] is True
    assert interactivity["request_url"].endswith("/slack/events")
    assert interactivity["message_menu_options_url"].endswith("/slack/events")
