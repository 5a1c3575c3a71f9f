"""The audit's card (#37): its "Fix alt texts" and "Pad to square" buttons open the fixes'
forms; a form, checked, plans its fix in the card's channel (bot.flows.bulk_plan.Planner); "Fill
variation images" plans its fix at once; "Every Monday" sets up the weekly audit of its scope
there (bot.flows.weekly)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Protocol, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext

from bot.changes.context import StoreContext
from bot.domain.audit import Scope
from bot.domain.requests import Requester
from bot.domain.schedule import MONDAY
from bot.flows.variation_fix import VariationFix
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.context import forms_of, runtime_of, store_of
from bot.slack.requester import requester_of
from bot.slack.views import alt_fix_form as views
from bot.slack.views import square_fix_form as square_views


async def _pressed(
    body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> tuple[Requester, str, Scope] | None:
    """Who pressed a card's button, in which channel, for which scope; None (the person was
    told) when the button does not read as the bot's."""
    channel = str((body.get("container") or {}).get("channel_id") or "")
    who = requester_of(body, channel=channel or None)
    scope = views.scope_of(str(action.get("value") or ""))
    if scope is None or not channel:
        await runtime_of(context).notifier.tell(who, texts.AUDIT_BUTTON_STALE)
        return None
    return who, channel, scope


async def fix_alt_pressed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    if (pressed := await _pressed(body, action, context)) is None:
        return
    who, channel, scope = pressed
    await forms_of(context).open_alt_fix_form(
        trigger_id=str(body.get("trigger_id") or ""), who=who, scope=scope, channel_id=channel
    )


async def fix_square_pressed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    await ack()
    if (pressed := await _pressed(body, action, context)) is None:
        return
    who, channel, scope = pressed
    await forms_of(context).open_square_fix_form(
        trigger_id=str(body.get("trigger_id") or ""), who=who, scope=scope, channel_id=channel
    )


async def weekly_pressed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The card's "Every Monday": its audit in its channel, every Monday at 09:00."""
    await ack()
    if (pressed := await _pressed(body, action, context)) is None:
        return
    who, channel, scope = pressed
    runtime, store = runtime_of(context), store_of(context)
    runtime.workers.submit(lambda: runtime.weekly.start(store, who, channel, scope, MONDAY))


async def fix_variations_pressed(
    ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The card's "Fill variation images": its plan, in the card's channel (no form)."""
    await ack()
    if (pressed := await _pressed(body, action, context)) is None:
        return
    who, channel, scope = pressed
    runtime, store = runtime_of(context), store_of(context)
    if not runtime.workers.accepting:
        await runtime.notifier.tell(who, texts.restarting())
        return
    fix = VariationFix(scope)
    runtime.workers.submit(lambda: runtime.bulk.plan_variation_fix(store, who, channel, fix))


class _Submitted(Protocol):
    """A fix's form, read: where its plan goes."""

    @property
    def channel_id(self) -> str: ...


_S = TypeVar("_S", bound=_Submitted)


async def _plan_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    found: _S | dict[str, str] | None,
    busy_block: Callable[[_S], str],
    plan: Callable[[Runtime, StoreContext, Requester, _S], Coroutine[Any, Any, None]],
) -> None:
    """A fix's form sent: its field errors, or a refusal while the bot restarts, or its plan
    queued in the card's channel (`found`: the form read; None when it was not the bot's)."""
    if found is None:
        await ack()
        return
    if isinstance(found, dict):
        await ack(response_action="errors", errors=found)
        return
    runtime = runtime_of(context)
    if not runtime.workers.accepting:
        await ack(response_action="errors", errors={busy_block(found): texts.restarting()})
        return
    await ack()
    store = store_of(context)
    who = requester_of(body, channel=found.channel_id)
    submitted = found
    runtime.workers.submit(lambda: plan(runtime, store, who, submitted))


async def fix_alt_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    found = views.read_fix(view["state"]["values"], view.get("private_metadata") or "")
    await _plan_submitted(
        ack,
        body,
        context,
        found,
        lambda sent: views.images_block(next(iter(sent.fix.templates))),
        lambda runtime, store, who, sent: runtime.bulk.plan_alt_fix(
            store, who, sent.channel_id, sent.fix
        ),
    )


async def fix_square_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    found = square_views.read_square(view["state"]["values"], view.get("private_metadata") or "")
    await _plan_submitted(
        ack,
        body,
        context,
        found,
        lambda _: square_views.SLOTS,
        lambda runtime, store, who, sent: runtime.bulk.plan_square_fix(
            store, who, sent.channel_id, sent.fix
        ),
    )


def register(app: AsyncApp) -> None:
    app.action(views.FIX_ALT)(fix_alt_pressed)
    app.view_submission(views.FIX_ALT)(fix_alt_submitted)
    app.action(square_views.FIX_SQUARE)(fix_square_pressed)
    app.view_submission(square_views.FIX_SQUARE)(fix_square_submitted)
    app.action(square_views.WEEKLY)(weekly_pressed)
    app.action(square_views.FIX_VARIATIONS)(fix_variations_pressed)
