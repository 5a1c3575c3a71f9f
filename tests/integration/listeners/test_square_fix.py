"""The audit's square fix (#37) at the loopback Ecwid: a landscape main image on a light studio
sweep, a portrait gallery image between two square ones, a variation of no known size (and one
square already), and a category's landscape image. What reaches Ecwid is checked by its pixels:
padded to the long side, the padding's colour, the sweep made white with the product and its
shadow kept; the gallery's order and every alt text kept; then Undo this job puts every image
back, bytes for bytes, in its place. Both models of Ecwid's gallery ids."""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from bot.config import Settings
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.jobs.history import History
from tests.bulk_helpers import press, reports_done, the_plan, updates_of, uploaded_csv
from tests.fakes.ecwid_api import GALLERY_ID_MODELS, STORE_ID, FakeEcwid, Fault, media
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_audit import the_card
from tests.integration.listeners.test_history import undo_button
from tests.photos import PRODUCT, SHADOW, busy_shot, encoded, real_photo, studio_shot
from tests.slack_requests import block_actions, view_submission

pytestmark = pytest.mark.parametrize("ecwid", GALLERY_ID_MODELS, indirect=True)

MAIN_ALT = {"main": "Red boot", "translated": {"nl": "Rode laars"}}
BACK_ALT = {"main": "Back of the boot", "translated": {"nl": "Achterkant"}}
VARIATION_ALT = {"main": "Red boot, red"}
CATEGORY_ALT = {"main": "Boots", "translated": {"nl": "Laarzen"}}


def _photo(name: str, size: tuple[int, int]) -> bytes:
    return encoded(real_photo(name).convert("RGB").resize(size))


def _square_catalog(ecwid: FakeEcwid) -> dict[str, bytes]:
    """Product 1: a 600×400 studio shot as its main image; its gallery a square photo, a 300×500
    busy portrait and another square photo. Product 2: square main image; variation 201 a
    400×300 image, 202 a square one (Ecwid gives no variation's size). Category 31: 800×600."""
    pictures = {
        "main": encoded(studio_shot(600, 400)),
        "first": _photo("astronaut.png", (500, 500)),
        "portrait": encoded(busy_shot(300, 500)),
        "last": _photo("coffee.png", (400, 400)),
        "square main": encoded(studio_shot(500, 500, sweep=230)),
        "red": encoded(busy_shot(400, 300, seed=3)),
        "blue": encoded(busy_shot(300, 300, seed=5)),
        "category": encoded(busy_shot(800, 600, seed=11)),
    }
    ids = itertools.count(7001)
    urls = {}
    renditions = {}
    for name, data in pictures.items():
        urls[name], renditions[name] = ecwid.to_cdn(next(ids), data)
    ecwid.languages = {"enabledLanguages": ["en", "nl"], "defaultLanguage": "en"}
    ecwid.products.clear()
    ecwid.combinations.clear()

    def image(name: str, place: int, alt: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": str(60 + place),
            "isMain": False,
            "orderBy": place,
            "alt": alt,
            "imageOriginalUrl": urls[name],
            **renditions[name],
        }

    boot = media(
        image("first", 1, {"main": "Front"}),
        image("portrait", 2, BACK_ALT),
        image("last", 3, {}),
    )
    boot["images"][0].update(alt=MAIN_ALT, imageOriginalUrl=urls["main"], **renditions["main"])
    ecwid.products[1] = {
        "id": 1,
        "sku": "BOOT",
        "name": "Boot",
        "nameTranslated": {"en": "Boot", "nl": "Laars"},
        "defaultCategoryId": 31,
        "categoryIds": [31],
        "originalImage": {"url": urls["main"], "width": 600, "height": 400},
        "media": boot,
    }
    hat = media()
    hat["images"][0].update(imageOriginalUrl=urls["square main"], **renditions["square main"])
    ecwid.products[2] = {
        "id": 2,
        "sku": "HAT",
        "name": "Hat",
        "defaultCategoryId": 31,
        "categoryIds": [31],
        "originalImage": {"url": urls["square main"], "width": 500, "height": 500},
        "media": hat,
    }
    ecwid.combinations[2] = [
        {
            "id": 201,
            "options": [{"name": "Color", "value": "Red"}],
            "originalImageUrl": urls["red"],
            "imageUrl": urls["red"],
            "alt": VARIATION_ALT,
        },
        {
            "id": 202,
            "options": [{"name": "Color", "value": "Blue"}],
            "originalImageUrl": urls["blue"],
            "imageUrl": urls["blue"],
        },
    ]
    ecwid.categories = {
        31: {
            "id": 31,
            "name": "Boots",
            "parentId": 0,
            "originalImage": {"url": urls["category"], "width": 800, "height": 600},
            "originalImageUrl": urls["category"],
            "alt": CATEGORY_ALT,
        }
    }
    return pictures


def _shown(ecwid: FakeEcwid, url: str) -> bytes:
    name = url.rsplit("/", 1)[1]
    return ecwid.cdn.files[name]


def _gallery(ecwid: FakeEcwid) -> list[tuple[bytes, Any]]:
    """Product 1's media images in order: the bytes each shows, and its alt texts."""
    images = sorted(ecwid.products[1]["media"]["images"], key=lambda i: int(i["orderBy"]))
    return [(_shown(ecwid, i["imageOriginalUrl"]), i.get("alt") or {}) for i in images]


def _opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image.convert("RGB")


def _near(pixel: object, colour: tuple[int, int, int], within: int = 14) -> bool:
    assert isinstance(pixel, tuple)
    return all(abs(a - b) <= within for a, b in zip(pixel, colour, strict=False))


async def test_the_square_fix_pads_every_image_in_its_place_keeps_alt_texts_and_undo_puts_back(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    pictures = _square_catalog(ecwid)
    before = _gallery(ecwid)
    view = await _square_form(bot, slack)
    assert view["callback_id"] == "audit_fix_square"
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    every_slot = inputs["square_slots"]["initial_options"]
    assert [o["value"] for o in every_slot] == ["main", "gallery", "variation", "category"]
    refused = await bot.interaction(
        view_submission(
            "audit_fix_square",
            {"square_slots": {"type": "checkboxes", "selected_options": []}},
            view["private_metadata"],
        )
    )
    assert refused.json()["errors"] == {"square_slots": "Choose at least one kind of image."}
    await bot.interaction(
        view_submission(
            "audit_fix_square",
            _chosen([o["value"] for o in every_slot], True),
            view["private_metadata"],
        )
    )
    ts, job_id, plan = await the_plan(slack)
    assert "*5 images to pad to a square ready*" in plan.params["text"]
    calls_before = len(ecwid.calls)
    await bot.interaction(press("bulk_start", job_id, ts))
    done = await reports_done(slack, 2)  # the audit's files, then the job's report
    rows = uploaded_csv(slack, done[1])
    await bot.idle()
    by_line = sorted((r["text"], r["outcome"], r["reason"]) for r in rows)
    assert by_line == sorted(
        [
            ("BOOT · main image: 600×400 → 600×600, white backdrop", "padded to a square", ""),
            ("BOOT · gallery image: 300×500 → 500×500, white backdrop", "padded to a square", ""),
            (
                "HAT · variation image: size unknown, padded if not square, white backdrop",
                "padded to a square",
                "",
            ),
            (
                "HAT · variation image: size unknown, padded if not square, white backdrop",
                "left as it is",
                "Square already: left as it is.",
            ),
            ("31 · category image: 800×600 → 800×800, white backdrop", "padded to a square", ""),
        ]
    )
    # Exactly four images went up as bytes, one a slot: nothing twice, nothing by link.
    posted = [call for call in ecwid.calls[calls_before:] if call.method == "POST"]
    assert all(isinstance(call.body, bytes) for call in posted)
    assert sorted(call.path for call in posted) == sorted(
        [
            "/products/1/image",
            "/products/1/gallery",
            "/products/2/combinations/201/image",
            "/categories/31/image",
        ]
    )
    # The main image: 600×600, its sweep and padding white, the product and its shadow kept.
    main = _opened(_shown(ecwid, ecwid.products[1]["originalImage"]["url"]))
    assert main.size == (600, 600)
    for corner in ((3, 3), (596, 3), (3, 596), (596, 596), (30, 300)):
        assert _near(main.getpixel(corner), (255, 255, 255), within=4), corner
    assert _near(main.getpixel((300, 100 + 200)), PRODUCT)
    assert _near(main.getpixel((300 - 110, 100 + 305)), SHADOW)
    # The gallery: the portrait padded in its own place (second of three), with its alt texts;
    # the others as they were; the main image's alt texts kept.
    after = _gallery(ecwid)
    assert len(after) == 4
    assert after[0][1] == MAIN_ALT
    assert after[1] == before[1] and after[3] == before[3]
    portrait = _opened(after[2][0])
    assert portrait.size == (500, 500) and after[2][1] == BACK_ALT
    original = busy_shot(300, 500)
    assert _near(portrait.getpixel((100 + 15, 250)), original.getpixel((15, 250)), within=20)
    assert _near(portrait.getpixel((20, 250)), (255, 255, 255), within=4)  # a busy edge: white
    # The variation: padded, its alt text kept; the square one untouched.
    red, blue = ecwid.combinations[2]
    assert _opened(_shown(ecwid, red["originalImageUrl"])).size == (400, 400)
    assert red["alt"] == VARIATION_ALT
    assert _shown(ecwid, blue["originalImageUrl"]) == pictures["blue"]
    # The category: padded with white, its alt texts kept.
    category = ecwid.categories[31]
    assert _opened(_shown(ecwid, category["originalImage"]["url"])).size == (800, 800)
    assert category["alt"] == CATEGORY_ALT
    # The report's thread shows one image before and after.
    report = next(
        c for c in slack.calls_to("chat.postMessage") if ":left_right_arrow:" in c.params["text"]
    )
    assert "its old image" in report.params["text"] and "the new image" in report.params["text"]
    # … and as files: the original (its kept copy) and the padded image, as Ecwid serves it.
    shown_files = {}
    for call in slack.calls_to("files.completeUploadExternal"):
        described = call.params["files"]
        for file in json.loads(described) if isinstance(described, str) else described:
            shown_files[file.get("title")] = slack.files[file["id"]][0]
    label = "BOOT · main image: 600×400 → 600×600, white backdrop"
    assert shown_files[f"Before: {label}"] == pictures["main"]
    assert shown_files[f"After: {label}"] == _shown(
        ecwid, ecwid.products[1]["originalImage"]["url"]
    )

    # After the job, someone puts a new main image on the boot: its Undo must leave it.
    newer = _photo("rocket.jpg", (640, 480))
    ecwid.replaced_in_admin(1, newer)
    await bot.interaction(press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts))
    done = await reports_done(slack, 3)
    await bot.idle()
    undone = {r["line"]: (r["outcome"], r["reason"]) for r in uploaded_csv(slack, done[2])}
    assert undone == {
        "1": (
            "skipped",
            "The image has changed since this job (another upload, or an edit in Ecwid): it was "
            "left as it is.",
        ),
        "2": ("put back", ""),
        "3": ("put back", ""),
        "4": ("skipped", "This line changed nothing: there is nothing to put back."),
        "5": ("put back", ""),
    }
    # Every other image back, bytes for bytes, in its place, with its alt texts.
    assert _gallery(ecwid)[1:] == before[1:]
    assert _shown(ecwid, ecwid.products[1]["originalImage"]["url"]) == newer
    red, blue = ecwid.combinations[2]
    assert _shown(ecwid, red["originalImageUrl"]) == pictures["red"]
    assert red["alt"] == VARIATION_ALT
    category = ecwid.categories[31]
    assert _shown(ecwid, category["originalImage"]["url"]) == pictures["category"]
    assert category["alt"] == CATEGORY_ALT


async def _plan_square(
    bot: BotUnderTest, slack: FakeSlack, slots: list[str], white: bool = False
) -> None:
    """The audit, its card's "Pad to square…", and the form sent with these slots."""
    view = await _square_form(bot, slack)
    values = _chosen(slots, white)
    await bot.interaction(view_submission("audit_fix_square", values, view["private_metadata"]))


def _chosen(slots: list[str], white: bool) -> dict[str, Any]:
    """The square fix's form, these slots and White background (or not) ticked."""
    return {
        "square_slots": {
            "type": "checkboxes",
            "selected_options": [{"value": slot} for slot in slots],
        },
        "square_white": {
            "type": "checkboxes",
            "selected_options": [{"value": "yes"}] if white else [],
        },
    }


async def _square_form(bot: BotUnderTest, slack: FakeSlack) -> dict[str, Any]:
    """The audit, and the form its card's "Pad to square…" opens."""
    await bot.command("audit")
    card = await the_card(slack)
    blocks = card.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}
    await bot.interaction(
        block_actions(buttons["audit_fix_square"], message={"ts": card.params["ts"], "text": ""})
    )
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


async def test_a_gallery_image_whose_old_copy_ecwid_will_not_delete_says_both_are_there(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    pictures = _square_catalog(ecwid)
    await _plan_square(bot, slack, ["gallery"])
    ts, job_id, plan = await the_plan(slack)
    assert "*1 image to pad to a square ready*" in plan.params["text"]
    refusal = {"errorMessage": "Image is locked", "errorCode": "IMAGE_LOCKED"}
    ecwid.faults["update"] = [Fault(409, refusal)]  # the delete of the old image
    await bot.interaction(press("bulk_start", job_id, ts))
    done = await reports_done(slack, 2)
    await bot.idle()
    (row,) = uploaded_csv(slack, done[1])
    assert row["outcome"] == "failed"
    assert row["reason"].startswith(
        "Ecwid still shows the old image next to the padded one: remove one of them in the "
        "Ecwid admin."
    )
    assert 'Ecwid said: "Image is locked"' in row["reason"]
    shown = [data for data, _ in _gallery(ecwid)]
    assert pictures["portrait"] in shown and len(shown) == 5  # the padded copy beside it
    # Nothing was lost: the original's copy, kept ahead of the line, went with it.
    assert await History(bot.runtime.jobs, Tenant(ONE_WORKSPACE, STORE_ID)).kept_bytes() == 0


async def test_a_scope_with_nothing_to_pad_says_so(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    _square_catalog(ecwid)
    ecwid.products[1]["originalImage"].update(width=600, height=600)  # as Ecwid says it
    await _plan_square(bot, slack, ["main"])
    (said,) = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.update") if "Nothing to pad" in c.params["text"]][
            :1
        ]
    )
    assert "every image in this scope with a known size is square already" in said.params["text"]


async def test_an_image_whose_copy_would_not_fit_in_the_history_is_not_padded(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """HISTORY_MAX_MB at 10 KB: the portrait's original (about 40 KB) could not be kept for
    Undo, so it is not deleted and replaced."""
    pictures = _square_catalog(ecwid)
    assert len(pictures["portrait"]) > 10_240
    before = _gallery(ecwid)
    async with serving(replace(settings, history_max_mb=0.01), slack) as bot:
        await _plan_square(bot, slack, ["gallery"])
        ts, job_id, plan = await the_plan(slack)
        assert "Images past the limit are not padded" in json.dumps(plan.params["blocks"])
        calls_before = len(ecwid.calls)
        await bot.interaction(press("bulk_start", job_id, ts))
        done = await reports_done(slack, 2)
        await bot.idle()
        (row,) = uploaded_csv(slack, done[1])
        assert (row["outcome"], row["reason"]) == (
            "failed",
            "Not padded: the copy of this image that Undo needs does not fit in the bot's "
            "history (HISTORY_MAX_MB). Raise it, or pad fewer images at a time.",
        )
        assert not [c for c in ecwid.calls[calls_before:] if c.method in ("POST", "DELETE")]
        assert _gallery(ecwid) == before


async def test_undo_says_so_when_the_padded_gallery_image_was_deleted_since(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    pictures = _square_catalog(ecwid)
    await _plan_square(bot, slack, ["gallery"])
    ts, job_id, _ = await the_plan(slack)
    await bot.interaction(press("bulk_start", job_id, ts))
    await reports_done(slack, 2)
    await bot.idle()
    # Someone deletes the padded image in Ecwid's admin.
    images = ecwid.products[1]["media"]["images"]
    padded = [i for i in images if i.get("orderBy") == 2]
    assert len(padded) == 1 and _shown(ecwid, padded[0]["imageOriginalUrl"]) != pictures["portrait"]
    ecwid.products[1]["media"]["images"] = [i for i in images if i is not padded[0]]
    left = _gallery(ecwid)
    await bot.interaction(press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts))
    done = await reports_done(slack, 3)
    await bot.idle()
    (row,) = uploaded_csv(slack, done[2])
    assert (row["outcome"], row["reason"]) == (
        "skipped",
        "Neither the padded image nor the original is in the gallery any more: nothing was put "
        "back.",
    )
    assert _gallery(ecwid) == left
