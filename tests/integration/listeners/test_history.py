"""The image history through signed requests: a whole bulk job undone in one press (on SQLite
and PostgreSQL), a slot changed since the job skipped and listed, `/ecwid-image history`, its
Undo, the App Home (`app_home_opened` → views.publish), and the kept copies' retention."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.config import Settings
from tests.bulk_helpers import (
    bulk_form_submission,
    buttons,
    new_lines,
    photo,
    press,
    reports_done,
    stock,
    updates_of,
    uploaded_csv,
    with_old_images,
)
from tests.fakes.ecwid_api import TOKEN, FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack, SlackCall
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_undo import blocks_of, posted, reply_of
from tests.integration.listeners.test_undo import press as thread_press
from tests.slack_requests import SIGNING_SECRET, block_actions, home_press


async def finished_job(
    bot: BotUnderTest, slack: FakeSlack, lines: list[str], reports: int = 1
) -> tuple[str, SlackCall]:
    """Plan, start and wait for the end of a job: its message's ts and its final update."""
    await bot.interaction(bulk_form_submission("\n".join(lines)))
    plans = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.update") if "bulk_start" in buttons(c)][
            reports - 1 :
        ],
        timeout=10,
    )
    ts, job_id = str(plans[0].params["ts"]), buttons(plans[0])["bulk_start"]
    await bot.interaction(press("bulk_start", job_id, ts))
    await reports_done(slack, reports)  # (a long plan's CSV is no report)
    await bot.idle()
    return ts, updates_of(slack, ts)[-1]


def undo_button(update: SlackCall) -> dict[str, Any]:
    return next(
        e
        for b in update.params.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "bulk_undo"
    )


async def undo_report(slack: FakeSlack, reports: int = 2) -> tuple[str, list[dict[str, str]]]:
    """The undo job's thread report and its CSV rows (the job's own report came first)."""
    done = await reports_done(slack, reports)
    rows = uploaded_csv(slack, done[reports - 1])
    thread = [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("thread_ts") and "CSV" not in c.params["text"]
    ]
    text = "\n".join(str(c.params["text"]) for c in thread)
    return text, rows


def byte_uploads_to(ecwid: FakeEcwid, product: int) -> list[bytes]:
    return [
        c.body for c in ecwid.calls if c.method == "POST" and c.path == f"/products/{product}/image"
    ]


async def test_a_twenty_line_job_is_undone_in_one_press(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 20)
    old = with_old_images(ecwid, images, ids)
    ts, final = await finished_job(bulk_bot, slack, new_lines(images, ids))
    plan = updates_of(slack, ts)[0]
    assert "Keeping copies for Undo: about 1 extra Ecwid call " in json.dumps(plan.params)
    # The job read: the plan's look-up and its duplicate check, and the slots ahead of their lines
    # (one call for all 20).
    reads = [c for c in ecwid.calls if c.method == "GET"]
    assert [(c.path, c.query.get("productId", "").count(",") + 1) for c in reads] == [
        ("/products", 20),
        ("/products", 20),
        ("/products", 20),
    ]
    assert all(ecwid.products[n]["originalImage"]["url"].endswith(f"new-{n}.jpg") for n in ids)
    await ecwid.copy_to_cdn()  # later, Ecwid serves its own re-encoded copies: new URLs

    button = undo_button(final)
    assert button["confirm"]["text"]["text"].startswith("This puts back 20 images")
    assert (await bulk_bot.interaction(press("bulk_undo", button["value"], ts))).status_code == 200
    text, rows = await undo_report(slack)
    await bulk_bot.idle()

    for n in ids:  # the previous image's exact bytes, and its alt texts, are back
        assert byte_uploads_to(ecwid, n) == [old[n]]
        main = ecwid.products[n]["media"]["images"][0]
        assert main["alt"] == {"main": f"Old {n}", "translated": {"nl": f"Oud {n}"}}
    assert [r["outcome"] for r in rows] == ["put back"] * 20
    assert "Every image the job changed was put back" in text
    assert ecwid.rate_limited == []
    undo_message = next(
        c for c in slack.calls_to("chat.update") if "*20 put back*" in c.params["text"]
    )
    assert "bulk_undo" not in json.dumps(undo_message.params.get("blocks"))  # no undo of an undo

    # A second press changes nothing, and says so.
    await bulk_bot.interaction(press("bulk_undo", button["value"], ts))
    told = await slack.wait_until(
        lambda: [
            c for c in slack.calls_to("chat.postEphemeral") if "already undone" in c.params["text"]
        ]
    )
    assert "<@U123>" in told[0].params["text"]
    await bulk_bot.idle()
    assert all(byte_uploads_to(ecwid, n) == [old[n]] for n in ids)


async def test_a_line_changed_since_the_job_is_skipped_and_listed(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 3)
    old = with_old_images(ecwid, images, ids)
    ts, final = await finished_job(bot, slack, new_lines(images, ids))
    # Someone changes the second product's image in the Ecwid admin after the job.
    images.files["admin.jpg"] = Served(photo("admin"), "image/jpeg")
    ecwid.products[ids[1]]["originalImage"] = {"url": images.link("admin.jpg"), "width": 640}

    await bot.interaction(press("bulk_undo", undo_button(final)["value"], ts))
    text, rows = await undo_report(slack)
    await bot.idle()

    assert byte_uploads_to(ecwid, ids[0]) == [old[ids[0]]]
    assert byte_uploads_to(ecwid, ids[2]) == [old[ids[2]]]
    assert byte_uploads_to(ecwid, ids[1]) == []  # the newer change is left as it is
    assert ecwid.products[ids[1]]["originalImage"]["url"] == images.link("admin.jpg")
    assert [r["outcome"] for r in rows] == ["put back", "skipped", "put back"]
    assert "1 line skipped" in text
    assert f"Line 2: `{ids[1]} " in text and "has changed since this job" in text
    final_undo = next(c for c in slack.calls_to("chat.update") if "put back*" in c.params["text"])
    assert "*2 put back*, 1 skipped" in final_undo.params["text"]


def history_press(button: dict[str, Any], user: str = "U123") -> dict[str, Any]:
    """A button pressed in a private (ephemeral) message, as Slack sends it: the container is
    marked ephemeral and there is no message."""
    action = {
        "type": "button",
        "action_id": button["action_id"],
        "block_id": "h1",
        "value": button["value"],
        "action_ts": "1700000100.1",
    }
    return block_actions(
        action, user=user, trigger="7777.42.history", message_ts="1700000099.000001", ephemeral=True
    )


def undo_buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        b["accessory"] for b in blocks if b.get("accessory", {}).get("action_id") == "undo_upload"
    ]


def entries(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks[1:] if b["type"] == "section"]


async def test_the_history_of_a_product_lists_single_and_bulk_changes_and_undoes_them(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_old_images(ecwid, images, [123])
    images.files["single.jpg"] = Served(photo("single"), "image/jpeg")
    images.files["extra.jpg"] = Served(photo("extra"), "image/jpeg")
    await bot.command(f"123 {images.link('single.jpg')} 640x480")
    reply = await reply_of(slack)  # the thread's result, with its Undo
    await bot.idle()
    await finished_job(bot, slack, [f"123 {images.link('extra.jpg')} 640x480 to=gallery"])

    assert (await bot.command("history sku:RS-1")).status_code == 200
    shown = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.postEphemeral") if c.params.get("blocks")]
    )
    blocks = blocks_of(shown[0])
    listed = entries(blocks)
    assert "Red Shoe" in blocks[0]["text"]["text"]
    assert "added an image to the gallery" in listed[0] and "(a bulk job)" in listed[0]
    assert "replaced the main image" in listed[1]
    assert "https://shop.slack.com/archives/C123/p" in listed[1]
    gallery_undo, main_undo = undo_buttons(blocks)

    # Undo from the history: the gallery image goes, and the job's thread says so.
    gallery_before = len(ecwid.products[123]["media"]["images"])
    await bot.interaction(history_press(gallery_undo))
    await posted(slack, "removed the image from the gallery")
    await bot.idle()
    assert len(ecwid.products[123]["media"]["images"]) == gallery_before - 1
    assert [c.path for c in ecwid.calls if c.method == "DELETE"][-1].startswith(
        "/products/123/gallery/"
    )

    # The main image's change, undone from the history, is undone once: the thread's own
    # button then says so.
    await bot.interaction(history_press(main_undo))
    await posted(slack, "put back the previous image")
    await bot.idle()
    assert ecwid.products[123]["media"]["images"][0]["alt"]["main"] == "Old 123"
    await bot.command("history 123")
    again = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.postEphemeral") if c.params.get("blocks")][1:]
    )
    later = entries(blocks_of(again[0]))
    assert "undid a change of the main image" in later[0]
    assert "undid a change of the gallery" in later[1]
    assert "undone by <@U123>" in later[2]  # the gallery addition, marked undone
    assert "undone by <@U123>" in later[3]  # the upload, marked undone
    assert undo_buttons(blocks_of(again[0])) == []

    writes_before = [c for c in ecwid.calls if c.method != "GET"]
    await bot.interaction(thread_press(reply, slack.response_url()))
    answer = await slack.wait_for_response()
    assert "Already undone by <@U123>" in answer["text"]
    await bot.idle()
    assert [c for c in ecwid.calls if c.method != "GET"] == writes_before


async def test_product_12_and_category_12_each_list_only_their_own_changes(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Ecwid numbers products and categories apart: `history 12` is product 12's, and
    `history category:12` category 12's, though both changes are recorded under the id 12."""
    ecwid.products[12] = {"id": 12, "name": "Blue Boot", "sku": "BB-12", "media": media()}
    images.files["boot.jpg"] = Served(photo("boot"), "image/jpeg")
    images.files["banner.jpg"] = Served(photo("banner"), "image/jpeg")
    await bot.command(f"12 {images.link('boot.jpg')} 640x480")
    await reply_of(slack)
    await bot.command(f"category:12 {images.link('banner.jpg')} 640x480")
    await reply_of(slack, 2)
    await bot.idle()

    def histories() -> list[SlackCall]:
        return [c for c in slack.calls_to("chat.postEphemeral") if c.params.get("blocks")]

    await bot.command("history 12")
    product = blocks_of((await slack.wait_until(histories))[0])
    await bot.command("history category:12")
    category = blocks_of((await slack.wait_until(lambda: histories()[1:]))[0])

    assert product[0]["text"]["text"] == (
        ":card_index_dividers: Image changes of `Blue Boot` (#12), newest first:"
    )
    (only_product,) = entries(product)
    assert "set the main image" in only_product
    assert category[0]["text"]["text"] == (
        ":card_index_dividers: Image changes of category `Shoes` (#12), newest first:"
    )
    (only_category,) = entries(category)
    assert "the category's image" in only_category
    # Each Undo names what it undoes.
    (product_undo,) = undo_buttons(product)
    (category_undo,) = undo_buttons(category)
    assert "Blue Boot" in json.dumps(product_undo["confirm"])
    assert "Shoes" in json.dumps(category_undo["confirm"])


async def test_history_of_an_unknown_product_says_so(bot: BotUnderTest, slack: FakeSlack) -> None:
    await bot.command("history sku:NOPE")
    response = await slack.wait_for_response()
    assert "NOPE" in response["text"] and "history could not be shown" in response["text"]


async def test_history_without_a_product_explains_the_command(bot: BotUnderTest) -> None:
    answer = await bot.command("history")
    assert "Give one product" in answer.json()["text"]


async def test_the_home_tab_lists_the_persons_changes_jobs_and_settings(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_old_images(ecwid, images, [123])
    images.files["single.jpg"] = Served(photo("single"), "image/jpeg")
    await bot.command(f"123 {images.link('single.jpg')} 640x480")
    await bot.idle()
    ids = stock(ecwid, 2)
    await finished_job(bot, slack, new_lines(images, ids))

    opened = {"type": "app_home_opened", "user": "U123", "channel": "D1", "tab": "home"}
    assert (await bot.event(opened)).status_code == 200
    (published,) = await slack.wait_for_call("views.publish")
    view = published.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert published.params["user_id"] == "U123" and view["type"] == "home"
    shown = json.dumps(view)
    for action in ("home_upload", "home_bulk", "home_history", "undo_upload"):
        assert action in shown
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert any("replaced the main image of `Red Shoe`" in t for t in texts)
    assert any("*Bulk upload* (lines)" in t and "finished" in t and "2 done" in t for t in texts)
    settings = next(t for t in texts if "• Store:" in t)
    assert "SQLite" in settings and "30 days, up to 200 MB" in settings
    assert TOKEN not in shown and BOT_TOKEN not in shown and SIGNING_SECRET not in shown

    # The person's next change refreshes their Home tab.
    await bot.command(f"456 {images.link('single.jpg')} 640x480")
    refreshed = (await slack.wait_for_call("views.publish", count=2))[1]
    assert "of `Blue Hat`" in json.dumps(refreshed.params["view"])


async def test_the_home_tab_of_someone_not_allowed_shows_nothing_of_the_store(
    settings: Settings, slack: FakeSlack
) -> None:
    async with serving(replace(settings, allowed_users=frozenset({"U999"})), slack) as bot:
        await bot.event({"type": "app_home_opened", "user": "U123", "tab": "home"})
        (published,) = await slack.wait_for_call("views.publish")
    shown = json.dumps(published.params["view"])
    assert "not on the list" in shown
    assert "Store:" not in shown and "home_upload" not in shown


async def test_home_buttons_open_the_forms(bot: BotUnderTest, slack: FakeSlack) -> None:
    for action in ("home_upload", "home_bulk", "home_history"):
        assert (await bot.interaction(home_press(action))).status_code == 200
    opened = await slack.wait_for_call("views.open", count=3)
    callbacks = [
        (json.loads(c.params["view"]) if isinstance(c.params["view"], str) else c.params["view"])[
            "callback_id"
        ]
        for c in opened
    ]
    assert sorted(callbacks) == sorted(["ecwid_image_upload", "ecwid_bulk_upload", "ecwid_history"])


async def test_past_history_max_mb_the_oldest_copies_go_and_their_undo_says_so(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 4)
    first, second = ids[:2], ids[2:]
    old = with_old_images(ecwid, images, [*first, *second])
    room = sum(len(old[n]) for n in second) + 100  # the second job's copies, and no more
    tuned = replace(settings, history_max_mb=room / (1024 * 1024))
    async with serving(tuned, slack) as bot:
        ts_first, final_first = await finished_job(bot, slack, new_lines(images, first))
        await finished_job(bot, slack, new_lines(images, second), reports=2)

        # The first job's copies were dropped after the second job (oldest first): its undo
        # says so for each line, and puts nothing back.
        await bot.interaction(press("bulk_undo", undo_button(final_first)["value"], ts_first))
        text, rows = await undo_report(slack, reports=3)
        await bot.idle()
    assert all(byte_uploads_to(ecwid, n) == [] for n in first)
    assert [r["outcome"] for r in rows] == ["problem", "problem"]
    assert all("is no longer kept" in r["reason"] for r in rows)
    assert "2 lines could not be undone" in text and "HISTORY_MAX_MB" in text


async def test_a_line_whose_link_is_gone_is_skipped_unless_it_shows_the_old_image(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """A line by link is compared at undo by fetching its link again (the job downloads
    nothing it does not send): once Ecwid serves its own copy and the link is gone, the bot
    cannot tell the job's image apart, and leaves the slot as it is."""
    ids = stock(ecwid, 2)
    old = with_old_images(ecwid, images, ids)
    ts, final = await finished_job(bot, slack, new_lines(images, ids))
    await ecwid.copy_to_cdn()
    for n in ids:
        del images.files[f"new-{n}.jpg"]
    # The second product was put back by hand in the admin meanwhile.
    ecwid.products[ids[1]]["originalImage"] = {"url": images.link(f"old-{ids[1]}.jpg")}

    await bot.interaction(press("bulk_undo", undo_button(final)["value"], ts))
    text, rows = await undo_report(slack)
    await bot.idle()
    assert "2 lines skipped" in text
    assert [r["outcome"] for r in rows] == ["skipped", "skipped"]
    assert "can no longer be fetched from its link" in rows[0]["reason"]
    assert "shows the image from before this job already" in rows[1]["reason"]
    assert all(byte_uploads_to(ecwid, n) == [] for n in old)


async def test_two_lines_on_one_slot_are_undone_newest_first_back_to_the_start(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The second line keeps what the first put there (its slot is read when it runs, not
    ahead with the batch), and the undo puts the second line's back before the first's."""
    ids = stock(ecwid, 3)
    old = with_old_images(ecwid, images, ids)
    first = new_lines(images, ids)
    images.files["again.jpg"] = Served(photo("again"), "image/jpeg")
    lines = [*first, f'{ids[0]} {images.link("again.jpg")} 640x480 alt="Again"']
    ts, final = await finished_job(bot, slack, lines)
    assert ecwid.products[ids[0]]["originalImage"]["url"] == images.link("again.jpg")

    await bot.interaction(press("bulk_undo", undo_button(final)["value"], ts))
    _, rows = await undo_report(slack)
    await bot.idle()
    assert [(r["line"], r["outcome"]) for r in rows] == [
        ("1", "put back"),
        ("2", "put back"),
        ("3", "put back"),
        ("4", "put back"),
    ]
    # Line 4 put back line 1's image (as a file: its bytes), then line 1 put back the original.
    first_image = images.files[f"new-{ids[0]}.jpg"].body
    assert byte_uploads_to(ecwid, ids[0]) == [first_image, old[ids[0]]]
    main = ecwid.products[ids[0]]["media"]["images"][0]
    assert main["alt"] == {"main": f"Old {ids[0]}", "translated": {"nl": f"Oud {ids[0]}"}}
