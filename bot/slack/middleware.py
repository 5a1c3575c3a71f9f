"""Middleware for every way in, in order: the runtime is put in the request's context (for the
listeners: bot.slack.context) and its Slack client bounded, Slack's retries are dropped, then
access is checked;
and the error handler for whatever a listener did not expect: logged and answered, never silent.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.changes.context import StoreContext, work_for
from bot.domain.grammar import store_asked
from bot.domain.requests import Requester, ValidationError
from bot.domain.tenant import ONE_WORKSPACE
from bot.jobs.surfaces import message_surface, view_surface
from bot.runtime import Runtime
from bot.slack import texts
from bot.slack.access import Verdict
from bot.slack.context import put_client, put_runtime, put_store
from bot.slack.notify import Notifier
from bot.slack.requester import requester_of, user_of
from bot.slack.server import VERIFIED
from bot.slack.views import bulk_form, settings_form, store_field
from bot.slack.views import upload_form as form

log = logging.getLogger(__name__)


def register(app: AsyncApp, runtime: Runtime) -> None:
    _register_runtime(app, runtime)
    _register_bounded_client(app, runtime)
    _register_retries_and_errors(app, runtime)
    _register_access(app, runtime)


def _requester(body: dict[str, Any]) -> Requester | None:
    """Who sent a payload; None for one with no user (an event the bot does not answer)."""
    return requester_of(body) if user_of(body) else None


# Many-stores mode's onboarding and settings (bot.slack.listeners.connect): they need no store,
# and only the installer or an admin may use them, whatever the allow-lists say.
ONBOARDING_ACTIONS = frozenset(
    {
        "connect_store",
        "connect_open_link",
        "default_store",
        settings_form.EDIT_SETTINGS,
        settings_form.STORE_NAMING,
    }
)
ONBOARDING_VIEWS = frozenset({settings_form.WORKSPACE_SETTINGS, settings_form.STORE_NAMING_FORM})


def _needs_store(body: dict[str, Any]) -> bool:
    """Whether the request is image work (a command, a shortcut, a form, a button of the bot's
    messages): not an event, not the connect command, not the Home's onboarding and settings."""
    if body.get("command"):
        return str(body.get("text") or "").lower().split()[:1] != ["connect"]
    if body.get("type") == "block_actions":
        actions = body.get("actions") or [{}]
        return (actions[0] or {}).get("action_id") not in ONBOARDING_ACTIONS
    if body.get("type") == "view_submission":
        return (body.get("view") or {}).get("callback_id") not in ONBOARDING_VIEWS
    return body.get("type") in INTERACTIVE


INTERACTIVE = ("shortcut", "message_action", "view_submission", "block_suggestion")


def _register_runtime(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def provide_runtime(
        context: AsyncBoltContext,
        body: dict[str, Any],
        ack: AsyncAck,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        put_runtime(context, runtime)
        if runtime.settings.many is not None and (
            _storeless_event(body)
            or (body.get("type") != "event_callback" and not _needs_store(body))
        ):
            return await next()  # onboarding, settings, most events: no store is needed
        try:  # a command's `store=ID`: one of the workspace's stores, else its default
            asked = store_asked(str(body.get("text") or "")) if body.get("command") else None
        except ValidationError as problem:
            return await ack(response_type="ephemeral", text=texts.input_error(problem))
        try:
            store, refusal = await _store_of(runtime, context, body, asked)
        except Exception as exc:  # many-stores mode reads its links: the database is away
            log.warning("the request's store not read: %s", type(exc).__name__)
            if not _needs_store(body):
                return await next()
            return await _no_store(runtime, context, body, ack, texts.MANY_STORES_FAILED)
        if store is None:
            if not _needs_store(body):
                return await next()  # an event, or many-stores mode's onboarding
            log.info("no store for a request: asked=%s", asked)
            return await _no_store(runtime, context, body, ack, refusal or texts.NO_STORE_LINKED)
        put_store(context, store)
        work_for(store)  # what the request starts is for its store and workspace
        return await next()


async def _store_of(
    runtime: Runtime, context: AsyncBoltContext, body: dict[str, Any], asked: int | None
) -> tuple[StoreContext | None, str | None]:
    """The store a request is for, or why there is none: the command's `store=ID`, the bulk
    form's store field, the store the pressed message or form was made for, else the
    workspace's default store."""
    team_id = context.team_id
    view = body.get("view")
    if asked is None and isinstance(view, dict):  # a form's store field, as chosen now
        asked = store_field.chosen_store(view)
    surface = pressed_surface(body) if asked is None and runtime.surfaces is not None else None
    if surface is not None and team_id and runtime.surfaces is not None:
        made_for = await runtime.surfaces.store_of(team_id, surface)
        if made_for is not None:
            store = await runtime.stores.for_team(team_id, made_for)
            return store, None if store is not None else texts.surface_store_gone(made_for)
        if body.get("type") == "message_action":
            pass  # a shortcut on a message of the bot's unknown (or a person's): the default
        elif len(await runtime.stores.linked(team_id)) > 1 and _needs_store(body):
            # Which of them it was made for is not known (made before this version, or its
            # record could not be written): never guessed.
            return None, texts.SURFACE_STORE_UNKNOWN
    store = await runtime.stores.for_team(team_id, asked)
    if store is not None or asked is None:
        return store, None
    if runtime.settings.many is None:
        return None, texts.store_not_served(asked, runtime.settings.ecwid_store_id)
    return None, texts.store_not_linked(asked)


async def _no_store(
    runtime: Runtime, context: AsyncBoltContext, body: dict[str, Any], ack: AsyncAck, text: str
) -> BoltResponse:
    """The workspace has no store to work on now (none connected, not the one asked for, or
    its links unreadable): `text` said as the request's answer, never left unanswered."""
    if body.get("command"):
        return await ack(response_type="ephemeral", text=text)
    if body.get("type") == "view_submission":
        field = store_field.STORE if store_field.chosen_store(body.get("view") or {}) else None
        block = _refusal_block(body, field or _first_block(body))
        if block is not None:
            return await ack(response_action="errors", errors={block: text})
    if body.get("type") == "block_suggestion":
        return await ack(options=[])
    response = await ack()  # a form with no field to say it under closes; said privately
    who = _requester(body)
    if who is not None:  # with the request's own token: no store's work is under way
        token = context.client.token or context.bot_token
        client = runtime.slack.for_request(token=token, team_id=context.team_id)
        await Notifier(client, runtime.http).tell(who, text)
    return response


def _storeless_event(body: dict[str, Any]) -> bool:
    """An event of many-stores mode no store is needed for: all but a message (a drop)."""
    event = body.get("event")
    return (
        body.get("type") == "event_callback"
        and isinstance(event, dict)
        and event.get("type") != "message"
    )


def pressed_surface(body: dict[str, Any]) -> str | None:
    """The bot's message or form a request comes from (bot.jobs.surfaces), if any; for a
    message shortcut, the message it was used on."""
    if body.get("type") == "message_action":
        channel = (body.get("channel") or {}).get("id")
        ts = (body.get("message") or {}).get("ts")
        if isinstance(channel, str) and isinstance(ts, str):
            return message_surface(channel, ts)
        return None
    view = body.get("view")
    if body.get("type") in ("view_submission", "block_suggestion") and isinstance(view, dict):
        view_id = view.get("id")
        return view_surface(view_id) if isinstance(view_id, str) and view_id else None
    if body.get("type") not in ("block_actions", "block_suggestion"):
        return None
    container = body.get("container") or {}
    if container.get("type") == "view" and isinstance(container.get("view_id"), str):
        return view_surface(container["view_id"])
    channel, ts = container.get("channel_id"), container.get("message_ts")
    if container.get("type") == "message" and isinstance(channel, str) and isinstance(ts, str):
        return message_surface(channel, ts)
    return None


def _first_block(body: dict[str, Any]) -> str:
    """The block a form's refusal is shown under."""
    callback = (body.get("view") or {}).get("callback_id")
    return bulk_form.LINES if callback == bulk_form.CALLBACK_ID else form.PRODUCT


def _refusal_block(body: dict[str, Any], preferred: str) -> str | None:
    """`preferred` if the submitted form has that input, else its first input; None when it
    has none (Slack refuses errors under a block a form does not have)."""
    blocks = (body.get("view") or {}).get("blocks")
    if not isinstance(blocks, list):
        return preferred  # Slack sends a form's blocks; without them, trust the callback
    inputs = [b.get("block_id") for b in blocks if isinstance(b, dict) and b.get("type") == "input"]
    if preferred in inputs:
        return preferred
    return next((i for i in inputs if isinstance(i, str)), None)


def _register_bounded_client(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def bound_slack_client(
        context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Bolt builds each request's client as a plain AsyncWebClient (slack-bolt 1.30,
        # slack_bolt/app/async_app.py, AsyncApp._init_context), without the bot's bound on a
        # call: it is swapped for a bounded one on the same session. Its token is the one Bolt
        # chose for the request (the authorized bot's, or a workflow function's).
        token = context.client.token or context.bot_token
        put_client(context, runtime.slack.for_request(token=token, team_id=context.team_id))
        return await next()


def _register_retries_and_errors(app: AsyncApp, runtime: Runtime) -> None:
    @app.middleware
    async def ignore_slack_retries(
        req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse:
        # Slack resends a request it thinks went unanswered; the first one is already at work.
        # Not an event: a drop whose first delivery was lost must still be planned (the drop
        # zone plans one event once, whatever the retries: bot.flows.drops).
        if req.headers.get("x-slack-retry-num") and req.body.get("type") != "event_callback":
            return BoltResponse(status=200, body="")
        return await next()

    @app.error
    async def unexpected_error(
        error: Exception, body: dict[str, Any], request: AsyncBoltRequest
    ) -> None:
        log.error("listener failed: %s", type(error).__name__, exc_info=error)
        # Answer only a request known to be Slack's: its response_url and user are then real.
        # (The HTTP server refuses unverified ones before Bolt; this keeps it so.)
        trusted = request.mode == "socket_mode" or request.context.get(VERIFIED) is True
        who = _requester(body) if trusted else None
        if who is not None:
            await runtime.notifier.tell(who, texts.unexpected_failure())


def _channel(body: dict[str, Any]) -> str | None:
    """Where the request comes from or, for a form, the channel it will report to."""
    if body.get("type") == "view_submission":
        values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
        chosen = (values.get(form.CHANNEL) or {}).get(form.CHANNEL, {}).get("selected_conversation")
        return chosen if isinstance(chosen, str) else None
    channel = body.get("channel_id") or (body.get("channel") or {}).get("id")
    return channel if isinstance(channel, str) else None


def _register_access(app: AsyncApp, runtime: Runtime) -> None:
    many = runtime.settings.many is not None

    @app.middleware
    async def enforce_access(
        context: AsyncBoltContext,
        body: dict[str, Any],
        ack: AsyncAck,
        next: Callable[[], Awaitable[BoltResponse]],
    ) -> BoltResponse:
        who = _requester(body)
        if who is None:  # not a person's request (e.g. an event): nothing to check
            return await next()
        if many and not _needs_store(body):
            return await next()  # onboarding and settings: for the installer and admins
        channel = _channel(body)
        try:  # the workspace's allow-lists (many-stores mode reads them from the database)
            policy = await runtime.workspaces.policy(context.team_id or ONE_WORKSPACE)
        except Exception as exc:
            log.warning("the workspace's allow-lists not read: %s", type(exc).__name__)
            return await _no_store(runtime, context, body, ack, texts.MANY_STORES_FAILED)
        verdict = await policy.user_allowed(who.user_id)
        if verdict is Verdict.REFUSED:
            reason = "user"
        elif verdict is Verdict.UNKNOWN:
            reason = "unchecked"
        elif not policy.channel_allowed(channel):
            reason = "channel"
        else:
            return await next()

        kind = body.get("type") or ("command" if body.get("command") else "unknown")
        log.warning(
            "access refused: user=%s channel=%s kind=%s reason=%s",
            who.user_id,
            channel,
            kind,
            reason,
        )
        if reason == "user":
            text = texts.user_not_allowed()
        elif reason == "unchecked":
            text = texts.access_unchecked()
        else:
            text = texts.channel_not_allowed(policy.channels)
        # Without a listener to run, the middleware's own ack is the answer to Slack.
        if body.get("command"):
            return await ack(response_type="ephemeral", text=text)
        if kind == "view_submission":
            block = _refusal_block(
                body, form.CHANNEL if reason == "channel" else _first_block(body)
            )
            if block is not None:
                errors = {block: texts.plain_refusal(reason)}
                return await ack(response_action="errors", errors=errors)
        if kind == "block_suggestion":
            return await ack(options=[])
        response = await ack()  # shortcuts, forms without a field: acknowledged, then explained
        await runtime.notifier.tell(who, text)
        return response
