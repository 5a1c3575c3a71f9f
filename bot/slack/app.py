"""Builds the Bolt AsyncApp and registers every listener."""

from __future__ import annotations

import logging

from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

from bot.runtime import Runtime
from bot.slack import middleware
from bot.slack.listeners import register_listeners


class _DropTokenSkippedWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself and, since the bot hands it a
    ready client (the shared connection pool), warns at every start that the token is unused."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


_bolt_log = logging.getLogger(f"slack_bolt.{AsyncApp.__name__}")
_bolt_log.addFilter(_DropTokenSkippedWarning())


def build_app(runtime: Runtime) -> AsyncApp:
    settings = runtime.settings
    app = AsyncApp(
        # Named, or Bolt names it from inspect.stack(): 50 ms that read every caller's source.
        name="ecwid-image",
        client=runtime.slack,
        signing_secret=settings.slack_signing_secret or "",
        # Socket Mode requests come over an authenticated WebSocket, not signed HTTP.
        request_verification_enabled=not settings.socket_mode,
    )
    # Middleware first, for every way in: the runtime is put in each request's context and its
    # Slack client bounded, Slack's retries are dropped, then access is checked.
    middleware.register(app, runtime)
    register_listeners(app)
    return app
