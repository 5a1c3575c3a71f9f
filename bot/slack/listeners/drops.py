"""The drop zone's way in: `message` events with image files in a watched channel
(WATCH_CHANNELS; in many-stores mode, the workspace's drop-zone channels), over HTTP or Socket
Mode. Bolt acks the event; the drop is handed off, and
checked against the allow-lists there (bot.flows.drops), so that each refusal says why."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext

from bot.changes.context import StoreContext
from bot.domain.tenant import ONE_WORKSPACE
from bot.flows.drops import Drop
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES
from bot.slack.context import STORE, client_of, runtime_of
from bot.slack.files import image_files

# A message with files arrives without a subtype or as `file_share` (slack-notes: Events);
# edits, deletions and the like are no drops.
DROP_SUBTYPES = (None, "file_share")

log = logging.getLogger(__name__)


async def message(event: dict[str, Any], body: dict[str, Any], context: AsyncBoltContext) -> None:
    runtime = runtime_of(context)
    channel, user = event.get("channel"), event.get("user")
    if not isinstance(channel, str) or not isinstance(user, str) or event.get("bot_id"):
        return  # the bot's own (or another bot's) message
    if event.get("subtype") not in DROP_SUBTYPES or event.get("thread_ts"):
        return  # an edit, a deletion, a reply in a thread: no drop
    files = image_files(event.get("files"))
    if not files:
        return
    ts = event.get("ts")
    if not isinstance(ts, str) or not ts:
        return  # not a message Slack could deliver (every message has its ts)
    team_id = context.team_id or ONE_WORKSPACE
    try:  # WATCH_CHANNELS, or (many-stores mode) the workspace's drop-zone channels
        watched = (await runtime.workspaces.settings(team_id)).watch_channels
    except Exception as exc:  # the database is away: the drop cannot be told from a message
        log.warning("drop-zone channels not read: %s", type(exc).__name__)
        return
    if channel not in watched:
        return
    store = context.get(STORE)
    if not isinstance(store, StoreContext):  # many-stores mode: the workspace has no store
        log.info("a drop in a workspace with no store: %s", team_id)
        with contextlib.suppress(*SLACK_FAILURES):
            await client_of(context).chat_postEphemeral(
                channel=channel, user=user, text=texts.NO_STORE_LINKED
            )
        return
    drop = Drop(
        tenant=store.tenant,  # the workspace's store (its default, #38)
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
