"""Thin listeners, one module per way in: parse, ack, hand off to a flow.

May import bot.domain, bot.flows (through the runtime), bot.slack.texts and bot.slack.views;
nothing here talks to Ecwid or builds a message by hand.
"""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.slack.listeners import (
    actions,
    audit,
    commands,
    drops,
    gallery,
    home,
    options,
    shortcuts,
    submissions,
    workspace,
)


def register_listeners(app: AsyncApp) -> None:
    """Each module's listeners, after the middleware (bot.slack.middleware), in this order: Bolt
    runs the first listener whose matcher fits. A listener reaches the runtime through its
    `context` (bot.slack.context.runtime_of), and opens a form with the request's bounded
    client (forms_of)."""
    for listeners in (
        commands,
        shortcuts,
        submissions,
        options,
        actions,
        home,
        gallery,
        audit,
        drops,
        workspace,
    ):
        listeners.register(app)
