"""The audit's alt-text fix (#37): the card's button (`audit_fix_alt`), the form it opens (a
template a language for the images, one for the variations, and "Overwrite existing alt
texts"), and the form read back. Builds and reads blocks only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
)
from slack_sdk.models.views import View

from bot.domain.alt_template import MAX_TEMPLATE, Template, parse_template
from bot.domain.audit import MAX_LANGUAGES, Scope
from bot.domain.requests import ValidationError
from bot.flows.alt_fix import AltFix
from bot.slack import texts
from bot.slack.views.upload_form import input_block

FIX_ALT = "audit_fix_alt"  # the card's button, and its form's callback id
OVERWRITE = "alt_overwrite"
IMAGES_TEMPLATE = "{name}"
VARIATIONS_TEMPLATE = "{name} – {option:Color}"


def images_block(language: str) -> str:
    return f"alt_template_{language}"


def variations_block(language: str) -> str:
    return f"alt_variation_{language}"


def scope_value(scope: Scope) -> str:
    """A fix button's value: the scope it fixes (read back by `scope_of`)."""
    return json.dumps({"c": scope.category, "s": scope.search}, ensure_ascii=False)[:2000]


def fix_button(scope: Scope) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=texts.AUDIT_FIX_ALT_BUTTON),
        action_id=FIX_ALT,
        value=scope_value(scope),
        style="primary",
    )


def scope_of(value: str) -> Scope | None:
    """The button's scope, as it was given; None when it does not read as one."""
    try:
        data = json.loads(value)
        category, search = data.get("c"), data.get("s")
    except (ValueError, AttributeError):
        return None
    if category is not None and not isinstance(category, int):
        return None
    if search is not None and not isinstance(search, str):
        return None
    return Scope(category=category, search=search)


def form_metadata(scope: Scope, channel_id: str, **more: object) -> str:
    """A fix form's private_metadata: its scope, the card's channel, and `more`."""
    data = {"c": scope.category, "s": scope.search, "ch": channel_id, **more}
    return json.dumps(data, ensure_ascii=False)


def read_metadata(metadata: str) -> tuple[Scope, str, dict[str, Any]] | None:
    """A fix form's scope, channel and whole metadata; None when it does not read as the
    bot's."""
    try:
        data = json.loads(metadata)
        channel = str(data["ch"])
        scope = scope_of(json.dumps({"c": data.get("c"), "s": data.get("s")}))
    except (ValueError, KeyError, TypeError):
        return None
    if scope is None or not channel:
        return None
    return scope, channel, data


def chosen(values: dict[str, Any], block: str) -> set[str]:
    """The values ticked in a form's checkboxes."""
    options = ((values.get(block) or {}).get(block) or {}).get("selected_options") or []
    return {str(option.get("value")) for option in options if isinstance(option, dict)}


def fix_form(scope: Scope, languages: tuple[str, ...], channel_id: str) -> View:
    """A template a language (the default first) for the images and for the variations."""
    blocks: list[Any] = [
        ContextBlock(
            elements=[MarkdownTextObject(text=texts.alt_fix_intro(texts.audit_scope(scope)))]
        )
    ]
    for language in languages[:MAX_LANGUAGES]:  # two inputs each, within Slack's 100 blocks
        code = language.upper()
        blocks.append(
            input_block(
                images_block(language),
                f"Images ({code})",
                PlainTextInputElement(initial_value=IMAGES_TEMPLATE, max_length=MAX_TEMPLATE),
            )
        )
        blocks.append(
            input_block(
                variations_block(language),
                f"Variations ({code})",
                PlainTextInputElement(initial_value=VARIATIONS_TEMPLATE, max_length=MAX_TEMPLATE),
            )
        )
    overwrite = Option(text=PlainTextObject(text=texts.ALT_FIX_OVERWRITE), value="yes")
    blocks.append(
        input_block(
            OVERWRITE,
            "Existing alt texts",
            CheckboxesElement(options=[overwrite]),
            optional=True,
            hint=texts.ALT_FIX_OVERWRITE_HINT,
        )
    )
    shown = list(languages[:MAX_LANGUAGES])
    return View(
        type="modal",
        callback_id=FIX_ALT,
        title=PlainTextObject(text="Fix alt texts"),
        submit=PlainTextObject(text="Plan"),
        close=PlainTextObject(text="Cancel"),
        private_metadata=form_metadata(scope, channel_id, l=shown),
        blocks=blocks,
    )


@dataclass(frozen=True)
class FixSubmission:
    fix: AltFix
    channel_id: str


def read_fix(values: dict[str, Any], metadata: str) -> FixSubmission | dict[str, str] | None:
    """The fix asked for, or the fields' errors by block id; None when the form's own data
    does not read (it was not the bot's)."""
    read = read_metadata(metadata)
    if read is None:
        return None
    scope, channel, data = read
    shown = data.get("l")
    languages = [str(lang) for lang in shown] if isinstance(shown, list) else []
    if not languages:
        return None
    errors: dict[str, str] = {}
    images: dict[str, Template] = {}
    variations: dict[str, Template] = {}
    for language in languages:
        for block, found in (
            (images_block(language), images),
            (variations_block(language), variations),
        ):
            text = ((values.get(block) or {}).get(block) or {}).get("value") or ""
            try:
                found[language] = parse_template(text)
            except ValidationError as problem:
                errors[block] = texts.field_error(problem)
    if errors:
        return errors
    overwrite = "yes" in chosen(values, OVERWRITE)
    return FixSubmission(AltFix(scope, images, variations, overwrite), channel)
