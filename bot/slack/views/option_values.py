"""The option-value select (#36) of the upload form and the gallery card's copy form: "every
variation with Color = Red". Its block id `option_value` is a contract. Its options are grouped
by option (Color, Size), in the product's order; each option's value is its (name, value)
pair as JSON, with the product's id where the form's product can change (the upload form): a
value left from another product is then told apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import InputBlock, Option, OptionGroup, PlainTextObject
from slack_sdk.models.blocks.block_elements import StaticSelectElement

OPTION_VALUE = "option_value"
MAX_OPTIONS = 100  # Slack: a select holds at most 100 options, over all its groups
MAX_VALUE = 150  # Slack: an option's value, in characters
MAX_TEXT = 75  # Slack: an option's and a group's text

Pair = tuple[str, str]  # an option's name and one of its values


def option_value_block(
    pairs: Sequence[Pair], label: str, hint: str, owner: int | None = None
) -> InputBlock | None:
    """An optional select of the pairs (the first MAX_OPTIONS that Slack can carry), of the
    product `owner` when given; None when there are none."""
    groups: dict[str, list[Option]] = {}
    count = 0
    for name, value in dict.fromkeys(pairs):
        encoded = json.dumps(
            [name, value] if owner is None else [name, value, owner], ensure_ascii=False
        )
        if len(encoded) > MAX_VALUE or count == MAX_OPTIONS:
            continue
        text = PlainTextObject(text=_cut(value))
        groups.setdefault(name, []).append(Option(text=text, value=encoded))
        count += 1
    if not groups:
        return None
    select = StaticSelectElement(
        action_id=OPTION_VALUE,
        placeholder=PlainTextObject(text="Choose a value"),
        option_groups=[
            OptionGroup(label=PlainTextObject(text=_cut(name)), options=options)
            for name, options in groups.items()
        ],
    )
    return InputBlock(
        block_id=OPTION_VALUE,
        label=PlainTextObject(text=label),
        element=select,
        optional=True,
        hint=PlainTextObject(text=hint),
    )


def read_option_value(values: dict[str, Any]) -> Pair | None:
    """The chosen pair, if one was chosen (and reads as one)."""
    chosen = read_owned_value(values)
    return chosen[0] if chosen is not None else None


def read_owned_value(values: dict[str, Any]) -> tuple[Pair, int | None] | None:
    """The chosen pair and the product it was offered for (None: not said)."""
    state = (values.get(OPTION_VALUE) or {}).get(OPTION_VALUE) or {}
    raw = (state.get("selected_option") or {}).get("value")
    try:
        found = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    if not isinstance(found, list) or len(found) not in (2, 3):
        return None
    name, value, *owner = found
    if not (isinstance(name, str) and isinstance(value, str) and name and value):
        return None
    if owner and not isinstance(owner[0], int):
        return None
    return (name, value), (owner[0] if owner else None)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"
