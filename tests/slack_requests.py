"""Requests as Slack sends them: form-encoded, signed with the signing secret, to /slack/events."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

SIGNING_SECRET = "test-signing-secret-4f1d2c"


class SlackSender:
    def __init__(self, events_url: str, response_url: str, secret: str = SIGNING_SECRET) -> None:
        self.events_url = events_url
        self.response_url = response_url
        self._secret = secret.encode()

    async def post(
        self,
        body: str | bytes,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        content_type: str = "application/x-www-form-urlencoded",
    ) -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            **(headers or {}),
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature or self.sign(ts, body),
        }
        async with httpx.AsyncClient() as client:
            return await client.post(self.events_url, content=body, headers=headers)

    def sign(self, timestamp: str, body: str | bytes) -> str:
        """Slack's v0 signature, over the bytes as sent (slack-sdk's helper wants UTF-8)."""
        raw = body.encode() if isinstance(body, str) else body
        digest = hmac.new(self._secret, b"v0:" + timestamp.encode() + b":" + raw, hashlib.sha256)
        return "v0=" + digest.hexdigest()

    async def command(
        self,
        text: str,
        *,
        user_id: str = "U123",
        channel_id: str = "C123",
        headers: dict[str, str] | None = None,
        **extra: str,
    ) -> httpx.Response:
        form = {
            "token": "legacy-unused",
            "team_id": "T1",
            "team_domain": "shop",
            "channel_id": channel_id,
            "channel_name": "catalog",
            "user_id": user_id,
            "user_name": "merch",
            "command": extra.pop("command", "/ecwid-image"),
            "text": text,
            "api_app_id": "A1",
            "response_url": self.response_url,
            "trigger_id": "1337.42.abcd",
            **extra,
        }
        return await self.post(urlencode(form), headers=headers)

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.post(urlencode({"payload": json.dumps(payload)}))

    async def event(
        self,
        event: dict[str, Any],
        event_id: str = "Ev1",
        headers: dict[str, str] | None = None,
        team_id: str = "T1",
    ) -> httpx.Response:
        """An Events API delivery: the event_callback envelope, as JSON (Slack's Events API)."""
        envelope = event_callback(event, event_id, int(time.time()), team_id)
        return await self.post(
            json.dumps(envelope), content_type="application/json", headers=headers
        )


def event_callback(
    event: dict[str, Any], event_id: str, event_time: int, team_id: str = "T1"
) -> dict[str, Any]:
    """The Events API's envelope of an event, as Slack sends it (over HTTP, or inside a Socket
    Mode `events_api` envelope)."""
    return {
        "token": "legacy-unused",
        "team_id": team_id,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "event": event,
    }


# ---- interaction payloads, shaped as Slack sends them ----------------------------------------

USER = {"id": "U123", "username": "merch", "team_id": "T1"}
TEAM = {"id": "T1", "domain": "shop"}


def global_shortcut(callback_id: str) -> dict[str, Any]:
    return {
        "type": "shortcut",
        "token": "legacy-unused",
        "action_ts": "1700000000.1",
        "team": TEAM,
        "user": USER,
        "is_enterprise_install": False,
        "callback_id": callback_id,
        "trigger_id": "2222.42.shortcut",
    }


def message_shortcut(callback_id: str, message: dict[str, Any], channel_id: str) -> dict[str, Any]:
    return {
        **global_shortcut(callback_id),
        "type": "message_action",
        "trigger_id": "3333.42.message",
        "channel": {"id": channel_id, "name": "catalog"},
        "message_ts": message.get("ts", "1699999999.000100"),
        "message": {"type": "message", "ts": "1699999999.000100", "user": "U777", **message},
        "response_url": "",  # set by the test
    }


def block_suggestion(action_id: str, value: str) -> dict[str, Any]:
    return {
        "type": "block_suggestion",
        "user": USER,
        "team": TEAM,
        "api_app_id": "A1",
        "token": "legacy-unused",
        "block_id": action_id,
        "action_id": action_id,
        "value": value,
        "view": {"id": "V1", "type": "modal", "callback_id": "ecwid_image_upload"},
    }


def view_submission(
    callback_id: str, values: dict[str, dict[str, Any]], private_metadata: str
) -> dict[str, Any]:
    """`values` maps block id → element state; each input's action_id equals its block_id."""
    return {
        "type": "view_submission",
        "team": TEAM,
        "user": USER,
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": "4444.42.submit",
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {block: {block: state} for block, state in values.items()}},
        },
    }


def block_actions(
    action: dict[str, Any],
    *,
    user: str = "U123",
    trigger: str = "9999.42.press",
    channel_id: str = "C123",
    message: dict[str, Any] | None = None,
    message_ts: str | None = None,
    ephemeral: bool = False,
    response_url: str | None = None,
) -> dict[str, Any]:
    """A button or menu pressed in a message, as Slack sends it. `message`: the message pressed
    on (Slack sends it, but not an ephemeral one's: then `message_ts` alone, and `ephemeral`)."""
    ts = message["ts"] if message is not None else message_ts
    container: dict[str, Any] = {"type": "message", "message_ts": ts, "channel_id": channel_id}
    if ephemeral:
        container["is_ephemeral"] = True
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": {**USER, "id": user},
        "team": TEAM,
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": trigger,
        "container": container,
        "channel": {"id": channel_id, "name": "catalog"},
        "actions": [action],
    }
    if message is not None:
        payload["message"] = {"type": "message", **message}
    if response_url is not None:
        payload["response_url"] = response_url
    return payload


def home_press(
    action_id: str,
    block_id: str = "home_actions",
    *,
    team_id: str = "T1",
    user: str = "U123",
    action: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A button pressed (or `action`: a menu chosen) in the App Home, as Slack sends it (its
    container is the Home view)."""
    return {
        "type": "block_actions",
        "user": {**USER, "id": user, "team_id": team_id},
        "team": {**TEAM, "id": team_id},
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": f"8888.42.{action_id}",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "home"},
        "actions": [action or {"type": "button", "action_id": action_id, "block_id": block_id}],
    }


def modal_action(
    view: dict[str, Any],
    action: dict[str, Any],
    view_hash: str,
    *,
    view_id: str = "V1",
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A choice in an open modal whose input dispatches actions, as Slack sends it (Slack's
    block_actions reference: `container.type` "view", and the whole `view` with its `id`, its
    `hash` for views.update, and `state`: `values` by block id, each input's action_id its
    block_id)."""
    state = {block: {block: value} for block, value in (values or {}).items()}
    return {
        "type": "block_actions",
        "user": USER,
        "team": TEAM,
        "api_app_id": "A1",
        "token": "legacy-unused",
        "trigger_id": "7777.42.choose",
        "container": {"type": "view", "view_id": view_id},
        "view": {**view, "id": view_id, "hash": view_hash, "state": {"values": state}},
        "actions": [{**action, "action_ts": "1700000500.000001"}],
    }
