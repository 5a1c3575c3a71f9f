"""The drop zone's way in: `message` events with image files in a watched channel
(WATCH_CHANNELS), over HTTP or Socket Mode. Bolt acks the event; the drop is handed off, and
checked against the allow-lists there (bot.flows.drops), so that each refusal says why."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.flows.drops import Drop
from bot.slack.context import runtime_of, store_of
from bot.slack.files import image_files

# A message with files arrives without a subtype or as `file_share` (slack-notes: Events);
# edits, deletions and the like are no drops.
DROP_SUBTYPES = (None, "file_share")


async def message(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
    runtime = runtime_of(context)
    watched = runtime.settings.watch_channels
    channel, user = event.get("channel"), event.get("user")
    if channel not in watched or not isinstance(user, str) or event.get("bot_id"):
        return  # not watched, or the bot's own (or another bot's) message
    if event.get("subtype") not in DROP_SUBTYPES or event.get("thread_ts"):
        return  # an edit, a deletion, a reply in a thread: no drop
    files = image_files(event.get("files"))
    if not files:
        return
    ts = event.get("ts")
    if not isinstance(ts, str) or not ts:
        return  # not a message Slack could deliver (every message has its ts)
    drop = Drop(
        tenant=store_of(context).tenant,  # the workspace's store (its default, #38)
        event_id=body.get("event_id"),
        channel_id=channel,
        user_id=user,
        ts=ts,
        files=files,
        text=str(event.get("text") or ""),
    )
    runtime.workers.submit(lambda: runtime.drops.dropped(drop))


def register(app: AsyncApp) -> None:
    app.event("message")(message)
