"""The audit's square fix (#37): the card's button (`audit_fix_square`), the form it opens
(which images, and "White background"), and the form read back. Builds and reads blocks only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.domain.audit import Scope, Slot
from bot.flows.square_fix import SquareFix
from bot.slack import texts
from bot.slack.views.alt_fix_form import chosen, form_metadata, read_metadata, scope_value
from bot.slack.views.upload_form import input_block

FIX_SQUARE = "audit_fix_square"  # the card's button, and its form's callback id
SLOTS = "square_slots"
WHITE = "square_white"


WEEKLY = "audit_weekly"  # the card's "Every Monday" button
FIX_VARIATIONS = "audit_fix_variations"  # the card's "Fill variation images": a plan at once


def variations_button(scope: Scope) -> ButtonElement:
    """Each variation without an image of its own given the image of one of its values."""
    return ButtonElement(
        text=PlainTextObject(text=texts.AUDIT_FIX_VARIATIONS_BUTTON),
        action_id=FIX_VARIATIONS,
        value=scope_value(scope),
    )


def weekly_button(scope: Scope) -> ButtonElement:
    """This audit every Monday at 09:00, in the card's channel."""
    return ButtonElement(
        text=PlainTextObject(text=texts.AUDIT_WEEKLY_BUTTON),
        action_id=WEEKLY,
        value=scope_value(scope),
    )


def square_button(scope: Scope) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=texts.AUDIT_FIX_SQUARE_BUTTON),
        action_id=FIX_SQUARE,
        value=scope_value(scope),
    )


def square_form(scope: Scope, channel_id: str) -> View:
    slots = [
        Option(text=PlainTextObject(text=texts.AUDIT_SLOTS[slot]), value=slot.value)
        for slot in Slot
    ]
    white = Option(
        text=PlainTextObject(text=texts.SQUARE_WHITE),
        value="yes",
        description=PlainTextObject(text=texts.SQUARE_WHITE_HINT),
    )
    blocks: list[Any] = [
        ContextBlock(
            elements=[MarkdownTextObject(text=texts.square_fix_intro(texts.audit_scope(scope)))]
        ),
        input_block(SLOTS, "Images", CheckboxesElement(options=slots, initial_options=slots)),
        input_block(WHITE, "Background", CheckboxesElement(options=[white]), optional=True),
    ]
    return View(
        type="modal",
        callback_id=FIX_SQUARE,
        title=PlainTextObject(text="Pad to square"),
        submit=PlainTextObject(text="Plan"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=form_metadata(scope, channel_id),
        blocks=blocks,
    )


@dataclass(frozen=True)
class SquareSubmission:
    fix: SquareFix
    channel_id: str


def read_square(values: dict[str, Any], metadata: str) -> SquareSubmission | dict[str, str] | None:
    """The fix asked for, or the fields' errors by block id; None when the form's own data
    does not read (it was not the bot's)."""
    found = read_metadata(metadata)
    if found is None:
        return None
    scope, channel, _ = found
    ticked = chosen(values, SLOTS)
    slots = frozenset(slot for slot in Slot if slot.value in ticked)
    if not slots:
        return {SLOTS: texts.SQUARE_NO_SLOTS}
    return SquareSubmission(SquareFix(scope, slots, "yes" in chosen(values, WHITE)), channel)
