"""`/ecwid-image`: parse the text, answer input problems at once, queue the upload or open the
form (`/ecwid-image bulk`: the bulk form; `/ecwid-image history PRODUCT`: its changes;
`/ecwid-image gallery PRODUCT`: its gallery card; `/ecwid-image audit …`: the audit, or its
weekly runs)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.domain.grammar import (
    AuditCommand,
    BulkCommand,
    GalleryCommand,
    HelpCommand,
    HistoryCommand,
    OptionUpload,
    StopWeeklyCommand,
    WeeklyAuditCommand,
    parse_command,
)
from bot.domain.requests import Draft, ValidationError
from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.requester import requester_of

COMMAND = "/ecwid-image"


async def ecwid_image(ack: AsyncAck, command: dict[str, Any], context: AsyncBoltContext) -> None:
    runtime = runtime_of(context)
    store = store_of(context)
    try:
        parsed = parse_command(command.get("text") or "")
    except ValidationError as problem:
        await ack(response_type="ephemeral", text=texts.input_error(problem))
        return
    if isinstance(parsed, HelpCommand):
        await ack(response_type="ephemeral", text=texts.usage())
        return
    who = requester_of(command)
    if isinstance(parsed, BulkCommand):
        await ack()
        await forms_of(context).open_bulk_form(trigger_id=command["trigger_id"], who=who)
        return
    if isinstance(parsed, Draft):
        await ack()
        await forms_of(context).open_upload_form(
            trigger_id=command["trigger_id"], who=who, draft=parsed
        )
        return
    if not runtime.workers.accepting:
        await ack(response_type="ephemeral", text=texts.restarting())
        return
    if isinstance(parsed, HistoryCommand):
        runtime.workers.submit(lambda: runtime.history.product(store, who, parsed.product))
    elif isinstance(parsed, GalleryCommand):
        runtime.workers.submit(lambda: runtime.gallery.show(store, who, parsed.product))
    elif isinstance(parsed, AuditCommand):  # the catalog's image health, in the channel
        channel = str(command.get("channel_id") or "")
        runtime.workers.submit(lambda: runtime.audit.run(store, who, channel, parsed.scope))
    elif isinstance(parsed, WeeklyAuditCommand):  # that audit every week, in the channel
        channel = str(command.get("channel_id") or "")
        scope, day = parsed.scope, parsed.weekday
        runtime.workers.submit(lambda: runtime.weekly.start(store, who, channel, scope, day))
    elif isinstance(parsed, StopWeeklyCommand):
        channel = str(command.get("channel_id") or "")
        runtime.workers.submit(lambda: runtime.weekly.stop(store, who, channel, parsed.scope))
    elif isinstance(parsed, OptionUpload):  # a plan: one line a variation with the values
        channel = str(command.get("channel_id") or "")
        runtime.workers.submit(lambda: runtime.bulk.plan_option(store, who, channel, parsed))
    else:
        runtime.workers.submit(lambda: runtime.uploads.run(store, parsed, who))
    await ack()


def register(app: AsyncApp) -> None:
    app.command(COMMAND)(ecwid_image)
