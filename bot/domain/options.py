"""Option values as a target (#36): which of a product's option values a name means, and which
variations have it.

A product's options (`options[]`: each `name`, `nameTranslated`, and `choices[]` of `text`,
`textTranslated`; official client `FetchedProduct.ProductOption`) hold every value in every
enabled language; a variation's `options[]` holds its own pair of each (`name`, `value`; ref:
ecwid-api.md, "Variations"). A value asked for is read, in this order:
1. exactly, after NFC normalisation and case folding;
2. as the value in another language (`rood` finds Red);
3. as the one close match, accents folded ("blk" read as Black), but never as another number,
   another size or another word ("EU 39" is not EU 38, "XXXL" not XXL, "Dark Green" not Dark
   Grey): several close ones, or none, are listed, and nothing is guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

# Of 100 (rapidfuzz's ratio, accents folded): "blk" is 75 from "black", "whte" 89 from "white";
# "red" is 50 from "green", "s" 67 from "xs". A value two choices reach alike is listed.
CLOSE_SCORE = 75.0
CLEAR_LEAD = 5.0  # the best close match must lead the next by this much to be taken alone
CLOSE_MIN_LENGTH = 3  # "S", "M", "38": too short to be read as anything but themselves
_SIZE_LETTERS = re.compile(r"^x*[sml]$|^\d*x+[sml]$")  # XS, XXL, 3XL: one letter more is a size


def folded(text: str) -> str:
    """For comparing: NFC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def without_accents(text: str) -> str:
    """`folded`, its accents dropped: "Crème" and "creme" meet."""
    decomposed = unicodedata.normalize("NFD", folded(text))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class Choice:
    """One value of one of a product's options, with its names in every language."""

    option: str  # the option's name as the store's default language has it ("Color")
    value: str  # the value's text, likewise ("Red")
    option_names: tuple[str, ...] = ()  # the option's name in other languages ("Kleur")
    value_names: tuple[str, ...] = ()  # the value in other languages ("Rood")

    def named(self, option: str | None) -> bool:
        """Whether `option` names this choice's option (None: any option does)."""
        if option is None:
            return True
        wanted = folded(option)
        return any(folded(name) == wanted for name in (self.option, *self.option_names))


@dataclass(frozen=True)
class Asked:
    """What a person named: an option (None when a file name says only the value) and a value."""

    option: str | None
    value: str


@dataclass(frozen=True)
class Exact:
    choice: Choice


@dataclass(frozen=True)
class Translated:
    choice: Choice
    said: str  # the value as asked, in the language it was found in


@dataclass(frozen=True)
class Close:
    choice: Choice
    said: str  # what was asked: the plan says "`said` read as `choice.value`"


@dataclass(frozen=True)
class Unmatched:
    """No value, or several alike: the values the product has (for the option named, if any)."""

    asked: Asked
    values: tuple[Choice, ...]
    alike: tuple[Choice, ...] = ()  # several close ones, none leading


Matched = Exact | Translated | Close


def choices_of(options: Sequence[Mapping[str, object]]) -> tuple[Choice, ...]:
    """A product's choice-based options as Ecwid answers them, one `Choice` a value."""
    found: list[Choice] = []
    for option in options:
        name = option.get("name")
        choices = option.get("choices")
        if not isinstance(name, str) or not isinstance(choices, list):
            continue  # a text field, a date, files: no values to pick
        option_names = _translations(option.get("nameTranslated"), name)
        for choice in choices:
            text = choice.get("text") if isinstance(choice, dict) else None
            if isinstance(text, str) and text:
                value_names = _translations(choice.get("textTranslated"), text)
                found.append(Choice(name, text, option_names, value_names))
    return tuple(found)


def _translations(value: object, default: str) -> tuple[str, ...]:
    if not isinstance(value, dict):
        return ()
    texts = (text for text in value.values() if isinstance(text, str) and text)
    return tuple(dict.fromkeys(text for text in texts if text != default))


def match(asked: Asked, choices: Iterable[Choice]) -> Matched | Unmatched:
    """The one value `asked` means among a product's `choices`, or why none is taken."""
    candidates = tuple(choice for choice in choices if choice.named(asked.option))
    wanted = folded(asked.value)
    exact = [c for c in candidates if folded(c.value) == wanted]
    if len(exact) == 1:
        return Exact(exact[0])
    translated = [c for c in candidates if any(folded(n) == wanted for n in c.value_names)]
    if not exact and len(translated) == 1:
        return Translated(translated[0], asked.value)
    if exact or translated:  # the same value in two options: the option must be named
        return Unmatched(asked, candidates, alike=tuple(exact or translated))
    return _close(asked, candidates)


def _close(asked: Asked, candidates: tuple[Choice, ...]) -> Close | Unmatched:
    wanted = without_accents(asked.value)
    if len(wanted) < CLOSE_MIN_LENGTH:
        return Unmatched(asked, candidates)
    scored = sorted(
        ((max(_closeness(wanted, n) for n in (c.value, *c.value_names)), c) for c in candidates),
        key=lambda pair: -pair[0],
    )
    close = [(score, choice) for score, choice in scored if score >= CLOSE_SCORE]
    if close and (len(close) == 1 or close[0][0] - close[1][0] >= CLEAR_LEAD):
        return Close(close[0][1], asked.value)
    return Unmatched(asked, candidates, alike=tuple(choice for _, choice in close))


def _closeness(wanted: str, name: str) -> float:
    """How close a typed value is to one of the product's (0 to 100), where a slip of the keys
    is likely and another value is not: numbers must be the same ("EU 39" is not "EU 38", "100
    ml" not "200 ml"), a size is never another size ("XXXL" is not "XXL"), and each word must be
    close on its own ("Dark Green" is not "Dark Grey")."""
    theirs = without_accents(name)
    if re.findall(r"\d+", wanted) != re.findall(r"\d+", theirs):
        return 0.0
    if _SIZE_LETTERS.match(wanted) or _SIZE_LETTERS.match(theirs):
        return 0.0
    words, their_words = wanted.split(), theirs.split()
    if len(words) == len(their_words) > 1:
        return min(fuzz.ratio(a, b) for a, b in zip(words, their_words, strict=True))
    return float(fuzz.ratio(wanted, theirs))


def has_all(variation_options: Iterable[tuple[str, str]], wanted: Iterable[Choice]) -> bool:
    """Whether a variation's own (name, value) pairs include every wanted choice: Color=Red goes
    to every Red variation, of every size."""
    own = {(folded(name), folded(value)) for name, value in variation_options}
    return all((folded(c.option), folded(c.value)) in own for c in wanted)
