"""SKU look-ups: the one matching rule, the choice between searches and the index, and the index
kept up to date with `updatedFrom`, against the loopback Ecwid over HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.domain.options import Choice
from bot.ecwid.catalog import INDEX_FRESH_SECONDS, Catalog, match_sku
from bot.ecwid.client import EcwidClient
from bot.ecwid.models import Product, Variation
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def client(ecwid: FakeEcwid) -> AsyncIterator[EcwidClient]:
    async with aiohttp.ClientSession() as http:
        yield EcwidClient(http, api_url=ecwid.api_url, store_id=STORE_ID, token=TOKEN, timeout=2)


SHOE = Product(1, "Shoe", "SH-1", variations=(Variation(11, "SH-1-RED"), Variation(12, None)))


def test_an_exact_sku_wins_over_one_in_other_letter_case() -> None:
    other = Product(2, "Old shoe", "sh-1")
    assert match_sku("SH-1", [SHOE, other]) == [Product(1, "Shoe", "SH-1", None, SHOE.variations)]


def test_a_variation_sku_names_the_variation_and_a_case_match_says_what_was_asked() -> None:
    (red,) = match_sku("sh-1-red", [SHOE])
    assert (red.id, red.variation, red.asked_sku, red.matched_sku) == (
        1,
        Variation(11, "SH-1-RED"),
        "sh-1-red",
        "SH-1-RED",
    )


def test_several_case_only_matches_are_all_returned() -> None:
    matches = match_sku("ab", [Product(1, "a", "AB"), Product(2, "b", "Ab"), Product(3, "c", "X")])
    assert [(m.id, m.asked_sku) for m in matches] == [(1, "ab"), (2, "ab")]


def test_a_variation_without_its_own_sku_is_reached_through_its_product_only() -> None:
    assert [m.variation for m in match_sku("SH-1", [SHOE])] == [None]


async def test_a_miss_in_the_index_reads_only_what_changed_then_finds_it(
    client: EcwidClient, ecwid: FakeEcwid
) -> None:
    clock = Clock()
    catalog = Catalog(client, clock=clock)
    found = await catalog.find(["RS-1", "BH-2"])
    assert [p.id for p in found["RS-1"] + found["BH-2"]] == [123, 456]
    assert len(ecwid.searches) == 1  # three products: the first page is the whole catalog
    ecwid.products[900] = {"id": 900, "name": "New", "sku": "NEW-1"}
    ecwid.touch(900)
    clock.now += 1  # however recently the index was read
    assert [p.id for p in (await catalog.find(["NEW-1"]))["NEW-1"]] == [900]
    refresh = ecwid.searches[-1].query
    assert "updatedFrom" in refresh and "sku" not in refresh
    assert len(ecwid.searches) == 2
    assert (await catalog.find(["NOPE"]))["NOPE"] == []  # each miss reads the changes again
    assert len(ecwid.searches) == 3 and "updatedFrom" in ecwid.searches[-1].query


async def test_misses_at_once_share_one_read_of_the_changes(
    client: EcwidClient, ecwid: FakeEcwid
) -> None:
    catalog = Catalog(client, clock=Clock())
    await catalog.find(["RS-1", "BH-2"])
    misses = await asyncio.gather(*(catalog.find([f"NOPE-{n}"]) for n in range(5)))
    assert all(found == {f"NOPE-{n}": []} for n, found in enumerate(misses))
    # The first miss reads the changes; the four that came while it ran share the next read
    # (the first began before they did, so it might have missed what they look for).
    assert sum("updatedFrom" in c.query for c in ecwid.searches) == 2


async def test_a_stale_index_is_brought_up_to_date_before_it_is_used(
    client: EcwidClient, ecwid: FakeEcwid
) -> None:
    clock = Clock()
    catalog = Catalog(client, clock=clock)
    await catalog.find(["RS-1", "BH-2"])
    ecwid.products[123]["sku"] = "RS-1-NEW"  # renamed in the admin
    ecwid.touch(123)
    clock.now += INDEX_FRESH_SECONDS + 1
    found = await catalog.find(["RS-1-NEW", "BH-2"])
    assert [p.id for p in found["RS-1-NEW"]] == [123]
    assert "updatedFrom" in ecwid.searches[-1].query


async def test_one_sku_is_one_search_and_a_miss_tries_other_letter_case_once(
    client: EcwidClient, ecwid: FakeEcwid
) -> None:
    catalog = Catalog(client)
    assert [p.id for p in (await catalog.find(["RS-1"]))["RS-1"]] == [123]
    assert [c.query.get("sku") for c in ecwid.searches] == ["RS-1"]
    (found,) = (await catalog.find(["rs-1"]))["rs-1"]
    assert (found.id, found.asked_sku) == (123, "rs-1")
    assert [c.query.get("sku") or c.query.get("keyword") for c in ecwid.searches] == [
        "RS-1",
        "rs-1",
        "rs-1",
    ]


async def test_the_type_ahead_reads_a_fresh_index_without_a_call(
    client: EcwidClient, ecwid: FakeEcwid
) -> None:
    catalog = Catalog(client)
    assert catalog.search("shoe", 10) is None  # no index yet: Ecwid's search is used
    await catalog.find(["RS-1", "BH-2"])
    calls = len(ecwid.calls)
    assert [p.id for p in catalog.search("shoe", 10) or []] == [123]
    assert [p.id for p in catalog.search("run-4", 10) or []] == [789]  # a variation's SKU
    assert [p.id for p in catalog.search("456", 10) or []] == [456]  # digits: an id too
    assert len(ecwid.calls) == calls


async def test_an_uploads_one_read_carries_the_products_option_values(client: EcwidClient) -> None:
    """What an option value given as a target is matched against (#36) comes with the read an
    upload makes anyway: no call more (the fake trims answers to `responseFields`, as Ecwid)."""
    state = await client.product_state(789)
    assert state.product.choices == (
        Choice("Size", "42", option_names=("Maat",)),
        Choice("Size", "43", option_names=("Maat",)),
    )
    assert [v.options for v in state.product.variations] == [(("Size", "42"),), (("Size", "43"),)]
