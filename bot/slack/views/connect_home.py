"""Many-stores mode's App Home (#38): the workspace's linked stores, its default store's choice
(`default_store`) and **Connect an Ecwid store** (`connect_store`), and the modal with a fresh
one-time link. Action ids are a contract."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.settings import Naming, WorkspaceSettings
from bot.jobs.connections import Link
from bot.slack import texts
from bot.slack.views.settings_form import EDIT_SETTINGS, STORE_NAMING

CONNECT_STORE = "connect_store"
DEFAULT_STORE = "default_store"


MAX_MENU_OPTIONS = 100  # Slack's limit on a static select's options
MAX_SECTION = 3000  # Slack's limit on a section's text


def _naming(naming: Naming | None) -> str:
    return texts.naming_summary(naming.pattern, naming.views) if naming else texts.NAMING_USUAL


def _settings(settings: WorkspaceSettings, named: Mapping[int, Naming]) -> list[Block]:
    access = settings.access
    summary = texts.settings_summary(
        access.users,
        access.usergroups,
        access.channels,
        settings.watch_channels,
        _naming(settings.naming),
    )
    own = [texts.store_naming_line(store, _naming(rules)) for store, rules in sorted(named.items())]
    return [
        HeaderBlock(text=PlainTextObject(text=texts.SETTINGS_TITLE)),
        SectionBlock(text=MarkdownTextObject(text="\n".join([summary, *own])[:MAX_SECTION])),
    ]


def home(
    links: Sequence[Link],
    *,
    editor: bool,
    settings: WorkspaceSettings,
    named: Mapping[int, Naming],
) -> View:
    """`editor`: the person may link stores, choose the default and change the settings (the
    installer, an admin). `named`: the stores with naming rules of their own."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=texts.CONNECT_HOME_TITLE))]
    if links:
        lines = [texts.connect_store_line(link.store_id, link.is_default) for link in links]
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines)[:MAX_SECTION])))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=texts.CONNECT_NO_STORE)))
    linked = {link.store_id for link in links}
    blocks += _settings(settings, {s: n for s, n in named.items() if s in linked})
    if not editor:
        blocks.append(ContextBlock(elements=[PlainTextObject(text=texts.CONNECT_ADMINS_ONLY)]))
        blocks.append(ContextBlock(elements=[PlainTextObject(text=texts.CONNECT_COMMANDS_HINT)]))
        return View(type="home", blocks=blocks)
    buttons: list[ButtonElement | StaticSelectElement] = [
        ButtonElement(
            text=PlainTextObject(text=texts.CONNECT_STORE_BUTTON),
            action_id=CONNECT_STORE,
            style="primary",
        )
    ]
    if len(links) > 1:
        listed = links[:MAX_MENU_OPTIONS]  # the default first (Connections.links)
        options = [Option(value=str(link.store_id), label=str(link.store_id)) for link in listed]
        chosen = next(o for o, link in zip(options, listed, strict=True) if link.is_default)
        buttons.append(
            StaticSelectElement(
                placeholder=PlainTextObject(text=texts.DEFAULT_STORE_LABEL),
                action_id=DEFAULT_STORE,
                options=options,
                initial_option=chosen,
            )
        )
    blocks.append(ActionsBlock(elements=buttons))
    if len(links) > 1:
        blocks.append(ContextBlock(elements=[PlainTextObject(text=texts.DEFAULT_STORE_HINT)]))
    settings_buttons: list[ButtonElement | StaticSelectElement] = [
        ButtonElement(text=PlainTextObject(text=texts.SETTINGS_BUTTON), action_id=EDIT_SETTINGS)
    ]
    if links:
        settings_buttons.append(
            StaticSelectElement(
                placeholder=PlainTextObject(text=texts.STORE_NAMING_MENU),
                action_id=STORE_NAMING,
                options=[
                    Option(value=str(link.store_id), label=str(link.store_id))
                    for link in links[:MAX_MENU_OPTIONS]
                ],
            )
        )
    blocks.append(ActionsBlock(elements=settings_buttons))
    blocks.append(ContextBlock(elements=[PlainTextObject(text=texts.CONNECT_COMMANDS_HINT)]))
    return View(type="home", blocks=blocks)


def notice_modal(text: str) -> View:
    """A modal that only says something (a refusal, a failure)."""
    return View(
        type="modal",
        title=PlainTextObject(text=texts.CONNECT_MODAL_TITLE),
        close=PlainTextObject(text=texts.CONNECT_MODAL_CLOSE),
        blocks=[SectionBlock(text=PlainTextObject(text=text))],
    )


def link_modal(link: str) -> View:
    return View(
        type="modal",
        title=PlainTextObject(text=texts.CONNECT_MODAL_TITLE),
        close=PlainTextObject(text=texts.CONNECT_MODAL_CLOSE),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(text=texts.CONNECT_MODAL_TEXT),
                accessory=ButtonElement(
                    text=PlainTextObject(text=texts.CONNECT_MODAL_BUTTON),
                    url=link,
                    action_id="connect_open_link",
                    style="primary",
                ),
            )
        ],
    )


def chosen_store(value: object) -> int | None:
    """The store a `default_store` choice names."""
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 12 else None
