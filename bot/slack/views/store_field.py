"""A form's **Ecwid store** field (many-stores mode, with several stores linked): which of the
workspace's stores the form is for. The bulk form's is read on submission; the upload form's
acts at once (`dispatch`: its product search and languages are the store's). Block and action
id `store` is a contract."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, PlainTextObject, StaticSelectElement

from bot.slack import texts

STORE = "store"
MAX_OPTIONS = 100  # Slack's limit on a static select's options


def store_field(
    stores: Sequence[int], store_id: int, *, dispatch: bool = False
) -> list[InputBlock]:
    """The field, `store_id` chosen; none with fewer than two stores."""
    if len(stores) < 2:
        return []
    options = [Option(value=str(s), label=texts.store_option(s)) for s in stores[:MAX_OPTIONS]]
    chosen = next((o for o in options if o.value == str(store_id)), options[0])
    field = StaticSelectElement(action_id=STORE, options=options, initial_option=chosen)
    label = PlainTextObject(text=texts.FIELD_STORE_LABEL)
    block = InputBlock(block_id=STORE, label=label, element=field, dispatch_action=dispatch)
    return [block]


def chosen_store(view: dict[str, Any]) -> int | None:
    """The store a form's field names as it is now (its state), if the form has one."""
    values = (view.get("state") or {}).get("values") or {}
    chosen = ((values.get(STORE) or {}).get(STORE) or {}).get("selected_option") or {}
    value = chosen.get("value") if isinstance(chosen, dict) else None
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) <= 12 else None
