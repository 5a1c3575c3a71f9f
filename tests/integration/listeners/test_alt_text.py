"""Alt text, wherever it comes from, through signed requests (issue 33): what alt text never
carries is refused where a person typed it (the command, the upload form, the gallery card's
form), removed and said where it came from a CSV file or from Ecwid (copy to variations); ZWNJ
and ZWJ are kept; every text reaches Ecwid composed (NFC)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.bulk_helpers import (
    bulk_form_submission,
    press,
    serve_photos,
    stock,
    the_plan,
    the_report,
)
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest
from tests.integration.listeners.test_forms import METADATA, filled
from tests.integration.listeners.test_gallery import PRODUCT, menu_of, pressed, stocked, the_card
from tests.integration.listeners.test_undo import blocks_of, posted
from tests.slack_requests import view_submission

# What alt text never carries, as the issue lists it.
REFUSED = frozenset(
    [chr(c) for c in (*range(0x20), *range(0x7F, 0xA0))]
    + [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
    + ["\u200b", "\ufeff", "\u2028", "\u2029"]
)
PERSIAN = "کتاب\u200cها"  # "books": ZWNJ keeps the plural suffix apart from the stem


def sent_text(ecwid: FakeEcwid) -> str:
    """Every JSON body that reached Ecwid, as one text."""
    return json.dumps(
        [c.body for c in ecwid.calls if not isinstance(c.body, bytes)], ensure_ascii=False
    )


async def alt_form(bot: BotUnderTest, slack: FakeSlack, place: int) -> dict[str, Any]:
    """The gallery card of PRODUCT, and its Edit alt text form for image `place`, opened."""
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), place)["gallery_image"], "alt"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    return json.loads(view) if isinstance(view, str) else dict(view)


def alt_values(**texts: str) -> dict[str, dict[str, Any]]:
    return {
        f"alt_{lang}": {"type": "plain_text_input", "value": text} for lang, text in texts.items()
    }


@pytest.mark.parametrize(
    ("char", "named"),
    [
        ("\x00", "U+0000 NULL"),
        ("\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u200b", "U+200B ZERO WIDTH SPACE"),
    ],
)
async def test_the_gallery_alt_form_refuses_an_invisible_character_in_any_language(
    bot: BotUnderTest,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    char: str,
    named: str,
) -> None:
    stocked(ecwid, images)
    view = await alt_form(bot, slack, 2)
    await bot.idle()
    before = len(ecwid.calls)
    values = alt_values(en="Side view", nl=f"Zij{char}kant", de="")
    answer = await bot.interaction(
        view_submission("ecwid_gallery_alt", values, view["private_metadata"])
    )
    assert answer.json() == {
        "response_action": "errors",
        "errors": {
            "alt_nl": f"This alt text contains an invisible character ({named}); remove it and "
            "try again."
        },
    }
    await bot.idle()
    assert ecwid.calls[before:] == []  # nothing reached Ecwid
    assert not [c for c in slack.calls_to("chat.postMessage") if "alt text" in c.params["text"]]


async def test_a_persian_alt_text_keeps_its_zwnj_from_the_gallery_form(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.languages = {"enabledLanguages": ["en", "fa"], "defaultLanguage": "en"}
    stocked(ecwid, images)
    view = await alt_form(bot, slack, 2)
    values = alt_values(en="Cafe\u0301 books", fa=PERSIAN)
    answer = await bot.interaction(
        view_submission("ecwid_gallery_alt", values, view["private_metadata"])
    )
    assert (answer.status_code, answer.text) == (200, "")
    await posted(slack, "set the alt text of image 2")
    await bot.idle()
    (update,) = ecwid.updates
    image = next(i for i in update.body["media"]["images"] if i["id"] == "55")
    assert image["alt"] == {"main": "Café books", "translated": {"fa": PERSIAN}}


async def test_the_command_refuses_a_right_to_left_override(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    response = await bot.command(f'123 {images.link("shoe.png")} alt="a\u202eb"')
    assert response.json()["text"].startswith(
        ":warning: `alt` contains an invisible character (U+202E RIGHT-TO-LEFT OVERRIDE); "
        "remove it and try again."
    )
    await bot.idle()
    assert ecwid.calls == []


async def test_a_decomposed_letter_reaches_ecwid_composed_from_the_command(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f'123 {images.link("shoe.png")} alt="Cafe\u0301" alt.nl="{PERSIAN}"')
    await slack.wait_for_call("chat.postMessage", count=2)
    assert ecwid.uploads[0].body["alt"] == {"main": "Café", "translated": {"nl": PERSIAN}}


async def test_a_decomposed_letter_reaches_ecwid_composed_from_the_upload_form(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    values = filled(
        images.link("shoe.png"),
        alt_main={"type": "plain_text_input", "value": "Cafe\u0301"},
        alt_nl={"type": "plain_text_input", "value": "Cre\u0300me"},
    )
    response = await bot.interaction(view_submission("ecwid_image_upload", values, METADATA))
    assert (response.status_code, response.text) == (200, "")
    await slack.wait_for_call("chat.postMessage", count=2)
    assert ecwid.uploads[0].body["alt"] == {"main": "Café", "translated": {"nl": "Crème"}}


async def test_a_csv_lines_invisible_characters_are_removed_and_the_plan_says_so(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 2)
    serve_photos(images)
    rows = [
        "product,image_url,width,height,alt,alt.nl",
        f"{ids[0]},{images.link('a.jpg')},800,600,Red shoe\u200b,Rode\ufeff schoen\u200b",
        f"{ids[1]},{images.link('b.jpg')},800,600,Cafe\u0301 {PERSIAN},",
    ]
    data = "\r\n".join(rows) + "\r\n"
    file = slack.add_file("F0CSVALT", "images.csv", data.encode(), mimetype="text/csv")
    await bot.interaction(bulk_form_submission(csv_file=file))
    ts, job_id, plan = await the_plan(slack)
    assert "*2 uploads ready*" in plan.params["text"]
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    assert "These lines' alt texts held invisible characters" in shown
    assert (
        " — removed 3 invisible characters from its alt text: U+200B ZERO WIDTH SPACE, U+FEFF "
        "ZERO WIDTH NO-BREAK SPACE"
    ) in shown
    assert "Line 2: " in shown
    assert shown.count(" — removed ") == 1  # line 3 had nothing to remove
    await bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    bodies = {c.path: c.body for c in ecwid.uploads}
    assert bodies[f"/products/{ids[0]}/image/async"]["alt"] == {
        "main": "Red shoe",
        "translated": {"nl": "Rode schoen"},
    }
    assert bodies[f"/products/{ids[1]}/image/async"]["alt"] == {"main": f"Café {PERSIAN}"}
    assert not REFUSED & set(sent_text(ecwid))


async def test_copy_to_variations_removes_what_ecwid_holds_and_says_so(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    side = next(i for i in ecwid.products[PRODUCT]["media"]["images"] if i["id"] == "55")
    side["alt"] = {"main": "Side\u200b", "translated": {"nl": "Zij\u202ekant", "fa": PERSIAN}}
    ecwid.combinations[PRODUCT] = [{"id": 901, "options": [{"name": "Color", "value": "Blue"}]}]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "copy"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    chosen = view["blocks"][0]["element"]["options"]
    values = {"variations": {"type": "multi_static_select", "selected_options": chosen}}
    await bot.interaction(view_submission("ecwid_gallery_copy", values, view["private_metadata"]))
    (line,) = await posted(slack, "copied image 2 to")
    assert (
        "(removed 2 invisible characters from its alt text: U+200B ZERO WIDTH SPACE, U+202E "
        "RIGHT-TO-LEFT OVERRIDE)"
    ) in line.params["text"]
    await bot.idle()
    (upload,) = ecwid.uploads
    assert upload.body["alt"] == {"main": "Side", "translated": {"nl": "Zijkant", "fa": PERSIAN}}
    assert not REFUSED & set(json.dumps(upload.body, ensure_ascii=False))
