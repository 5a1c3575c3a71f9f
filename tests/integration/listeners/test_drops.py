"""The drop zone through signed `event_callback` deliveries as Slack sends them (a `message`
event with `files[]` and `subtype: file_share`; a re-delivery with `X-Slack-Retry-Num`), with a
short DROP_GROUP_SECONDS instead of a wait."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.bulk import NamingRules, compile_pattern
from bot.domain.requests import SharedFile
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.flows.drops import Drop, DropZone
from bot.jobs.store import JobStore
from bot.slack.access import FAILURE_CACHE_SECONDS, AccessPolicy
from bot.slack.notify import SlackDropReport
from bot.slack.workspaces import OneWorkspace
from tests.bulk_helpers import photo, press, stock, the_report, uploaded_products
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served
from tests.fakes.slack_api import BOT_USER_ID, FakeSlack, SlackCall
from tests.harness import BotUnderTest, serving
from tests.integration.listeners.test_undo import blocks_of

WATCHED = "C123"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}  # Slack's retry headers


@pytest.fixture
async def drop_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotUnderTest]:
    watched = replace(settings, watch_channels=frozenset({WATCHED}), drop_group_seconds=0.3)
    async with serving(watched, slack) as bot:
        yield bot


def dropped(
    slack: FakeSlack,
    names: list[str],
    *,
    ts: str = "1700000400.000100",
    channel: str = WATCHED,
    user: str = "U123",
    text: str = "",
    **extra: Any,
) -> dict[str, Any]:
    """The `message` event of a drop (Slack's Events API: `subtype: file_share`, `files[]`)."""
    files = [
        slack.add_file(f"F{ts[-4:]}{n}", name, photo(name), "image/jpeg")
        for n, name in enumerate(names)
    ]
    return {
        "type": "message",
        "subtype": "file_share",
        "user": user,
        "channel": channel,
        "channel_type": "channel",
        "ts": ts,
        "event_ts": ts,
        "text": text,
        "files": files,
        **extra,
    }


def plans(slack: FakeSlack) -> list[SlackCall]:
    """The plans' first messages (each job's "checking…" post)."""
    return [c for c in slack.calls_to("chat.postMessage") if "checking" in c.params["text"]]


async def the_drop_plan(slack: FakeSlack) -> tuple[str, str, SlackCall]:
    update: SlackCall = await slack.wait_until(
        lambda: next(
            (
                c
                for c in slack.calls_to("chat.update")
                if any(
                    e.get("action_id") == "bulk_start"
                    for b in blocks_of(c)
                    if b["type"] == "actions"
                    for e in b["elements"]
                )
            ),
            None,
        )
    )
    start = next(
        e
        for b in blocks_of(update)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "bulk_start"
    )
    return str(update.params["ts"]), start["value"], update


async def _no_channels(team_id: str) -> frozenset[str]:
    return frozenset()


async def test_three_files_dropped_in_a_watched_channel_get_one_plan_in_their_thread(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 3)
    event = dropped(slack, [f"BULK-{n}.jpg" for n in ids])
    assert (await drop_bot.event(event, event_id="EvDrop1")).status_code == 200
    # Slack re-delivers it (the first ack was late): no second plan.
    assert (await drop_bot.event(event, event_id="EvDrop1", headers=RETRY)).status_code == 200
    ts, job_id, plan = await the_drop_plan(slack)
    await drop_bot.idle()
    (posted,) = plans(slack)
    assert posted.params["thread_ts"] == event["ts"]  # in the drop's own thread
    assert "*3 uploads ready*" in plan.params["text"]

    await drop_bot.interaction(press("bulk_start", job_id, ts))
    text, rows = await the_report(slack)
    assert "Every line was uploaded" in text
    assert sorted(uploaded_products(ecwid)) == ids
    report = next(c for c in slack.calls_to("chat.postMessage") if "CSV" in c.params["text"])
    assert report.params["thread_ts"] == event["ts"]  # the report too, in the drop's thread
    assert [r["outcome"] for r in rows] == ["uploaded"] * 3


async def test_the_same_message_in_another_delivery_is_planned_once(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    event = dropped(slack, [f"BULK-{ids[0]}.jpg"])
    await drop_bot.event(event, event_id="EvA")
    await drop_bot.event(event, event_id="EvB")  # the same files: the same drop
    await the_drop_plan(slack)
    await drop_bot.idle()
    assert len(plans(slack)) == 1


async def test_an_unwatched_channel_and_the_bots_own_message_cause_nothing(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    await drop_bot.event(dropped(slack, [f"BULK-{ids[0]}.jpg"], channel="C999"), event_id="E1")
    own = dropped(slack, ["BULK-x.jpg"], ts="1700000401.000100", user=BOT_USER_ID, bot_id="BBOT")
    await drop_bot.event(own, event_id="E2")
    await drop_bot.idle()
    assert slack.calls_to("chat.postMessage") == [] and slack.calls_to("chat.postEphemeral") == []
    assert ecwid.calls == []


async def test_a_caption_puts_camera_named_files_on_its_product(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    event = dropped(slack, ["IMG_1234.jpg", "IMG_1235.jpg"], text=f"new shots sku:BULK-{ids[0]}")
    await drop_bot.event(event, event_id="EvCaption")
    ts, job_id, _ = await the_drop_plan(slack)
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [(r["text"], r["slot"], r["outcome"]) for r in rows] == [
        ("IMG_1234.jpg", "main", "uploaded"),
        ("IMG_1235.jpg", "gallery", "uploaded"),
    ]
    paths = [c.path for c in ecwid.calls if c.method == "POST"]
    assert paths == [f"/products/{ids[0]}/image", f"/products/{ids[0]}/gallery"]


async def test_one_persons_messages_within_the_window_make_one_plan(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 2)
    first = dropped(slack, [f"BULK-{ids[0]}.jpg"], ts="1700000500.000100")
    second = dropped(slack, [f"BULK-{ids[1]}.jpg"], ts="1700000501.000200")
    await drop_bot.event(first, event_id="EvG1")
    await drop_bot.event(second, event_id="EvG2")
    _, _, plan = await the_drop_plan(slack)
    await drop_bot.idle()
    (posted,) = plans(slack)
    assert posted.params["thread_ts"] == first["ts"]
    assert "*2 uploads ready*" in plan.params["text"]


async def test_each_drop_by_someone_not_allowed_gets_its_note_and_no_plan(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    tuned = replace(
        settings,
        watch_channels=frozenset({WATCHED}),
        drop_group_seconds=0.3,
        allowed_users=frozenset({"U999"}),
    )
    first = dropped(slack, [f"BULK-{ids[0]}.jpg"])
    async with serving(tuned, slack) as bot:
        await bot.event(first, event_id="EvR1")
        await bot.event(dropped(slack, ["b.jpg"], ts="1700000402.000100"), event_id="EvR2")
        await bot.event(first, event_id="EvR1", headers=RETRY)  # no third note
        await bot.idle()
    notes = slack.calls_to("chat.postEphemeral")
    assert len(notes) == 2  # every drop is answered; a re-delivery is not a drop
    assert all("not on the list" in n.params["text"] for n in notes)
    assert plans(slack) == [] and ecwid.calls == []


async def test_names_by_each_convention_and_a_stores_own_pattern_go_to_their_slots(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 3)
    naming = NamingRules(pattern=compile_pattern(r"(?P<sku>BULK-[0-9]+)~(?P<n>[0-9]+)"))
    tuned = replace(
        settings, watch_channels=frozenset({WATCHED}), drop_group_seconds=0.3, naming=naming
    )
    names = [
        f"BULK-{ids[1]}-front.jpg",
        f"BULK-{ids[0]}.PT01.jpg",
        f"BULK-{ids[1]} (2).jpg",
        f"BULK-{ids[0]}.MAIN.jpg",
        f"BULK-{ids[2]}~3.png",
        f"BULK-{ids[1]}#3.jpg",
    ]
    async with serving(tuned, slack) as bot:
        await bot.event(dropped(slack, names), event_id="EvNames")
        ts, job_id, _ = await the_drop_plan(slack)
        await bot.interaction(press("bulk_start", job_id, ts))
        _, rows = await the_report(slack)
    # In each product's order: the main image, then numbered gallery places, then views.
    assert [(r["text"], r["product"].split(" ")[0], r["slot"], r["outcome"]) for r in rows] == [
        (f"BULK-{ids[0]}.MAIN.jpg", f"sku:BULK-{ids[0]}", "main", "uploaded"),
        (f"BULK-{ids[0]}.PT01.jpg", f"sku:BULK-{ids[0]}", "gallery", "uploaded"),
        (f"BULK-{ids[1]} (2).jpg", f"sku:BULK-{ids[1]}", "gallery", "uploaded"),
        (f"BULK-{ids[1]}#3.jpg", f"sku:BULK-{ids[1]}", "gallery", "uploaded"),
        (f"BULK-{ids[1]}-front.jpg", f"sku:BULK-{ids[1]}", "gallery", "uploaded"),
        (f"BULK-{ids[2]}~3.png", f"sku:BULK-{ids[2]}", "gallery", "uploaded"),
    ]
    paths = [c.path for c in ecwid.calls if c.method == "POST"]
    assert paths.count(f"/products/{ids[0]}/image") == 1
    assert paths.count(f"/products/{ids[1]}/gallery") == 3


async def test_a_one_off_name_gets_did_you_mean_and_its_button_replans_the_file(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 2)
    ecwid.products[ids[1]]["sku"] = "SHOE-RED-42"
    event = dropped(slack, [f"BULK-{ids[0]}.jpg", "SHOE-RED-4.jpg"])
    await drop_bot.event(event, event_id="EvTypo")
    ts, job_id, plan = await the_drop_plan(slack)
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    assert "*1 upload ready*, 1 line with problems" in plan.params["text"]
    assert "No product has SKU SHOE-RED-4. Did you mean SHOE-RED-42?" in shown
    button = next(
        e
        for b in blocks_of(plan)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "bulk_use_sku"
    )
    assert button["text"]["text"] == "Use SHOE-RED-42 for SHOE-RED-4.jpg"

    use = press("bulk_use_sku", job_id, ts)
    use["actions"][0]["value"] = button["value"]
    await drop_bot.interaction(use)
    replanned = await slack.wait_until(
        lambda: [
            c for c in slack.calls_to("chat.update") if "*2 uploads ready*" in c.params["text"]
        ]
    )
    assert "bulk_use_sku" not in json.dumps(replanned[0].params["blocks"])
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert sorted(uploaded_products(ecwid)) == sorted(ids)
    assert [(r["text"], r["outcome"]) for r in rows] == [
        (f"BULK-{ids[0]}.jpg", "uploaded"),
        ("SHOE-RED-4.jpg", "uploaded"),
    ]


async def test_a_photo_already_in_the_gallery_and_one_dropped_twice_are_caught(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 2)
    # The first product shows side.jpg in its gallery already (Ecwid serves it from its CDN).
    images.files["side.jpg"] = Served(photo("side"), "image/jpeg")
    ecwid.products[ids[0]]["media"]["images"].append(
        {"id": "77", "isMain": False, "orderBy": 1, "imageOriginalUrl": images.link("side.jpg")}
    )
    names = [f"BULK-{ids[0]}_2.jpg", f"BULK-{ids[1]}_2.jpg", f"BULK-{ids[1]}_3.jpg"]
    files = [
        slack.add_file("FDUP1", names[0], photo("side"), "image/jpeg"),  # already there
        slack.add_file("FDUP2", names[1], photo("twice"), "image/jpeg"),
        slack.add_file("FDUP3", names[2], photo("twice"), "image/jpeg"),  # the same again
    ]
    event = {**dropped(slack, []), "files": files}
    await drop_bot.event(event, event_id="EvDup")
    ts, job_id, plan = await the_drop_plan(slack)
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    assert "*1 upload ready*" in plan.params["text"]
    # The product has no main image: side.jpg is the card's image 1.
    assert f"`{names[0]}` — Already on the product, in the gallery as image 1." in shown
    assert f"`{names[2]}` — The same photo as line 2." in shown

    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [(r["text"], r["outcome"]) for r in rows] == [
        (names[0], "duplicate (left out)"),
        (names[1], "uploaded"),
        (names[2], "duplicate (left out)"),
    ]
    assert uploaded_products(ecwid) == [ids[1]]


async def test_include_duplicates_runs_them_too(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    files = [
        slack.add_file("FINC1", f"BULK-{ids[0]}_2.jpg", photo("same"), "image/jpeg"),
        slack.add_file("FINC2", f"BULK-{ids[0]}_3.jpg", photo("same"), "image/jpeg"),
    ]
    await drop_bot.event({**dropped(slack, []), "files": files}, event_id="EvInc")
    ts, job_id, plan = await the_drop_plan(slack)
    button = next(
        e
        for b in blocks_of(plan)
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "bulk_include_duplicates"
    )
    await drop_bot.interaction(press("bulk_include_duplicates", button["value"], ts))
    await slack.wait_until(
        lambda: [
            c for c in slack.calls_to("chat.update") if "*2 uploads ready*" in c.params["text"]
        ]
    )
    await drop_bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [r["outcome"] for r in rows] == ["uploaded", "uploaded"]


async def test_a_name_read_two_ways_takes_the_sku_that_exists_and_says_so(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    ecwid.products[ids[0]]["sku"] = "ABC"  # ABC-2 could be the SKU ABC-2, or ABC's image 2
    await drop_bot.event(dropped(slack, ["ABC-2.jpg"]), event_id="EvTwoWays")
    _, _, plan = await the_drop_plan(slack)
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    assert "could be read two ways" in shown
    assert "`ABC-2.jpg` — read as SKU ABC, the gallery (SKU_2.jpg)" in shown


# ---- re-deliveries, and files shared again (issue #33, §4 and §6) ----------------------------


@pytest.mark.parametrize("again", ["Slack's retry", "another event"])
async def test_a_redelivery_after_the_plan_makes_no_second_plan(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, again: str
) -> None:
    """After the grouping window, where no merge can hide a second plan: only seen_events stops
    it (by the event's id for a retry, by the message for another event of the same message)."""
    ids = stock(ecwid, 1)
    event = dropped(slack, [f"BULK-{ids[0]}.jpg"])
    await drop_bot.event(event, event_id="EvLate")
    await the_drop_plan(slack)
    await drop_bot.idle()
    if again == "Slack's retry":
        await drop_bot.event(event, event_id="EvLate", headers=RETRY)
    else:
        await drop_bot.event(event, event_id="EvLate2")
    await drop_bot.idle()
    assert len(plans(slack)) == 1
    assert slack.calls_to("chat.postEphemeral") == []


async def test_a_file_shared_again_in_a_new_message_is_planned_when_the_first_could_not_be(
    drop_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    first = dropped(slack, [f"BULK-{ids[0]}.jpg"])
    # The plan cannot be posted (Slack's chat.postMessage error for a channel the bot left).
    slack.errors["chat.postMessage"] = "not_in_channel"
    await drop_bot.event(first, event_id="EvFirst")
    await drop_bot.idle()
    (note,) = slack.calls_to("chat.postEphemeral")
    assert "was not checked" in note.params["text"]
    del slack.errors["chat.postMessage"]

    # The same file (its id unchanged), shared again in a new message: a new drop.
    again = {**first, "ts": "1700000700.000100", "event_ts": "1700000700.000100"}
    await drop_bot.event(again, event_id="EvAgain")
    _, _, plan = await the_drop_plan(slack)
    await drop_bot.idle()
    (posted,) = [c for c in plans(slack) if c.answer]  # the first drop's attempt was refused
    assert posted.params["thread_ts"] == again["ts"]
    assert "*1 upload ready*" in plan.params["text"]


# ---- refusals give the true reason --------------------------------------------------------


async def test_an_allowed_person_in_a_channel_outside_allowed_channels_is_told_so(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    tuned = replace(
        settings,
        watch_channels=frozenset({WATCHED}),
        drop_group_seconds=0.3,
        allowed_users=frozenset({"U123"}),
        allowed_channels=frozenset({"C777"}),
    )
    async with serving(tuned, slack) as bot:
        await bot.event(dropped(slack, [f"BULK-{ids[0]}.jpg"]), event_id="EvChannel")
        await bot.idle()
    (note,) = slack.calls_to("chat.postEphemeral")
    text = note.params["text"]
    assert "not on the list" not in text
    assert f"photos in <#{WATCHED}>" in text and "only change the catalog from <#C777>" in text
    assert plans(slack) == [] and ecwid.calls == []


async def test_a_drop_whose_user_group_cannot_be_read_is_kept_and_planned_when_slack_answers(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    ids = stock(ecwid, 1)
    tuned = replace(
        settings,
        watch_channels=frozenset({WATCHED}),
        drop_group_seconds=0.3,
        allowed_usergroups=frozenset({"S1"}),
    )
    slack.usergroups = {"S1": ["U123"]}
    # Slack's usergroups.users.list fails as its reference says methods do: HTTP 200 with
    # {"ok": false, "error": "fatal"} (`fatal` is among the method's documented errors).
    slack.errors["usergroups.users.list"] = "fatal"
    now = [1000.0]
    async with serving(tuned, slack, clock=lambda: now[0]) as bot:
        event = dropped(slack, [f"BULK-{ids[0]}.jpg"])
        await bot.event(event, event_id="EvUnchecked")
        (note,) = await slack.wait_for_call("chat.postEphemeral")
        assert "could not check with Slack" in note.params["text"]
        assert "They are kept" in note.params["text"]
        assert "not on the list" not in note.params["text"]
        assert plans(slack) == []

        del slack.errors["usergroups.users.list"]  # Slack answers again…
        now[0] += FAILURE_CACHE_SECONDS + 1  # …once the failure is forgotten
        _, _, plan = await the_drop_plan(slack)
        await bot.idle()
    (posted,) = plans(slack)
    assert posted.params["thread_ts"] == event["ts"]
    assert "*1 upload ready*" in plan.params["text"]
    assert len(slack.calls_to("chat.postEphemeral")) == 1


async def test_a_drop_still_unchecked_after_the_hold_is_answered_and_not_planned(
    drop_bot: BotUnderTest, slack: FakeSlack, tmp_path: Path
) -> None:
    """The flow itself with a hold of half a second (HOLD_SECONDS is ten minutes), on a store of
    its own and the bot's access rules and notes: Slack never answers, and the person is told to
    share the files again."""
    runtime = drop_bot.runtime
    groups = replace(runtime.settings, allowed_usergroups=frozenset({"S1"}))
    slack.errors["usergroups.users.list"] = "fatal"
    store = await JobStore.open(f"sqlite+aiosqlite:///{tmp_path}/drops.sqlite3")
    zone = DropZone(
        jobs=store,
        stores=runtime.stores,
        bulk=runtime.bulk,
        access=OneWorkspace(groups, AccessPolicy(groups.access_lists, runtime.slack)),
        report=SlackDropReport(runtime.notifier, _no_channels),
        group_seconds=0.1,
        hold_seconds=0.5,
    )
    zone.watch()
    try:
        file = SharedFile(id="FHOLD1", name="BULK-1.jpg", mimetype="image/jpeg")
        await zone.dropped(
            Drop(
                Tenant(ONE_WORKSPACE, STORE_ID),
                "EvHold",
                WATCHED,
                "U123",
                "1700000800.000100",
                (file,),
            )
        )
        notes = await slack.wait_for_call("chat.postEphemeral", count=2)
        await zone.idle()
        assert await store.next_drop_due() is None  # nothing left waiting
    finally:
        await zone.close()
        await store.close()
    assert "could not check with Slack" in notes[0].params["text"]
    assert "Share them again in a new message" in notes[1].params["text"]
    assert plans(slack) == []
