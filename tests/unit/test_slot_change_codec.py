"""`SlotChange` and its one stored form: every change survives the round trip through JSON
text, and what does not decode is refused as such, never read with a part missing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.changes.codec import MAX_ENCODED, ChangeFormatError, decode, dumps, encode, loads
from bot.changes.slot_change import (
    AltOnly,
    AltText,
    Asker,
    Delete,
    FromKept,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    Owner,
    Place,
    Reorder,
    SlotChange,
    Target,
    ToSquare,
)
from bot.domain.requests import SharedFile, Size
from bot.ecwid.models import ImageSlot

ids = st.integers(min_value=1, max_value=2**53)
texts = st.text(max_size=40)  # any code point: emoji, RTL, NUL and lone surrogates' neighbours
maybe_texts = st.none() | texts
languages = st.sampled_from(["de", "es_419", "fr", "nl", "pt_BR", "zh_TW"])

targets = st.one_of(
    st.builds(Target, st.just(Owner.PRODUCT), ids, st.sampled_from([Place.MAIN, Place.GALLERY])),
    st.builds(Target, st.just(Owner.PRODUCT), ids, st.just(Place.VARIATION), ids),
    st.builds(Target, st.just(Owner.CATEGORY), ids),
)
files = st.builds(
    SharedFile,
    texts,
    texts,
    texts,
    st.none() | st.integers(min_value=0, max_value=10**9),
    maybe_texts,
    maybe_texts,
)
sources = st.one_of(
    st.builds(FromLink, texts.map(lambda path: f"https://cdn.example.com/{path}")),
    st.builds(FromSlackFile, files),
    st.builds(FromKept, texts, st.booleans(), maybe_texts),
    st.builds(Delete, maybe_texts, st.booleans()),
    st.builds(AltOnly, maybe_texts),
    st.builds(ToSquare, texts.map(lambda path: f"https://cdn.example.com/{path}"), st.booleans()),
)
alts = st.builds(
    lambda main, translated: AltText(main, tuple(sorted(translated.items()))),
    maybe_texts,
    st.dictionaries(languages, texts, max_size=4),
)
knowns = st.builds(
    Known,
    maybe_texts,
    st.none() | st.builds(Size, st.integers(1, 20000), st.integers(1, 20000)),
    st.booleans(),
)


@st.composite
def changes(draw: st.DrawFn) -> SlotChange:
    target = draw(targets)
    source = draw(sources)
    if target.place is Place.GALLERY and draw(st.booleans()):
        source = Reorder(tuple(draw(st.lists(texts, max_size=6))))
    return SlotChange(
        store_id=draw(ids),
        target=target,
        source=source,
        asker=Asker(draw(texts), draw(maybe_texts)),
        origin=draw(st.sampled_from(Origin)),
        alt=draw(alts),
        known=draw(knowns),
        external_id=draw(maybe_texts),
        undoes=draw(maybe_texts),
    )


@settings(max_examples=300)
@given(changes())
def test_every_change_survives_the_round_trip_through_json_text(change: SlotChange) -> None:
    assert loads(dumps(change)) == change
    assert decode(json.loads(json.dumps(encode(change)))) == change


@settings(max_examples=200)
@given(changes(), st.data())
def test_a_stored_change_missing_any_part_is_refused(
    change: SlotChange, data: st.DataObject
) -> None:
    stored = encode(change)
    part = data.draw(st.sampled_from(sorted(stored)))
    del stored[part]
    with pytest.raises(ChangeFormatError):
        decode(stored)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda c: c.update(v=2),  # a newer bot's
        lambda c: c.update(store="1003"),  # a number as text
        lambda c: c.update(store=True),  # a flag is not a number
        lambda c: c["target"].update(place="poster"),
        lambda c: c["target"].update(owner="category", place="gallery"),  # no such slot
        lambda c: c["target"].update(variation=None, place="variation"),
        lambda c: c["source"].update(kind="ftp"),
        lambda c: c["alt"].update(translated=[["nl", "Rood"], ["de", "Rot"]]),  # unsorted
        lambda c: c["alt"].update(translated=[["nl"]]),
        lambda c: c["known"].update(size=[800]),
        lambda c: c.update(source=[]),
        lambda c: c.update(undoes=17),  # an entry's id is text
    ],
)
def test_a_spoiled_stored_change_is_refused(spoil: object) -> None:
    stored = encode(SHOE)
    spoil(stored)  # type: ignore[operator]
    with pytest.raises(ChangeFormatError):
        decode(stored)


def test_what_is_not_json_or_too_long_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(ChangeFormatError, match="not JSON"):
        loads("{")
    with pytest.raises(ChangeFormatError, match="too long"):
        loads(" " * (MAX_ENCODED + 1))


SHOE = SlotChange(
    store_id=1003,
    target=Target(Owner.PRODUCT, 123, Place.VARIATION, 501),
    source=FromLink("https://cdn.example.com/shoe.jpg"),
    asker=Asker("U123", "C123"),
    origin=Origin.COMMAND,
    alt=AltText.of("Red shoe", {"nl": "Rode schoen", "de": "Roter Schuh"}),
    known=Known(size=Size(800, 600)),
)


def test_the_stored_form_is_the_documented_one() -> None:
    """The job store holds this text; a change to it needs a migration."""
    assert encode(SHOE) == {
        "v": 1,
        "store": 1003,
        "target": {"owner": "product", "id": 123, "place": "variation", "variation": 501},
        "source": {"kind": "link", "url": "https://cdn.example.com/shoe.jpg"},
        "asker": {"user": "U123", "channel": "C123"},
        "origin": "command",
        "alt": {"main": "Red shoe", "translated": [["de", "Roter Schuh"], ["nl", "Rode schoen"]]},
        "known": {"identity": None, "size": [800, 600], "convert": False},
        "external_id": None,
        "undoes": None,
    }


def test_alt_text_is_one_value_whatever_shape_it_came_in() -> None:
    composed = AltText.of("Cafe\u0301", {"nl": "Rode schoen", "de": ""})  # e + combining acute
    assert composed == AltText("Café", (("nl", "Rode schoen"),))  # sent composed; empty dropped
    ecwid = {"main": "Café", "translated": {"nl": "Rode schoen"}}
    assert AltText.of_ecwid(ecwid) == composed
    assert composed.for_ecwid() == ecwid
    assert AltText.of_ecwid(None).empty and AltText().for_ecwid() == {}


def test_a_target_is_the_slot_the_ecwid_client_knows() -> None:
    for slot in (
        ImageSlot(123, "main"),
        ImageSlot(123, "gallery"),
        ImageSlot(123, "variation", 501),
        ImageSlot(12, "category"),
    ):
        assert Target.of_slot(slot).slot == slot
    with pytest.raises(ValueError, match="a category has one image"):
        Target(Owner.CATEGORY, 12, Place.GALLERY)
    with pytest.raises(ValueError, match="only a gallery has an order"):
        SlotChange(1, Target(Owner.PRODUCT, 1), Reorder(()), Asker("U1"), Origin.GALLERY_CARD)


@pytest.mark.parametrize("url", ["", "https://", "http://cdn.example.com/shoe.jpg", "shoe.jpg"])
def test_a_stored_link_that_is_no_https_link_does_not_decode(url: str) -> None:
    stored = encode(SHOE)
    stored["source"]["url"] = url
    with pytest.raises(ChangeFormatError):
        decode(stored)


def test_a_links_scheme_is_read_in_any_case_as_the_grammar_reads_it() -> None:
    stored = encode(SHOE)
    stored["source"]["url"] = "HTTPS://cdn.example.com/shoe.jpg"
    assert decode(stored).source == FromLink("HTTPS://cdn.example.com/shoe.jpg")
