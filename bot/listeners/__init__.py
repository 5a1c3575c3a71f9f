"""Listeners are thin: parse, ack, hand off. One module per kind of listener."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.listeners import commands, errors, options, shortcuts, views
from bot.runtime import Runtime


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    for listeners in (errors, commands, shortcuts, views, options):
        listeners.register(app, runtime)
