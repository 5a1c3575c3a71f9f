"""Thin listeners, one module per way in: parse, ack, hand off to a flow.

May import bot.domain, bot.flows (through the runtime), bot.slack.texts and bot.slack.views;
nothing here talks to Ecwid or builds a message by hand.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.runtime import Runtime
from bot.slack import middleware
from bot.slack.listeners import (
    actions,
    commands,
    drops,
    gallery,
    home,
    options,
    shortcuts,
    submissions,
)


def register_listeners(app: AsyncApp, runtime: Runtime) -> None:
    # Middleware first: Slack's retries are dropped, then access is checked, for every way in.
    for listeners in (
        middleware,
        commands,
        shortcuts,
        submissions,
        options,
        actions,
        home,
        gallery,
        drops,
    ):
        listeners.register(app, runtime)
