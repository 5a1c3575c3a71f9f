"""Many-stores mode's settings forms (#38): a workspace's allow-lists, drop-zone channels and
default naming rules (`workspace_settings`), and one store's own naming rules
(`store_naming_form`), opened from the App Home (`edit_settings`, `store_naming`). Builds and
reads blocks only. Action, callback and block ids are a contract."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ConversationFilter,
    ConversationMultiSelectElement,
    InputBlock,
    PlainTextInputElement,
    PlainTextObject,
    UserMultiSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.settings import (
    CHANNEL_IDS,
    MAX_IDS,
    MAX_PATTERN_CHARS,
    USER_IDS,
    USERGROUP_IDS,
    AccessLists,
    Naming,
    SettingError,
    WorkspaceSettings,
    naming,
    slack_ids,
)
from bot.slack import texts

EDIT_SETTINGS = "edit_settings"  # the Home's button
STORE_NAMING = "store_naming"  # the Home's menu of stores
WORKSPACE_SETTINGS = "workspace_settings"  # the settings form's callback id
STORE_NAMING_FORM = "store_naming_form"  # a store's naming form's callback id

USERS = "allowed_users"
USERGROUPS = "allowed_usergroups"
CHANNELS = "allowed_channels"
WATCH = "watch_channels"
PATTERN = "filename_pattern"
VIEWS = "filename_views"

MAX_VIEWS_CHARS = 420


class FieldError(Exception):
    """A field the form cannot take: shown under its block."""

    def __init__(self, block: str, text: str) -> None:
        super().__init__(text)
        self.block = block
        self.text = text


def _channels(block: str, label: str, hint: str, initial: frozenset[str]) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=PlainTextObject(text=label),
        hint=PlainTextObject(text=hint),
        optional=True,
        element=ConversationMultiSelectElement(
            action_id=block,
            initial_conversations=sorted(initial) or None,
            max_selected_items=MAX_IDS,
            filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
        ),
    )


def _text(block: str, label: str, hint: str, initial: str, max_length: int) -> InputBlock:
    return InputBlock(
        block_id=block,
        label=PlainTextObject(text=label),
        hint=PlainTextObject(text=hint),
        optional=True,
        element=PlainTextInputElement(
            action_id=block, initial_value=initial or None, max_length=max_length
        ),
    )


def _naming_blocks(current: Naming | None) -> list[InputBlock]:
    return [
        _text(
            PATTERN,
            texts.SETTINGS_PATTERN_LABEL,
            texts.SETTINGS_PATTERN_HINT,
            current.pattern if current else "",
            MAX_PATTERN_CHARS,
        ),
        _text(
            VIEWS,
            texts.SETTINGS_VIEWS_LABEL,
            texts.SETTINGS_VIEWS_HINT,
            ",".join(current.views) if current else "",
            MAX_VIEWS_CHARS,
        ),
    ]


def settings_modal(current: WorkspaceSettings) -> View:
    access = current.access
    return View(
        type="modal",
        callback_id=WORKSPACE_SETTINGS,
        title=PlainTextObject(text=texts.SETTINGS_TITLE),
        submit=PlainTextObject(text=texts.SETTINGS_SAVE),
        close=PlainTextObject(text=texts.CONNECT_MODAL_CLOSE),
        blocks=[
            InputBlock(
                block_id=USERS,
                label=PlainTextObject(text=texts.SETTINGS_USERS_LABEL),
                hint=PlainTextObject(text=texts.SETTINGS_USERS_HINT),
                optional=True,
                element=UserMultiSelectElement(
                    action_id=USERS,
                    initial_users=sorted(access.users) or None,
                    max_selected_items=MAX_IDS,
                ),
            ),
            _text(
                USERGROUPS,
                texts.SETTINGS_GROUPS_LABEL,
                texts.SETTINGS_GROUPS_HINT,
                " ".join(sorted(access.usergroups)),
                MAX_IDS * 12,
            ),
            _channels(
                CHANNELS,
                texts.SETTINGS_CHANNELS_LABEL,
                texts.SETTINGS_CHANNELS_HINT,
                access.channels,
            ),
            _channels(
                WATCH, texts.SETTINGS_WATCH_LABEL, texts.SETTINGS_WATCH_HINT, current.watch_channels
            ),
            *_naming_blocks(current.naming),
        ],
    )


def store_naming_modal(store_id: int, current: Naming | None) -> View:
    return View(
        type="modal",
        callback_id=STORE_NAMING_FORM,
        private_metadata=str(store_id),
        title=PlainTextObject(text=texts.store_naming_title(store_id)),
        submit=PlainTextObject(text=texts.SETTINGS_SAVE),
        close=PlainTextObject(text=texts.CONNECT_MODAL_CLOSE),
        blocks=_naming_blocks(current),
    )


def _values(view: dict[str, Any]) -> dict[str, Any]:
    values = (view.get("state") or {}).get("values") or {}
    return values if isinstance(values, dict) else {}


def _field(values: dict[str, Any], block: str) -> dict[str, Any]:
    field = (values.get(block) or {}).get(block) or {}
    return field if isinstance(field, dict) else {}


def _chosen(values: dict[str, Any], block: str, key: str, prefixes: str) -> frozenset[str]:
    chosen = _field(values, block).get(key) or []
    if not isinstance(chosen, list) or not all(isinstance(c, str) for c in chosen):
        raise FieldError(block, texts.SETTINGS_NOT_SAVED)
    try:
        return slack_ids(" ".join(chosen), prefixes, "The choices")
    except SettingError as problem:
        raise FieldError(block, str(problem)) from None


def _typed(values: dict[str, Any], block: str) -> str:
    typed = _field(values, block).get("value")
    return typed if isinstance(typed, str) else ""


def _read_naming(values: dict[str, Any]) -> Naming | None:
    """None when both fields are empty: the rules of the level above."""
    pattern, views = _typed(values, PATTERN), _typed(values, VIEWS)
    if not pattern.strip() and not views.strip():
        return None
    try:
        checked_pattern = naming(pattern, None).pattern
    except SettingError as problem:
        raise FieldError(PATTERN, str(problem)) from None
    try:
        return naming(checked_pattern, views)
    except SettingError as problem:
        raise FieldError(VIEWS, str(problem)) from None


def read_settings(view: dict[str, Any]) -> WorkspaceSettings:
    """The form's settings, checked; FieldError names the block that is wrong."""
    values = _values(view)
    try:
        groups = slack_ids(_typed(values, USERGROUPS), USERGROUP_IDS, "User groups")
    except SettingError as problem:
        raise FieldError(USERGROUPS, str(problem)) from None
    return WorkspaceSettings(
        access=AccessLists(
            users=_chosen(values, USERS, "selected_users", USER_IDS),
            usergroups=groups,
            channels=_chosen(values, CHANNELS, "selected_conversations", CHANNEL_IDS),
        ),
        watch_channels=_chosen(values, WATCH, "selected_conversations", CHANNEL_IDS),
        naming=_read_naming(values),
    )


def read_store_naming(view: dict[str, Any]) -> tuple[int | None, Naming | None]:
    """The store the form is for (None if its metadata is not a store id), and its rules (None:
    the workspace's)."""
    metadata = view.get("private_metadata")
    store_id = (
        int(metadata)
        if isinstance(metadata, str) and metadata.isdigit() and len(metadata) <= 12
        else None
    )
    return store_id, _read_naming(_values(view))
