"""The thread reply of an upload: the result, the new and the previous image, and the Undo
button (action_id `undo_upload`) whose value carries what undo needs, so that it works after a
restart. Texts come from bot.slack.texts."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    ImageBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.changes.records import UndoRecord
from bot.ecwid.models import ImageSlot, Product
from bot.flows.upload import Uploaded
from bot.images.identity import Identity
from bot.slack import texts

UNDO_ACTION = "undo_upload"
MAX_VALUE = 2000  # Slack's limit for a button's value
UNDONE_MARK = "undone-by:"  # in the block_id of the context that replaces the button


def encode(record: UndoRecord) -> str:
    """The record as the button's value (at most 2000 characters: alt translations give way)."""
    data: dict[str, Any] = {
        "p": record.slot.product_id,
        "k": record.slot.kind,
        "c": record.slot.variation_id,
        "n": record.new_image_id,
        "a": record.after,
        "f": record.kept_file,
        "m": record.alt_main,
        "t": [list(pair) for pair in record.alt_translated],
        # Identities (about 340 characters each) only where the history has no entry to read.
        "h": record.after_image if record.change_id is None else None,
        "i": record.change_id,
        "s": 1 if record.kept_in_store else 0,
        "b": record.before_image if record.change_id is None else None,
        "x": record.action,
        "g": 1 if record.on_card else 0,
    }
    value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    while len(value) > MAX_VALUE and data["t"]:
        data["t"].pop()
        value = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return value


def decode(value: str) -> UndoRecord | None:
    try:
        data = json.loads(value)
        slot = ImageSlot(int(data["p"]), str(data["k"]), data.get("c"))
        return UndoRecord(
            slot=slot,
            new_image_id=data.get("n"),
            after=data.get("a"),
            kept_file=data.get("f"),
            alt_main=data.get("m"),
            alt_translated=tuple((str(k), str(v)) for k, v in data.get("t") or []),
            after_image=data["h"] if _is_identity(data.get("h")) else None,
            change_id=data["i"] if _is_change_id(data.get("i")) else None,
            kept_in_store=bool(data.get("s")) and _is_change_id(data.get("i")),
            before_image=data["b"] if _is_identity(data.get("b")) else None,
            action=data["x"] if data.get("x") in ("reordered", "removed", "alt") else None,
            on_card=bool(data.get("g")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _is_change_id(value: object) -> bool:
    return (
        isinstance(value, str) and len(value) == 32 and all(c in "0123456789abcdef" for c in value)
    )


def _is_identity(value: object) -> bool:
    return isinstance(value, str) and Identity.parse(value) is not None


def result_blocks(uploaded: Uploaded, product: Product, body: str, *, images: bool) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=body[:3000]))]
    if images:
        request = uploaded.request
        # Titled, so that a newcomer tells the two apart.
        new, previous = "New image", "Previous image (kept for Undo)"
        if request.file is not None:
            blocks.append(ImageBlock(slack_file={"id": request.file.id}, alt_text=new, title=new))
        elif request.image_url:
            blocks.append(ImageBlock(image_url=request.image_url, alt_text=new, title=new))
        if uploaded.undo is not None and uploaded.undo.kept_file:
            blocks.append(
                ImageBlock(
                    slack_file={"id": uploaded.undo.kept_file}, alt_text=previous, title=previous
                )
            )
    if uploaded.undo is not None:
        blocks.append(ActionsBlock(elements=[_undo_button(uploaded.undo, product)]))
    elif uploaded.undo_missing:
        note = texts.undo_unavailable(uploaded.undo_missing)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks


def _undo_button(record: UndoRecord, product: Product) -> ButtonElement:
    return undo_button(record, product.name.strip() or f"product #{product.id}")


def undo_button(record: UndoRecord, name: str) -> ButtonElement:
    """Undo (Remove from gallery) for one change: the thread's, the history's, the Home's."""
    title = "Undo this upload?"
    if record.action == "reordered":
        label, question = "Undo", f"Put the gallery of {name} back in its previous order?"
    elif record.action == "removed":
        label, question = "Undo", f"Put the deleted image back on {name}?"
    elif record.action == "alt":
        label, question = "Undo", f"Put the previous alt text back on that image of {name}?"
    elif record.slot.kind == "gallery":
        label, question = "Remove from gallery", f"Remove this image from the gallery of {name}?"
    else:
        label, question = "Undo", f"Put back the previous image of {name}?"
    if record.action is not None:
        title = "Undo this change?"
    return ButtonElement(
        text=label,
        action_id=UNDO_ACTION,
        value=encode(record),
        confirm=ConfirmObject(
            title=title,
            text=PlainTextObject(text=question[:300]),
            confirm="Yes, undo",
            deny="Keep it",
        ),
    )


def undone_blocks(message: Any, user_id: str) -> list[dict[str, Any]]:
    """The message as it was, its buttons replaced by who undid it."""
    blocks = message.get("blocks") if isinstance(message, dict) else None
    kept = [b for b in blocks or [] if isinstance(b, dict) and b.get("type") != "actions"]
    mark = ContextBlock(
        block_id=UNDONE_MARK + user_id,
        elements=[MarkdownTextObject(text=texts.undone_mark(user_id))],
    )
    return [*kept, mark.to_dict()]


def undone_by(message: Any) -> str | None:
    """Who undid the upload this message reports, when it says so."""
    blocks = message.get("blocks") if isinstance(message, dict) else None
    for block in blocks or []:
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str) and block_id.startswith(UNDONE_MARK):
            return block_id.removeprefix(UNDONE_MARK)
    return None
