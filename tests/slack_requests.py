"""Requests as Slack sends them: form-encoded, signed with the signing secret, to /slack/events."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-4f1d2c"


class SlackSender:
    def __init__(self, events_url: str, response_url: str, secret: str = SIGNING_SECRET) -> None:
        self.events_url = events_url
        self.response_url = response_url
        self._verifier = SignatureVerifier(secret)

    async def post(
        self, body: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> httpx.Response:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature
            or self._verifier.generate_signature(timestamp=ts, body=body),
        }
        async with httpx.AsyncClient() as client:
            return await client.post(self.events_url, content=body, headers=headers)

    async def command(
        self, text: str, *, user_id: str = "U123", channel_id: str = "C123", **extra: str
    ) -> httpx.Response:
        form = {
            "token": "legacy-unused",
            "team_id": "T1",
            "team_domain": "shop",
            "channel_id": channel_id,
            "channel_name": "catalog",
            "user_id": user_id,
            "user_name": "merch",
            "command": "/ecwid-image",
            "text": text,
            "api_app_id": "A1",
            "response_url": self.response_url,
            "trigger_id": "1337.42.abcd",
            **extra,
        }
        return await self.post(urlencode(form))

    async def interaction(self, payload: dict[str, Any]) -> httpx.Response:
        return await self.post(urlencode({"payload": json.dumps(payload)}))
