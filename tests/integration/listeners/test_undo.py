"""Before and after, and Undo, through block_actions payloads as Slack sends them. Every test
runs under both of the fake's gallery id models (stable ids, and ids by place)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Any

import pytest

from bot.config import Settings, load_settings
from tests.fakes.ecwid_api import GALLERY_ID_MODELS, FakeEcwid, Fault
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.harness import BotUnderTest, environment, serving
from tests.slack_requests import block_actions

pytestmark = pytest.mark.parametrize("ecwid", GALLERY_ID_MODELS, indirect=True)


def with_an_image(ecwid: FakeEcwid, images: FakeImageHost) -> bytes:
    """Product 123 shows photo.jpg (640×480) with alt text, as before any upload."""
    ecwid.products[123]["originalImage"] = {
        "url": images.link("photo.jpg"),
        "width": 640,
        "height": 480,
    }
    main = ecwid.products[123]["media"]["images"][0]
    main["alt"] = {"main": "Old shoe", "translated": {"nl": "Oude schoen"}}
    return images.files["photo.jpg"].body


async def reply_of(slack: FakeSlack, count: int = 1, timeout: float = 5.0) -> SlackCall:
    """The count-th result reply, as it is once Undo is offered: the result is posted first,
    then updated with the previous image and the button."""
    post = (
        await slack.wait_until(
            lambda: (
                (r := [c for c in slack.calls_to("chat.postMessage") if c.params.get("blocks")])
                and len(r) >= count
                and r
            ),
            timeout,
        )
    )[count - 1]
    ts = post.answer["ts"]  # type: ignore[index]
    offered = await slack.wait_until(
        lambda: [
            c
            for c in slack.calls_to("chat.update")
            if c.params.get("ts") == ts and c.params.get("blocks")
        ],
        timeout,
    )
    params = {**post.params, "blocks": offered[0].params["blocks"]}
    return SlackCall(post.method, params, post.token, answer=post.answer)


async def posted(slack: FakeSlack, words: str) -> list[SlackCall]:
    """The messages posted so far that say `words`, once there is one."""
    return list(
        await slack.wait_until(
            lambda: [c for c in slack.calls_to("chat.postMessage") if words in c.params["text"]]
        )
    )


def blocks_of(call: SlackCall) -> list[dict[str, Any]]:
    blocks = call.params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


def press(
    reply: SlackCall,
    response_url: str,
    user: str = "U123",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The block_actions payload Slack sends when the reply's button is pressed."""
    """`blocks`: the message as it is now, if it changed since it was posted."""
    shown = blocks if blocks is not None else blocks_of(reply)
    button = next(e for b in blocks_of(reply) if b["type"] == "actions" for e in b["elements"])
    ts = reply.answer["ts"]  # type: ignore[index]
    message = {
        "ts": ts,
        "thread_ts": reply.params["thread_ts"],
        "text": reply.params["text"],
        "blocks": shown,
    }
    action = {
        "type": "button",
        "action_id": button["action_id"],
        "block_id": "b1",
        "value": button["value"],
        "action_ts": "1700000100.1",
    }
    trigger = "5555.42.undo"
    return block_actions(
        action, user=user, trigger=trigger, message=message, response_url=response_url
    )


async def test_undo_puts_the_previous_image_back_after_a_restart_and_without_its_host(
    settings: Settings, bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    previous = with_an_image(ecwid, images)
    await bot.command(f'123 {images.link("shoe.png")} alt="New shoe"')
    reply = await reply_of(slack)
    blocks = blocks_of(reply)
    kept = [f for f in slack.files if f.startswith("F0UP")]
    assert [slack.files[f][0] for f in kept] == [previous]  # the "before", kept in the thread
    assert [b.get("image_url") or b.get("slack_file") for b in blocks if b["type"] == "image"] == [
        images.link("shoe.png"),
        {"id": kept[0]},
    ]
    assert [b["title"]["text"] for b in blocks if b["type"] == "image"] == [
        "New image",
        "Previous image (kept for Undo)",
    ]
    (button,) = next(b["elements"] for b in blocks if b["type"] == "actions")
    assert (button["action_id"], button["text"]["text"]) == ("undo_upload", "Undo")
    assert button["confirm"]["text"]["text"] == "Put back the previous image of Red Shoe?"
    assert len(button["value"]) <= 2000

    del images.files["photo.jpg"]  # Ecwid's old link is gone: the kept copy must do
    async with serving(settings, slack) as restarted:  # a new process: nothing in memory
        response = await restarted.interaction(press(reply, restarted.response_url))
        assert response.status_code == 200
        undone = await posted(slack, "put back")
        await restarted.idle()
    assert (
        undone[0].params["text"]
        == ":leftwards_arrow_with_hook: <@U123> put back the previous image."
    )
    assert undone[0].params["thread_ts"] == reply.params["thread_ts"]
    assert ecwid.byte_uploads[-1].path == "/products/123/image"
    assert ecwid.byte_uploads[-1].body == previous
    assert ecwid.updates[-1].body["media"]["images"][0]["alt"] == {
        "main": "Old shoe",
        "translated": {"nl": "Oude schoen"},
    }
    updates = {c.params["ts"]: c.params for c in slack.calls_to("chat.update")}
    after = updates[reply.answer["ts"]]  # type: ignore[index]
    shown = json.loads(after["blocks"]) if isinstance(after["blocks"], str) else after["blocks"]
    assert [b["type"] for b in shown if b["type"] == "actions"] == []  # the buttons are gone
    assert shown[-1]["block_id"] == "undone-by:U123"
    assert updates[reply.params["thread_ts"]]["text"] == (
        ":leftwards_arrow_with_hook: <@U123> undid this change (see thread)."
    )


async def test_a_second_press_changes_nothing(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await reply_of(slack)
    await bot.interaction(press(reply, bot.response_url))
    await posted(slack, "put back")
    await bot.idle()
    uploads = len(ecwid.byte_uploads)
    updated = [
        c.params
        for c in slack.calls_to("chat.update")
        if c.params["ts"] == reply.answer["ts"]  # type: ignore[index]
    ][-1]  # the last: after the undo
    now = json.loads(updated["blocks"]) if isinstance(updated["blocks"], str) else updated["blocks"]
    # A press that was on its way (the message as first posted), then one on the message as
    # it is now: both change nothing and say who undid it.
    for blocks in (None, now):
        slack.responses.clear()
        await bot.interaction(press(reply, slack.response_url("again"), user="U777", blocks=blocks))
        await bot.idle()
        assert (await slack.wait_for_response())["text"] == (
            ":information_source: Already undone by <@U123>; nothing was changed."
        )
    assert len(ecwid.byte_uploads) == uploads


async def test_a_press_after_another_upload_of_the_same_product_refuses(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    await bot.command(f"123 {images.link('shoe.png')}")
    first = await reply_of(slack)
    await bot.command(f"123 {images.link('anim.gif')}")  # someone uploads again
    await reply_of(slack, 2)
    await bot.idle()
    uploads = [c for c in ecwid.calls if c.method in ("POST", "DELETE")]
    await bot.interaction(press(first, bot.response_url))
    await bot.idle()
    assert (await slack.wait_for_response())["text"] == (
        ":no_entry_sign: The image has changed since this upload (someone uploaded again or "
        "edited it): undo would overwrite the newer change, so nothing was changed."
    )
    assert [c for c in ecwid.calls if c.method in ("POST", "DELETE")] == uploads


async def test_a_user_outside_the_allow_list_cannot_undo(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    async with serving(replace(settings, allowed_users=frozenset({"U123"})), slack) as bot:
        await bot.command(f"123 {images.link('shoe.png')}")
        reply = await reply_of(slack)
        await bot.idle()
        before = len(ecwid.calls)
        await bot.interaction(press(reply, bot.response_url, user="U999"))
        answer = (await slack.wait_for_response())["text"]
        await bot.idle()
    assert answer.startswith(":no_entry: Sorry, you are not on the list of people")
    assert len(ecwid.calls) == before


async def test_a_product_without_an_image_gets_the_new_one_deleted(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"456 {images.link('shoe.png')}")
    reply = await reply_of(slack)
    assert not [f for f in slack.files if f.startswith("F0UP")]  # nothing to keep
    await bot.interaction(press(reply, bot.response_url))
    done = await posted(slack, "took the new image away")
    assert done[0].params["text"] == (
        ":leftwards_arrow_with_hook: <@U123> took the new image away: there was none before."
    )
    assert [(c.method, c.path) for c in ecwid.calls if c.method == "DELETE"] == [
        ("DELETE", "/products/456/image")
    ]
    assert "originalImage" not in ecwid.products[456]


async def test_a_gallery_image_can_be_removed_again(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    await bot.command(f"123 {images.link('shoe.png')} to=gallery")
    reply = await reply_of(slack)
    (button,) = next(b["elements"] for b in blocks_of(reply) if b["type"] == "actions")
    assert button["text"]["text"] == "Remove from gallery"
    assert button["confirm"]["text"]["text"] == "Remove this image from the gallery of Red Shoe?"
    added = ecwid.shown_ids(123)[-1]  # "987654321", the upload's answer; or "2", its place
    await bot.interaction(press(reply, bot.response_url))
    await posted(slack, "removed the image")
    assert [c.path for c in ecwid.calls if c.method == "DELETE"] == [
        f"/products/123/gallery/{added}"
    ]
    assert [i["id"] for i in ecwid.products[123]["media"]["images"]] == ["0", "55"]


async def test_a_variations_previous_image_is_put_back(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ecwid.combinations[789][0]["originalImageUrl"] = images.link("photo.jpg")
    await bot.command(f"sku:RUN-42 {images.link('shoe.png')}")
    reply = await reply_of(slack)
    await bot.interaction(press(reply, bot.response_url))
    await posted(slack, "put back")
    restored = [c for c in ecwid.calls if c.method == "POST"][-1]
    assert restored.path == "/products/789/combinations/501/image"
    assert restored.body == images.files["photo.jpg"].body


async def test_a_failed_undo_is_explained_and_can_be_tried_again(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    with_an_image(ecwid, images)
    await bot.command(f"123 {images.link('shoe.png')}")
    reply = await reply_of(slack)
    await bot.idle()
    ecwid.faults["upload-bytes"] = [Fault(400, {"errorMessage": "Broken image"})]
    await bot.interaction(press(reply, bot.response_url))
    await bot.idle()
    assert (await slack.wait_for_response())["text"] == (
        ":x: Undo failed: the previous image may not be back. Ecwid refused the request. "
        "Ecwid said: `Broken image`"
    )
    slack.responses.clear()
    await bot.interaction(press(reply, bot.response_url))  # the button is still there
    await posted(slack, "put back")


async def test_one_undo_pressed_in_two_processes_at_once_restores_once(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    database_url: str,
) -> None:
    """Two dynos on one PostgreSQL (or two processes on one SQLite file), each with nothing of
    the other in memory: the claim in the shared store lets exactly one restore."""
    previous = with_an_image(ecwid, images)
    settings = load_settings(environment(slack, ecwid, tls, database_url=database_url))
    async with serving(settings, slack) as one, serving(settings, slack) as other:
        await one.command(f"123 {images.link('shoe.png')}")
        reply = await reply_of(slack)
        await one.idle()
        uploads = len(ecwid.byte_uploads)
        await asyncio.gather(
            one.interaction(press(reply, slack.response_url("one"))),
            other.interaction(press(reply, slack.response_url("other"), user="U777")),
        )
        await slack.wait_until(
            lambda: (
                len(slack.responses)
                + len(
                    [
                        c
                        for c in slack.calls_to("chat.postMessage")
                        if "put back" in c.params["text"]
                    ]
                )
                >= 2
            )
        )
        await one.idle()
        await other.idle()
    restores = ecwid.byte_uploads[uploads:]
    assert [c.body for c in restores] == [previous]
    put_back = [c for c in slack.calls_to("chat.postMessage") if "put back" in c.params["text"]]
    assert len(put_back) == 1
    winner = "U123" if "<@U123>" in put_back[0].params["text"] else "U777"
    assert [r["text"] for r in slack.responses] == [
        f":information_source: Already undone by <@{winner}>; nothing was changed."
    ]
