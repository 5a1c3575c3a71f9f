"""A category's image through signed requests: the command, the form's type-ahead, the thread
report and its Undo, against the loopback Ecwid's categories (the slot table's category row;
the official client's FetchedCategory and UpdatedCategory)."""

from __future__ import annotations

from bot.slack.views.upload_form import PRODUCT
from tests.bulk_helpers import photo
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.integration.listeners.test_undo import posted, press, reply_of
from tests.photos import webp_photo
from tests.slack_requests import block_suggestion


async def test_a_categorys_image_is_replaced_reported_and_undone(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["banner-old.jpg"] = Served(photo("banner-old"), "image/jpeg")
    images.files["banner.jpg"] = Served(photo("banner"), "image/jpeg")
    ecwid.categories[12]["originalImage"] = {
        "url": images.link("banner-old.jpg"),
        "width": 640,
        "height": 480,
    }
    ecwid.categories[12]["alt"] = {"main": "Old shoes", "translated": {"nl": "Oude schoenen"}}

    answer = await bot.command(f'category:12 {images.link("banner.jpg")} 640x480 alt="Shoes"')
    assert answer.status_code == 200
    reply = await reply_of(slack)
    await bot.idle()
    sent = [(c.path, c.body) for c in ecwid.calls if c.method == "POST"]
    assert sent == [
        (
            "/categories/12/image/async",
            {
                "url": images.link("banner.jpg"),
                "width": "640",
                "height": "480",
                "alt": {"main": "Shoes"},
            },
        )
    ]
    assert "New category image id" in reply.params["text"]
    parent = [
        c for c in slack.calls_to("chat.update") if "category `Shoes` (#12)" in c.params["text"]
    ]
    assert "replaced the image of category `Shoes` (#12)" in parent[0].params["text"]

    await bot.interaction(press(reply, slack.response_url()))
    await posted(slack, "put back the previous image")
    await bot.idle()
    restored = [
        c.body for c in ecwid.calls if c.path == "/categories/12/image" and c.method == "POST"
    ]
    assert restored == [photo("banner-old")]
    alt = [c.body for c in ecwid.calls if c.method == "PUT" and c.path == "/categories/12"]
    # client, current source: UpdatedCategory.alt (its old name `imageAlt` is ignored now)
    assert alt == [{"alt": {"main": "Old shoes", "translated": {"nl": "Oude schoenen"}}}]
    assert ecwid.categories[12]["alt"] == {
        "main": "Old shoes",
        "translated": {"nl": "Oude schoenen"},
    }


async def test_a_converted_photo_for_a_category_gets_its_alt_text_as_alt(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The bytes call takes no alt text: it is set afterwards with `PUT /categories/{id}` and
    `alt {main, translated}`, as the official client's UpdatedCategory names it now."""
    images.files["banner.webp"] = Served(webp_photo(640, 480), "image/webp")
    await bot.command(f'category:12 {images.link("banner.webp")} alt="Shoes" alt.nl="Schoenen"')
    reply = await reply_of(slack)
    await bot.idle()
    assert [c.path for c in ecwid.calls if c.method == "POST"] == ["/categories/12/image"]
    alt = [c.body for c in ecwid.calls if c.method == "PUT" and c.path == "/categories/12"]
    assert alt == [{"alt": {"main": "Shoes", "translated": {"nl": "Schoenen"}}}]
    assert ecwid.categories[12]["alt"] == {"main": "Shoes", "translated": {"nl": "Schoenen"}}
    assert "alt text" not in reply.params["text"]


async def test_a_category_has_no_gallery(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"category:12 {images.link('photo.jpg')} to=gallery")
    response = await slack.wait_for_response()
    assert "A category has one image, not a gallery" in response["text"]
    await bot.idle()
    assert [c for c in ecwid.calls if c.method != "GET"] == []


async def test_the_type_ahead_offers_categories_after_products(
    bot: BotUnderTest, ecwid: FakeEcwid
) -> None:
    answer = await bot.interaction(block_suggestion(PRODUCT, "sho"))
    options = answer.json()["options"]
    assert {
        "text": {"type": "plain_text", "text": "Category: Shoes · #12"},
        "value": "category:12",
    } in [
        {"text": {"type": o["text"]["type"], "text": o["text"]["text"]}, "value": o["value"]}
        for o in options
    ]
    assert options[-1]["value"] == "category:12"
