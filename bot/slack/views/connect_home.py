"""Many-stores mode's App Home (#38): the workspace's linked stores, its default store's choice
(`default_store`) and **Connect an Ecwid store** (`connect_store`), and the modal with a fresh
one-time link. Action ids are a contract."""

from __future__ import annotations

from collections.abc import Sequence

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

from bot.jobs.connections import Link
from bot.slack import texts

CONNECT_STORE = "connect_store"
DEFAULT_STORE = "default_store"


MAX_MENU_OPTIONS = 100  # Slack's limit on a static select's options


def home(links: Sequence[Link], *, editor: bool) -> View:
    """`editor`: the person may link stores and choose the default (the installer, an admin)."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text=texts.CONNECT_HOME_TITLE))]
    if links:
        lines = [texts.connect_store_line(link.store_id, link.is_default) for link in links]
        blocks.append(SectionBlock(text=MarkdownTextObject(text="\n".join(lines))))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=texts.CONNECT_NO_STORE)))
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
