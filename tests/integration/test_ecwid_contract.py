"""The loopback Ecwid against Ecwid's documented answers: what the bot reads exists there with the
same type, the fake answers in the same shape, and it is no kinder than the documentation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bot.domain.options import Choice
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
        (examples.CATEGORY_CLIENT_SHAPED, examples.READ_FROM_CATEGORY),
        (examples.CATEGORIES_SEARCH_CLIENT_SHAPED, examples.READ_FROM_CATEGORY_SEARCH),
        (examples.UPLOAD_DOCUMENTED, examples.READ_FROM_UPLOAD),
    ],
    ids=["product", "search", "profile", "category", "category search", "upload"],
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
    assert product.choices == (Choice("Color", "Red", ("Kleur",), ("Rood",)),)


VIDEO = examples.MEDIA_CLIENT_SHAPED["videos"][0]


@pytest.fixture
async def stocked(ecwid: FakeEcwid, images: FakeImageHost) -> tuple[FakeEcwid, list[Any]]:
    """Every kind of image on the store's products and category, as the bot's own calls leave
    them, a video on product 123, and every upload's answer."""
    answers = []
    ecwid.products[123]["media"]["videos"] = [dict(VIDEO)]
    async with httpx.AsyncClient(base_url=ecwid.url(f"/api/v3/{STORE_ID}"), headers=AUTH) as c:
        body = {"url": images.link("shoe.png"), "width": "800", "height": "600"}
        alt = {"alt": {"main": "Front", "translated": {"nl": "Voor"}}}
        data = images.files["photo.jpg"].body
        octets = {"Content-Type": "application/octet-stream"}
        for path in (
            "/products/123/image/async",
            "/products/123/gallery/async",
            "/products/789/combinations/501/image/async",
            "/categories/12/image/async",
        ):
            answers.append((await c.post(path, json={**body, **alt})).json())
        for path in (
            "/products/456/image",
            "/products/456/gallery",
            "/products/789/combinations/502/image",
        ):
            answers.append((await c.post(path, content=data, headers=octets)).json())
    return ecwid, answers


async def get(ecwid: FakeEcwid, path: str, **params: str) -> Any:
    async with httpx.AsyncClient(headers=AUTH) as client:
        response = await client.get(ecwid.url(f"/api/v3/{STORE_ID}{path}"), params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def send(ecwid: FakeEcwid, method: str, path: str, **options: Any) -> Any:
    async with httpx.AsyncClient(headers=AUTH) as client:
        response = await client.request(method, ecwid.url(f"/api/v3/{STORE_ID}{path}"), **options)
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_fakes_answers_have_the_shape_of_ecwids(
    stocked: tuple[FakeEcwid, list[Any]],
) -> None:
    ecwid, uploads = stocked
    answers = {
        "product": (await get(ecwid, "/products/123"), examples.PRODUCT),
        "variation's product": (await get(ecwid, "/products/789"), examples.PRODUCT),
        "bytes' product": (await get(ecwid, "/products/456"), examples.PRODUCT),
        "search": (await get(ecwid, "/products", keyword="shoe"), examples.SEARCH_DOCUMENTED),
        "combinations": (await get(ecwid, "/products/789/combinations"), examples.COMBINATIONS),
        "profile": (await get(ecwid, "/profile"), examples.PROFILE),
        "category": (await get(ecwid, "/categories/12"), examples.CATEGORY_CLIENT_SHAPED),
        "categories": (
            await get(ecwid, "/categories", keyword="sho"),
            examples.CATEGORIES_SEARCH_CLIENT_SHAPED,
        ),
    }
    for name, (answer, example) in answers.items():
        assert shape_problems(answer, example) == [], name
    # What the bot reads is there too, with its type: the products' images (served from links,
    # and copied to the CDN with renditions), the gallery with its video, the category.
    products = [answers[name][0] for name in ("product", "variation's product", "bytes' product")]
    for name, (path, kind) in examples.READ_BY_THE_BOT.items():
        found = values_at(products, ("[]", *path))
        assert found and all(type(v) is kind for v in found), name
    for name, (path, kind) in examples.READ_FROM_CATEGORY.items():
        found = values_at(answers["category"][0], path)
        assert found and all(type(v) is kind for v in found), name
    for answer in uploads:
        assert shape_problems(answer, examples.UPLOAD_DOCUMENTED) == []
        assert type(answer["id"]) is int


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


async def test_the_fake_is_one_store_and_another_stores_paths_are_not_found(
    ecwid: FakeEcwid,
) -> None:
    """A token belongs to one store (ref): the fake serves its own store's paths, whichever id
    it is given, and no other store's."""
    other = FakeEcwid(store_id=77_000_001)
    await other.start()
    try:
        async with httpx.AsyncClient(headers=AUTH) as client:
            found = {
                (server.store_id, store): (await client.get(server.url(path))).status_code
                for server in (ecwid, other)
                for store in (STORE_ID, 77_000_001)
                for path in [f"/api/v3/{store}/products/123"]
            }
            profile = (await client.get(other.url("/api/v3/77000001/profile"))).json()
    finally:
        await other.close()
    assert found == {
        (STORE_ID, STORE_ID): 200,
        (STORE_ID, 77_000_001): 404,
        (77_000_001, STORE_ID): 404,
        (77_000_001, 77_000_001): 200,
    }
    assert profile["generalInfo"]["storeId"] == 77_000_001


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


def stocked_gallery(ecwid: FakeEcwid) -> None:
    """Product 123: its main image and gallery images 55, 56 and 57, each served from its URL."""
    ecwid.products[123]["originalImage"] = {"url": "https://img.test/main.jpg"}
    ecwid.products[123]["media"] = media(
        *(
            {"id": str(n), "isMain": False, "orderBy": place, "imageOriginalUrl": url(n)}
            for place, n in enumerate((55, 56, 57), 1)
        )
    )


def url(n: int) -> str:
    return f"https://img.test/{n}.jpg"


async def gallery(ecwid: FakeEcwid) -> list[tuple[str, str]]:
    """Product 123's gallery images as GET answers them: (id, URL), in order."""
    images = (await get(ecwid, "/products/123"))["media"]["images"]
    return [(i["id"], i["imageOriginalUrl"]) for i in images if not i["isMain"]]


async def test_stable_gallery_ids_are_the_uploads_answer_and_survive_a_delete(
    ecwid: FakeEcwid,
) -> None:
    """client: ProductsTest.testManipulateProductGalleryImages (ids equal the answer)."""
    stocked_gallery(ecwid)
    answer = await send(
        ecwid,
        "POST",
        "/products/123/gallery/async",
        json={"url": url(58), "width": "10", "height": "10"},
    )
    assert (await gallery(ecwid))[-1] == (str(answer["id"]), url(58))
    await send(ecwid, "DELETE", "/products/123/gallery/55")
    assert await gallery(ecwid) == [("56", url(56)), ("57", url(57)), (str(answer["id"]), url(58))]


@pytest.mark.parametrize("ecwid", ["positional"], indirect=True)
async def test_positional_gallery_ids_are_places_that_shift_on_delete_and_reorder(
    ecwid: FakeEcwid,
) -> None:
    """ref: media ids "start with 0 and iterate by 1"."""
    stocked_gallery(ecwid)
    assert await gallery(ecwid) == [("1", url(55)), ("2", url(56)), ("3", url(57))]
    answer = await send(
        ecwid,
        "POST",
        "/products/123/gallery/async",
        json={"url": url(58), "width": "10", "height": "10"},
    )
    assert (await gallery(ecwid))[-1] == ("4", url(58)) and answer["id"] != 4
    await send(ecwid, "DELETE", f"/products/123/gallery/{answer['id']}")  # no image has it
    await send(ecwid, "DELETE", "/products/123/gallery/1")  # image 55
    assert await gallery(ecwid) == [("1", url(56)), ("2", url(57)), ("3", url(58))]
    # A reorder names images by their places now: 58 first, then 56, the old main, 57.
    order = [("3", 0), ("1", 1), ("0", 2), ("2", 3)]
    await send(
        ecwid,
        "PUT",
        "/products/123",
        json={"media": {"images": [{"id": i, "orderBy": o} for i, o in order]}},
    )
    assert await gallery(ecwid) == [
        ("1", url(56)),
        ("2", "https://img.test/main.jpg"),
        ("3", url(57)),
    ]
    assert (await get(ecwid, "/products/123"))["originalImage"]["url"] == url(58)


async def test_a_media_update_drops_the_images_and_videos_it_leaves_out(ecwid: FakeEcwid) -> None:
    """ref: "list all images and videos"; what happens to the others is not documented: the
    strictest reading."""
    stocked_gallery(ecwid)
    other = {**VIDEO, "id": "4", "title": "Another"}
    ecwid.products[123]["media"]["videos"] = [dict(VIDEO), other]
    listed = [{"id": "0", "orderBy": 0}, {"id": "56", "orderBy": 1}]
    videos = [{"id": VIDEO["id"]}]
    await send(ecwid, "PUT", "/products/123", json={"media": {"images": listed, "videos": videos}})
    answer = (await get(ecwid, "/products/123"))["media"]
    assert [i["id"] for i in answer["images"]] == ["0", "56"]
    assert answer["videos"] == [VIDEO]
    await send(ecwid, "PUT", "/products/123", json={"media": {"images": listed}})
    assert (await get(ecwid, "/products/123"))["media"]["videos"] == []


async def test_a_category_takes_alt_and_ignores_image_alt(ecwid: FakeEcwid) -> None:
    """client, current source: UpdatedCategory.alt; `imageAlt` was its old name, and Ecwid
    ignores fields it does not know."""
    alt = {"main": "Shoes", "translated": {"nl": "Schoenen"}}
    await send(ecwid, "PUT", "/categories/12", json={"imageAlt": {"main": "Old"}})
    assert "alt" not in (answer := await get(ecwid, "/categories/12"))
    assert "imageAlt" not in answer
    await send(ecwid, "PUT", "/categories/12", json={"alt": alt})
    assert (await get(ecwid, "/categories/12"))["alt"] == alt


async def test_every_write_moves_the_products_update_timestamp(
    ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """client: FetchedProduct.updateTimestamp; ref: `updatedFrom` finds products changed since."""
    stocked_gallery(ecwid)
    ecwid.combinations[123] = [{"id": 601, "combinationNumber": 1, "options": []}]
    body = {"url": images.link("shoe.png"), "width": "800", "height": "600"}
    data = {"content": images.files["photo.jpg"].body}
    octets = {"headers": {"Content-Type": "application/octet-stream"}}
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/products/123/image/async", {"json": body}),
        ("POST", "/products/123/image", {**data, **octets}),
        ("DELETE", "/products/123/image", {}),
        ("POST", "/products/123/gallery/async", {"json": body}),
        ("POST", "/products/123/gallery", {**data, **octets, "params": {"fileName": "a.jpg"}}),
        ("DELETE", f"/products/123/gallery/{(await gallery(ecwid))[0][0]}", {}),
        ("PUT", "/products/123", {"json": {"media": {"images": [{"id": "0", "orderBy": 0}]}}}),
        ("POST", "/products/123/combinations/601/image/async", {"json": body}),
        ("POST", "/products/123/combinations/601/image", {**data, **octets}),
        ("PUT", "/products/123/combinations/601", {"json": {"alt": {"main": "Red"}}}),
        ("DELETE", "/products/123/combinations/601/image", {}),
    ]
    ecwid.touch(123)
    for method, path, options in writes:
        before = (await get(ecwid, "/products/123"))["updateTimestamp"]
        await send(ecwid, method, path, **options)
        assert (await get(ecwid, "/products/123"))["updateTimestamp"] > before, (method, path)
