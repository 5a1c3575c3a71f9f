"""An image by option value through the command (#36): `option:Color=Red` plans one line a Red
variation (all sizes, and only those), and Start sends each once; a value the product lacks
uploads nothing and lists the product's values."""

from __future__ import annotations

import collections
import io
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest
from PIL import Image

from bot.config import Settings
from bot.images.identity import identity_of
from tests.bulk_helpers import (
    bulk_form_submission,
    photo,
    press,
    reports_done,
    the_plan,
    the_report,
    updates_of,
)
from tests.fakes.ecwid_api import FakeEcwid, Fault, media
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_drops import WATCHED, dropped, the_drop_plan
from tests.integration.listeners.test_history import undo_button
from tests.photos import encoded, real_photo
from tests.slack_requests import modal_action, view_submission

SHIRT = 900
COLORS = [
    ("Red", "Rood"),
    ("Black", "Zwart"),
    ("Dark red", "Donkerrood"),
    ("Crème", "Crème"),
    ("Blue", "Blauw"),
]
SIZES = ["38", "40", "M"]


def _choices(values: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": en, "textTranslated": {"en": en, "nl": nl}} for en, nl in values]


@pytest.fixture
def shirt(ecwid: FakeEcwid) -> dict[tuple[str, str], int]:
    """A shirt in 5 colours × 3 sizes (15 variations), its values in English and Dutch (one
    with a space, one with an accent, a numeric size), as Ecwid answers it (official client:
    FetchedProduct.ProductOption, FetchedVariation.options); its variation ids by (colour, size)."""
    ids = {}
    variations = []
    for n, ((color, _), size) in enumerate(itertools.product(COLORS, SIZES), start=1):
        ids[(color, size)] = 9000 + n
        variations.append(
            {
                "id": 9000 + n,
                "combinationNumber": n,
                "sku": f"SHIRT-{n}",
                "options": [{"name": "Color", "value": color}, {"name": "Size", "value": size}],
            }
        )
    ecwid.combinations[SHIRT] = variations
    ecwid.products[SHIRT] = {
        "id": SHIRT,
        "name": "Shirt",
        "sku": "SHIRT",
        "media": media(),
        "options": [
            {
                "type": "SELECT",
                "name": "Color",
                "nameTranslated": {"en": "Color", "nl": "Kleur"},
                "choices": _choices(COLORS),
            },
            {
                "type": "SIZE",
                "name": "Size",
                "nameTranslated": {"en": "Size", "nl": "Maat"},
                "choices": _choices([(s, s) for s in SIZES]),
            },
        ],
    }
    return ids


def variation_uploads(ecwid: FakeEcwid) -> dict[int, dict[str, Any]]:
    """Each variation image upload that reached Ecwid: its body, by variation id."""
    prefix = f"/products/{SHIRT}/combinations/"
    return {
        int(c.path.removeprefix(prefix).split("/")[0]): c.body
        for c in ecwid.calls
        if c.method == "POST" and c.path.startswith(prefix)
    }


async def undo_the_job(bot: BotUnderTest, slack: FakeSlack, ts: str) -> None:
    """Press Undo this job on the finished job's message, and wait until the undo job is over."""
    button = undo_button(updates_of(slack, ts)[-1])
    await bot.interaction(press("bulk_undo", button["value"], ts))
    await reports_done(slack, 2)
    await bot.idle()


def writes(ecwid: FakeEcwid) -> list[str]:
    return [f"{c.method} {c.path}" for c in ecwid.calls if c.method != "GET"]


@pytest.mark.parametrize(
    ("written", "note"),
    [
        ("option:Color=Red", None),
        ("option:Kleur=rood", "`rood` read as `Red`"),  # the value in another language
        ("option:color=Reed", "`Reed` read as `Red`"),  # a slip of the keys
    ],
)
async def test_every_red_variation_and_only_those_gets_the_image(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
    written: str,
    note: str | None,
) -> None:
    link = images.link("shoe.png")
    await bulk_bot.command(f'sku:SHIRT {link} {written} alt="Red shirt"')
    ts, job_id, plan = await the_plan(slack)
    # The plan read the product once: its options, its variations and what each shows now.
    assert [c.path for c in ecwid.calls if c.path == f"/products/{SHIRT}"] == [f"/products/{SHIRT}"]
    shown = json.dumps(plan.params, ensure_ascii=False)
    assert "*1 image → 3 variations ready*" in plan.params["text"]
    if note is not None:
        assert note in shown
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    report, rows = await the_report(slack)
    await bulk_bot.idle()
    # One variation before and after; the others named.
    assert (
        f":left_right_arrow: *Color Red Size 38*: before, no image of its own; after, <{link}|the "
        "new image>. The same image went to *Color Red Size 40*, *Color Red Size M*."
    ) in report
    red = {shirt[("Red", size)] for size in SIZES}
    sent = variation_uploads(ecwid)
    assert set(sent) == red  # all three sizes of Red; not Dark red
    for body in sent.values():
        assert body["url"] == link
        assert body["alt"] == {"main": "Red shirt"}
    assert sorted(writes(ecwid)) == sorted(
        f"POST /products/{SHIRT}/combinations/{v}/image/async" for v in red
    )  # nothing else is written
    assert [r["outcome"] for r in rows] == ["uploaded"] * 3
    assert "*1 image → 3 variations*, 0 failed." in updates_of(slack, ts)[-1].params["text"]


async def test_a_value_the_product_lacks_uploads_nothing_and_lists_its_values(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    await bulk_bot.command(f"sku:SHIRT {images.link('shoe.png')} option:Color=Purple")
    told = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.update") if "Purple" in json.dumps(c.params)]
    )
    text = json.dumps(told[-1].params, ensure_ascii=False)
    assert "`Shirt` has no `Color` value `Purple`." in text
    assert "Its values: `Red`, `Black`, `Dark red`, `Crème`, `Blue`." in text
    await bulk_bot.idle()
    assert writes(ecwid) == []


async def test_undo_this_job_takes_the_image_off_every_variation_it_went_to(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    """The Red variations had no image of their own: Undo removes the one the job gave each."""
    await bulk_bot.command(f"sku:SHIRT {images.link('shoe.png')} option:Color=Red;Size=M")
    ts, job_id, plan = await the_plan(slack)
    assert "*1 image → 1 variation ready*" in plan.params["text"]  # Red and M: one variation
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    await bulk_bot.idle()
    only = shirt[("Red", "M")]
    assert set(variation_uploads(ecwid)) == {only}
    await undo_the_job(bulk_bot, slack, ts)
    assert writes(ecwid)[-1] == f"DELETE /products/{SHIRT}/combinations/{only}/image"
    variation = next(v for v in ecwid.combinations[SHIRT] if v["id"] == only)
    assert "originalImageUrl" not in variation and "imageUrl" not in variation


async def test_with_no_alt_text_given_each_variation_keeps_its_own_and_undo_puts_it_back(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    """Ecwid does not say whether an alt text outlives the image it describes: a variation's own
    is sent again with its new image; one with none gets none."""
    url, _ = ecwid.to_cdn(7001, images.files["photo.jpg"].body)
    own = next(v for v in ecwid.combinations[SHIRT] if v["id"] == shirt[("Red", "38")])
    own.update(
        originalImageUrl=url,
        imageUrl=url,
        alt={"main": "Red shirt, front", "translated": {"nl": "Rood shirt, voorkant"}},
    )
    await bulk_bot.command(f"sku:SHIRT {images.link('shoe.png')} option:Color=Red")
    ts, job_id, plan = await the_plan(slack)
    assert (
        "This replaces 1 image: 1 variation has an image of its own now (Undo puts it back)."
        in json.dumps(plan.params, ensure_ascii=False)
    )
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    report, _ = await the_report(slack)
    await bulk_bot.idle()
    assert f"*Color Red Size 38*: before, <{url}|its old image>; after, <" in report
    sent = variation_uploads(ecwid)
    assert sent[shirt[("Red", "38")]]["alt"] == {
        "main": "Red shirt, front",
        "translated": {"nl": "Rood shirt, voorkant"},
    }
    assert "alt" not in sent[shirt[("Red", "40")]]
    assert "alt" not in sent[shirt[("Red", "M")]]

    # Undo this job: the variation that had an image gets those bytes back, and its alt texts;
    # the two that had none have theirs removed.
    before = len(ecwid.calls)
    await undo_the_job(bulk_bot, slack, ts)
    undone = [c for c in ecwid.calls[before:] if c.method != "GET"]
    base = f"/products/{SHIRT}/combinations"
    put_back = [c for c in undone if c.path == f"{base}/{shirt[('Red', '38')]}/image"]
    assert [c.body for c in put_back] == [images.files["photo.jpg"].body]  # the exact bytes
    assert sorted(f"{c.method} {c.path}" for c in undone if c not in put_back) == sorted(
        [
            f"DELETE {base}/{shirt[('Red', '40')]}/image",
            f"DELETE {base}/{shirt[('Red', 'M')]}/image",
            f"PUT {base}/{shirt[('Red', '38')]}",  # its alt texts, set after the bytes
        ]
    )
    restored = next(v for v in ecwid.combinations[SHIRT] if v["id"] == shirt[("Red", "38")])
    assert restored["alt"] == {
        "main": "Red shirt, front",
        "translated": {"nl": "Rood shirt, voorkant"},
    }


def _cdn_of(ecwid: FakeEcwid, variation_id: int) -> str:
    variation = next(v for v in ecwid.combinations[SHIRT] if v["id"] == variation_id)
    return str(variation["originalImageUrl"])


async def _run_webp_to_red(
    bulk_bot: BotUnderTest, slack: FakeSlack, images: FakeImageHost
) -> tuple[str, list[dict[str, str]]]:
    """A photo Ecwid cannot take as it is (WebP) for the three Red variations, run to its end."""
    images.files["red-shirt.webp"] = Served(encoded(real_photo("coffee.png"), "WEBP"), "image/webp")
    await bulk_bot.command(f'sku:SHIRT {images.link("red-shirt.webp")} option:Color=Red alt="Red"')
    ts, job_id, _ = await the_plan(slack)
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    await bulk_bot.idle()
    return ts, rows


async def test_an_image_made_ready_is_read_once_sent_once_as_bytes_then_by_ecwids_link(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    """The first Red variation gets the converted bytes; the others get Ecwid's own link to
    them, with the alt text, in the one async call each; the photo is downloaded once."""
    _, rows = await _run_webp_to_red(bulk_bot, slack, images)
    assert [r["outcome"] for r in rows] == ["uploaded"] * 3
    assert len([h for h in images.hits if h.path == "red-shirt.webp" and h.range is None]) == 1
    base = f"/products/{SHIRT}/combinations"
    written = [c for c in ecwid.calls if c.method != "GET"]
    as_bytes = [c for c in written if c.content_type == "application/octet-stream"]
    assert len(as_bytes) == 1  # one variation's upload carries the bytes
    first = int(as_bytes[0].path.removeprefix(base + "/").split("/")[0])
    link = _cdn_of(ecwid, first)
    assert link.startswith(ecwid.cdn.url("/cdn/"))
    red = {shirt[("Red", size)] for size in SIZES}
    by_link = {
        int(c.path.removeprefix(base + "/").split("/")[0]): c.body
        for c in written
        if c.path.endswith("/image/async")
    }
    assert set(by_link) == red - {first}
    for body in by_link.values():
        assert body["url"] == link and body["alt"] == {"main": "Red"}
    # Nothing else is written: the bytes' alt text, set after them (the bytes call takes none).
    alt_set = [(c.method, c.path, c.body) for c in written if c.method == "PUT"]
    assert alt_set == [("PUT", f"{base}/{first}", {"alt": {"main": "Red"}})]
    assert len(written) == 1 + 2 + 1
    assert {_cdn_of(ecwid, v) for v in red} == {link}


async def test_a_variation_that_does_not_take_the_link_is_sent_the_bytes(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    """Ecwid answers an async upload and may never fetch its link (ref: nothing reports it): one
    read of the product after the last Red line finds the two that kept what they had, and
    they are sent the bytes held, not read again."""
    ecwid.fetch_fails = lambda url: url.startswith(ecwid.cdn.url("/cdn/"))
    ts, rows = await _run_webp_to_red(bulk_bot, slack, images)
    assert [r["outcome"] for r in rows] == ["uploaded"] * 3
    assert "*1 image → 3 variations*, 0 failed." in updates_of(slack, ts)[-1].params["text"]
    red = {shirt[("Red", size)] for size in SIZES}
    as_bytes = [c for c in ecwid.calls if c.content_type == "application/octet-stream"]
    assert len(as_bytes) == 3 and len({c.path for c in as_bytes}) == 3
    assert len({bytes(c.body) for c in as_bytes}) == 1  # the same bytes, held
    assert len([h for h in images.hits if h.path == "red-shirt.webp" and h.range is None]) == 1
    for variation in red:
        assert _cdn_of(ecwid, variation).startswith(ecwid.cdn.url("/cdn/"))
        shown = next(v for v in ecwid.combinations[SHIRT] if v["id"] == variation)
        assert shown["alt"] == {"main": "Red"}


async def test_a_variation_that_takes_neither_link_nor_bytes_is_reported_failed(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    asked: list[str] = []

    def fails(url: str) -> bool:
        asked.append(url)
        if len(asked) == 2:  # the next variation-image call is the first bytes sent again
            ecwid.faults["variation-image"] = [
                Fault(422, {"errorMessage": "Not an image", "errorCode": "BAD_IMAGE"})
            ]
        return True

    ecwid.fetch_fails = fails
    ts, rows = await _run_webp_to_red(bulk_bot, slack, images)
    assert sorted(r["outcome"] for r in rows) == ["failed", "uploaded", "uploaded"]
    failed = next(r for r in rows if r["outcome"] == "failed")
    assert failed["reason"].startswith("Ecwid did not take the image by its link, nor then as a")
    assert "*1 image → 2 variations*, 1 failed." in updates_of(slack, ts)[-1].params["text"]


@pytest.fixture
async def drop_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotUnderTest]:
    """A bot watching a drop-zone channel, its drops grouped within 0.3 s."""
    watched = replace(settings, watch_channels=frozenset({WATCHED}), drop_group_seconds=0.3)
    async with serving(watched, slack) as bot:
        yield bot


def shown_by(ecwid: FakeEcwid, variation_id: int) -> bytes | None:
    """The bytes a variation's image is served from at the loopback Ecwid (its CDN copy)."""
    variation = next(v for v in ecwid.combinations[SHIRT] if v["id"] == variation_id)
    url = variation.get("originalImageUrl")
    return None if url is None else ecwid.cdn.files[str(url).rpartition("/")[2]]


def same_picture(a: bytes, b: bytes) -> bool:
    """What the bot's identity sees: one picture, whatever its encoding."""
    with Image.open(io.BytesIO(a)) as one, Image.open(io.BytesIO(b)) as other:
        first = identity_of(one.convert("RGB"), one.width, one.height, 1)
        second = identity_of(other.convert("RGB"), other.width, other.height, 1)
    return first.same_image(second)


async def test_a_drop_of_shirt_red_and_shirt_blue_goes_to_the_red_and_the_blue_variations(
    drop_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    shirt: dict[tuple[str, str], int],
) -> None:
    """Each file to every variation of its colour, read once from Slack; a translated value, a
    close one and a value with a place are said in the plan; a value the shirt lacks is a
    line that lists its values; nothing else is written."""
    names = [
        "SHIRT-red.jpg",
        "SHIRT-blue.jpg",
        "SHIRT_zwart.jpg",
        "SHIRT-color-crme.jpg",
        "SHIRT_Red_2.jpg",
    ]
    event = dropped(slack, [*names, "SHIRT-purple.jpg"])
    await drop_bot.event(event, event_id="EvShirt")
    ts, job_id, plan = await the_drop_plan(slack)
    shown = json.dumps(plan.params, ensure_ascii=False)
    assert "every `Red` variation (SKU-red.jpg)" in shown
    assert "`zwart` read as `Black`" in shown
    assert "`crme` read as `Crème`" in shown
    assert "the gallery: a `Red` variation holds one image (SKU_Red_2.jpg)" in shown
    assert "`Shirt` has no value `purple`." in shown
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    await drop_bot.idle()
    assert sorted(r["outcome"] for r in rows) == ["problem"] + ["uploaded"] * 13
    files = {name: slack.files[f"F{event['ts'][-4:]}{n}"][0] for n, name in enumerate(names)}
    for (color, size), variation in shirt.items():
        wanted = {
            "Red": "SHIRT-red.jpg",
            "Blue": "SHIRT-blue.jpg",
            "Black": "SHIRT_zwart.jpg",
            "Crème": "SHIRT-color-crme.jpg",
        }
        data = shown_by(ecwid, variation)
        if color in wanted:
            assert data is not None and same_picture(data, files[wanted[color]]), (color, size)
        else:
            assert data is None, (color, size)
    # Each colour's file read from Slack once: sent as bytes to one variation, by Ecwid's link
    # to the rest. (The gallery's is read by the plan too: is it on the product already?)
    read = collections.Counter(d.file_id for d in slack.downloads)
    assert [read[f"F{event['ts'][-4:]}{n}"] for n in range(5)] == [1, 1, 1, 1, 2]
    gallery = [c for c in ecwid.calls if c.path == f"/products/{SHIRT}/gallery"]
    assert [c.body for c in gallery] == [files["SHIRT_Red_2.jpg"]]
    written = {c.path for c in ecwid.calls if c.method != "GET"}
    base = f"/products/{SHIRT}/combinations/"
    assert all(p.startswith(base) or p == f"/products/{SHIRT}/gallery" for p in written)


async def test_a_csv_option_column_sends_each_row_to_its_variations_and_undo_puts_them_back(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    """Rows with `Color=Red`, `Kleur=Zwart;Maat=38` (translated, two options), `Color=Crme` (a
    close match, accents folded) and `Color=Purple`: each row's image to exactly its
    variations, the readings named, the unknown value's row a problem listing the values."""
    for name in ("red.jpg", "black.jpg", "creme.jpg", "purple.jpg"):
        images.files[name] = Served(photo(name), "image/jpeg")
    rows = [
        "product,image_url,option,alt",
        f"sku:SHIRT,{images.link('red.jpg')},Color=Red,Red shirt",
        f'sku:SHIRT,{images.link("black.jpg")},"Kleur=Zwart;Maat=38",',
        f"{SHIRT},{images.link('creme.jpg')},Color=Crme,",
        f"sku:SHIRT,{images.link('purple.jpg')},Color=Purple,",
    ]
    file = slack.add_file("F0OPT", "shirts.csv", "\n".join(rows).encode(), mimetype="text/csv")
    await bulk_bot.interaction(bulk_form_submission(csv_file=file))
    ts, job_id, plan = await the_plan(slack)
    shown = json.dumps(plan.params, ensure_ascii=False)
    assert "`Zwart` read as `Black`" in shown
    assert "`Crme` read as `Crème`" in shown
    assert "`Shirt` has no `Color` value `Purple`." in shown
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    _, report = await the_report(slack)
    await bulk_bot.idle()
    assert sorted(r["outcome"] for r in report) == ["problem"] + ["uploaded"] * 7
    sent = {
        variation: body["url"].rpartition("/")[2]
        for variation, body in variation_uploads(ecwid).items()
    }
    expected = {shirt[("Red", s)]: "red.jpg" for s in SIZES}
    expected[shirt[("Black", "38")]] = "black.jpg"
    expected |= {shirt[("Crème", s)]: "creme.jpg" for s in SIZES}
    assert sent == expected
    red_alt = {v: b.get("alt") for v, b in variation_uploads(ecwid).items()}
    assert all(red_alt[shirt[("Red", s)]] == {"main": "Red shirt"} for s in SIZES)
    assert sorted(writes(ecwid)) == sorted(
        f"POST /products/{SHIRT}/combinations/{v}/image/async" for v in expected
    )
    await undo_the_job(bulk_bot, slack, ts)
    for variation in ecwid.combinations[SHIRT]:
        assert "originalImageUrl" not in variation, variation["id"]


async def test_a_captions_option_puts_the_first_file_on_those_variations(
    drop_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    shirt: dict[tuple[str, str], int],
) -> None:
    event = dropped(slack, ["IMG_1.jpg", "IMG_2.jpg"], text='sku:SHIRT option:Color="Dark red"')
    await drop_bot.event(event, event_id="EvCaptionOption")
    ts, job_id, plan = await the_drop_plan(slack)
    assert "a variation holds one image" in json.dumps(plan.params, ensure_ascii=False)
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    await drop_bot.idle()
    assert [r["outcome"] for r in rows] == ["uploaded"] * 4
    first, second = (slack.files[f"F{event['ts'][-4:]}{n}"][0] for n in range(2))
    for (color, _), variation in shirt.items():
        data = shown_by(ecwid, variation)
        assert (data is not None and same_picture(data, first)) == (color == "Dark red")
    gallery = [c for c in ecwid.calls if c.path == f"/products/{SHIRT}/gallery"]
    assert [c.body for c in gallery] == [second]


def _product_chosen(value: str) -> dict[str, Any]:
    option = {"text": {"type": "plain_text", "text": value}, "value": value}
    return {
        "type": "external_select",
        "action_id": "product",
        "block_id": "product",
        "selected_option": option,
    }


def as_json(view: str | dict[str, Any]) -> dict[str, Any]:
    """A view as slack-sdk sent it: a JSON string in a form post, an object in a JSON body."""
    return json.loads(view) if isinstance(view, str) else view


def _value_groups(view: dict[str, Any]) -> list[tuple[str, list[str]]]:
    (block,) = [b for b in view["blocks"] if b.get("block_id") == "option_value"]
    return [
        (group["label"]["text"], [o["text"]["text"] for o in group["options"]])
        for group in block["element"]["option_groups"]
    ]


async def test_choosing_a_product_in_the_form_offers_its_option_values_and_takes_them_away(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, shirt: dict[tuple[str, str], int]
) -> None:
    """The product field dispatches its choice: the shirt's values appear right after it (by
    views.update, with the hash Slack sent); a product without options takes them away."""
    await bulk_bot.command("")
    view = as_json((await slack.wait_for_call("views.open"))[0].params["view"])
    product_block = next(b for b in view["blocks"] if b.get("block_id") == "product")
    assert product_block["dispatch_action"] is True
    assert all(b.get("block_id") != "option_value" for b in view["blocks"])

    await bulk_bot.interaction(modal_action(view, _product_chosen(str(SHIRT)), "h-1"))
    (update,) = await slack.wait_for_call("views.update")
    assert (update.params["view_id"], update.params["hash"]) == ("V1", "h-1")
    offered = as_json(update.params["view"])
    blocks = [b.get("block_id") for b in offered["blocks"]]
    assert blocks[blocks.index("product") + 1] == "option_value"
    assert _value_groups(offered) == [
        ("Color", ["Red", "Black", "Dark red", "Crème", "Blue"]),
        ("Size", ["38", "40", "M"]),
    ]
    assert offered["callback_id"] == view["callback_id"]
    assert offered["private_metadata"] == view["private_metadata"]

    await bulk_bot.interaction(modal_action(offered, _product_chosen("123"), "h-2"))
    updates = await slack.wait_for_call("views.update", count=2)
    assert "option_value" not in json.dumps(as_json(updates[1].params["view"]))
    # A variation chosen, in a form with no values shown: nothing to update.
    await bulk_bot.interaction(modal_action(view, _product_chosen(f"{SHIRT}:9001"), "h-3"))
    await bulk_bot.idle()
    assert len(slack.calls_to("views.update")) == 2


async def test_the_forms_option_value_sends_the_image_to_those_variations(
    bulk_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    shirt: dict[tuple[str, str], int],
) -> None:
    chosen = json.dumps(["Color", "Dark red"])
    values = {
        "product": {"type": "external_select", "selected_option": {"value": str(SHIRT)}},
        "option_value": {"type": "static_select", "selected_option": {"value": chosen}},
        "image_url": {"type": "url_text_input", "value": images.link("shoe.png")},
        "alt_main": {"type": "plain_text_input", "value": "Dark red shirt"},
        "channel": {"type": "conversations_select", "selected_conversation": "C77"},
    }
    metadata = json.dumps({"languages": [], "external_id": None})
    answer = await bulk_bot.interaction(view_submission("ecwid_image_upload", values, metadata))
    assert (answer.status_code, answer.text) == (200, "")
    ts, job_id, plan = await the_plan(slack)
    assert "*1 image → 3 variations ready*" in plan.params["text"]
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    await bulk_bot.idle()
    sent = variation_uploads(ecwid)
    assert set(sent) == {shirt[("Dark red", size)] for size in SIZES}
    assert all(body["alt"] == {"main": "Dark red shirt"} for body in sent.values())

    # A variation with a value, or a value for the gallery: said on the field, nothing planned.
    variation = {**values, "product": {"selected_option": {"value": f"{SHIRT}:9001"}}}
    refused = await bulk_bot.interaction(view_submission("ecwid_image_upload", variation, metadata))
    assert refused.json()["errors"] == {
        "option_value": "That is one variation: choose the product itself to reach every "
        "variation with a value."
    }
    other = json.dumps(["Color", "Red", 123])  # offered for product 123, chosen before SHIRT
    stale = {**values, "option_value": {"selected_option": {"value": other}}}
    refused = await bulk_bot.interaction(view_submission("ecwid_image_upload", stale, metadata))
    assert refused.json()["errors"] == {
        "option_value": "That value was offered for another product: choose the value again "
        "for this one."
    }
    gallery = {**values, "target": {"selected_option": {"value": "gallery"}}}
    refused = await bulk_bot.interaction(view_submission("ecwid_image_upload", gallery, metadata))
    assert list(refused.json()["errors"]) == ["target"]


async def test_a_sku_that_exists_wins_over_an_option_value_and_the_plan_says_so(
    drop_bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    shirt: dict[tuple[str, str], int],
) -> None:
    """`SHIRT-red.jpg` when a product's SKU is SHIRT-red: that product's main image, as before
    #36; the plan names the reading it took. No variation of SHIRT is written."""
    ecwid.products[950] = {"id": 950, "name": "Red scarf", "sku": "SHIRT-red", "media": media()}
    event = dropped(slack, ["SHIRT-red.jpg"])
    await drop_bot.event(event, event_id="EvSkuWins")
    ts, job_id, plan = await the_drop_plan(slack)
    assert "read as SKU SHIRT-red, the main image (SKU.jpg)" in json.dumps(plan.params)
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    await drop_bot.idle()
    assert [(r["slot"], r["outcome"]) for r in rows] == [("main", "uploaded")]
    assert [c.path for c in ecwid.calls if c.method != "GET"] == ["/products/950/image"]


async def test_a_variations_sku_in_a_name_never_stands_for_every_variation_with_a_value(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, shirt: dict[tuple[str, str], int]
) -> None:
    """`SHIRT-1-red.jpg`, SHIRT-1 being one variation's SKU: not read as every Red variation
    of SHIRT (nothing is guessed); the file is a problem, and nothing is uploaded."""
    event = dropped(slack, ["SHIRT-1-red.jpg"])
    await drop_bot.event(event, event_id="EvVariationSku")
    update = await slack.wait_until(
        lambda: next(
            (c for c in slack.calls_to("chat.update") if "SHIRT-1-red" in str(c.params)), None
        )
    )
    await drop_bot.idle()
    assert "Nothing can be uploaded" in update.params["text"]
    assert [c for c in ecwid.calls if c.method != "GET"] == []


async def test_a_caption_that_says_option_in_prose_is_read_as_before(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, shirt: dict[tuple[str, str], int]
) -> None:
    event = dropped(slack, ["IMG_1.jpg"], text="Best option: the red one. sku:SHIRT")
    await drop_bot.event(event, event_id="EvProseOption")
    ts, job_id, _ = await the_drop_plan(slack)
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [(r["slot"], r["outcome"]) for r in rows] == [("main", "uploaded")]
    assert [c.path for c in ecwid.calls if c.method != "GET"] == [f"/products/{SHIRT}/image"]


async def test_a_drop_replacing_variations_own_images_says_so_in_its_plan(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, shirt: dict[tuple[str, str], int]
) -> None:
    url, _ = ecwid.to_cdn(7002, photo("old red"))
    for size in ("38", "M"):
        own = next(v for v in ecwid.combinations[SHIRT] if v["id"] == shirt[("Red", size)])
        own.update(originalImageUrl=url, imageUrl=url)
    await drop_bot.event(dropped(slack, ["SHIRT-red.jpg"]), event_id="EvReplaces")
    _, _, plan = await the_drop_plan(slack)
    assert "This replaces 2 images: 2 variations have images of their own now" in json.dumps(
        plan.params, ensure_ascii=False
    )


async def test_a_form_prefilled_with_a_product_that_has_options_offers_them_once_open(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, shirt: dict[tuple[str, str], int]
) -> None:
    """`/ecwid-image sku:SHIRT`: the form opens at once (the trigger's 3 s), then its option
    values are added by views.update, naming the view and hash views.open answered."""
    await bulk_bot.command("sku:SHIRT")
    (opened,) = await slack.wait_for_call("views.open")
    (update,) = await slack.wait_for_call("views.update")
    answered = opened.answer["view"]  # type: ignore[index]
    assert (update.params["view_id"], update.params["hash"]) == (answered["id"], answered["hash"])
    assert _value_groups(as_json(update.params["view"]))[0] == (
        "Color",
        ["Red", "Black", "Dark red", "Crème", "Blue"],
    )
