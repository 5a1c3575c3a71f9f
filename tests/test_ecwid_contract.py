"""The loopback Ecwid against Ecwid's documented answers: what the bot reads exists there with the
same type, the fake answers in the same shape, and it is no kinder than the documentation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fakes import ecwid_examples as examples
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, TlsAuthority

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def values_at(data: Any, path: tuple[str, ...]) -> list[Any]:
    """Every value at `path` ("[]" steps into each item of a list)."""
    found = [data]
    for step in path:
        if step == "[]":
            found = [item for value in found if isinstance(value, list) for item in value]
        else:
            found = [value[step] for value in found if isinstance(value, dict) and step in value]
    return found


def shape_problems(actual: Any, example: Any, where: str = "") -> list[str]:
    """Where `actual` has a field the example does not, or one of another JSON type."""
    if isinstance(example, dict):
        if not isinstance(actual, dict):
            return [f"{where}: {type(actual).__name__}, not an object"]
        problems = []
        for key, value in actual.items():
            if key not in example:
                problems.append(f"{where}.{key}: not in Ecwid's example")
            else:
                problems += shape_problems(value, example[key], f"{where}.{key}")
        return problems
    if isinstance(example, list):
        if not isinstance(actual, list):
            return [f"{where}: {type(actual).__name__}, not a list"]
        if not example:
            return [] if not actual else [f"{where}: items where the example has none"]
        return [p for item in actual for p in shape_problems(item, example[0], f"{where}[]")]
    if type(actual) is not type(example):
        return [f"{where}: {type(actual).__name__}, Ecwid sends {type(example).__name__}"]
    return []


@pytest.mark.parametrize(
    ("example", "fields"),
    [
        (examples.PRODUCT, examples.READ_BY_THE_BOT),
        (examples.SEARCH_DOCUMENTED, examples.READ_FROM_SEARCH),
        (examples.PROFILE, examples.READ_FROM_PROFILE),
    ],
    ids=["product", "search", "profile"],
)
def test_every_field_the_bot_reads_is_in_ecwids_examples_with_its_type(
    example: dict[str, Any], fields: dict[str, tuple[tuple[str, ...], type]]
) -> None:
    for name, (path, kind) in fields.items():
        found = values_at(example, path)
        assert found, f"{name} ({'.'.join(path)}) is not in Ecwid's example"
        assert all(type(value) is kind for value in found), (name, found)


def test_the_examples_are_read_as_the_bot_reads_them() -> None:
    """The bot's own reading of the documented product (the parser, not a copy of it)."""
    from bot.ecwid.client import _product

    product = _product(examples.PRODUCT)
    assert (product.id, product.name, product.sku) == (692730761, "Toys", "123123")
    assert [(v.id, v.sku, v.options) for v in product.variations] == [
        (174938711, "123123-RED", (("Color", "Red"),))
    ]


@pytest.fixture
async def stocked(ecwid: FakeEcwid, images: FakeImageHost) -> FakeEcwid:
    """Every kind of image on the store's products, as the bot's own calls leave them."""
    async with httpx.AsyncClient(base_url=ecwid.url(f"/api/v3/{STORE_ID}"), headers=AUTH) as c:
        body = {"url": images.link("shoe.png"), "width": "800", "height": "600"}
        alt = {"alt": {"main": "Front", "translated": {"nl": "Voor"}}}
        await c.post("/products/123/image/async", json={**body, **alt})
        await c.post("/products/789/combinations/501/image/async", json={**body, **alt})
    return ecwid


async def get(ecwid: FakeEcwid, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(headers=AUTH) as client:
        response = await client.get(ecwid.url(f"/api/v3/{STORE_ID}{path}"), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_fakes_answers_have_the_shape_of_ecwids(stocked: FakeEcwid) -> None:
    answers = {
        "product": (await get(stocked, "/products/123"), examples.PRODUCT),
        "variation's product": (await get(stocked, "/products/789"), examples.PRODUCT),
        "search": (await get(stocked, "/products", keyword="shoe"), examples.SEARCH_DOCUMENTED),
        "combinations": (await get(stocked, "/products/789/combinations"), examples.COMBINATIONS),
        "profile": (await get(stocked, "/profile"), examples.PROFILE),
    }
    for name, (answer, example) in answers.items():
        assert shape_problems(answer, example) == [], name


async def test_sku_takes_one_exact_sku_and_a_list_finds_nothing(ecwid: FakeEcwid) -> None:
    one = await get(ecwid, "/products", sku="RS-1")
    assert [p["id"] for p in one["items"]] == [123]
    assert (await get(ecwid, "/products", sku="RS-1,BH-2"))["items"] == []
    assert (await get(ecwid, "/products", sku="rs-1"))["items"] == []  # exact: letter case too
    variation = await get(ecwid, "/products", sku="RUN-42")  # a variation's: its product
    assert [p["id"] for p in variation["items"]] == [789]
    assert [c["sku"] for c in variation["items"][0]["combinations"] if "sku" in c] == ["RUN-42"]


async def test_product_id_takes_a_list_and_wins_over_sku(ecwid: FakeEcwid) -> None:
    both = await get(ecwid, "/products", productId="123,456", sku="RUN")
    assert sorted(p["id"] for p in both["items"]) == [123, 456]


async def test_response_fields_trim_the_answer(ecwid: FakeEcwid) -> None:
    trimmed = await get(ecwid, "/products", sku="RUN-42", responseFields="total,items(id,sku)")
    assert trimmed == {"total": 1, "items": [{"id": 789, "sku": "RUN"}]}
    product = await get(ecwid, "/products/789", responseFields="id,combinations(id)")
    assert product == {"id": 789, "combinations": [{"id": 501}, {"id": 502}]}


async def test_the_token_is_refused_as_a_query_parameter(ecwid: FakeEcwid) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(
            ecwid.url(f"/api/v3/{STORE_ID}/products/123"), params={"token": TOKEN}
        )
    assert response.status_code == 403
    assert response.json()["errorCode"] == "INVALID_API_TOKEN"


async def test_an_async_upload_is_copied_to_the_cdn_under_another_url(
    ecwid: FakeEcwid, images: FakeImageHost, tls: TlsAuthority
) -> None:
    ecwid.empty_async_answers = True
    link = images.link("shoe.png")
    async with httpx.AsyncClient(headers=AUTH) as client:
        answer = await client.post(
            ecwid.url(f"/api/v3/{STORE_ID}/products/456/image/async"),
            json={"url": link, "width": "800", "height": "600"},
        )
    assert answer.json() == {}
    assert (await get(ecwid, "/products/456"))["originalImage"]["url"] == link
    await ecwid.copy_to_cdn()
    copied = (await get(ecwid, "/products/456"))["originalImage"]["url"]
    assert copied != link and copied.startswith("https://")
    async with httpx.AsyncClient(verify=tls.client_context()) as client:
        served = await client.get(copied)
    assert served.status_code == 200
    assert served.content != images.files["shoe.png"].body  # re-encoded, not the same bytes


async def test_a_reorder_makes_the_first_image_main_and_renumbers_the_old_main(
    ecwid: FakeEcwid,
) -> None:
    ecwid.products[123]["media"] = media({"id": "55", "isMain": False, "orderBy": 1, "alt": {}})
    async with httpx.AsyncClient(headers=AUTH) as client:
        await client.put(
            ecwid.url(f"/api/v3/{STORE_ID}/products/123"),
            json={"media": {"images": [{"id": "55", "orderBy": 0}, {"id": "0", "orderBy": 1}]}},
        )
    images = (await get(ecwid, "/products/123"))["media"]["images"]
    assert [(i["id"] == "0", i["isMain"]) for i in images] == [(True, True), (False, False)]
    assert images[1]["id"] not in ("0", "55")
