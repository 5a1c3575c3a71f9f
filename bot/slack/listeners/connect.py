"""Many-stores mode's listeners (#38): its App Home (`app_home_opened`), **Connect an Ecwid
store** (`connect_store`), the default store's choice (`default_store`), the workspace's
settings (`edit_settings`, `store_naming` and their forms), `/ecwid-image connect
CODE` (an App Market install's claim), and the workspace leaving (`app_uninstalled`,
`tokens_revoked`). Each parses, acks and hands off to bot.slack.onboarding; Slack is called with
the request's own workspace's token (Bolt's authorize, from the installations)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.models.views import View

from bot.domain.tenant import Tenant
from bot.jobs.connections import Asker
from bot.slack import texts
from bot.slack.client import SLACK_FAILURES, slack_error
from bot.slack.context import client_of, put_client
from bot.slack.onboarding import Onboarding
from bot.slack.views import connect_home, settings_form

log = logging.getLogger(__name__)

ONBOARDING = "onboarding"
EDITOR_CHECK_SECONDS = 2.0  # of Slack's 3 s for a form's answer
GROUPS_CHECK_SECONDS = 2.0  # the same 3 s: side by side with the editor check


def _onboarding(context: AsyncBoltContext) -> Onboarding:
    found = context.get(ONBOARDING)
    if not isinstance(found, Onboarding):
        raise LookupError("no onboarding in the request's context: is its middleware registered?")
    return found


def _asker(context: AsyncBoltContext, body: dict[str, Any]) -> Asker | None:
    """Who acts, in the workspace whose installation answered the request (the tenant)."""
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    result = context.authorize_result
    team = (result.team_id if result is not None else None) or context.team_id
    return Asker(team, user) if isinstance(user, str) and isinstance(team, str) else None


async def may_edit(context: AsyncBoltContext, user_id: str) -> bool:
    """Whether the person may link stores and choose the default one: the person who installed
    the app, or an admin or owner of the workspace (users.info); never a guest. Closed when
    Slack cannot say."""
    onboarding = _onboarding(context)
    installation = await onboarding.installations.async_find_installation(
        enterprise_id=context.enterprise_id, team_id=context.team_id
    )
    if installation is not None and installation.user_id == user_id:
        return True
    try:
        answer = await client_of(context).users_info(user=user_id)
    except SLACK_FAILURES as exc:
        log.warning("who may edit not read: %s", slack_error(exc))
        return False
    person = answer.get("user") or {}
    if person.get("is_restricted") or person.get("is_ultra_restricted"):
        return False
    return bool(person.get("is_admin") or person.get("is_owner") or person.get("is_primary_owner"))


async def publish_home(context: AsyncBoltContext, user_id: str) -> None:
    onboarding = _onboarding(context)
    team_id = context.team_id or ""
    links = await onboarding.links.links(team_id)
    view = connect_home.home(
        links,
        editor=await may_edit(context, user_id),
        settings=await onboarding.workspace_settings.workspace(team_id),
        named=await onboarding.workspace_settings.store_namings(team_id),
    )
    try:
        await client_of(context).views_publish(user_id=user_id, view=view)
    except SLACK_FAILURES as exc:
        log.warning("home not published: %s", slack_error(exc))


async def home_opened(event: dict[str, Any], context: AsyncBoltContext) -> None:
    user = event.get("user")
    if event.get("tab") == "home" and isinstance(user, str):
        await publish_home(context, user)


async def connect_store(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    asker = _asker(context, body)
    if asker is None:
        return
    if not await may_edit(context, asker.user_id):
        view = connect_home.notice_modal(texts.CONNECT_ADMINS_ONLY)
    else:
        try:
            view = connect_home.link_modal(await _onboarding(context).connections.start(asker))
        except Exception as exc:  # the database, most likely: said, never silent
            log.error("connect link not made: %s", type(exc).__name__)
            view = connect_home.notice_modal(texts.CONNECT_START_FAILED)
    await _open_modal(context, body, view)


async def link_opened(ack: AsyncAck) -> None:
    await ack()  # the modal's link button: the browser opens it; nothing to do here


async def default_store(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    asker = _asker(context, body)
    action = (body.get("actions") or [{}])[0]
    store_id = connect_home.chosen_store((action.get("selected_option") or {}).get("value"))
    if asker is None:
        return
    if store_id is not None and await may_edit(context, asker.user_id):
        await _onboarding(context).links.choose_default(asker.team_id, store_id)
    await publish_home(context, asker.user_id)  # as it now is, whatever was chosen


async def _open_modal(context: AsyncBoltContext, body: dict[str, Any], view: View) -> None:
    """The modal opened; else (its trigger expired, Slack away) the person told in their DM."""
    client = client_of(context)
    try:
        await client.views_open(trigger_id=body["trigger_id"], view=view)
        return
    except SLACK_FAILURES as exc:
        log.warning("modal not shown: %s", slack_error(exc))
    user = (body.get("user") or {}).get("id")
    if isinstance(user, str):
        with contextlib.suppress(*SLACK_FAILURES):
            await client.chat_postMessage(channel=user, text=texts.MODAL_NOT_SHOWN)


async def edit_settings(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    asker = _asker(context, body)
    if asker is None:
        return
    if not await may_edit(context, asker.user_id):
        view = connect_home.notice_modal(texts.SETTINGS_EDITORS_ONLY)
    else:
        current = await _onboarding(context).workspace_settings.workspace(asker.team_id)
        view = settings_form.settings_modal(current)
    await _open_modal(context, body, view)


async def store_naming(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    asker = _asker(context, body)
    action = (body.get("actions") or [{}])[0]
    store_id = connect_home.chosen_store((action.get("selected_option") or {}).get("value"))
    if asker is None or store_id is None:
        return
    onboarding = _onboarding(context)
    if not await may_edit(context, asker.user_id):
        view = connect_home.notice_modal(texts.SETTINGS_EDITORS_ONLY)
    elif not await _linked(onboarding, asker.team_id, store_id):
        view = connect_home.notice_modal(texts.SETTINGS_STORE_GONE)
    else:
        tenant = Tenant(asker.team_id, store_id)
        current = await onboarding.workspace_settings.store_naming(tenant)
        view = settings_form.store_naming_modal(store_id, current)
    await _open_modal(context, body, view)
    # The menu shown again unchosen: Slack sends nothing when the same store is chosen again.
    await publish_home(context, asker.user_id)


async def _linked(onboarding: Onboarding, team_id: str, store_id: int) -> bool:
    return any(link.store_id == store_id for link in await onboarding.links.links(team_id))


async def _editor_refusal(context: AsyncBoltContext, asker: Asker | None) -> str | None:
    """Why a form's submitter may not save it (None: they may), within Slack's 3 s."""
    if asker is None:
        return texts.SETTINGS_EDITORS_ONLY
    try:
        async with asyncio.timeout(EDITOR_CHECK_SECONDS):
            allowed = await may_edit(context, asker.user_id)
    except Exception as exc:  # the database or Slack too slow: nothing saved, said so
        log.warning("who may edit not checked in time: %s", type(exc).__name__)
        return texts.SETTINGS_NOT_SAVED
    return None if allowed else texts.SETTINGS_EDITORS_ONLY


async def _unknown_groups(context: AsyncBoltContext, groups: frozenset[str]) -> list[str]:
    """The user groups given that the workspace does not have (usergroups.list, disabled ones
    included: a disabled group is still a group). Slack slow or refusing: none said unknown,
    the groups are checked each time they are used."""
    if not groups:
        return []
    try:
        async with asyncio.timeout(GROUPS_CHECK_SECONDS):
            listed = await client_of(context).usergroups_list(include_disabled=True)
    except SLACK_FAILURES as exc:  # TimeoutError among them
        log.info("user groups not checked: %s", slack_error(exc))
        return []
    known = {g.get("id") for g in listed.get("usergroups") or () if isinstance(g, dict)}
    return sorted(groups - known)


async def settings_saved(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The settings form: checked (the editor too: a form outlives a change of admins), saved,
    and the Home shown as it now is."""
    asker = _asker(context, body)
    try:
        settings = settings_form.read_settings(view)
    except settings_form.FieldError as problem:
        settings, field_error = None, {problem.block: problem.text}
    groups = settings.access.usergroups if settings is not None else frozenset[str]()
    # Both within Slack's 3 s, side by side: who submits, and whether their groups exist.
    refusal, unknown = await asyncio.gather(
        _editor_refusal(context, asker), _unknown_groups(context, groups)
    )
    if refusal is not None or asker is None:
        errors = {settings_form.USERS: refusal or texts.SETTINGS_EDITORS_ONLY}
        await ack(response_action="errors", errors=errors)
        return
    if settings is None:
        await ack(response_action="errors", errors=field_error)
        return
    if unknown:
        errors = {settings_form.USERGROUPS: texts.settings_groups_unknown(unknown)}
        await ack(response_action="errors", errors=errors)
        return
    try:
        await _onboarding(context).workspace_settings.save_workspace(
            asker.team_id, settings, asker.user_id, time.time()
        )
    except Exception as exc:  # the database, most likely: said under the form
        log.error("settings not saved: %s", type(exc).__name__)
        await ack(response_action="errors", errors={settings_form.USERS: texts.SETTINGS_NOT_SAVED})
        return
    await ack()
    log.info("settings of workspace %s changed by %s", asker.team_id, asker.user_id)
    await publish_home(context, asker.user_id)


async def store_naming_saved(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    asker = _asker(context, body)
    refusal = await _editor_refusal(context, asker)
    if refusal is not None or asker is None:
        errors = {settings_form.PATTERN: refusal or texts.SETTINGS_EDITORS_ONLY}
        await ack(response_action="errors", errors=errors)
        return
    try:
        store_id, naming = settings_form.read_store_naming(view)
    except settings_form.FieldError as problem:
        await ack(response_action="errors", errors={problem.block: problem.text})
        return
    onboarding = _onboarding(context)
    try:
        if store_id is None or not await _linked(onboarding, asker.team_id, store_id):
            await ack(
                response_action="errors", errors={settings_form.PATTERN: texts.SETTINGS_STORE_GONE}
            )
            return
        await onboarding.workspace_settings.save_store_naming(
            Tenant(asker.team_id, store_id), naming, asker.user_id, time.time()
        )
    except Exception as exc:  # the database, most likely: said under the form
        log.error("naming rules not saved: %s", type(exc).__name__)
        await ack(
            response_action="errors", errors={settings_form.PATTERN: texts.SETTINGS_NOT_SAVED}
        )
        return
    await ack()
    log.info("naming rules of store %s changed in %s", store_id, asker.team_id)
    await publish_home(context, asker.user_id)


async def command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    words = str(command.get("text") or "").split()
    asker = _asker(context, command)
    if len(words) != 2 or asker is None:
        await respond(response_type="ephemeral", text=texts.CONNECT_CLAIM_USAGE)
        return
    if not await may_edit(context, asker.user_id):
        await respond(response_type="ephemeral", text=texts.CONNECT_ADMINS_ONLY)
        return
    store_id = await _onboarding(context).connections.claim(asker, words[1])
    text = texts.connect_claimed(store_id) if store_id else texts.CONNECT_CLAIM_WRONG
    await respond(response_type="ephemeral", text=text)


async def uninstalled(context: AsyncBoltContext) -> None:
    if context.team_id:
        await _onboarding(context).forget_workspace(context.enterprise_id, context.team_id)


async def tokens_revoked(event: dict[str, Any], context: AsyncBoltContext) -> None:
    if (event.get("tokens") or {}).get("bot") and context.team_id:
        await _onboarding(context).forget_workspace(context.enterprise_id, context.team_id)


def put_onboarding(context: AsyncBoltContext, onboarding: Onboarding) -> None:
    """For the first middleware of many-stores mode's app (bot.slack.many_app)."""
    context[ONBOARDING] = onboarding
    # Bolt's client for the request carries the workspace's token; every call is bounded.
    token = context.client.token or context.bot_token
    put_client(context, onboarding.slack.for_request(token=token, team_id=context.team_id))


async def _is_connect(body: dict[str, Any]) -> bool:
    return str(body.get("text") or "").lower().split()[:1] == ["connect"]


def register(app: AsyncApp) -> None:
    """Before the image listeners (bot.slack.listeners): Bolt runs the first that fits, so the
    Home tab and the leaving events are these."""
    app.event("app_home_opened")(home_opened)
    app.action(connect_home.CONNECT_STORE)(connect_store)
    app.action("connect_open_link")(link_opened)
    app.action(connect_home.DEFAULT_STORE)(default_store)
    app.action(settings_form.EDIT_SETTINGS)(edit_settings)
    app.action(settings_form.STORE_NAMING)(store_naming)
    app.view(settings_form.WORKSPACE_SETTINGS)(settings_saved)
    app.view(settings_form.STORE_NAMING_FORM)(store_naming_saved)
    # `/ecwid-image connect CODE` only; every other command is image work (bot.slack.listeners).
    app.command("/ecwid-image", matchers=[_is_connect])(command)
    app.event("app_uninstalled")(uninstalled)
    app.event("tokens_revoked")(tokens_revoked)
