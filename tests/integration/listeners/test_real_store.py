"""On a store that behaves as Ecwid documents it: SKU look-ups (one SKU a search, or the catalog
paged once), variation alt text, and Undo after Ecwid copied the image to its CDN."""

from __future__ import annotations

import io

from bot.config import Settings
from tests.bulk_helpers import bulk_form_submission, press, serve_photos, the_plan, the_report
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served, image_bytes, picture
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, gallery_line, serving, the_store
from tests.integration.listeners.test_slack_files import METADATA, form
from tests.integration.listeners.test_undo import posted, reply_of, with_an_image
from tests.integration.listeners.test_undo import press as press_undo
from tests.slack_requests import message_shortcut, view_submission

PNG = image_bytes("PNG", 300, 200)


def jpeg(seed: str) -> bytes:
    out = io.BytesIO()
    picture(seed, (640, 480)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def async_uploads(ecwid: FakeEcwid) -> dict[str, dict[str, object]]:
    return {c.path: c.body for c in ecwid.uploads}


async def test_a_bulk_job_of_skus_and_a_variation_sku_uploads_each_to_its_slot(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    serve_photos(images)
    lines = "\n".join(
        f'sku:{sku} {images.link(f"{sku}.jpg")} 800x600 alt="{sku} front"'
        for sku in ("RS-1", "BH-2", "RUN-42")
    )
    await bot.interaction(bulk_form_submission(lines))
    ts, job_id, plan = await the_plan(slack)
    assert "*3 uploads ready*" in plan.params["text"]
    # The catalog (3 products) fits in one page: one call found all three SKUs. (The duplicate
    # check then reads the two products' images by id, the variation's slot aside: one call.)
    lookups = [c for c in ecwid.searches if "productId" not in c.query]
    assert [c.query.get("sku") for c in lookups] == [None]
    assert [c.query.get("productId") for c in ecwid.searches if "productId" in c.query] == [
        "123,456"
    ]
    await bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert async_uploads(ecwid) == {
        f"/products/{path}/async": {
            "url": images.link(f"{sku}.jpg"),
            "width": "800",
            "height": "600",
            "alt": {"main": f"{sku} front"},
        }
        for path, sku in (
            ("123/image", "RS-1"),
            ("456/image", "BH-2"),
            ("789/combinations/501/image", "RUN-42"),
        )
    }
    assert [(r["slot"], r["outcome"]) for r in rows] == [
        ("main", "uploaded"),
        ("main", "uploaded"),
        ("variation", "uploaded"),
    ]


async def upload_these(bot: BotUnderTest, files: list[dict[str, object]]) -> None:
    shortcut = message_shortcut("use_as_product_images", {"files": files}, "C123")
    shortcut["response_url"] = bot.response_url
    await bot.interaction(shortcut)


async def test_upload_these_images_finds_three_skus_for_hosted_files_and_connect_stubs(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    hosted = [
        slack.add_file(f"F0H{n}", f"{sku}.png", PNG) for n, sku in enumerate(["RS-1", "BH-2"])
    ]
    slack.add_file("F0STUB", "RUN-42.png", PNG)
    stub = {"id": "F0STUB", "mode": "file_access", "file_access": "check_file_info"}
    await upload_these(bot, [*hosted, stub])
    ts, job_id, plan = await the_plan(slack)
    assert "*3 uploads ready*" in plan.params["text"], plan.params["blocks"]
    assert [c.params["file"] for c in slack.calls_to("files.info")] == ["F0STUB"]
    await bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    assert sorted((c.path, c.body == PNG) for c in ecwid.byte_uploads) == [
        ("/products/123/image", True),
        ("/products/456/image", True),
        ("/products/789/combinations/501/image", True),
    ]


async def test_a_variations_image_from_a_file_gets_its_alt_text(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    file = slack.add_file("F0VAR", "runner-42.png", PNG)
    values = form(
        file, product={"type": "external_select", "selected_option": {"value": "789:501"}}
    )
    await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    reply = await posted(slack, "New variation image id")
    assert ":warning:" not in reply[0].params["text"]
    (put,) = [c for c in ecwid.updates if c.path == "/products/789/combinations/501"]
    assert put.body == {"alt": {"main": "Red shoe", "translated": {"nl": "Rode schoen"}}}
    assert ecwid.combinations[789][0]["alt"] == put.body["alt"]  # read back: Ecwid shows it


async def test_undo_of_a_link_upload_works_after_ecwid_copied_it_to_its_cdn(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    previous = with_an_image(ecwid, images)
    images.files["new.jpg"] = Served(jpeg("new"), "image/jpeg")
    await bot.command(f"123 {images.link('new.jpg')}")
    reply = await reply_of(slack)
    await ecwid.copy_to_cdn()  # later: Ecwid serves its own (re-encoded) copy, at another URL
    assert ecwid.products[123]["originalImage"]["url"].startswith(ecwid.cdn.url("/cdn/"))
    await bot.interaction(press_undo(reply, bot.response_url))
    undone = await posted(slack, "put back")
    await bot.idle()
    assert (
        undone[0].params["text"]
        == ":leftwards_arrow_with_hook: <@U123> put back the previous image."
    )
    assert ecwid.byte_uploads[-1].body == previous


async def test_undo_is_refused_after_a_newer_upload(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    images.files["new.jpg"] = Served(jpeg("new"), "image/jpeg")
    images.files["newer.jpg"] = Served(jpeg("newer"), "image/jpeg")
    await bot.command(f"123 {images.link('new.jpg')}")
    first = await reply_of(slack)
    await bot.command(f"123 {images.link('newer.jpg')}")
    await reply_of(slack, 2)
    await ecwid.copy_to_cdn()
    uploads = len(ecwid.byte_uploads)
    await bot.interaction(press_undo(first, bot.response_url))
    assert "The image has changed since this upload" in (await slack.wait_for_response())["text"]
    await bot.idle()
    assert len(ecwid.byte_uploads) == uploads


async def test_undo_is_refused_after_a_change_in_the_ecwid_admin(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    images.files["new.jpg"] = Served(jpeg("new"), "image/jpeg")
    await bot.command(f"123 {images.link('new.jpg')}")
    reply = await reply_of(slack)
    await ecwid.copy_to_cdn()
    ecwid.replaced_in_admin(123, jpeg("chosen in the admin"))  # someone replaced it there
    await bot.interaction(press_undo(reply, bot.response_url))
    assert "The image has changed since this upload" in (await slack.wait_for_response())["text"]
    await bot.idle()
    assert ecwid.byte_uploads == []


def stock_skus(ecwid: FakeEcwid, count: int, first: int = 3001) -> list[str]:
    skus = []
    for n in range(first, first + count):
        ecwid.products[n] = {"id": n, "name": f"Item {n}", "sku": f"S-{n}", "media": media()}
        skus.append(f"S-{n}")
    return skus


async def test_a_job_of_300_skus_in_a_catalog_of_300_plans_with_at_most_20_searches(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products.clear()
    ecwid.combinations.clear()
    skus = stock_skus(ecwid, 300)
    serve_photos(images)
    lines = "\n".join(f"sku:{sku} {images.link('p.jpg')} 800x600" for sku in skus)
    await bot.interaction(bulk_form_submission(lines))
    _, _, plan = await the_plan(slack, timeout=30)
    assert "*300 uploads ready*" in plan.params["text"]
    assert len(ecwid.searches) <= 20
    assert [c.query.get("offset") for c in ecwid.searches] == ["0", "100", "200"]


async def test_three_skus_in_a_catalog_of_5000_take_at_most_four_searches(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    skus = stock_skus(ecwid, 5000)
    serve_photos(images)
    wanted = [skus[10], skus[2500], skus[4999]]
    lines = "\n".join(f"sku:{sku} {images.link('p.jpg')} 800x600" for sku in wanted)
    await bot.interaction(bulk_form_submission(lines))
    _, _, plan = await the_plan(slack, timeout=30)
    assert "*3 uploads ready*" in plan.params["text"]
    lookups = [c for c in ecwid.searches if "productId" not in c.query]  # not the duplicates'
    assert len(lookups) <= 4
    assert sorted(c.query["sku"] for c in lookups if "sku" in c.query) == sorted(wanted)


async def test_a_sku_in_other_letter_case_is_used_and_the_answer_says_which(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"sku:rs-1 {images.link('shoe.png')}")
    await bot.idle()
    update = slack.calls_to("chat.update")[0].params
    assert update["text"] == (
        ":white_check_mark: <@U123> replaced the main image of `Red Shoe` (#123 · SKU `RS-1`) "
        "(no SKU is `rs-1` exactly: used `RS-1`, which differs only in letter case)."
    )
    assert [c.path for c in ecwid.uploads] == ["/products/123/image/async"]


async def test_several_skus_that_differ_only_in_letter_case_are_listed_not_guessed(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.products[124] = {"id": 124, "name": "Red Shoe (old)", "sku": "Rs-1", "media": media()}
    await bot.command(f"sku:rs-1 {images.link('shoe.png')}")
    answer = (await slack.wait_for_response())["text"]
    assert answer == (
        ':x: Nothing was uploaded. No product has SKU "rs-1" exactly, and 2 have it in other '
        "letter case; nothing was chosen. Give the product by its id instead.\n"
        "• `Red Shoe` (#123 · SKU `RS-1`)\n"
        "• `Red Shoe (old)` (#124 · SKU `Rs-1`)"
    )
    assert ecwid.uploads == []


async def test_the_plan_says_which_sku_a_letter_case_match_used(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    images.files["a.jpg"] = Served(jpeg("a"), "image/jpeg")  # two photos for two products
    images.files["b.jpg"] = Served(jpeg("b"), "image/jpeg")
    lines = f"sku:rs-1 {images.link('a.jpg')} 800x600\nsku:BH-2 {images.link('b.jpg')} 800x600"
    await bot.interaction(bulk_form_submission(lines))
    _, _, plan = await the_plan(slack)
    sections = [b["text"]["text"] for b in plan.params["blocks"] if b["type"] == "section"]
    # (sections[1] says where each line goes: the SKU it matched, RS-1)
    assert "→ the main image of `Red Shoe` (#123 · SKU `RS-1`)" in sections[1]
    assert sections[2] == (
        ":information_source: No product has these lines' SKUs exactly; each uses the one SKU "
        "that differs only in letter case:\n"
        "• Line 1: `sku:rs-1 " + images.link("a.jpg") + ' 800x600` — uses SKU "RS-1": no product '
        'has "rs-1" exactly'
    )


async def test_an_alt_text_ecwid_does_not_keep_is_said_not_claimed(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.ignore_alt = True
    file = slack.add_file("F0ALT", "red-shoe.png", PNG)
    await bot.interaction(view_submission("ecwid_image_upload", form(file), METADATA))
    reply = await posted(slack, "New main image id")
    assert (
        reply[0]
        .params["text"]
        .endswith(
            ":warning: The image was replaced, but its alt text was not set: Ecwid accepted the alt "
            "text but does not show it on the image: set it in the Ecwid admin."
        )
    )


async def test_a_line_begun_before_a_restart_is_recognised_in_the_gallery_after_the_cdn_copy(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """What a resumed bulk job checks before it sends a started line again: every gallery image,
    by what it shows (Ecwid's re-encoded CDN copy is another URL and other bytes)."""
    images.files["side.jpg"] = Served(jpeg("side"), "image/jpeg")
    images.files["back.jpg"] = Served(jpeg("back"), "image/jpeg")
    side = gallery_line(456, images.link("side.jpg"))
    back = gallery_line(456, images.link("back.jpg"))
    async with serving(settings, slack) as bot:
        runner = (await the_store(bot.runtime)).runner
        assert not await runner.already_there(side)  # an empty gallery
        await bot.command(f"456 {images.link('side.jpg')} to=gallery")
        await bot.idle()
        assert await runner.already_there(side)  # the link itself, at first
        await ecwid.copy_to_cdn()
        assert await runner.already_there(side)  # Ecwid's copy: by fingerprint
        assert not await runner.already_there(back)  # another picture
