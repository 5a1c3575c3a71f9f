"""An image by option value through the command (#36): `option:Color=Red` plans one line a Red
variation (all sizes, and only those), and Start sends each once; a value the product lacks
uploads nothing and lists the product's values."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from tests.bulk_helpers import press, reports_done, the_plan, the_report, updates_of
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.integration.listeners.test_history import undo_button

SHIRT = 900
COLORS = [("Red", "Rood"), ("Black", "Zwart"), ("Dark red", "Donkerrood"), ("Crème", "Crème")]
SIZES = ["38", "40", "M"]


def _choices(values: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [{"text": en, "textTranslated": {"en": en, "nl": nl}} for en, nl in values]


@pytest.fixture
def shirt(ecwid: FakeEcwid) -> dict[tuple[str, str], int]:
    """A shirt in 4 colours × 3 sizes (12 variations), its values in English and Dutch (one
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
    _, rows = await the_report(slack)
    await bulk_bot.idle()
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
    assert "Its values: `Red`, `Black`, `Dark red`, `Crème`." in text
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
    ts, job_id, _ = await the_plan(slack)
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    await bulk_bot.idle()
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
