"""Alt texts from templates (#37's fix): `{name} – {option:Color}` rendered for each image.

The fields:
- `{name}`: the product's (or category's) name in the language;
- `{sku}`;
- `{category}`: the product's default category's name, in the language;
- `{option:NAME}`: a variation's value of option NAME, in the language;
- `{n}`: the image's place in the product's images (the main image is 1);
- `{view}`: the view word of the file name the bot uploaded it from; empty, as the store does
  not say it.

An unknown field, or a template that can render empty (only fields that may be empty, and no
words), is refused with why. A rendered text is cut to 125 code points at a word boundary (where
there is none in its last 20 code points, hard), and cleaned as every alt text is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.alt_text import clean_alt_text
from bot.domain.requests import MAX_ALT_LENGTH, ValidationError

FIELDS = ("name", "sku", "category", "n", "view")
ALWAYS_SAID = ("name", "sku")  # a template with one of these never renders empty
WORD_CUT = 20  # code points from the end within which a text is cut at a space
MAX_TEMPLATE = 300
_FIELD = re.compile(r"\{([^{}]*)\}")
_SEPARATORS = " \t–—-:;,|·・、："  # what an empty field may leave at an end (not "." or "/")
_DOUBLED = re.compile(r"\s*([–—\-:;,|·・、：])(?:\s*[–—\-:;,|·・、：])+\s*")


@dataclass(frozen=True)
class Template:
    text: str

    @property
    def options(self) -> tuple[str, ...]:
        """The option names its `{option:NAME}` fields ask for."""
        return tuple(
            name[len("option:") :]
            for name in _FIELD.findall(self.text)
            if name.startswith("option:")
        )


def parse_template(text: str) -> Template:
    """The template, checked; ValidationError says what is wrong."""
    text = " ".join(text.split())
    if not text:
        raise ValidationError("Give a template, e.g. `{name}`.")
    if len(text) > MAX_TEMPLATE:
        raise ValidationError(f"A template is at most {MAX_TEMPLATE} characters.")
    names = _FIELD.findall(text)
    for name in names:
        if name not in FIELDS and not (name.startswith("option:") and name[7:].strip()):
            known = ", ".join(f"{{{f}}}" for f in FIELDS)
            raise ValidationError(f"`{{{name}}}` is not a field: use {known} or {{option:NAME}}.")
    if "{" in _FIELD.sub("", text) or "}" in _FIELD.sub("", text):
        raise ValidationError("A `{` or `}` is not closed: write fields as `{name}`.")
    words = _FIELD.sub("", text)
    if not any(name in ALWAYS_SAID for name in names) and not any(c.isalnum() for c in words):
        raise ValidationError(
            "This template can render empty: add `{name}` or some words, e.g. `{name} – {view}`."
        )
    return Template(text)


def render(template: Template, values: Mapping[str, str], options: Mapping[str, str]) -> str:
    """The template with each field's value (`options`: the variation's values by option
    name, any case), cut to MAX_ALT_LENGTH and cleaned. Empty fields leave no dangling
    separator at either end."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("option:"):
            wanted = name[7:].strip().casefold()
            return next((v for k, v in options.items() if k.casefold() == wanted), "")
        return values.get(name, "")

    text = " ".join(_FIELD.sub(value, template.text).split())
    text = _DOUBLED.sub(lambda m: f" {m.group(1)} ", text)  # "Red – – Item": one left
    text = " ".join(text.split()).strip(_SEPARATORS)
    return cut(clean_alt_text(text).text)


def cut(text: str) -> str:
    """At most MAX_ALT_LENGTH code points: at the last space within WORD_CUT of the limit, else
    hard."""
    text = unicodedata.normalize("NFC", text)
    if len(text) <= MAX_ALT_LENGTH:
        return text
    head = text[:MAX_ALT_LENGTH]
    space = head.rfind(" ")
    if space >= MAX_ALT_LENGTH - WORD_CUT and text[MAX_ALT_LENGTH] != " ":
        return head[:space].rstrip(_SEPARATORS)  # (not "."; a cut never ends in a separator)
    if text[MAX_ALT_LENGTH] == " ":
        return head.rstrip(_SEPARATORS)
    return head
