"""What a plan finds and says, through signed requests (the bulk form, a CSV file, a drop): SKUs
of products made a moment before the plan, and what every line will do before Start."""

from __future__ import annotations

import time
from typing import Any

from bot.ecwid.catalog import CONFIRM_MISSES
from tests.bulk_helpers import bulk_form_submission, serve_photos, stock
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import BotUnderTest

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
