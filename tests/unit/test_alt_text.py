"""The one cleaning of alt text (bot.domain.alt_text), and the typed check built on it."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.alt_text import alt_cleaned_note, clean_alt_text, describe, is_refused
from bot.domain.requests import MAX_ALT_LENGTH, ValidationError, check_alt_text

# The list, written out by hand rather than derived from the code under test.
SPEC = (
    set(range(0x00, 0x20))  # C0
    | {0x7F}  # DEL
    | set(range(0x80, 0xA0))  # C1
    | set(range(0x202A, 0x202F))  # LRE RLE PDF LRO RLO
    | set(range(0x2066, 0x206A))  # LRI RLI FSI PDI
    | {0x200B, 0xFEFF, 0x2028, 0x2029}
)
ZWNJ, ZWJ = "\u200c", "\u200d"
# Any text at all, refused characters and decomposed sequences included.
ANY = st.lists(
    st.one_of(
        st.characters(blacklist_categories=("Cs",)),
        st.sampled_from([chr(c) for c in sorted(SPEC)]),
        st.sampled_from([ZWNJ, ZWJ, "e\u0301", "\u0301", "\u0958", "\ufb2c"]),
    ),
    max_size=100,
).map("".join)


def test_it_refuses_exactly_the_listed_characters() -> None:
    refused = {
        point
        for point in range(0x110000)
        if not 0xD800 <= point <= 0xDFFF and is_refused(chr(point))
    }
    assert refused == SPEC


@settings(max_examples=500, deadline=None)
@given(ANY)
def test_the_result_holds_no_refused_character_and_is_nfc(value: str) -> None:
    cleaned = clean_alt_text(value)
    assert not any(ord(char) in SPEC for char in cleaned.text)
    assert unicodedata.is_normalized("NFC", cleaned.text)
    assert cleaned.removed == tuple(char for char in value if ord(char) in SPEC)


@settings(max_examples=500, deadline=None)
@given(ANY)
def test_cleaning_twice_changes_nothing_more(value: str) -> None:
    once = clean_alt_text(value)
    twice = clean_alt_text(once.text)
    assert (twice.text, twice.removed) == (once.text, ())


@settings(max_examples=300, deadline=None)
@given(ANY, st.sampled_from([ZWNJ, ZWJ]), ANY)
def test_zwnj_and_zwj_are_kept(before: str, joiner: str, after: str) -> None:
    value = before + joiner + after
    assert clean_alt_text(value).text.count(joiner) == value.count(joiner)


def test_scripts_and_emoji_that_need_joiners_are_unchanged() -> None:
    for text in (
        "کتاب\u200cها",  # Persian: "books", ZWNJ between the stem and the plural
        "क्\u200dष",  # Devanagari: a half form by ZWJ
        "👩\u200d💻",  # woman technologist: an emoji ZWJ sequence
    ):
        assert clean_alt_text(text).text == text
        assert check_alt_text(text, "alt") == text


def test_a_decomposed_letter_is_composed() -> None:
    assert clean_alt_text("Cafe\u0301").text == "Café"
    assert check_alt_text("Cafe\u0301", "alt") == "Café"


def test_a_character_removed_between_letter_and_accent_leaves_them_composed() -> None:
    assert clean_alt_text("e\u200b\u0301").text == "é"


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x00", "U+0000 NULL"),
        ("\n", "U+000A LINE FEED"),
        ("\x01", "U+0001 CONTROL CHARACTER"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u2066", "U+2066 LEFT-TO-RIGHT ISOLATE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
        ("\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
        ("\u2028", "U+2028 LINE SEPARATOR"),
    ],
)
def test_typed_text_is_refused_naming_the_character(char: str, named: str) -> None:
    assert describe(char) == named
    with pytest.raises(ValidationError) as refused:
        check_alt_text(f"a{char}b{char}", "alt.nl")
    assert refused.value.message == (
        f"`alt.nl` contains an invisible character ({named}); remove it and try again."
    )


def test_several_characters_are_each_named_once() -> None:
    with pytest.raises(ValidationError) as refused:
        check_alt_text("a\u202eb\u200bc\u202e", "alt")
    assert refused.value.message == (
        "`alt` contains invisible characters (U+202E RIGHT-TO-LEFT OVERRIDE, U+200B ZERO WIDTH "
        "SPACE); remove them and try again."
    )


def test_the_length_is_counted_as_ecwid_gets_it() -> None:
    assert check_alt_text("e\u0301" * MAX_ALT_LENGTH, "alt") == "é" * MAX_ALT_LENGTH
    with pytest.raises(ValidationError, match="126 characters long"):
        check_alt_text("\u0958" + "a" * (MAX_ALT_LENGTH - 1), "alt")  # NFC: two characters


def test_the_note_counts_every_removal_and_names_each_character_once() -> None:
    removed = clean_alt_text("a\u200bb\u200b\x00").removed
    assert alt_cleaned_note(removed) == (
        "removed 3 invisible characters from its alt text: U+200B ZERO WIDTH SPACE, U+0000 NULL"
    )
    assert alt_cleaned_note(("\u200b",)) == (
        "removed 1 invisible character from its alt text: U+200B ZERO WIDTH SPACE"
    )
