"""File names by any convention: each built-in pattern, a store's own FILENAME_PATTERN (checked
at start-up, matched under a time limit), and their order of likelihood."""

from __future__ import annotations

import time

import pytest

from bot.config import ConfigError, load_settings
from bot.domain.bulk import NamingRules, Reading, compile_pattern, read_name

RULES = NamingRules()


@pytest.mark.parametrize(
    ("stem", "reading"),
    [
        ("RS-1", Reading("RS-1", "main", 0, "SKU.jpg")),
        ("RS-1_2", Reading("RS-1", "gallery", 2, "SKU_2.jpg")),
        ("RS-1-3", Reading("RS-1", "gallery", 3, "SKU_2.jpg")),
        ("RS-1 (4)", Reading("RS-1", "gallery", 4, "SKU_2.jpg")),
        ("RS-1#5", Reading("RS-1", "gallery", 5, "SKU_2.jpg")),
        ("RS-1-front", Reading("RS-1", "gallery", 1000, "SKU-front.jpg")),
        ("RS-1_Detail", Reading("RS-1", "gallery", 1003, "SKU-front.jpg")),
        ("RS-1.MAIN", Reading("RS-1", "main", 0, "SKU.MAIN.jpg")),
        ("RS-1.PT01", Reading("RS-1", "gallery", 2, "SKU.PT01.jpg")),
    ],
)
def test_each_built_in_pattern_reads_the_sku_and_the_slot(stem: str, reading: Reading) -> None:
    readings = read_name(stem, RULES)
    assert reading in readings
    assert readings[0] == Reading(stem, "main", 0, "SKU.jpg")  # the whole name first


def test_sku_1_is_no_gallery_place_and_an_unknown_view_is_no_view() -> None:
    assert read_name("RS_1", RULES) == [Reading("RS_1", "main", 0, "SKU.jpg")]
    # `blue` is no view: RS-blue is a SKU, or RS's Blue variations (if RS has that value).
    assert read_name("RS-blue", RULES) == [
        Reading("RS-blue", "main", 0, "SKU.jpg"),
        Reading("RS", "option", 0, "SKU-red.jpg", None, "blue"),
    ]


def test_filename_views_set_the_order_of_views() -> None:
    rules = NamingRules(views=("detail", "front"))
    assert Reading("RS-1", "gallery", 1001, "SKU-front.jpg") in read_name("RS-1-front", rules)


def test_a_stores_own_pattern_is_tried_first() -> None:
    rules = NamingRules(pattern=compile_pattern(r"(?P<sku>[A-Z]+-[0-9]+)~(?P<n>[0-9]+)"))
    assert read_name("RS-1~7", rules)[0] == Reading("RS-1", "gallery", 7, "FILENAME_PATTERN")
    views = NamingRules(pattern=compile_pattern(r"(?P<sku>.+)@(?P<view>[a-z]+)"))
    assert read_name("RS-1@back", views)[0] == Reading("RS-1", "gallery", 1001, "FILENAME_PATTERN")


def test_a_runaway_pattern_gives_up_within_its_time_limit() -> None:
    rules = NamingRules(pattern=compile_pattern(r"(?P<sku>(a+)+)b"), timeout=0.05)
    started = time.monotonic()
    readings = read_name("a" * 60 + "c", rules)
    assert time.monotonic() - started < 2
    assert all(r.how != "FILENAME_PATTERN" for r in readings)


@pytest.mark.parametrize(
    ("pattern", "said"),
    [
        ("(?P<sku>[A-Z", "FILENAME_PATTERN: it is not a regular expression"),
        ("(?P<code>.+)", "FILENAME_PATTERN: it needs a named group `sku`"),
        ("(?P<sku>.+)_(?P<n>[0-9])-(?P<view>[a-z]+)", "FILENAME_PATTERN: give it a group `n`"),
    ],
)
def test_a_bad_pattern_is_refused_at_start_up(pattern: str, said: str) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
        "SLACK_SIGNING_SECRET": "s3cr3t-signing",
        "ECWID_STORE_ID": "1003",
        "ECWID_TOKEN": "secret_abcdef",
        "FILENAME_PATTERN": pattern,
    }
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert said in str(error.value)


@pytest.mark.parametrize(
    ("stem", "reading"),
    [
        ("SHIRT-red", Reading("SHIRT", "option", 0, "SKU-red.jpg", None, "red")),
        ("SHIRT_Red", Reading("SHIRT", "option", 0, "SKU-red.jpg", None, "Red")),
        ("SHIRT-color-red", Reading("SHIRT", "option", 0, "SKU-color-red.jpg", "color", "red")),
        ("SHIRT-dark-red", Reading("SHIRT", "option", 0, "SKU-red.jpg", None, "dark red")),
        ("SHIRT-size-38", Reading("SHIRT", "option", 0, "SKU-color-red.jpg", "size", "38")),
        ("SHIRT_Red_2", Reading("SHIRT", "gallery", 2, "SKU_Red_2.jpg", None, "Red")),
        ("SHIRT-red-front", Reading("SHIRT", "gallery", 1000, "SKU-red-front.jpg", None, "red")),
        ("RS-1-red", Reading("RS-1", "option", 0, "SKU-red.jpg", None, "red")),
    ],
)
def test_a_name_may_say_an_option_value(stem: str, reading: Reading) -> None:
    """After every reading of today (a SKU that exists wins): the product's variations with a
    value (#36); with a place or a view, its gallery."""
    readings = read_name(stem, RULES)
    assert reading in readings
    assert readings[0] == Reading(stem, "main", 0, "SKU.jpg")
    assert readings.index(reading) > 0


@pytest.mark.parametrize("stem", ["SHIRT-38", "RS-1", "SHIRT_2", "SHIRT-1000"])
def test_a_bare_number_is_never_an_option_value(stem: str) -> None:
    """`SHIRT-38` stays gallery place 38: a number is a value only after its option's name."""
    assert all(r.value is None for r in read_name(stem, RULES))


def test_a_stores_pattern_may_name_the_option_value_and_its_option() -> None:
    rules = NamingRules(
        pattern=compile_pattern(r"(?P<sku>[A-Z]+)\.(?P<option_name>[a-z]+)=(?P<option>.+)")
    )
    assert read_name("SHIRT.color=dark-red", rules)[0] == Reading(
        "SHIRT", "option", 0, "FILENAME_PATTERN", "color", "dark red"
    )
    with pytest.raises(ValueError, match="needs a group `option`"):
        compile_pattern(r"(?P<sku>.+)-(?P<option_name>.+)")
