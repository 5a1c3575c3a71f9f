"""Listeners are thin: parse, ack, hand off. One module per kind of listener."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import access, commands, errors, options, shortcuts, views
from bot.runtime import Runtime


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    # Middleware first, in order: Slack's retries are dropped before access is checked.
    for listeners in (errors, access, commands, shortcuts, views, options):
        listeners.register(app, runtime)
