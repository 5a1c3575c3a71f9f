"""The gallery card through signed requests: `/ecwid-image gallery`, its menu and Delete button
as Slack sends them (block_actions with an overflow's `selected_option`), its two forms, and the
loopback Ecwid's media model (orderBy, and the renumbering on reorder, as documented). Every test
runs under both of the fake's gallery id models (stable ids, and ids by place)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings
from tests.bulk_helpers import photo
from tests.fakes.ecwid_api import GALLERY_ID_MODELS, FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_undo import blocks_of, posted, press
from tests.slack_requests import (
    block_actions,
    home_press,
    message_shortcut,
    view_submission,
)

PRODUCT = 777
pytestmark = pytest.mark.parametrize("ecwid", GALLERY_ID_MODELS, indirect=True)


def stocked(ecwid: FakeEcwid, images: FakeImageHost) -> dict[str, str]:
    """Product 777: a main image (alt in English and Dutch) and two gallery images (one with
    English alt text); its links by name."""
    links = {}
    for name in ("front", "side", "back"):
        images.files[f"{name}.jpg"] = Served(photo(name), "image/jpeg")
        links[name] = images.link(f"{name}.jpg")
    ecwid.products[PRODUCT] = {
        "id": PRODUCT,
        "name": "Trail Shoe",
        "sku": "TS-1",
        "originalImage": {"url": links["front"], "width": 640, "height": 480},
        "media": media(
            {
                "id": "55",
                "isMain": False,
                "orderBy": 1,
                "alt": {"main": "Side"},
                "imageOriginalUrl": links["side"],
            },
            {
                "id": "56",
                "isMain": False,
                "orderBy": 2,
                "alt": {},
                "imageOriginalUrl": links["back"],
            },
        ),
    }
    ecwid.products[PRODUCT]["media"]["images"][0]["alt"] = {
        "main": "Front",
        "translated": {"nl": "Voorkant"},
    }
    return links


async def the_card(slack: FakeSlack, count: int = 1) -> SlackCall:
    cards = await slack.wait_until(
        lambda: [
            c
            for c in slack.calls_to("chat.postMessage")
            if "*Gallery*" in c.params["text"] and not c.params.get("thread_ts")
        ][count - 1 :]
    )
    return cards[0]


def sections(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


def menu_of(blocks: list[dict[str, Any]], place: int) -> dict[str, Any]:
    actions = next(b for b in blocks if b.get("block_id") == f"image_{place}")
    return {e["action_id"]: e for e in actions["elements"]}


def pressed(
    ts: str, element: dict[str, Any], option: str | None = None, user: str = "U123"
) -> dict[str, Any]:
    """The block_actions payload of the card's menu (an option chosen) or Delete button."""
    action: dict[str, Any] = {
        "type": element["type"],
        "action_id": element["action_id"],
        "block_id": "image_1",
        "action_ts": "1700000200.1",
    }
    if option is not None:
        chosen = next(o for o in element["options"] if o["value"].startswith(option + ":"))
        action["selected_option"] = chosen
    else:
        action["value"] = element["value"]
    message = {"ts": ts, "text": ""}
    return block_actions(action, user=user, trigger="9999.42.gallery", message=message)


def puts(ecwid: FakeEcwid) -> list[Any]:
    return [c.body for c in ecwid.calls if c.method == "PUT"]


def order(ecwid: FakeEcwid) -> list[str | None]:
    """The product's images as Ecwid has them, main first, by the link each is served from."""
    product = ecwid.products[PRODUCT]
    images = sorted(
        product["media"]["images"], key=lambda i: (not i.get("isMain"), i.get("orderBy", 0))
    )
    main = (product.get("originalImage") or {}).get("url")
    return [i.get("imageOriginalUrl") or (main if i.get("isMain") else None) for i in images]


async def test_the_card_lists_the_images_main_first_with_their_alt_coverage(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    side, back = ("55", "56") if ecwid.gallery_ids == "stable" else ("1", "2")
    assert (await bot.command(f"gallery {PRODUCT}")).status_code == 200
    card = await the_card(slack)
    blocks = blocks_of(card)
    shown = sections(blocks)
    assert "`Trail Shoe` (#777 · SKU `TS-1`): 3 images" in shown[0]
    assert shown[1] == "*1.* main image · id `0`\nalt: en ✓ · nl ✓ · de ✗"
    assert shown[2] == f"*2.* gallery · id `{side}`\nalt: en ✓ · nl ✗ · de ✗"
    assert shown[3] == f"*3.* gallery · id `{back}`\nalt: en ✗ · nl ✗ · de ✗"
    thumbnails = [b["accessory"]["image_url"] for b in blocks if "accessory" in b]
    assert thumbnails == [links["front"], links["side"], links["back"]]
    first, second = menu_of(blocks, 1), menu_of(blocks, 2)
    assert [o["value"].split(":")[0] for o in first["gallery_image"]["options"]] == [
        "later",
        "alt",
    ]
    assert [o["value"].split(":")[0] for o in second["gallery_image"]["options"]] == [
        "main",
        "later",
        "alt",
    ]
    assert all(len(o["value"]) <= 150 for o in second["gallery_image"]["options"])
    assert second["gallery_delete"]["confirm"]["text"]["text"].startswith("Delete image 2")


async def test_a_card_the_bot_cannot_post_is_explained_privately(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    slack.errors["chat.postMessage"] = "not_in_channel"
    slack.errors["chat.postEphemeral"] = "not_in_channel"
    assert (await bot.command(f"gallery {PRODUCT}")).status_code == 200
    await bot.idle()
    assert [r["text"] for r in slack.responses] == [
        ":warning: The gallery card could not be posted in this channel. Invite me here "
        "(`/invite @Ecwid Image`) and try again."
    ]


async def test_make_main_sends_media_only_and_redraws_the_card_from_what_ecwid_says(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    _, side, back = ecwid.shown_ids(PRODUCT)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "main"))
    await posted(slack, "made image 2 the main image")
    await bot.idle()

    # The reference: every image with its id, new orderBy and current alt; nothing else.
    assert puts(ecwid) == [
        {
            "media": {
                "images": [
                    {"id": side, "orderBy": 0, "alt": {"main": "Side"}},
                    {
                        "id": "0",
                        "orderBy": 1,
                        "alt": {"main": "Front", "translated": {"nl": "Voorkant"}},
                    },
                    {"id": back, "orderBy": 2},
                ]
            }
        }
    ]
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    blocks = blocks_of(redrawn)
    thumbnails = [b["accessory"]["image_url"] for b in blocks if "accessory" in b]
    assert thumbnails == [links["side"], links["front"], links["back"]]
    shown = sections(blocks)
    assert shown[1].startswith("*1.* main image · id `0`\nalt: en ✓ · nl ✗")
    # Ecwid gave the old main image another id in the gallery: the card says so.
    assert "id `0`" not in shown[2] and "en ✓ · nl ✓" in shown[2]
    assert f"id `{ecwid.shown_ids(PRODUCT)[1]}`" in shown[2]


async def test_a_press_on_a_stale_card_changes_nothing_and_redraws_it(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    # Someone deletes image 3 in the Ecwid admin after the card was drawn.
    ecwid.products[PRODUCT]["media"]["images"].pop()
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "later"))
    told = await slack.wait_until(
        lambda: [
            c for c in slack.calls_to("chat.postEphemeral") if "changed since" in c.params["text"]
        ]
    )
    assert "nothing was changed" in told[0].params["text"]
    await bot.idle()
    assert puts(ecwid) == []
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    assert "2 images" in redrawn.params["text"]


async def test_delete_keeps_the_image_and_removes_it(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    back = ecwid.shown_ids(PRODUCT)[2]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 3)["gallery_delete"]))
    await posted(slack, "deleted image 3")
    await bot.idle()
    assert [c.path for c in ecwid.calls if c.method == "DELETE"] == [
        f"/products/{PRODUCT}/gallery/{back}"
    ]
    assert order(ecwid) == [links["front"], links["side"]]
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    assert "2 images" in redrawn.params["text"]
    history = await bot.runtime.history._history.of_product(PRODUCT, 5)
    assert history[0].action == "removed" and history[0].copy_kept
    assert await bot.runtime.history._history.kept_copy(history[0].id) == photo("back")


async def test_edit_alt_text_opens_a_field_per_language_and_sets_it(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "alt"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "ecwid_gallery_alt"
    fields = {b["block_id"]: b["element"].get("initial_value") for b in view["blocks"]}
    assert fields == {"alt_en": "Side", "alt_nl": None, "alt_de": None}

    values = {
        "alt_en": {"type": "plain_text_input", "value": "Side view"},
        "alt_nl": {"type": "plain_text_input", "value": "Zijkant"},
        "alt_de": {"type": "plain_text_input", "value": ""},
    }
    answer = await bot.interaction(
        view_submission("ecwid_gallery_alt", values, view["private_metadata"])
    )
    assert (answer.status_code, answer.text) == (200, "")
    await posted(slack, "set the alt text of image 2")
    await bot.idle()
    image = ecwid.products[PRODUCT]["media"]["images"][1]
    assert image["alt"] == {"main": "Side view", "translated": {"nl": "Zijkant"}}
    main = ecwid.products[PRODUCT]["media"]["images"][0]
    assert main["alt"] == {"main": "Front", "translated": {"nl": "Voorkant"}}  # kept


async def test_copy_to_two_variations_sends_the_image_by_its_link_with_size_and_alt(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    ecwid.combinations[PRODUCT] = [
        {"id": 901, "options": [{"name": "Color", "value": "Blue"}]},
        {"id": 902, "options": [{"name": "Color", "value": "Red"}]},
        {"id": 903, "options": [{"name": "Color", "value": "Green"}]},
    ]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "copy"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    select = view["blocks"][0]["element"]
    assert (view["callback_id"], select["type"]) == ("ecwid_gallery_copy", "multi_static_select")
    assert [(o["text"]["text"], o["value"]) for o in select["options"]] == [
        ("Color: Blue", "901"),
        ("Color: Red", "902"),
        ("Color: Green", "903"),
    ]
    chosen = [o for o in select["options"] if o["value"] in ("901", "903")]
    values = {"variations": {"type": "multi_static_select", "selected_options": chosen}}
    await bot.interaction(view_submission("ecwid_gallery_copy", values, view["private_metadata"]))
    await posted(slack, "copied image 2 to")
    await bot.idle()
    sent = [(c.path, c.body) for c in ecwid.calls if c.path.endswith("/image/async")]
    body = {"url": links["side"], "width": "640", "height": "480", "alt": {"main": "Side"}}
    assert sent == [
        (f"/products/{PRODUCT}/combinations/901/image/async", body),
        (f"/products/{PRODUCT}/combinations/903/image/async", body),
    ]
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    assert "Variations with their own image: `Color Blue`, `Color Green`" in json.dumps(
        blocks_of(redrawn), ensure_ascii=False
    )


async def test_copy_to_every_variation_with_an_option_value_and_one_chosen_by_hand(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The copy form's "every variation with" (#36): all Red ones, whatever their size, and the
    one chosen besides; none other."""
    links = stocked(ecwid, images)
    ecwid.combinations[PRODUCT] = [
        {"id": 900 + n, "options": [{"name": "Color", "value": c}, {"name": "Size", "value": z}]}
        for n, (c, z) in enumerate([("Blue", "S"), ("Blue", "M"), ("Red", "S"), ("Red", "M")], 1)
    ]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "copy"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    (by_value,) = [b for b in view["blocks"] if b["block_id"] == "option_value"]
    groups = by_value["element"]["option_groups"]
    assert [(g["label"]["text"], [o["text"]["text"] for o in g["options"]]) for g in groups] == [
        ("Color", ["Blue", "Red"]),
        ("Size", ["S", "M"]),
    ]
    red = next(o for o in groups[0]["options"] if o["text"]["text"] == "Red")
    by_hand = [o for o in view["blocks"][0]["element"]["options"] if o["value"] == "901"]
    values = {
        "variations": {"type": "multi_static_select", "selected_options": by_hand},
        "option_value": {"type": "static_select", "selected_option": red},
    }
    await bot.interaction(view_submission("ecwid_gallery_copy", values, view["private_metadata"]))
    await posted(slack, "copied image 2 to")
    await bot.idle()
    sent = [c.path for c in ecwid.calls if c.path.endswith("/image/async")]
    assert sent == [f"/products/{PRODUCT}/combinations/{n}/image/async" for n in (901, 903, 904)]
    assert all(c.body["url"] == links["side"] for c in ecwid.calls if c.path in sent)
    nothing = await bot.interaction(
        view_submission("ecwid_gallery_copy", {}, view["private_metadata"])
    )
    assert nothing.json()["errors"] == {
        "variations": "Choose at least one variation, or an option value."
    }


async def test_someone_outside_the_allow_list_changes_nothing(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    async with serving(replace(settings, allowed_users=frozenset({"U123"})), slack) as bot:
        await bot.command(f"gallery {PRODUCT}")
        card = await the_card(slack)
        ts = card.answer["ts"]  # type: ignore[index]
        blocks = blocks_of(card)
        await bot.interaction(pressed(ts, menu_of(blocks, 2)["gallery_image"], "main", user="U666"))
        await bot.interaction(pressed(ts, menu_of(blocks, 2)["gallery_delete"], user="U666"))
        await slack.wait_until(
            lambda: (
                len([c for c in slack.calls_to("chat.postEphemeral") if "not" in c.params["text"]])
                >= 2
            )
        )
        await bot.idle()
    assert [c for c in ecwid.calls if c.method in ("PUT", "DELETE", "POST")] == []


async def line_of(slack: FakeSlack, words: str) -> SlackCall:
    """The card's thread line saying `words`, with its Undo."""
    return (await posted(slack, words))[-1]


async def test_each_change_from_the_card_can_be_undone(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    ecwid.combinations[PRODUCT] = [
        {"id": 901, "options": [{"name": "Color", "value": "Blue"}]},
        {
            "id": 902,
            "options": [{"name": "Color", "value": "Red"}],
            "originalImageUrl": links["back"],
        },
    ]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]

    # Make main, then undo: the old order again, by Ecwid's new ids.
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "main"))
    line = await line_of(slack, "made image 2 the main image")
    await bot.idle()
    await bot.interaction(press(line, slack.response_url()))
    await posted(slack, "put the gallery back in its previous order")
    await bot.idle()
    assert order(ecwid) == [links["front"], links["side"], links["back"]]

    # Delete image 3, then undo: its kept bytes go back to the gallery.
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    await bot.interaction(pressed(ts, menu_of(blocks_of(redrawn), 3)["gallery_delete"]))
    line = await line_of(slack, "deleted image 3")
    await bot.idle()
    await bot.interaction(press(line, slack.response_url()))
    await posted(slack, "put the deleted image back")
    await bot.idle()
    assert [c.body for c in ecwid.calls if c.path == f"/products/{PRODUCT}/gallery"] == [
        photo("back")
    ]

    # Copy image 1 to both variations, then undo each: Blue had none (deleted again), Red's
    # own image goes back.
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    await bot.interaction(pressed(ts, menu_of(blocks_of(redrawn), 1)["gallery_image"], "copy"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        "variations": {
            "type": "multi_static_select",
            "selected_options": view["blocks"][0]["element"]["options"],
        }
    }
    await bot.interaction(view_submission("ecwid_gallery_copy", values, view["private_metadata"]))
    blue = await line_of(slack, "to variation Color Blue")
    red = await line_of(slack, "to variation Color Red")
    await bot.idle()
    await bot.interaction(press(blue, slack.response_url()))
    await posted(slack, "took the new image away")
    await bot.interaction(press(red, slack.response_url()))
    await posted(slack, "put back the previous image")
    await bot.idle()
    assert [c.path for c in ecwid.calls if c.method == "DELETE"][-1] == (
        f"/products/{PRODUCT}/combinations/901/image"
    )
    restored = [
        c.body for c in ecwid.calls if c.path == f"/products/{PRODUCT}/combinations/902/image"
    ]
    assert restored == [photo("back")]


async def test_manage_gallery_on_a_message_naming_a_sku_posts_its_card(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    message = {"type": "message", "ts": "1700000300.1", "text": "New photos for RS-1, see thread"}
    answer = await bot.interaction(message_shortcut("manage_gallery", message, "C123"))
    assert answer.status_code == 200
    card = await the_card(slack)
    assert card.params["channel"] == "C123"
    assert "`Red Shoe` (#123 · SKU `RS-1`)" in card.params["text"]

    await bot.interaction(message_shortcut("manage_gallery", {"text": "lunch at 12?"}, "C123"))
    told = await slack.wait_until(
        lambda: [
            c
            for c in slack.calls_to("chat.postEphemeral")
            if "names no product" in c.params["text"]
        ]
    )
    assert told


async def test_manage_a_gallery_from_the_home_tab_asks_for_the_product_and_channel(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    stocked(ecwid, images)
    await bot.interaction(home_press("home_gallery"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "ecwid_gallery_open"
    assert view["blocks"][0]["element"]["type"] == "external_select"  # the product type-ahead
    values = {
        "product": {"type": "external_select", "selected_option": {"value": str(PRODUCT)}},
        "channel": {"type": "conversations_select", "selected_conversation": "C777"},
    }
    answer = await bot.interaction(view_submission("ecwid_gallery_open", values, ""))
    assert (answer.status_code, answer.text) == (200, "")
    card = await the_card(slack)
    assert card.params["channel"] == "C777" and "Trail Shoe" in card.params["text"]


async def test_move_later_and_earlier_and_an_alt_text_undone(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]

    def latest() -> list[dict[str, Any]]:
        return blocks_of([c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1])

    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "later"))
    await posted(slack, "moved image 2 to place 3")
    await bot.idle()
    assert order(ecwid) == [links["front"], links["back"], links["side"]]
    await bot.interaction(pressed(ts, menu_of(latest(), 3)["gallery_image"], "earlier"))
    await posted(slack, "moved image 3 to place 2")
    await bot.idle()
    assert order(ecwid) == [links["front"], links["side"], links["back"]]

    await bot.interaction(pressed(ts, menu_of(latest(), 1)["gallery_image"], "alt"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        "alt_en": {"type": "plain_text_input", "value": "Front view"},
        "alt_nl": {"type": "plain_text_input", "value": ""},
        "alt_de": {"type": "plain_text_input", "value": "Vorderseite"},
    }
    await bot.interaction(view_submission("ecwid_gallery_alt", values, view["private_metadata"]))
    line = await line_of(slack, "set the alt text of image 1")
    await bot.idle()
    main = ecwid.products[PRODUCT]["media"]["images"][0]
    assert main["alt"] == {"main": "Front view", "translated": {"de": "Vorderseite"}}
    await bot.interaction(press(line, slack.response_url()))
    await posted(slack, "put the previous alt text back")
    await bot.idle()
    main = ecwid.products[PRODUCT]["media"]["images"][0]
    assert main["alt"] == {"main": "Front", "translated": {"nl": "Voorkant"}}


def ephemeral_press(call: SlackCall, user: str = "U123") -> dict[str, Any]:
    """The block_actions payload of the button on a private (ephemeral) message."""
    (button,) = next(b["elements"] for b in blocks_of(call) if b["type"] == "actions")
    action = {
        "type": "button",
        "action_id": button["action_id"],
        "block_id": "b1",
        "value": button["value"],
        "action_ts": "1700000400.2",
    }
    return block_actions(
        action,
        user=user,
        trigger="9999.43.gallery",
        channel_id=call.params["channel"],
        message_ts="1700000400.1",
        ephemeral=True,
    )


async def test_delete_removes_the_image_pressed_though_the_gallery_moved_while_it_was_kept(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """Ids may be places: the id the card was drawn with names another image by the time the
    kept copy is had. The image pressed is deleted, by an id read just before."""
    links = stocked(ecwid, images)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    release = images.hold("back.jpg")
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 3)["gallery_delete"]))
    await images.wait_until(lambda: [h for h in images.hits if h.path == "back.jpg"])
    # Meanwhile someone moves image 3 before image 2 in the Ecwid admin.
    side, back = ecwid.products[PRODUCT]["media"]["images"][1:]
    side["orderBy"], back["orderBy"] = 2, 1
    ecwid.touch(PRODUCT)
    back_now = ecwid.shown_ids(PRODUCT)[1]  # "56" still, or "1": its place now
    release.set()
    await posted(slack, "deleted image 3")
    await bot.idle()
    assert [c.path for c in ecwid.calls if c.method == "DELETE"] == [
        f"/products/{PRODUCT}/gallery/{back_now}"
    ]
    assert order(ecwid) == [links["front"], links["side"]]


async def test_an_image_that_cannot_be_read_is_deleted_only_when_the_person_says_so(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    links = stocked(ecwid, images)
    del images.files["back.jpg"]  # the host answers 404: no copy can be kept for Undo
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 3)["gallery_delete"]))
    (asked,) = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.postEphemeral") if c.params.get("blocks")]
    )
    await bot.idle()
    assert asked.params["text"] == (
        ":warning: Image 3 of `Trail Shoe` could not be read, so no copy of it can be kept: a "
        "deletion could not be undone. Nothing was deleted. *Delete without Undo?*"
    )
    assert asked.params["user"] == "U123"
    (button,) = next(b["elements"] for b in blocks_of(asked) if b["type"] == "actions")
    assert (button["action_id"], button["text"]["text"]) == (
        "gallery_delete_without_copy",
        "Delete without Undo",
    )
    assert [c for c in ecwid.calls if c.method in ("DELETE", "PUT", "POST")] == []
    assert order(ecwid) == [links["front"], links["side"], links["back"]]

    await bot.interaction(ephemeral_press(asked))
    (line,) = await posted(slack, "deleted image 3")
    await bot.idle()
    assert line.params["text"] == (
        ":frame_with_picture: <@U123> deleted image 3 (no copy could be kept)."
    )
    assert [b for b in blocks_of(line) if b["type"] == "actions"] == []  # no Undo
    assert order(ecwid) == [links["front"], links["side"]]


async def test_a_deleted_gallery_image_comes_back_with_its_alt_text_on_the_new_image(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The image put back gets a new id: Ecwid's answer, or a place. It is found by reading
    the product back and recognising it, and its alt text is set on it."""
    stocked(ecwid, images)
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_delete"]))
    line = await line_of(slack, "deleted image 2")
    await bot.idle()
    await bot.interaction(press(line, slack.response_url()))
    await posted(slack, "put the deleted image back")
    await bot.idle()
    main, back, side = ecwid.shown_ids(PRODUCT)
    assert [c.body for c in ecwid.calls if c.path == f"/products/{PRODUCT}/gallery"] == [
        photo("side")
    ]
    assert puts(ecwid) == [
        {
            "media": {
                "images": [
                    {
                        "id": main,
                        "orderBy": 0,
                        "alt": {"main": "Front", "translated": {"nl": "Voorkant"}},
                    },
                    {"id": back, "orderBy": 2},
                    {"id": side, "orderBy": 3, "alt": {"main": "Side"}},
                ]
            }
        }
    ]
    assert not [c for c in slack.calls_to("chat.postMessage") if "alt text" in c.params["text"]]


async def test_a_video_is_listed_in_every_media_update_and_kept(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The reference: a product update's media lists "all images and videos"; the fake drops
    what is left out. An alt text and a reorder keep the product's video."""
    links = stocked(ecwid, images)
    video = {
        "id": "7",
        "url": "https://www.youtube.com/watch?v=trail",
        "embedHtml": '<iframe src="https://www.youtube.com/embed/trail"></iframe>',
        "providerName": "YouTube",
        "title": "Trail run",
    }
    ecwid.products[PRODUCT]["media"]["videos"] = [video]
    await bot.command(f"gallery {PRODUCT}")
    card = await the_card(slack)
    ts = card.answer["ts"]  # type: ignore[index]
    _, side, back = ecwid.shown_ids(PRODUCT)

    await bot.interaction(pressed(ts, menu_of(blocks_of(card), 2)["gallery_image"], "alt"))
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    values = {
        "alt_en": {"type": "plain_text_input", "value": "Side view"},
        "alt_nl": {"type": "plain_text_input", "value": ""},
        "alt_de": {"type": "plain_text_input", "value": ""},
    }
    await bot.interaction(view_submission("ecwid_gallery_alt", values, view["private_metadata"]))
    await posted(slack, "set the alt text of image 2")
    await bot.idle()
    redrawn = [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts][-1]
    await bot.interaction(pressed(ts, menu_of(blocks_of(redrawn), 2)["gallery_image"], "later"))
    await posted(slack, "moved image 2 to place 3")
    await bot.idle()

    front_alt = {"main": "Front", "translated": {"nl": "Voorkant"}}
    assert puts(ecwid) == [
        {
            "media": {
                "images": [
                    {"id": "0", "orderBy": 0, "alt": front_alt},
                    {"id": side, "orderBy": 1, "alt": {"main": "Side view"}},
                    {"id": back, "orderBy": 2},
                ],
                "videos": [video],
            }
        },
        {
            "media": {
                "images": [
                    {"id": "0", "orderBy": 0, "alt": front_alt},
                    {"id": back, "orderBy": 1},
                    {"id": side, "orderBy": 2, "alt": {"main": "Side view"}},
                ],
                "videos": [video],
            }
        },
    ]
    assert ecwid.products[PRODUCT]["media"]["videos"] == [video]
    assert order(ecwid) == [links["front"], links["back"], links["side"]]
