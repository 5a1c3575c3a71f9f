"""The audit's card (#37): its "Fix alt texts" button opens the fix's form; the form, checked,
plans the fix in the card's channel (bot.flows.bulk_plan.Planner.plan_alt_fix)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views import alt_fix_form as views


async def fix_alt_pressed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    channel = str((body.get("container") or {}).get("channel_id") or "")
    who = requester_of(body, channel=channel or None)
    scope = views.scope_of(str(action.get("value") or ""))
    if scope is None or not channel:
        await runtime_of(context).notifier.tell(who, texts.ALT_FIX_STALE)
        return
    await forms_of(context).open_alt_fix_form(
        trigger_id=str(body.get("trigger_id") or ""), who=who, scope=scope, channel_id=channel
    )


async def fix_alt_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    found = views.read_fix(view["state"]["values"], view.get("private_metadata") or "")
    if found is None:
        await ack()
        return
    if isinstance(found, dict):
        await ack(response_action="errors", errors=found)
        return
    runtime = runtime_of(context)
    if not runtime.workers.accepting:
        block = views.images_block(next(iter(found.fix.templates)))
        await ack(response_action="errors", errors={block: texts.restarting()})
        return
    await ack()
    store = store_of(context)
    who = requester_of(body, channel=found.channel_id)
    channel, fix = found.channel_id, found.fix
    runtime.workers.submit(lambda: runtime.bulk.plan_alt_fix(store, who, channel, fix))


def register(app: AsyncApp) -> None:
    app.action(views.FIX_ALT)(fix_alt_pressed)
    app.view_submission(views.FIX_ALT)(fix_alt_submitted)
