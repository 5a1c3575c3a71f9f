"""The audit's pure parts (bot.domain.audit): what an alt text is in each language, the CSV's
guard, what changed since the last audit, and the bounds."""

from __future__ import annotations

import csv
import io

import pytest
from PIL import Image

from bot.domain.audit import (
    Alt,
    AuditImage,
    AuditItem,
    Delta,
    Finding,
    Scope,
    Slot,
    Tally,
    alt_of,
    since,
)
from bot.images.identity import Identity, identity_of
from bot.images.similar import same_pictures
from tests.photos import encoded, real_photo, recoloured

ITEM = AuditItem(1, "RS-1", "Red shoe", {"en": "Red shoe", "nl": "Rode schoen"})


@pytest.mark.parametrize(
    ("main", "translated", "language", "state"),
    [
        (None, {}, "en", Alt.MISSING),
        ("  ", {}, "en", Alt.MISSING),
        ("Red shoe", {}, "en", Alt.DEFAULT),  # the bare name, any case and spacing
        ("red  SHOE", {}, "en", Alt.DEFAULT),
        ("x" * 126, {}, "en", Alt.TOO_LONG),
        ("x" * 125, {}, "en", Alt.PRESENT),
        ("Red shoe, side", {}, "nl", Alt.MISSING),  # no translation at all
        ("Red shoe, side", {"nl": "Red shoe, side"}, "nl", Alt.MISSING),  # Ecwid's stand-in
        ("Red shoe, side", {"nl": "Rode schoen"}, "nl", Alt.DEFAULT),  # the name in Dutch
        ("Red shoe, side", {"nl": "Rode schoen, zijkant"}, "nl", Alt.PRESENT),
        (None, {"nl": "Rode schoen, zijkant"}, "nl", Alt.PRESENT),
    ],
)
def test_an_alt_text_in_each_language_is_missing_the_name_too_long_or_present(
    main: str | None, translated: dict[str, str], language: str, state: Alt
) -> None:
    image = AuditImage(Slot.MAIN, "0", main, translated)
    assert alt_of(image, language, "en", ITEM)[0] is state


def test_the_csv_makes_every_formula_plain_text() -> None:
    tally = Tally("en", ("en",), 800)
    for n, sku in enumerate(["=HYPERLINK(1)", "+1", "-1", "@A1", "\tX", "\rX", "fine"], 1):
        tally.add([AuditItem(n, sku, f"P{n}", has_main=False)])
    rows = list(csv.reader(io.StringIO(tally.finish().csv().decode("utf-8-sig"))))[1:]
    assert [row[1] for row in rows] == [
        "'=HYPERLINK(1)",
        "'+1",
        "'-1",
        "'@A1",
        "'\tX",
        "'\rX",
        "fine",
    ]


def test_past_its_limit_the_csv_stops_listing_and_the_counts_go_on() -> None:
    tally = Tally("en", ("en", "en"), 800, max_rows=3)
    tally.add(AuditItem(n, None, f"P{n}", has_main=False) for n in range(5))
    result = tally.finish()
    assert result.findings[Finding.NO_MAIN] == 5
    assert (len(result.rows), result.rows_left_out) == (3, 2)
    assert tally.languages == ("en",)  # a language named twice is audited once


def test_since_names_each_language_and_finding_that_moved() -> None:
    tally = Tally("en", ("en", "nl"), 800)
    image = AuditImage(Slot.MAIN, "0", "Red shoe, side", {"nl": "Rode schoen, zijkant"})
    tally.add([AuditItem(1, "RS-1", "Red shoe", images=(image,))])
    result = tally.finish()
    before = '{"coverage": {"en": 1.0, "nl": 0.61}, "findings": {"alt text missing": 4}}'
    assert since(before, result) == [
        Delta("NL alt text", "61%", "100%"),
        Delta("alt text missing", "4", "0"),
    ]
    assert since(None, result) == [] and since("not json", result) == []


def test_a_long_search_still_names_one_scope_within_the_columns_size() -> None:
    key = Scope(search="ﬃ" * 100).key
    assert len(key) <= 200 and key == Scope(search="FFI" * 100).key


def _identity(image: Image.Image) -> Identity:
    return identity_of(image.convert("RGB"), image.width, image.height, 1)


def test_the_same_picture_is_found_at_any_size_and_encoding_and_flat_ones_never() -> None:
    """Near-misses must meet (the same shot resized, re-encoded); another shot, or the same
    recoloured, must not; plain images, alike as they are, are no picture."""
    coffee, astronaut = real_photo("coffee.png"), real_photo("astronaut.png")
    with Image.open(io.BytesIO(encoded(coffee.resize((300, 200)), "JPEG", quality=60))) as small:
        resized = _identity(small)
    items = [
        ("a", _identity(coffee)),
        ("b", _identity(astronaut)),
        ("c", resized),
        ("d", _identity(recoloured(coffee))),
        ("e", _identity(Image.new("RGB", (400, 400), "white"))),
        ("f", _identity(Image.new("RGB", (800, 800), "white"))),
    ]
    assert same_pictures(items) == [["a", "c"]]
