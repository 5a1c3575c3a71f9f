"""Builds the Bolt AsyncApp and registers every listener."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import register_listeners
from bot.runtime import Runtime


def build_app(runtime: Runtime) -> AsyncApp:
    settings = runtime.settings
    app = AsyncApp(
        client=runtime.slack,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests come over an authenticated WebSocket, not signed HTTP.
        request_verification_enabled=not settings.socket_mode,
    )
    register_listeners(app, runtime)
    return app
