"""Is this still our image? Undo, a resumed bulk line and the duplicate check, with pictures that
can catch a mix-up: one flat colour at two sizes, one real photo and the same shot recoloured,
and Ecwid's re-encoded copy at the original's size (bot.images.identity)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from bot.changes.slot_change import SlotChange
from bot.config import Settings
from bot.domain.errors import UserFacingError
from tests.bulk_helpers import press as press_bulk
from tests.bulk_helpers import stock, the_report, uploaded_products
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, gallery_line, serving, the_store
from tests.integration.listeners.test_drops import drop_bot, dropped, the_drop_plan  # noqa: F401
from tests.integration.listeners.test_undo import blocks_of, posted, press, reply_of, with_an_image
from tests.photos import encoded, flat, real_photo, recoloured

CHANGED_SINCE = (
    ":no_entry_sign: The image has changed since this upload (someone uploaded again or "
    "edited it): undo would overwrite the newer change, so nothing was changed."
)


def coffee() -> Image.Image:
    return real_photo("coffee.png").convert("RGB")  # 600 × 400


def writes(ecwid: FakeEcwid) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in ecwid.calls if c.method in ("POST", "DELETE", "PUT")]


async def undo_after_a_newer_upload(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, a: bytes, b: bytes
) -> list[tuple[str, str]]:
    """A goes up, then B; Ecwid copies B to its CDN (neither link decides any more); then A's
    Undo is pressed. What Ecwid was asked to change by the press."""
    with_an_image(ecwid, images)
    images.files["a.png"] = Served(a, "image/png")
    images.files["b.png"] = Served(b, "image/png")
    await bot.command(f"123 {images.link('a.png')}")
    first = await reply_of(slack)
    await bot.command(f"123 {images.link('b.png')}")
    await reply_of(slack, 2)
    await bot.idle()
    await ecwid.copy_to_cdn()
    before = writes(ecwid)
    await bot.interaction(press(first, bot.response_url))
    await bot.idle()
    assert (await slack.wait_for_response())["text"] == CHANGED_SINCE
    return writes(ecwid)[len(before) :]


async def test_undo_refuses_after_a_flat_picture_of_the_same_colour_at_another_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    a = flat((200, 30, 40), (640, 480))
    b = flat((200, 30, 40), (800, 600))
    assert await undo_after_a_newer_upload(bot, slack, ecwid, images, a, b) == []
    assert ecwid.products[123]["originalImage"]["width"] == 800  # B is still there


async def test_undo_refuses_after_the_same_shot_recoloured_at_the_same_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    a = encoded(coffee(), "PNG")
    b = encoded(recoloured(coffee()), "PNG")
    assert await undo_after_a_newer_upload(bot, slack, ecwid, images, a, b) == []


async def test_undo_recognises_ecwids_re_encoded_cdn_copy_at_the_originals_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    previous = with_an_image(ecwid, images)
    images.files["a.png"] = Served(encoded(coffee(), "PNG"), "image/png")
    await bot.command(f"123 {images.link('a.png')}")
    reply = await reply_of(slack)
    await bot.idle()
    # Read once: its check read the small file whole, and what it shows is had from those bytes.
    assert [hit.path for hit in images.hits].count("a.png") == 1
    await ecwid.copy_to_cdn()  # another URL, other bytes (JPEG), the same picture and size
    served = ecwid.products[123]["originalImage"]
    assert served["url"].startswith(ecwid.cdn.url("/cdn/"))
    assert (served["width"], served["height"]) == (600, 400)
    await bot.interaction(press(reply, bot.response_url))
    await posted(slack, "put back")
    assert ecwid.byte_uploads[-1].body == previous


async def test_a_resumed_line_recognises_its_own_image_and_nothing_else(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """What a resumed bulk job checks before it sends a started line again."""
    images.files["a.png"] = Served(encoded(coffee(), "PNG"), "image/png")
    images.files["a-blue.png"] = Served(encoded(recoloured(coffee()), "PNG"), "image/png")
    images.files["red.png"] = Served(flat((200, 30, 40), (640, 480)), "image/png")
    images.files["red-large.png"] = Served(flat((200, 30, 40), (800, 600)), "image/png")

    def line(name: str) -> SlotChange:
        return gallery_line(456, images.link(name))

    async with serving(settings, slack) as bot:
        runner = (await the_store(bot.runtime)).runner
        for name in ("a.png", "red.png"):
            await bot.command(f"456 {images.link(name)} to=gallery")
        await bot.idle()
        await ecwid.copy_to_cdn()  # Ecwid's copies: other URLs and bytes
        assert await runner.already_there(line("a.png"))
        assert await runner.already_there(line("red.png"))
        assert not await runner.already_there(line("a-blue.png"))
        assert not await runner.already_there(line("red-large.png"))


async def test_the_duplicate_check_lets_a_recolour_an_upgrade_and_a_size_chart_go(
    drop_bot: BotUnderTest,  # noqa: F811
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
) -> None:
    ids = stock(ecwid, 4)
    for n in ids:  # SKUs a file name reads one way only (BULK-2001 could be BULK's image 2001)
        ecwid.products[n]["sku"] = f"CUP{n}"
    # The first product shows the coffee photo (600 × 400) in its gallery, copied by Ecwid.
    images.files["coffee.png"] = Served(encoded(coffee(), "PNG"), "image/png")
    ecwid.products[ids[0]]["media"]["images"].append(
        {"id": "77", "isMain": False, "orderBy": 1, "imageOriginalUrl": images.link("coffee.png")}
    )
    ecwid.sizes[images.link("coffee.png")] = (600, 400)
    await ecwid.copy_to_cdn()
    chart = encoded(real_photo("text.png").convert("RGB"), "JPEG")
    larger = coffee().resize((1200, 800), Image.Resampling.LANCZOS)
    names = [
        f"CUP{ids[0]}_2.jpg",  # the same photo again, re-encoded: a duplicate
        f"CUP{ids[0]}_3.jpg",  # the same shot in blue: another photo
        f"CUP{ids[0]}_4.jpg",  # the same photo, larger: an upgrade
        *(f"CUP{n}_2.jpg" for n in ids[1:]),  # one size chart for three products
    ]
    bodies = [
        encoded(coffee(), "JPEG", quality=75),
        encoded(recoloured(coffee()), "JPEG"),
        encoded(larger, "JPEG"),
        chart,
        chart,
        chart,
    ]
    files = [
        slack.add_file(f"FID{n}", name, body, "image/jpeg")
        for n, (name, body) in enumerate(zip(names, bodies, strict=True))
    ]
    event = {**dropped(slack, []), "files": files}
    await drop_bot.event(event, event_id="EvIdentity")
    ts, job_id, plan = await the_drop_plan(slack)
    assert "*5 uploads ready*" in plan.params["text"]
    shown = "\n".join(b["text"]["text"] for b in blocks_of(plan) if b["type"] == "section")
    said = {name: line for line in shown.split("\n") for name in names if f"`{name}`" in line}
    assert said[names[0]].endswith("— Already on the product, in the gallery as image 1.")
    assert "note:" not in said[names[1]]  # nothing to say about another photo
    assert said[names[2]].endswith(
        "note: a larger copy of the photo the product shows in the gallery as image 1: an "
        "upgrade, so it goes ahead."
    )
    for name in names[3:]:
        assert said[name].endswith(
            "note: the same picture goes to 3 products in this plan: intended?"
        )

    await drop_bot.interaction(press_bulk("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [(r["text"], r["outcome"]) for r in rows] == [
        (names[0], "duplicate (left out)"),
        *((name, "uploaded") for name in names[1:]),
    ]
    assert sorted(uploaded_products(ecwid)) == [ids[0], ids[0], *ids[1:]]  # lines run in parallel


async def test_undo_refuses_after_the_same_shot_with_a_price_label_at_the_same_size(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    labelled = coffee()
    draw = ImageDraw.Draw(labelled)
    draw.rectangle((480, 344, 552, 368), fill=(255, 255, 255))  # 12 % × 6 % of the picture
    draw.text((482, 345), "9.99", fill=(200, 0, 0))
    a = encoded(coffee(), "PNG")
    assert (
        await undo_after_a_newer_upload(bot, slack, ecwid, images, a, encoded(labelled, "PNG"))
        == []
    )


async def test_undo_of_a_file_refuses_after_an_edit_in_the_admin_of_the_same_shot(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Sent as bytes, an image has Ecwid's own URL at once: another URL is another image, even
    one its identity could not tell from it."""
    with_an_image(ecwid, images)
    images.files["a.tif"] = Served(encoded(coffee(), "TIFF"), "image/tiff")  # converted: bytes
    await bot.command(f"123 {images.link('a.tif')}")
    reply = await reply_of(slack)
    await bot.idle()
    ecwid.replaced_in_admin(123, encoded(coffee(), "JPEG", quality=95))  # the same shot again
    before = writes(ecwid)
    await bot.interaction(press(reply, bot.response_url))
    await bot.idle()
    assert (await slack.wait_for_response())["text"] == CHANGED_SINCE
    assert writes(ecwid) == before


async def test_a_resumed_line_that_cannot_read_the_gallery_is_not_sent_again(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """In doubt, a started line is not sent again: it fails saying why (it could appear twice)."""
    images.files["a.png"] = Served(encoded(coffee(), "PNG"), "image/png")
    images.files["gone.png"] = Served(encoded(recoloured(coffee()), "PNG"), "image/png")
    ecwid.products[456]["media"] = {
        "images": [
            {"id": "0", "isMain": True, "orderBy": 0, "alt": {}},
            {"id": "5", "isMain": False, "orderBy": 1, "imageOriginalUrl": images.link("gone.png")},
        ]
    }
    del images.files["gone.png"]  # what the gallery shows cannot be read now
    async with serving(settings, slack) as bot:
        with pytest.raises(UserFacingError) as doubt:
            await (await the_store(bot.runtime)).runner.already_there(
                gallery_line(456, images.link("a.png"))
            )
    assert doubt.value.message.startswith(
        "The bot restarted during this line's upload and could not tell whether Ecwid has the "
        "image already, so it was not sent again"
    )
