"""The bulk form (`/ecwid-image bulk`): lines typed in, or a CSV file, and the channel for the
plan and its progress; in many-stores mode with several stores linked, the store too. Block
ids are a contract: `lines`, `csv_file`, `channel`, `store`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ContextBlock,
    ConversationFilter,
    ConversationSelectElement,
    MarkdownTextObject,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.blocks.block_elements import FileInputElement
from slack_sdk.models.views import View

from bot.domain.bulk import MAX_LINES, BulkInputError, BulkLine, parse_lines
from bot.domain.requests import SharedFile
from bot.slack import texts
from bot.slack.files import shared_file
from bot.slack.views import store_field
from bot.slack.views.upload_form import CHANNEL, input_block, is_channel

CALLBACK_ID = "ecwid_bulk_upload"
LINES = "lines"
CSV_FILE = "csv_file"
MAX_TEXT = 3000  # Slack's cap on a text input


@dataclass(frozen=True)
class BulkSubmission:
    channel_id: str
    lines: list[BulkLine] | None = None  # typed lines, parsed
    csv_file: SharedFile | None = None  # read after the form closed


def bulk_form(channel_id: str | None, stores: Sequence[int] = (), store_id: int = 0) -> View:
    """`stores`: the workspace's (many-stores mode); with more than one, the form asks which,
    `store_id` first."""
    here = channel_id if channel_id and is_channel(channel_id) else None
    intro = (
        "*Many images at once.* Every line is checked first; you then see the plan and press "
        "*Start*. One upload per line, as in the command: "
        '`PRODUCT IMAGE_URL [WxH] [alt="…"] [alt.LANG="…"] [to=gallery]`.'
    )
    return View(
        type="modal",
        callback_id=CALLBACK_ID,
        title=PlainTextObject(text="Bulk image upload"),
        submit=PlainTextObject(text="Check"),
        close=PlainTextObject(text="Cancel"),
        blocks=[
            ContextBlock(elements=[MarkdownTextObject(text=intro)]),
            *store_field.store_field(stores, store_id),
            input_block(
                LINES,
                "Lines",
                PlainTextInputElement(
                    multiline=True,
                    max_length=MAX_TEXT,
                    placeholder=PlainTextObject(
                        text='123 https://cdn.example.com/shoe.jpg alt="Red shoe"'
                    ),
                ),
                optional=True,
                hint=(
                    "One upload per line; blank lines and lines starting with # are skipped. "
                    "Slack takes at most 3,000 characters here: for more, send a CSV file."
                ),
            ),
            input_block(
                CSV_FILE,
                "Or a CSV file",
                FileInputElement(filetypes=["csv"], max_files=1),
                optional=True,
                hint=(
                    f"Up to {MAX_LINES:,} lines. Columns: product (id or sku:…), image_url, and "
                    "optionally width, height, alt, alt.LANG, to. Comma or semicolon separated."
                ),
            ),
            input_block(
                CHANNEL,
                "Show the plan and progress in",
                ConversationSelectElement(
                    filter=ConversationFilter(
                        include=["public", "private"], exclude_bot_users=True
                    ),
                    initial_conversation=here,
                    default_to_current_conversation=True if here else None,
                ),
            ),
        ],
    )


def read_bulk_submission(values: dict[str, Any]) -> BulkSubmission | dict[str, str]:
    """The submission, or field errors (plain text) by block id."""

    def state(block: str) -> dict[str, Any]:
        found = (values.get(block) or {}).get(block)
        return found if isinstance(found, dict) else {}

    text = str(state(LINES).get("value") or "").strip()
    files = [f for f in map(shared_file, state(CSV_FILE).get("files") or []) if f is not None]
    channel = state(CHANNEL).get("selected_conversation")
    errors: dict[str, str] = {}
    lines: list[BulkLine] | None = None
    if bool(text) == bool(files):
        errors[LINES] = texts.FIELD_LINES_OR_CSV
    elif text:
        try:
            lines = parse_lines(text)
        except BulkInputError as problem:
            errors[LINES] = texts.field_error(problem)
        else:
            if not lines:
                errors[LINES] = texts.FIELD_NOTHING_TO_UPLOAD
    if not isinstance(channel, str) or not channel:
        errors[CHANNEL] = texts.FIELD_BULK_CHANNEL
    if errors or not isinstance(channel, str):
        return errors
    return BulkSubmission(channel, lines=lines, csv_file=files[0] if files else None)
