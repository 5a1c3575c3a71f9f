"""What a plan finds and says, through signed requests (the bulk form, a CSV file, a drop): SKUs
of products made a moment before the plan, and what every line will do before Start."""

from __future__ import annotations

import time
from typing import Any

from bot.ecwid.catalog import CONFIRM_MISSES
from tests.bulk_helpers import (
    bulk_form_submission,
    plan_uploads,
    report_uploads,
    serve_photos,
    stock,
    uploaded_csv,
)
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import BotUnderTest
from tests.integration.listeners.test_drops import drop_bot, dropped, the_drop_plan

__all__ = ["drop_bot"]  # the drop zone's bot, a fixture

NEW_FROM = 3001


async def plan_of(slack: FakeSlack, ready_before: set[str], timeout: float = 30.0) -> SlackCall:
    """The plan shown in a job message other than `ready_before`'s (their ts)."""
    update: SlackCall = await slack.wait_until(
        lambda: next(
            (
                c
                for c in slack.calls_to("chat.update")
                if "*Bulk upload*" in c.params["text"] and c.params["ts"] not in ready_before
            ),
            None,
        ),
        timeout,
    )
    return update


def csv_file(
    slack: FakeSlack, file_id: str, skus: list[str], images: FakeImageHost
) -> dict[str, Any]:
    """A CSV file of a line a SKU, shared in Slack."""
    rows = ["product,image_url", *(f"sku:{sku},{images.link(f'{sku}.jpg')}" for sku in skus)]
    data = ("\n".join(rows) + "\n").encode()
    return slack.add_file(file_id, f"{file_id}.csv", data, mimetype="text/csv")


async def index_read(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> str:
    """A first plan by SKU: the bot reads the whole catalog into its index. Its message's ts."""
    first = stock(ecwid, 2)
    serve_photos(images)
    lines = "\n".join(f"sku:BULK-{n} {images.link(f'p{n}.jpg')}" for n in first)
    await bot.interaction(bulk_form_submission(lines))
    plan = await plan_of(slack, set())
    assert "*2 uploads ready*" in plan.params["text"]
    assert not any("updatedFrom" in c.query for c in ecwid.searches)  # the index is fresh
    return str(plan.params["ts"])


async def test_products_made_just_after_the_index_was_read_are_all_planned(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    first = await index_read(bot, slack, ecwid, images)
    # 300 products are made in the store's admin a moment later (Ecwid stamps each).
    skus = []
    for n in range(NEW_FROM, NEW_FROM + 300):
        ecwid.products[n] = {"id": n, "name": f"New {n}", "sku": f"NEW-{n}"}
        ecwid.touch(n)
        skus.append(f"NEW-{n}")
    searches = len(ecwid.searches)
    await bot.interaction(bulk_form_submission(csv_file=csv_file(slack, "F0NEW", skus, images)))
    plan = await plan_of(slack, {first})
    assert "*300 uploads ready*" in plan.params["text"], plan.params["text"]
    read = ecwid.searches[searches:]
    # What changed since the index was read, three pages of it: no search a SKU.
    assert [c.query.get("offset") for c in read if "updatedFrom" in c.query] == ["0", "100", "200"]
    assert not any("sku" in c.query for c in read)


async def test_misses_the_changes_do_not_list_are_searched_again_the_first_twenty(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    first = await index_read(bot, slack, ecwid, images)
    # 25 products made now, stamped by an Ecwid whose clock is an hour behind the bot's:
    # `updatedFrom` (Ecwid's time) leaves them out.
    skus = []
    for n in range(NEW_FROM, NEW_FROM + 25):
        ecwid.products[n] = {"id": n, "name": f"Lagging {n}", "sku": f"LAG-{n}"}
        ecwid.products[n]["updateTimestamp"] = int(time.time()) - 3600
        skus.append(f"LAG-{n}")
    searches = len(ecwid.searches)
    await bot.interaction(bulk_form_submission(csv_file=csv_file(slack, "F0LAG", skus, images)))
    plan = await plan_of(slack, {first})
    text = plan.params["text"]
    assert "*20 uploads ready*, 5 lines with problems" in text, text
    by_sku = [c.query["sku"] for c in ecwid.searches[searches:] if "sku" in c.query]
    assert sorted(by_sku) == skus[:CONFIRM_MISSES]  # one exact search each, the first 20
    listed = [
        line
        for block in plan.params["blocks"]
        for line in str(block.get("text", {}).get("text", "")).splitlines()
        if "not checked again" in line
    ]
    assert len(listed) == 5
    for line, sku in zip(listed, skus[CONFIRM_MISSES:], strict=True):
        assert f"`sku:{sku}," in line and f'no product with SKU "{sku}"' in line


def plan_items(plan: SlackCall) -> list[str]:
    """The list items of the plan's message, as Slack shows them."""
    return [
        line
        for block in plan.params["blocks"]
        for line in str(block.get("text", {}).get("text", "")).splitlines()
        if line.startswith(("• ", "…"))
    ]


async def test_a_dropped_photo_with_a_caption_shows_where_it_will_go(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ecwid.products[900] = {"id": 900, "name": "Tee", "sku": "TEE-9", "media": media()}
    event = dropped(slack, ["IMG_1234.jpg", "IMG_1235.jpg"], text="new shots sku:TEE-9")
    await drop_bot.event(event, event_id="EvWhere")
    _, _, plan = await the_drop_plan(slack)
    await drop_bot.idle()
    assert "*2 uploads ready*" in plan.params["text"]
    assert plan_items(plan) == [
        "• Line 1: `IMG_1234.jpg` → the main image of `Tee` (#900 · SKU `TEE-9`)",
        "• Line 2: `IMG_1235.jpg` → the gallery of `Tee` (#900 · SKU `TEE-9`)",
    ]
    assert plan_uploads(slack) == []  # a short plan is whole in its message


async def test_a_long_csv_plan_names_its_first_lines_and_its_csv_holds_every_target(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 28)
    serve_photos(images)
    rows = [
        "product,image_url,to",
        f"sku:RUN-42,{images.link('v.jpg')},",  # a variation's SKU
        f"category:12,{images.link('c.jpg')},",
        *(f"sku:BULK-{n},{images.link(f'p{n}.jpg')},gallery" for n in ids),
        f"sku:NOPE-1,{images.link('x.jpg')},",  # no such SKU
    ]
    data = ("\n".join(rows) + "\n").encode()
    file = slack.add_file("F0LONG", "long.csv", data, mimetype="text/csv")
    await bot.interaction(bulk_form_submission(csv_file=file))
    plan = await plan_of(slack, set())
    assert "*30 uploads ready*, 1 line with problems" in plan.params["text"]
    items = plan_items(plan)
    assert items[:3] == [
        "• Line 2: `sku:RUN-42,"
        + images.link("v.jpg")
        + ",` → the image of variation `Size 42` (SKU `RUN-42`) of `Runner` (#789)",
        "• Line 3: `category:12,"
        + images.link("c.jpg")
        + ",` → the image of category `Shoes` (#12)",
        f"• Line 4: `sku:BULK-{ids[0]},"
        + images.link(f"p{ids[0]}.jpg")
        + f",gallery` → the gallery of `Item {ids[0]}` (#{ids[0]} · SKU `BULK-{ids[0]}`)",
    ]
    assert items[10] == "…and 20 lines more in the plan's CSV file (in the thread)."
    # The plan's CSV file, in the job's thread: every line, with its target or its problem.
    (upload,) = await slack.wait_until(lambda: plan_uploads(slack))
    assert upload.params["thread_ts"] == plan.params["ts"]
    table = uploaded_csv(slack, upload)
    assert len(table) == 31
    assert [(r["line"], r["plan"], r["slot"], r["product_id"], r["sku"]) for r in table[:2]] == [
        ("2", "ready", "variation", "789", "RUN-42"),
        ("3", "ready", "category", "12", ""),
    ]
    assert table[0]["variation"] == "Size 42" and table[1]["product_name"] == "Shoes"
    for row, n in zip(table[2:30], ids, strict=True):
        assert (row["plan"], row["slot"], row["product_id"], row["sku"]) == (
            "ready",
            "gallery",
            str(n),
            f"BULK-{n}",
        )
    last = table[30]
    assert (last["line"], last["plan"], last["product_id"]) == ("32", "problem (not to be run)", "")
    assert 'SKU "NOPE-1"' in last["reason"]
    assert report_uploads(slack) == []  # a plan's CSV is no report: nothing ran


async def test_a_dropped_file_named_for_a_product_updatedfrom_missed_is_planned(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 2)
    first = dropped(slack, [f"BULK-{n}.jpg" for n in ids], ts="1700000600.000100")
    await drop_bot.event(first, event_id="EvIndex")
    _, _, plan = await the_drop_plan(slack)  # the names' SKUs: the index is read
    assert "*2 uploads ready*" in plan.params["text"]
    # A product made now by an Ecwid whose clock is an hour behind: `updatedFrom` misses it.
    ecwid.products[NEW_FROM] = {"id": NEW_FROM, "name": "Lagging", "sku": "LAG-7", "media": media()}
    ecwid.products[NEW_FROM]["updateTimestamp"] = int(time.time()) - 3600
    second = dropped(slack, ["LAG-7_2.jpg"], ts="1700000700.000100", user="U777")
    await drop_bot.event(second, event_id="EvLag")
    plan = await plan_of(slack, {str(plan.params["ts"])})
    await drop_bot.idle()
    assert "*1 upload ready*" in plan.params["text"], plan.params["text"]
    assert plan_items(plan) == [
        f"• Line 1: `LAG-7_2.jpg` → the gallery of `Lagging` (#{NEW_FROM} · SKU `LAG-7`)",
        "• Line 1: `LAG-7_2.jpg` — read as SKU LAG-7, the gallery (SKU_2.jpg)",
    ]
    # Both readings of the name were searched for again: LAG-7_2 (main) and LAG-7 (gallery).
    assert sorted(c.query["sku"] for c in ecwid.searches if "sku" in c.query) == [
        "LAG-7",
        "LAG-7_2",
    ]


async def test_a_new_product_the_index_missed_wins_over_an_option_value_of_another(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """`LAG-red.jpg` when LAG is a product with a Red variation and LAG-red a product made just
    now, missed by `updatedFrom`: the SKU that exists wins over the value reading (#36), even
    before the index has caught up with it."""
    ids = stock(ecwid, 1)
    ecwid.products[NEW_FROM + 1] = {
        "id": NEW_FROM + 1,
        "name": "Lag shirt",
        "sku": "LAG",
        "media": media(),
        "options": [{"type": "SELECT", "name": "Color", "choices": [{"text": "Red"}]}],
    }
    ecwid.combinations[NEW_FROM + 1] = [{"id": 77, "options": [{"name": "Color", "value": "Red"}]}]
    first = dropped(slack, [f"BULK-{ids[0]}.jpg"], ts="1700000600.000100")
    await drop_bot.event(first, event_id="EvIndex2")
    _, _, plan = await the_drop_plan(slack)  # the index is read
    lagging = {"id": NEW_FROM, "name": "Red lag", "sku": "LAG-red", "media": media()}
    ecwid.products[NEW_FROM] = {**lagging, "updateTimestamp": int(time.time()) - 3600}
    second = dropped(slack, ["LAG-red.jpg"], ts="1700000700.000100", user="U777")
    await drop_bot.event(second, event_id="EvLag2")
    plan = await plan_of(slack, {str(plan.params["ts"])})
    await drop_bot.idle()
    assert plan_items(plan)[0] == (
        f"• Line 1: `LAG-red.jpg` → the main image of `Red lag` (#{NEW_FROM} · SKU `LAG-red`)"
    )
