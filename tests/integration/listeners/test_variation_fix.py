"""The audit's fix for missing variation images (#37): a shirt whose Red/S and Blue/S have
photos of their own; Red/M and Red/L get the Red photo, Blue/M the Blue one; Green/S gets none
(its Size S siblings show two different photos, and no Green one has a photo). What reached
Ecwid is each variation's link; Undo this job takes them away again."""

from __future__ import annotations

import itertools
import json
from typing import Any

from tests.bulk_helpers import press, reports_done, the_plan, updates_of, uploaded_csv
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.integration.listeners.test_audit import the_card
from tests.integration.listeners.test_history import undo_button
from tests.photos import busy_shot, encoded, real_photo
from tests.slack_requests import block_actions


def _shirt(ecwid: FakeEcwid) -> dict[str, str]:
    ids = itertools.count(8001)
    red_url, _ = ecwid.to_cdn(next(ids), encoded(real_photo("astronaut.png").convert("RGB")))
    blue_url, _ = ecwid.to_cdn(next(ids), encoded(busy_shot(500, 500, seed=9)))
    main_url, renditions = ecwid.to_cdn(next(ids), encoded(busy_shot(600, 600, seed=2)))
    ecwid.products.clear()
    ecwid.combinations.clear()
    shirt = media()
    shirt["images"][0].update(imageOriginalUrl=main_url, **renditions)
    ecwid.products[5] = {
        "id": 5,
        "sku": "SHIRT",
        "name": "Shirt",
        "originalImage": {"url": main_url, "width": 600, "height": 600},
        "media": shirt,
    }

    def variation(vid: int, color: str, size: str, url: str | None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": vid,
            "sku": f"SHIRT-{color}-{size}",
            "options": [{"name": "Color", "value": color}, {"name": "Size", "value": size}],
        }
        if url:
            found.update(originalImageUrl=url, imageUrl=url)
        return found

    ecwid.combinations[5] = [
        variation(51, "Red", "S", red_url),
        variation(52, "Red", "M", None),
        variation(53, "Red", "L", None),
        variation(54, "Blue", "S", blue_url),
        variation(55, "Blue", "M", None),
        variation(56, "Green", "S", None),
    ]
    ecwid.categories = {}
    return {"red": red_url, "blue": blue_url}


def _images(ecwid: FakeEcwid) -> dict[int, str | None]:
    return {v["id"]: v.get("originalImageUrl") for v in ecwid.combinations[5]}


async def test_each_variation_without_an_image_gets_its_values_image_and_undo_takes_it_away(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    urls = _shirt(ecwid)
    before = _images(ecwid)
    await bot.command("audit")
    card = await the_card(slack)
    blocks = card.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert "audit_fix_variations" in buttons
    await bot.interaction(
        block_actions(
            buttons["audit_fix_variations"], message={"ts": card.params["ts"], "text": ""}
        )
    )
    ts, job_id, plan = await the_plan(slack)
    assert "*3 variations to give an image ready*" in plan.params["text"]
    calls_before = len(ecwid.calls)
    await bot.interaction(press("bulk_start", job_id, ts))
    done = await reports_done(slack, 2)  # the audit's files, then the job's report
    await bot.idle()
    rows = uploaded_csv(slack, done[1])
    assert sorted((r["text"], r["outcome"]) for r in rows) == [
        ("SHIRT · variation Color Blue Size M: the image of Color=Blue", "uploaded"),
        ("SHIRT · variation Color Red Size L: the image of Color=Red", "uploaded"),
        ("SHIRT · variation Color Red Size M: the image of Color=Red", "uploaded"),
    ]
    # Each went by Ecwid's own link, once, to its variation; Green/S was offered nothing.
    sent = sorted(
        (c.path, c.body["url"])
        for c in ecwid.calls[calls_before:]
        if c.method == "POST" and c.path.endswith("/image/async")
    )
    assert sent == [
        ("/products/5/combinations/52/image/async", urls["red"]),
        ("/products/5/combinations/53/image/async", urls["red"]),
        ("/products/5/combinations/55/image/async", urls["blue"]),
    ]
    assert _images(ecwid) == {**before, 52: urls["red"], 53: urls["red"], 55: urls["blue"]}

    await bot.interaction(press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts))
    done = await reports_done(slack, 3)
    await bot.idle()
    assert sorted(r["outcome"] for r in uploaded_csv(slack, done[2])) == ["put back"] * 3
    assert _images(ecwid) == before
