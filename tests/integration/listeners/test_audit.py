"""`/ecwid-image audit` (#37) on a catalog of 300 products at the loopback Ecwid: names in two
languages, variations with options, categories, square and non-square images, small and large
ones, alt texts missing, equal to the name and present, in both of the shapes Ecwid answers an
absent translation in (no key; the default language's text). The test data says what each image
is, and the card, the CSV and the chart must say the same."""

from __future__ import annotations

import asyncio
import collections
import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from PIL import Image

from bot.domain.tenant import ONE_WORKSPACE, Tenant
from tests.bulk_helpers import press, reports_done, the_plan, updates_of, uploaded_csv
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import BotUnderTest
from tests.integration.listeners.test_history import undo_button
from tests.photos import encoded, flat, real_photo
from tests.slack_requests import block_actions, view_submission

PRODUCTS = 300
FIRST = 20_001
SIZES = {0: (600, 600), 1: (1200, 1200), 2: (1200, 800)}  # small square, square, landscape
LONG_ALT = " ".join(["A very long description of the item"] * 4)  # 147 code points
CDN = "https://d2j6dbq0eux0bg.cloudfront.net/images/1003"


@dataclass
class Expected:
    """What the catalog holds, as the test data declares it."""

    alts: collections.Counter[tuple[str, str, str]] = field(default_factory=collections.Counter)
    images: collections.Counter[str] = field(default_factory=collections.Counter)
    rows: set[tuple[str, ...]] = field(default_factory=set)
    no_main: int = 0
    bare: int = 0
    small: int = 0
    mixed: int = 0
    not_square: int = 0
    size_unknown: int = 0

    def image(self, pid: int, sku: str, slot: str, image_id: str, en: str, nl: str) -> None:
        self.images[slot] += 1
        for language, state in (("en", en), ("nl", nl)):
            self.alts[(slot, language, state)] += 1
            finding = {"missing": "alt text missing", "default": "alt text is the name"}.get(state)
            if state == "too long":
                finding = f"alt text too long ({len(LONG_ALT)})"
            if finding:
                self.rows.add((str(pid), sku, slot, image_id, language, finding))


def _main_alt(i: int, name: str, nl_name: str) -> tuple[dict[str, Any], str, str]:
    """The main image's alt as Ecwid answers it, and what it is in EN and NL."""
    if i == 7:
        return {"main": LONG_ALT, "translated": {"nl": f"Blauw artikel {i}"}}, "too long", "present"
    kind = i % 4
    if kind == 0:
        return {}, "missing", "missing"
    if kind == 1:
        return {"main": name, "translated": {"nl": nl_name}}, "default", "default"
    if kind == 2:  # Ecwid's answer for an absent translation: the default language's text
        return (
            {"main": f"Blue item {i}", "translated": {"nl": f"Blue item {i}"}},
            "present",
            "missing",
        )
    return (
        {"main": f"Blue item {i}", "translated": {"nl": f"Blauw artikel {i}"}},
        "present",
        "present",
    )


@pytest.fixture(params=["left out", "filled"])
def catalog(ecwid: FakeEcwid, request: pytest.FixtureRequest) -> Expected:
    """Both ways Ecwid may answer an absent translation (ref: the default language's text, or
    none): the same catalog, the same counts."""
    ecwid.fill_translations = request.param == "filled"
    ecwid.languages = {"enabledLanguages": ["en", "nl"], "defaultLanguage": "en"}
    ecwid.products.clear()
    ecwid.combinations.clear()
    expected = Expected()
    square = 0
    for i in range(1, PRODUCTS + 1):
        pid, sku = FIRST + i, f"AU-{i}"
        name, nl_name = f"Item {i}", f"Artikel {i}"
        product: dict[str, Any] = {
            "id": pid,
            "sku": sku,
            "name": name,
            "nameTranslated": {"en": name, "nl": nl_name},
            "categoryIds": [31 if i % 2 else 32],
            "defaultCategoryId": 31 if i % 2 else 32,
            "media": {"images": []},
        }
        ratios = []
        if i % 10:
            width, height = SIZES[i % 3]
            product["originalImage"] = {"url": f"{CDN}/{pid}.jpg", "width": width, "height": height}
            alt, en, nl = _main_alt(i, name, nl_name)
            product["media"] = media()
            product["media"]["images"][0]["alt"] = alt
            expected.image(pid, sku, "main", "0", en, nl)
            ratios.append(width / height)
            if max(width, height) < 800:
                expected.small += 1
                expected.rows.add(
                    (str(pid), sku, "main", "0", "", f"small image ({width}×{height})")
                )
            if width == height:
                square += 1
            else:
                expected.not_square += 1
                expected.rows.add(
                    (str(pid), sku, "main", "0", "", f"not square ({width}×{height})")
                )
        else:
            expected.no_main += 1
            expected.rows.add((str(pid), sku, "main", "", "", "no main image"))
        if i % 5 == 0:  # a gallery image, its alt with no NL key at all
            url = f"{CDN}/{pid}-side.jpg"
            gallery = {"id": "11", "isMain": False, "orderBy": 1, "imageOriginalUrl": url}
            gallery["alt"] = {"main": "Side view"}
            product["media"]["images"].append(gallery)
            ecwid.sizes[url] = (1200, 1200)
            square += 1
            ratios.append(1.0)
            shown_id = "11" if ecwid.gallery_ids == "stable" else str(1 if i % 10 else 0)
            expected.image(pid, sku, "gallery", shown_id, "present", "missing")
        if len(ratios) == 2 and ratios[0] != ratios[1]:
            expected.mixed += 1
            expected.rows.add((str(pid), sku, "", "", "", "mixed shapes"))
        if i % 20 == 0:  # two colours: Red has its own image (the name as its alt), Blue none
            red, blue = pid * 10 + 1, pid * 10 + 2
            ecwid.combinations[pid] = [
                {
                    "id": red,
                    "options": [{"name": "Color", "value": "Red"}],
                    "originalImageUrl": f"{CDN}/{red}.jpg",
                    "imageUrl": f"{CDN}/{red}.jpg",
                    "alt": {"main": name},
                },
                {"id": blue, "options": [{"name": "Color", "value": "Blue"}]},
            ]
            expected.image(pid, sku, "variation", str(red), "default", "missing")
            expected.size_unknown += 1
            expected.bare += 1
            expected.rows.add(
                (str(pid), sku, "variation", str(blue), "", "variation without its own image")
            )
        ecwid.products[pid] = product
    ecwid.categories = {
        31: {
            "id": 31,
            "name": "Shoes",
            "nameTranslated": {"en": "Shoes", "nl": "Schoenen"},
            "parentId": 0,
            "originalImage": {"url": f"{CDN}/c31.jpg", "width": 800, "height": 800},
            "alt": {"main": "Shoes", "translated": {"nl": "Schoenen"}},
        },
        32: {"id": 32, "name": "Boots", "parentId": 31},
        33: {
            "id": 33,
            "name": "Hats",
            "parentId": 0,
            "originalImage": {"url": f"{CDN}/c33.jpg", "width": 1000, "height": 1000},
            "alt": {"main": "Hats on a shelf"},
        },
    }
    square += 2
    expected.image(31, "", "category", "31", "default", "default")
    expected.image(33, "", "category", "33", "present", "missing")
    assert square > expected.not_square  # most of the catalog is square: the rest is listed
    return expected


CARD_SECONDS = 20.0


def _is_card(call: SlackCall) -> bool:
    """The card, not the audit's progress: only the card has the legend."""
    return "*missing*: no alt text" in json.dumps(call.params.get("blocks") or "")


async def the_card(slack: FakeSlack, count: int = 1) -> SlackCall:
    """The count-th card, once posted (a whole catalog's audit: a loaded machine takes time)."""
    cards = await slack.wait_until(
        lambda: (
            (found := [c for c in slack.calls_to("chat.update") if _is_card(c)])
            and len(found) >= count
            and found
        ),
        CARD_SECONDS,
    )
    return cards[count - 1]


def card_text(card: SlackCall) -> str:
    blocks = card.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    return "\n".join(
        b["text"]["text"] if b["type"] == "section" else b["elements"][0]["text"]
        for b in blocks
        if b["type"] in ("section", "context")
    )


def _line(expected: Expected, slot: str, language: str) -> str:
    counts = {
        s: expected.alts[(slot, language, s)] for s in ("present", "missing", "default", "too long")
    }
    total = expected.images[slot]
    return (
        f"`{language.upper()}` {counts['present'] / total:.0%} present · {counts['missing']:,} "
        f"missing · {counts['default']:,} the name · {counts['too long']:,} too long"
    )


async def _files(slack: FakeSlack) -> dict[str, bytes]:
    (upload,) = await slack.wait_for_call("files.completeUploadExternal")
    return {f["name"]: slack.files[f["id"]][0] for f in upload.answer["files"]}  # type: ignore[index]


async def test_the_card_counts_every_slot_and_language_exactly_and_the_csv_lists_every_finding(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, catalog: Expected
) -> None:
    await bot.command("audit")
    card = await the_card(slack)
    text = card_text(card)
    assert "of the whole catalog" in text
    assert f"{PRODUCTS} products, 3 categories" in text
    for slot in ("main", "gallery", "variation", "category"):
        for language in ("en", "nl"):
            assert _line(catalog, slot, language) in text, (slot, language)
    assert f"• {catalog.no_main} products with no main image" in text
    assert f"• {catalog.bare} variations with an option value but no image of their own" in text
    assert f"• {catalog.mixed} products whose images have mixed shapes" in text
    assert f"• {catalog.not_square} images not square, where most of the catalog is" in text
    assert f"• {catalog.small} images under 800 px on the long side (IMAGE_MIN_SIDE)" in text
    assert f"• {catalog.size_unknown} images of unknown size" in text
    assert "The first audit of this scope" in text

    files = await _files(slack)
    rows = list(csv_rows(files["image-health.csv"]))
    assert set(rows) == catalog.rows and len(rows) == len(catalog.rows)
    with Image.open(io.BytesIO(files["alt-text-coverage.png"])) as chart:
        assert chart.format == "PNG" and chart.width == 640
        chart.verify()

    # The pages and the categories, trimmed; never a product at a time, never an image.
    reads = [c for c in ecwid.calls if c.method == "GET"]
    pages = [c for c in reads if c.path == "/products"]
    assert len(pages) == 3 and all(c.query["limit"] == "100" for c in pages)
    assert all("nameTranslated" in c.query["responseFields"] for c in pages)
    assert [c.path for c in reads if c.path not in ("/products", "/profile")] == ["/categories"]
    assert [c for c in ecwid.calls if c.method != "GET"] == []


def csv_rows(data: bytes) -> list[tuple[str, ...]]:
    import csv

    reader = csv.reader(io.StringIO(data.decode("utf-8-sig")))
    assert next(reader) == ["product_id", "sku", "slot", "image_id", "language", "finding"]
    return [tuple(row) for row in reader]


async def test_the_next_audit_says_what_changed_since(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, catalog: Expected
) -> None:
    await bot.command("audit")
    await the_card(slack)
    # Someone writes the Dutch alt texts Ecwid answered with the English text (missing in NL).
    written = 0
    for product in ecwid.products.values():
        images = product["media"]["images"]
        alt = images[0]["alt"] if images and images[0].get("isMain") else {}
        if alt.get("main") and alt.get("translated", {}).get("nl") == alt["main"]:
            alt["translated"] = {"nl": f"Blauw {product['id']}"}
            written += 1
    assert written
    await bot.command("audit")
    text = card_text(await the_card(slack, 2))
    total = sum(catalog.images.values())
    present = sum(
        n for (_, lang, state), n in catalog.alts.items() if (lang, state) == ("nl", "present")
    )
    missing = sum(
        n for (_, lang, state), n in catalog.alts.items() if (lang, state) == ("nl", "missing")
    )
    missing += sum(
        n for (_, lang, state), n in catalog.alts.items() if (lang, state) == ("en", "missing")
    )
    assert (
        f"*Since the last audit*: NL alt text: {present / total:.0%} → "
        f"{(present + written) / total:.0%}; alt text missing: {missing:,} → {missing - written:,}."
    ) in text


@pytest.mark.parametrize(
    ("command", "products", "categories"),
    [
        ("audit category:31", PRODUCTS, 2),  # 31 and its subcategory 32, with their products
        ("audit category:32", PRODUCTS // 2, 1),
        ('audit search:"Item 29"', 11, 0),  # 29 and 290–299: the fake's keyword is a part
    ],
)
async def test_an_audit_covers_its_scope_only(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    catalog: Expected,
    command: str,
    products: int,
    categories: int,
) -> None:
    await bot.command(command)
    text = card_text(await the_card(slack))
    what = "category" if categories == 1 else "categories"
    assert f"{products} product{'s' if products != 1 else ''}, {categories} {what}" in text


async def test_an_audit_that_finds_nothing_says_so_and_keeps_no_numbers(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, catalog: Expected
) -> None:
    await bot.command("audit category:999")
    told = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.update") if "stopped" in c.params["text"]]
    )
    assert (
        "Nothing to audit in `category:999`: no product or category was found."
        in (told[0].params["text"])
    )
    assert (
        await bot.runtime.audit._audits.last(Tenant(ONE_WORKSPACE, ecwid.store_id), "category:999")
        is None
    )


async def test_a_second_audit_of_the_store_waits_for_the_first(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, catalog: Expected
) -> None:
    held = ecwid.holds["search"] = asyncio.Event()
    await bot.command("audit")
    await ecwid.wait_until(lambda: [c for c in ecwid.calls if c.path == "/products"])
    await bot.command("audit search:Item")
    told = await slack.wait_until(lambda: slack.responses)  # the command's response_url
    assert "An audit of this store is running already" in told[0]["text"]
    held.set()
    await the_card(slack)
    await bot.idle()
    assert len([c for c in slack.calls_to("chat.update") if _is_card(c)]) == 1


async def test_the_same_picture_on_several_products_is_found_by_ecwids_small_copies(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """A shot on two products (once as a resized, re-encoded copy, in a gallery), another shot,
    and two plain white placeholders: one finding, its two images listed; the originals are
    never downloaded, only Ecwid's 160 px copies."""
    ecwid.products.clear()
    coffee = real_photo("coffee.png")
    shots = {
        1: encoded(coffee),
        2: encoded(real_photo("astronaut.png")),
        3: flat((255, 255, 255), (600, 600), "JPEG"),
        4: flat((255, 255, 255), (900, 900), "JPEG"),
    }
    for n, data in shots.items():
        url, renditions = ecwid.to_cdn(100 + n, data)
        width, height = ecwid.sizes[url]
        ecwid.products[n] = {
            "id": n,
            "sku": f"P-{n}",
            "name": f"Product {n}",
            "originalImage": {"url": url, "width": width, "height": height},
            "media": {
                "images": [{"id": "0", "isMain": True, "orderBy": 0, "alt": {}, **renditions}]
            },
        }
    copy = encoded(coffee.resize((300, 200)), "JPEG", quality=60)
    url, renditions = ecwid.to_cdn(199, copy)
    gallery = {"id": "7", "orderBy": 1, "alt": {}, "imageOriginalUrl": url, **renditions}
    ecwid.products[2]["media"]["images"].append(gallery)
    ecwid.categories = {}
    await bot.command("audit")
    text = card_text(await the_card(slack))
    assert "• 1 picture that is on several products" in text
    files = await _files(slack)
    rows = [r for r in csv_rows(files["image-health.csv"]) if r[5].startswith("same picture")]
    shown_id = "7" if ecwid.gallery_ids == "stable" else "1"
    assert sorted(rows) == [
        ("1", "P-1", "main", "0", "", "same picture on several products (also on 2)"),
        ("2", "P-2", "gallery", shown_id, "", "same picture on several products (also on 1)"),
    ]
    # Ecwid's 160 px copies, each once; no original.
    assert sorted(ecwid.cdn.requested) == [f"{n}-160.jpg" for n in (101, 102, 103, 104, 199)]


def _fix_catalog(ecwid: FakeEcwid) -> None:
    """Four products and a category, in English and Dutch: A has no alt text; B its English
    one only (and a gallery image with both); C a Red variation with its own image and no
    alt text; D's alt texts are only its names; category 31's image has none."""
    ecwid.languages = {"enabledLanguages": ["en", "nl"], "defaultLanguage": "en"}
    ecwid.products.clear()
    ecwid.combinations.clear()
    for pid, alt in (
        (1, {}),
        (2, {"main": "Blue boot on a rock"}),
        (3, {}),
        (4, {"main": "Item 4", "translated": {"nl": "Artikel 4"}}),
    ):
        product: dict[str, Any] = {
            "id": pid,
            "sku": f"FX-{pid}",
            "name": f"Item {pid}",
            "nameTranslated": {"en": f"Item {pid}", "nl": f"Artikel {pid}"},
            "defaultCategoryId": 31,
            "categoryIds": [31],
            "originalImage": {"url": f"{CDN}/fx{pid}.jpg", "width": 1000, "height": 1000},
            "media": media(),
        }
        product["media"]["images"][0]["alt"] = alt
        ecwid.products[pid] = product
    side = {"id": "5", "orderBy": 1, "imageOriginalUrl": f"{CDN}/fx2-side.jpg"}
    side["alt"] = {"main": "Side", "translated": {"nl": "Zijkant"}}
    ecwid.products[2]["media"]["images"].append(side)
    ecwid.combinations[3] = [
        {
            "id": 301,
            "options": [
                {"name": "Color", "value": "Red", "valueTranslated": {"en": "Red", "nl": "Rood"}}
            ],
            "originalImageUrl": f"{CDN}/fx3-red.jpg",
            "imageUrl": f"{CDN}/fx3-red.jpg",
        }
    ]
    ecwid.categories = {
        31: {
            "id": 31,
            "name": "Boots",
            "nameTranslated": {"en": "Boots", "nl": "Laarzen"},
            "parentId": 0,
            "originalImage": {"url": f"{CDN}/c31.jpg", "width": 800, "height": 800},
        }
    }


def _alts(ecwid: FakeEcwid) -> dict[str, Any]:
    """Every alt text the store shows now, by image."""
    shown: dict[str, Any] = {}
    for pid, product in ecwid.products.items():
        for image in product["media"]["images"]:
            shown[f"{pid}/{image['id']}"] = image.get("alt") or {}
    for pid, variations in ecwid.combinations.items():
        for variation in variations:
            shown[f"{pid}/v{variation['id']}"] = variation.get("alt") or {}
    for cid, category in ecwid.categories.items():
        shown[f"c{cid}"] = category.get("alt") or {}
    return shown


@pytest.mark.parametrize("filled", [False, True], ids=["left out", "filled"])
async def test_fixing_alt_texts_writes_the_rendered_texts_only_where_missing_and_undo_puts_all_back(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, filled: bool
) -> None:
    """Both ways Ecwid may answer an absent translation; a text written in another language
    between the plan and Start stays; Undo puts back each image but the one changed since."""
    _fix_catalog(ecwid)
    ecwid.fill_translations = filled
    before = _alts(ecwid)
    await bot.command("audit")
    card = await the_card(slack)
    blocks = card.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    buttons = [e for b in blocks if b["type"] == "actions" for e in b["elements"]]
    # This catalog's images are all square: no "Pad to square…".
    assert [b["action_id"] for b in buttons] == ["audit_fix_alt", "audit_weekly"]
    button = buttons[0]
    await bot.interaction(block_actions(button, message={"ts": card.params["ts"], "text": ""}))
    (opened,) = await slack.wait_for_call("views.open")
    view = (
        json.loads(opened.params["view"])
        if isinstance(opened.params["view"], str)
        else opened.params["view"]
    )
    inputs = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert inputs["alt_template_en"]["initial_value"] == "{name}"
    assert inputs["alt_variation_nl"]["initial_value"] == "{name} – {option:Color}"
    values = {
        "alt_template_en": {"type": "plain_text_input", "value": "{name} – {category}"},
        "alt_template_nl": {"type": "plain_text_input", "value": "{name} – {category}"},
        "alt_variation_en": {"type": "plain_text_input", "value": "{name} – {option:Color}"},
        "alt_variation_nl": {"type": "plain_text_input", "value": "{name} – {option:Color}"},
    }
    refused = await bot.interaction(
        view_submission(
            "audit_fix_alt",
            {**values, "alt_template_en": {"value": "{title}"}},
            view["private_metadata"],
        )
    )
    assert "{title} is not a field" in refused.json()["errors"]["alt_template_en"]
    await bot.interaction(view_submission("audit_fix_alt", values, view["private_metadata"]))
    ts, job_id, plan = await the_plan(slack)
    assert "*6 images' alt texts ready*" in plan.params["text"]
    # Between the plan and Start, someone writes B's English text again (its line writes Dutch).
    ecwid.products[2]["media"]["images"][0]["alt"] = {"main": "Blue boot, left side"}
    before["2/0"] = {"main": "Blue boot, left side"}
    await bot.interaction(press("bulk_start", job_id, ts))
    done = await reports_done(slack, 2)  # the audit's files, then the job's report
    rows = uploaded_csv(slack, done[1])
    await bot.idle()
    assert [r["outcome"] for r in rows] == ["alt text set"] * 6
    after = _alts(ecwid)
    assert after["1/0"] == {"main": "Item 1 – Boots", "translated": {"nl": "Artikel 1 – Laarzen"}}
    # B's English text stays; only the missing Dutch one is written; its gallery image is untouched.
    assert after["2/0"] == {
        "main": "Blue boot, left side",
        "translated": {"nl": "Artikel 2 – Laarzen"},
    }
    assert after["2/5"] == before["2/5"]
    assert after["3/0"] == {"main": "Item 3 – Boots", "translated": {"nl": "Artikel 3 – Laarzen"}}
    assert after["3/v301"] == {"main": "Item 3 – Red", "translated": {"nl": "Artikel 3 – Rood"}}
    assert after["4/0"] == {"main": "Item 4 – Boots", "translated": {"nl": "Artikel 4 – Laarzen"}}
    assert after["c31"] == {"main": "Boots", "translated": {"nl": "Laarzen"}}  # no {category}

    # After the job, someone writes product 4's alt texts: its Undo must leave them.
    newer = {"main": "Item 4 on a shelf", "translated": {"nl": "Artikel 4 op een plank"}}
    ecwid.products[4]["media"]["images"][0]["alt"] = newer
    await bot.interaction(press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts))
    done = await reports_done(slack, 3)
    await bot.idle()
    outcomes = [(r["line"], r["outcome"]) for r in uploaded_csv(slack, done[2])]
    assert outcomes == [(str(n), "skipped" if n == 5 else "put back") for n in range(1, 7)]
    assert _alts(ecwid) == {**before, "4/0": newer}  # the rest as it was, none where none


async def test_a_products_images_get_their_alt_texts_in_one_update(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    """A's main image and two gallery images have no alt text: three lines, one
    `PUT /products/1` (ref: the update lists every image with its alt text)."""
    _fix_catalog(ecwid)
    for number, place in ((11, 1), (12, 2)):
        url = f"{CDN}/fx1-{number}.jpg"
        ecwid.products[1]["media"]["images"].append(
            {"id": str(number), "orderBy": place, "imageOriginalUrl": url, "alt": {}}
        )
    await bot.command("audit category:31")
    card = await the_card(slack)
    blocks = card.params["blocks"]
    blocks = json.loads(blocks) if isinstance(blocks, str) else blocks
    button = next(
        e
        for b in blocks
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "audit_fix_alt"
    )
    await bot.interaction(block_actions(button, message={"ts": card.params["ts"], "text": ""}))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        block: {"type": "plain_text_input", "value": "{name} {n}"}
        for block in ("alt_template_en", "alt_template_nl")
    } | {
        block: {"type": "plain_text_input", "value": "{name} – {option:Color}"}
        for block in ("alt_variation_en", "alt_variation_nl")
    }
    await bot.interaction(view_submission("audit_fix_alt", values, view["private_metadata"]))
    ts, job_id, _ = await the_plan(slack)
    calls_before = len(ecwid.calls)
    await bot.interaction(press("bulk_start", job_id, ts))
    done = await reports_done(slack, 2)
    await bot.idle()
    rows = uploaded_csv(slack, done[1])
    assert [r["outcome"] for r in rows] == ["alt text set"] * len(rows)
    ones = [r["text"] for r in rows if r["text"].startswith("FX-1 ")]
    assert len(ones) == 3  # A's main image and its two gallery images, a line each
    puts = [c.path for c in ecwid.calls[calls_before:] if c.method == "PUT"]
    assert puts.count("/products/1") == 1
    shown = {i["id"]: i["alt"] for i in ecwid.products[1]["media"]["images"]}
    assert shown == {
        "0": {"main": "Item 1 1", "translated": {"nl": "Artikel 1 1"}},
        "11": {"main": "Item 1 2", "translated": {"nl": "Artikel 1 2"}},
        "12": {"main": "Item 1 3", "translated": {"nl": "Artikel 1 3"}},
    }
    await bot.interaction(press("bulk_undo", undo_button(updates_of(slack, ts)[-1])["value"], ts))
    done = await reports_done(slack, 3)
    await bot.idle()
    assert {i["id"]: i["alt"] for i in ecwid.products[1]["media"]["images"]} == {
        "0": {},
        "11": {},
        "12": {},
    }
