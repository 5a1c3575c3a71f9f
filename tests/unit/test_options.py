"""Which option value a name means, and which variations have it (bot.domain.options, #36)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from bot.domain.options import (
    Asked,
    Choice,
    Close,
    Exact,
    Translated,
    Unmatched,
    choices_of,
    has_all,
    match,
)

# A product's options as Ecwid answers them (official client: FetchedProduct.ProductOption, a
# SELECT and a SIZE option; `nameTranslated` and `textTranslated` hold every enabled language).
SHIRT_OPTIONS: list[dict[str, Any]] = [
    {
        "type": "SELECT",
        "name": "Color",
        "nameTranslated": {"en": "Color", "nl": "Kleur"},
        "choices": [
            {"text": "Red", "textTranslated": {"en": "Red", "nl": "Rood"}},
            {"text": "Black", "textTranslated": {"en": "Black", "nl": "Zwart"}},
            {"text": "Dark red", "textTranslated": {"en": "Dark red", "nl": "Donkerrood"}},
            {"text": "Crème", "textTranslated": {"en": "Crème", "nl": "Crème"}},
        ],
    },
    {
        "type": "SIZE",
        "name": "Size",
        "nameTranslated": {"en": "Size", "nl": "Maat"},
        "choices": [{"text": "38"}, {"text": "40"}, {"text": "S"}, {"text": "XS"}],
    },
    {"type": "TEXTFIELD", "name": "Engraving"},  # no values: never a target
]
CHOICES = choices_of(SHIRT_OPTIONS)


def choice(option: str, value: str) -> Choice:
    return next(c for c in CHOICES if (c.option, c.value) == (option, value))


def test_the_products_values_are_read_with_their_translations() -> None:
    assert [(c.option, c.value) for c in CHOICES] == [
        ("Color", "Red"),
        ("Color", "Black"),
        ("Color", "Dark red"),
        ("Color", "Crème"),
        ("Size", "38"),
        ("Size", "40"),
        ("Size", "S"),
        ("Size", "XS"),
    ]
    assert choice("Color", "Red").option_names == ("Kleur",)
    assert choice("Color", "Red").value_names == ("Rood",)


@pytest.mark.parametrize(
    ("asked", "meant"),
    [
        (Asked("Color", "Red"), ("Color", "Red")),
        (Asked("color", "RED"), ("Color", "Red")),  # case folded
        (Asked(None, "red"), ("Color", "Red")),  # a file name names only the value
        (Asked("Color", "dark  red"), ("Color", "Dark red")),  # a value with a space
        (Asked("Color", "Cre\u0300me"), ("Color", "Crème")),  # NFD typed, NFC stored
        (Asked("Size", "38"), ("Size", "38")),
        (Asked("Kleur", "Red"), ("Color", "Red")),  # the option named in another language
        (Asked(None, "S"), ("Size", "S")),  # exact wins over XS
    ],
)
def test_an_exact_value_is_taken(asked: Asked, meant: tuple[str, str]) -> None:
    found = match(asked, CHOICES)
    assert isinstance(found, Exact)
    assert (found.choice.option, found.choice.value) == meant


def test_a_value_in_another_language_is_taken_and_says_so() -> None:
    found = match(Asked(None, "rood"), CHOICES)
    assert found == Translated(choice("Color", "Red"), "rood")


@pytest.mark.parametrize(
    ("said", "value"), [("blk", "Black"), ("blck", "Black"), ("creme", "Crème"), ("zwrt", "Black")]
)
def test_one_close_value_is_taken_and_named(said: str, value: str) -> None:
    assert match(Asked("Color", said), CHOICES) == Close(choice("Color", value), said)


@pytest.mark.parametrize("said", ["green", "M", "39", "x", "s1"])
def test_no_value_uploads_nothing_and_lists_the_values(said: str) -> None:
    found = match(Asked(None, said), CHOICES)
    assert isinstance(found, Unmatched)
    assert found.values == CHOICES  # the plan lists what the product has
    assert found.alike == ()


@pytest.mark.parametrize(
    ("said", "values"),
    [
        ("EU 39", ["EU 38", "EU 42"]),  # another number is another size
        ("Size 12", ["Size 10", "Size 14"]),
        ("100 ml", ["200 ml", "50 ml"]),
        ("XXXL", ["XXL", "XL"]),  # another size, not a slip
        ("Dark Green", ["Dark Grey", "Light Green"]),  # each word must be close on its own
    ],
)
def test_a_near_value_that_is_another_value_is_not_taken(said: str, values: list[str]) -> None:
    choices = choices_of([{"name": "Option", "choices": [{"text": v} for v in values]}])
    found = match(Asked("Option", said), choices)
    assert isinstance(found, Unmatched), found
    assert found.alike == ()


def test_a_slip_in_one_word_of_two_is_taken() -> None:
    two_words = choices_of([{"name": "Color", "choices": [{"text": "Dark red"}, {"text": "Red"}]}])
    assert match(Asked("Color", "dark rd"), two_words) == Close(two_words[0], "dark rd")


def test_a_short_value_is_never_read_as_a_longer_one() -> None:
    sizes = choices_of([{"name": "Size", "choices": [{"text": "XXL"}, {"text": "M"}]}])
    assert isinstance(match(Asked("Size", "XL"), sizes), Unmatched)  # not XXL (80 of 100 close)


def test_a_name_for_the_wrong_option_finds_nothing_and_lists_that_options_values() -> None:
    found = match(Asked("Size", "Red"), CHOICES)
    assert isinstance(found, Unmatched)
    assert {c.option for c in found.values} == {"Size"}


def test_a_value_two_options_share_is_listed_not_guessed() -> None:
    trims = choices_of([*SHIRT_OPTIONS, {"name": "Trim", "choices": [{"text": "Red"}]}])
    found = match(Asked(None, "Red"), trims)
    assert isinstance(found, Unmatched)
    assert {(c.option, c.value) for c in found.alike} == {("Color", "Red"), ("Trim", "Red")}
    assert isinstance(match(Asked("Trim", "Red"), trims), Exact)


def test_two_close_values_alike_are_listed_not_guessed() -> None:
    greys = choices_of([{"name": "Color", "choices": [{"text": "Grey"}, {"text": "Gray"}]}])
    found = match(Asked("Color", "Gry"), greys)
    assert isinstance(found, Unmatched)
    assert {c.value for c in found.alike} == {"Grey", "Gray"}


def test_every_variation_with_the_value_and_only_those() -> None:
    variations = {
        n: (("Color", color), ("Size", size))
        for n, (color, size) in enumerate(
            itertools.product(["Red", "Black", "Dark red"], ["38", "40", "S"]), start=1
        )
    }
    red = [n for n, own in variations.items() if has_all(own, [choice("Color", "Red")])]
    assert [variations[n][0][1] for n in red] == ["Red"] * 3  # every size, not Dark red
    one = [choice("Color", "Red"), choice("Size", "40")]
    assert [n for n, own in variations.items() if has_all(own, one)] == [2]
