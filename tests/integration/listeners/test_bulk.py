"""Bulk jobs through signed requests: the form, the plan, Start, progress, Stop and the report,
against the loopback Slack and Ecwid, with the job store on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import io
import itertools
import json
import logging
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import FrameType

import pytest

from bot.config import Settings
from bot.domain import bulk
from tests.bulk_helpers import (
    bulk_form_submission,
    lines_for,
    photo,
    press,
    serve_photos,
    stock,
    the_plan,
    the_report,
    updates_of,
    uploaded_products,
)
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served, image_bytes, picture
from tests.fakes.slack_api import FakeSlack
from tests.harness import BotUnderTest, serving
from tests.slack_requests import USER, message_shortcut


async def test_the_command_opens_the_bulk_form(bot: BotUnderTest, slack: FakeSlack) -> None:
    assert (await bot.command("bulk")).status_code == 200
    (opened,) = await slack.wait_for_call("views.open")
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "ecwid_bulk_upload"
    blocks = {b["block_id"]: b["element"] for b in view["blocks"] if b["type"] == "input"}
    assert blocks["lines"]["type"] == "plain_text_input" and blocks["lines"]["multiline"]
    assert blocks["csv_file"]["type"] == "file_input"
    assert blocks["csv_file"]["filetypes"] == ["csv"]
    assert blocks["channel"]["type"] == "conversations_select"
    hints = " ".join(b.get("hint", {}).get("text", "") for b in view["blocks"])
    assert "3,000 characters" in hints and "CSV" in hints


@pytest.mark.slack_pace
@pytest.mark.ecwid_calls_a_second(10)  # progress shown every 2 s: a job of seconds
async def test_thirty_good_lines_and_two_bad_ones_plan_run_and_report(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 30)
    lines = lines_for(images, ids)
    lines.insert(10, f"9999 {images.link('x.jpg')} 800x600")  # line 11: no such product
    lines.insert(20, "# a comment, skipped")
    lines.insert(21, "2001 not-a-link")  # line 22: not an https:// link
    form = await bulk_bot.interaction(bulk_form_submission("\n".join(lines)))
    assert (form.status_code, form.text) == (200, "")

    ts, job_id, plan = await the_plan(slack)
    assert "*30 uploads ready*, 2 lines with problems" in plan.params["text"]
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    assert "Line 11: `9999" in shown and "There is no product with id 9999" in shown
    assert "Line 22: `2001 not-a-link`" in shown and "Unexpected `not-a-link`" in shown
    assert len(job_id) == 32
    assert uploaded_products(ecwid) == []  # nothing before Start

    assert (await bulk_bot.interaction(press("bulk_start", job_id, ts))).status_code == 200
    text, rows = await the_report(slack)

    assert sorted(uploaded_products(ecwid)) == ids  # exactly the 30, once each
    first = next(c for c in ecwid.uploads if c.path == "/products/2001/image/async")
    assert first.body == {
        "url": images.link("p2001.jpg"),
        "width": "800",
        "height": "600",
        "alt": {"main": "Item 2001 front"},
    }
    assert ecwid.rate_limited == []  # the budget was kept: not one 429
    updates = updates_of(slack, ts)
    times = [c.at for c in updates[1:]]  # after the plan: progress, then the totals
    assert len(times) >= 3
    assert all(b - a >= 2.0 for a, b in itertools.pairwise(times))
    assert "░" not in updates[-1].params["text"]  # the totals, no bar any more
    progress = json.dumps([u.params["blocks"] for u in updates[1:-1]])
    assert "done" in progress and "left" in progress and "bulk_cancel" in progress
    assert "*30 uploaded*, 0 failed, 2 lines with problems skipped" in updates[-1].params["text"]
    assert "bulk_cancel" not in json.dumps(updates[-1].params["blocks"])  # no buttons at the end
    assert "2 lines had problems" in text
    assert [r["line"] for r in rows] == [str(n) for n in range(1, 34) if n != 21]
    outcomes = {r["line"]: r for r in rows}
    assert outcomes["1"]["outcome"] == "uploaded" and outcomes["1"]["image_id"].isdigit()
    assert outcomes["1"]["slot"] == "main"
    assert outcomes["11"]["outcome"] == "problem"
    assert "9999" in outcomes["11"]["reason"]
    assert sum(r["outcome"] == "uploaded" for r in rows) == 30


@pytest.mark.ecwid_calls_a_second(10)  # progress shown every 2 s: a job of seconds
async def test_progress_slack_refuses_to_show_neither_pauses_nor_repeats_the_job(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """The job's message was deleted once the job began: every progress update (the progress
    task's work) is refused. That task's failures are its own: the job is not paused, each line
    runs once, and the report still reaches the thread."""
    ids = stock(ecwid, 30)  # at 10 calls a second: several progress updates
    await bulk_bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    slack.errors["chat.update"] = "message_not_found"
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    text, rows = await the_report(slack)
    await bulk_bot.idle()
    tried = [c.params["text"] for c in updates_of(slack, ts)[1:]]  # after the plan
    assert len(tried) >= 3  # progress, tried every 2 s and refused; then the totals
    assert [t for t in tried if "paused" in t] == []
    assert sorted(uploaded_products(ecwid)) == ids  # each once
    assert [r["outcome"] for r in rows] == ["uploaded"] * 30
    assert "Every line was uploaded" in text


class StopSeen(logging.Handler):
    """When the bot took a Stop in (its log line), on the fakes' clock."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.at: float | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("bulk stop job=") and self.at is None:
            self.at = time.monotonic()


@pytest.mark.ecwid_calls_a_second(10)  # the job must still be running when Stop is pressed
async def test_stop_halts_a_running_job_and_the_report_names_what_did_not_run(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 60)
    await bulk_bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) >= 5, timeout=10)
    stop_seen, bot_log = StopSeen(), logging.getLogger("bot")
    level = bot_log.level
    bot_log.addHandler(stop_seen)
    bot_log.setLevel(logging.INFO)
    try:
        await bulk_bot.interaction(press("bulk_cancel", job_id, ts, user="U777"))
        text, rows = await the_report(slack, timeout=10)
    finally:
        bot_log.removeHandler(stop_seen)
        bot_log.setLevel(level)
    final = updates_of(slack, ts)[-1].params["text"]
    assert "stopped by <@U777>" in final
    done = len(uploaded_products(ecwid))
    # Counted from the moment the bot took the Stop in: only lines already on their way since.
    assert stop_seen.at is not None
    stopped_at = sum(1 for c in ecwid.uploads if c.at <= stop_seen.at)
    assert done - stopped_at <= 16
    assert done < 60
    not_run = [r for r in rows if r["outcome"] == "not run"]
    assert len(not_run) == 60 - done
    assert f"{len(not_run)} lines were not run (stopped)" in text
    numbers = sorted(int(r["line"]) for r in not_run)
    # The lines not run, as ranges: each run of consecutive numbers as "a–b", others alone.
    spans: list[str] = []
    start = previous = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == previous + 1:
            previous = n
            continue
        spans.append(str(start) if start == previous else f"{start}–{previous}")
        if n is not None:
            start = previous = n
    assert f"Not run (stopped): lines {', '.join(spans)}." in text
    await bulk_bot.idle()  # the job's run has ended here: nothing is sent after it
    assert len(uploaded_products(ecwid)) == done


async def test_cancel_on_the_plan_uploads_nothing_and_start_then_says_so(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 3)
    await bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    await bot.interaction(press("bulk_cancel", job_id, ts))
    cancelled = await slack.wait_until(
        lambda: [c for c in updates_of(slack, ts) if "cancelled" in c.params["text"]]
    )
    assert "Nothing was uploaded" in cancelled[0].params["text"]
    await bot.interaction(press("bulk_start", job_id, ts))
    refused = await slack.wait_for_call("chat.postEphemeral")
    assert "was cancelled" in refused[0].params["text"]
    await bot.idle()
    assert uploaded_products(ecwid) == []


async def test_a_csv_file_with_bom_semicolons_and_any_header_case(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 2)
    serve_photos(images)
    rows = [
        "Product;IMAGE_URL;Width;Height;Alt;alt.NL;to",
        f"{ids[0]};{images.link('a.jpg')};800;600;Red shoe;Rode schoen;",
        f"sku:BULK-{ids[1]};{images.link('b.jpg')};;;;;gallery",
        f"{ids[0]};{images.link('c.jpg')};800;;;;",
    ]
    data = "\ufeff" + "\r\n".join(rows) + "\r\n"
    file = slack.add_file("F0CSV1", "images.csv", data.encode(), mimetype="text/csv")
    await bot.interaction(bulk_form_submission(csv_file=file))
    ts, job_id, plan = await the_plan(slack)
    assert "*2 uploads ready*, 1 line with problems" in plan.params["text"]
    assert "Line 4" in json.dumps(plan.params["blocks"])  # the file's own line numbers
    await bot.interaction(press("bulk_start", job_id, ts))
    await the_report(slack)
    main = next(c for c in ecwid.calls if c.path == f"/products/{ids[0]}/image/async")
    assert main.body["alt"] == {"main": "Red shoe", "translated": {"nl": "Rode schoen"}}
    gallery = next(c for c in ecwid.calls if c.path == f"/products/{ids[1]}/gallery/async")
    assert (gallery.body["width"], gallery.body["height"]) == ("640", "480")  # read from it


EXAMPLE_CSV = Path(__file__).parents[3] / "examples" / "bulk.csv"


async def test_the_documented_example_csv_plans_and_uploads_every_line(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """examples/bulk.csv, linked from docs/bulk.md, works as the docs say: its host is the only
    thing changed (tests reach no internet), each link a distinct photo."""
    example = EXAMPLE_CSV.read_text(encoding="utf-8")
    host = "https://images.example.com/"
    names = re.findall(re.escape(host) + r"([\w-]+\.jpg)", example)
    assert len(names) == 4
    for name in names:
        size = (1200, 1200) if name == "red-shoe-front.jpg" else (800, 600)
        images.files[name] = Served(photo(name, size), "image/jpeg")
    data = example.replace(host, images.link(""))
    file = slack.add_file("F0EXAMPLE", "bulk.csv", data.encode(), mimetype="text/csv")
    await bot.interaction(bulk_form_submission(csv_file=file))
    ts, job_id, plan = await the_plan(slack)
    assert "*4 uploads ready*" in plan.params["text"]
    await bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    assert [r["outcome"] for r in rows] == ["uploaded"] * 4
    sent = {c.path: c.body for c in ecwid.calls if c.method == "POST"}
    assert sent["/products/123/image/async"] == {
        "url": images.link("red-shoe-front.jpg"),
        "width": "1200",
        "height": "1200",
        "alt": {"main": "Red shoe", "translated": {"nl": "Rode schoen"}},
    }
    assert sent["/products/123/gallery/async"]["alt"] == {
        "main": "Red shoe, side view",
        "translated": {"nl": "Rode schoen, zijkant"},
    }
    assert sent["/products/789/combinations/501/image/async"]["url"] == images.link(
        "runner-size-42.jpg"
    )
    assert sent["/products/456/image/async"]["alt"]["main"] == "Blue hat"


async def test_a_csv_of_more_than_five_thousand_lines_is_refused_whole(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    data = "product,image_url\n" + "".join(
        f"{n},https://cdn.example.com/{n}.jpg\n" for n in range(1, 5002)
    )
    file = slack.add_file("F0CSV2", "big.csv", data.encode(), mimetype="text/csv")
    await bot.interaction(bulk_form_submission(csv_file=file))
    refused = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.update") if "not planned" in c.params["text"]]
    )
    assert (
        "That is more than 5,000 lines; a bulk job takes at most 5,000."
        in (refused[0].params["text"])
    )
    assert ecwid.calls == []


def csv_of(ids: list[int], images: FakeImageHost) -> bytes:
    """A CSV of a line a product, each with a link to a photo of its own and an alt text."""
    lines = []
    for n in ids:
        images.files[f"{n}.jpg"] = Served(photo(f"{n}"), "image/jpeg")
        lines.append(f'{n},{images.link(f"{n}.jpg")},"Photo of {n}, front view"')
    return ("product,image_url,alt\n" + "\n".join(lines) + "\n").encode()


def threads_parsing() -> list[int]:
    """The threads whose stack is in the CSV parse (bot.domain.bulk) at this moment."""

    def in_parse(frame: FrameType | None) -> bool:
        while frame is not None:
            if frame.f_code.co_filename == bulk.__file__:
                return True
            frame = frame.f_back
        return False

    return [ident for ident, frame in sys._current_frames().items() if in_parse(frame)]


async def test_a_csv_past_its_parse_limit_is_refused_and_its_parse_has_stopped(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """5,000 lines take a few tenths of a second to parse; with a limit of 10 ms the person is
    told, and the parse stopped by then: no thread goes on with it after the refusal."""
    ids = stock(ecwid, 3)
    lines = [f'{ids[n % 3]},{images.link(f"{n}.jpg")},"Photo {n}, front view"' for n in range(5000)]
    data = ("product,image_url,alt\n" + "\n".join(lines)).encode()
    file = slack.add_file("F0SLOW", "slow.csv", data, "text/csv")
    async with serving(replace(settings, csv_parse_seconds=0.01), slack) as bot:
        await bot.interaction(bulk_form_submission(csv_file=file))
        refused = await slack.wait_until(
            lambda: [c for c in slack.calls_to("chat.update") if "not planned" in c.params["text"]],
            timeout=10,
        )
        still_parsing = threads_parsing()
    assert (
        "The CSV file could not be read within 0.01 s: send a smaller one."
        in refused[0].params["text"]
    )
    assert still_parsing == []
    assert ecwid.calls == []


async def test_a_persons_second_input_waits_for_their_first_while_others_go_ahead(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    """One plan a person at a time: their second CSV is read only once their first is planned
    (it waits its turn, it is not refused); another person's is not held up meanwhile."""
    ids = stock(ecwid, 6)
    first = slack.add_file("F0TURN1", "first.csv", csv_of(ids[:1], images), "text/csv")
    second = slack.add_file("F0TURN2", "second.csv", csv_of(ids[1:3], images), "text/csv")
    other = slack.add_file("F0TURN3", "other.csv", csv_of(ids[3:], images), "text/csv")
    first_download = slack.hold_file("F0TURN1")

    def plans() -> list[str]:
        """Each job's plan (its message's latest text), in the order they were shown."""
        shown: dict[str, str] = {}
        for call in slack.calls_to("chat.update"):
            if "*Bulk upload*" in call.params["text"]:
                shown[str(call.params["ts"])] = str(call.params["text"])
        return list(shown.values())

    def downloaded() -> list[str]:
        return [d.file_id for d in slack.downloads]

    await bot.interaction(bulk_form_submission(csv_file=first))
    await slack.wait_until(downloaded)  # the first is being read (and stays so)
    await bot.interaction(bulk_form_submission(csv_file=second))
    someone_else = bulk_form_submission(csv_file=other)
    someone_else["user"] = {**USER, "id": "U999"}
    await bot.interaction(someone_else)

    (planned,) = await slack.wait_until(plans, timeout=10)
    assert planned.startswith(":clipboard: *Bulk upload* by <@U999>: *3 uploads ready*")
    assert downloaded() == ["F0TURN1", "F0TURN3"]  # the person's second waits its turn

    first_download.set()
    mine = await slack.wait_until(lambda: plans()[1:] if len(plans()) == 3 else None, timeout=10)
    assert [text.split(".", 1)[0] for text in mine] == [
        ":clipboard: *Bulk upload* by <@U123>: *1 upload ready*",
        ":clipboard: *Bulk upload* by <@U123>: *2 uploads ready*",
    ]
    assert downloaded() == ["F0TURN1", "F0TURN3", "F0TURN2"]


async def test_the_form_needs_lines_or_a_csv_file_not_both(
    bot: BotUnderTest, slack: FakeSlack
) -> None:
    file = slack.add_file("F0CSV3", "a.csv", b"product,image_url\n", mimetype="text/csv")
    both = await bot.interaction(bulk_form_submission("123 https://x.example/a.jpg", file))
    neither = await bot.interaction(bulk_form_submission(None))
    for answer in (both, neither):
        assert answer.json() == {
            "response_action": "errors",
            "errors": {"lines": "Give the lines here or a CSV file below, one of the two."},
        }


def png_of(seed: str) -> bytes:
    out = io.BytesIO()
    picture(seed, (300, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_upload_these_images_names_files_by_sku(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid
) -> None:
    # A photo of its own each: the same photo twice on one product would be a duplicate.
    pngs = {name: png_of(name) for name in ("RS-1_3", "RS-1", "RS-1_2", "RUN-42", "holiday")}
    files = [
        slack.add_file("F0A3", "RS-1_3.png", pngs["RS-1_3"]),
        slack.add_file("F0A1", "RS-1.png", pngs["RS-1"]),
        slack.add_file("F0A2", "RS-1_2.png", pngs["RS-1_2"]),
        slack.add_file("F0A4", "RUN-42.png", pngs["RUN-42"]),  # a variation's SKU
        slack.add_file("F0A5", "holiday.png", pngs["holiday"]),
    ]
    shortcut = message_shortcut("use_as_product_images", {"files": files}, "C123")
    shortcut["response_url"] = bot.response_url
    await bot.interaction(shortcut)
    ts, job_id, plan = await the_plan(slack)
    assert "*4 uploads ready*, 1 line with problems" in plan.params["text"]
    assert "holiday.png" in json.dumps(plan.params["blocks"])
    await bot.interaction(press("bulk_start", job_id, ts))
    _, rows = await the_report(slack)
    posted = [c.path for c in ecwid.calls if c.method == "POST"]
    # One product's lines run one after the other: the gallery keeps the names' order.
    assert [p for p in posted if p.startswith("/products/123/")] == [
        "/products/123/image",
        "/products/123/gallery",
        "/products/123/gallery",
    ]
    assert "/products/789/combinations/501/image" in posted
    gallery = [c for c in ecwid.calls if c.path == "/products/123/gallery"]
    assert [c.query["fileName"] for c in gallery] == ["RS-1_2.png", "RS-1_3.png"]
    assert [c.body for c in gallery] == [pngs["RS-1_2"], pngs["RS-1_3"]]
    by_name = {r["text"]: r for r in rows}
    assert by_name["RS-1.png"]["slot"] == "main"
    assert by_name["RUN-42.png"]["slot"] == "variation"
    assert by_name["holiday.png"]["outcome"] == "problem"


@pytest.mark.slow  # waits out a fault for seconds
@pytest.mark.ecwid_calls_a_second(10)  # the job must still be running when the upload is asked
async def test_a_single_upload_during_a_bulk_job_is_answered_in_seconds(
    bulk_bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 60)  # at 10 calls a second: several seconds of work
    await bulk_bot.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    await bulk_bot.interaction(press("bulk_start", job_id, ts))
    await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) >= 10, timeout=10)
    asked = asyncio.get_running_loop().time()
    await bulk_bot.command(f"123 {images.link('shoe.png')} 800x600", user_id="U555")
    reply = await slack.wait_until(
        lambda: [
            c
            for c in slack.calls_to("chat.postMessage")
            if c.params.get("thread_ts") and "New main image id" in c.params["text"]
        ],
        timeout=10,
    )
    answered_in = reply[0].at - asked
    left = 60 - len([p for p in uploaded_products(ecwid) if p != 123])
    assert left > 10  # the job was still running
    assert answered_in < 3.0
    await the_report(slack, timeout=30)
    assert ecwid.rate_limited == []


async def test_a_plan_with_many_problems_lists_them_all_in_its_thread(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    lines = [f"{n} not-a-link" for n in range(1, 26)]
    await bot.interaction(bulk_form_submission("\n".join(lines)))
    ts, job_id, plan = await the_plan(slack)
    assert job_id == ""  # nothing can run: no Start
    assert "*0 uploads ready*, 25 lines with problems" in plan.params["text"]
    shown = json.dumps(plan.params["blocks"], ensure_ascii=False)
    more = re.search(r"…and (\d+) lines more in the thread\.", shown)
    assert more is not None  # as many as fit in the message (Slack: 3,000 characters a block)
    first = 25 - int(more.group(1))
    assert f"Line {first}:" in shown and f"Line {first + 1}:" not in shown
    listed = await slack.wait_until(
        lambda: [c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == ts]
    )
    text = listed[0].params["text"]
    assert all(f"Line {n}: `{n} not-a-link`" in text for n in range(1, 26))
    assert ecwid.calls == []


@pytest.mark.slow  # waits out a fault for seconds
async def test_a_restart_while_checking_says_so_in_the_plan_message(
    settings: Settings, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 1)
    images.files["slow.jpg"] = Served(image_bytes("JPEG", 640, 480), "image/jpeg", delay=30)
    async with serving(settings, slack) as bot:
        await bot.interaction(bulk_form_submission(f"{ids[0]} {images.link('slow.jpg')}"))
        await slack.wait_for_call("chat.postMessage")  # "checking…"
    *checking, said = [c.params["text"] for c in slack.calls_to("chat.update")]
    assert said == (
        ":x: <@U123>'s bulk upload was not planned; nothing was uploaded. The bot restarted "
        "while checking the lines: send them again in a minute."
    )
    assert all("(0 checked)" in text for text in checking)  # the slow link never answered


async def test_a_long_check_shows_how_far_it_got(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    ids = stock(ecwid, 3)
    lines = lines_for(images, ids[:2])
    images.files["slow.jpg"] = Served(image_bytes("JPEG", 640, 480), "image/jpeg", delay=3)
    lines.append(f"{ids[2]} {images.link('slow.jpg')}")
    await bot.interaction(bulk_form_submission("\n".join(lines)))
    ts, _, plan = await the_plan(slack)
    said = [c.params["text"] for c in updates_of(slack, ts)]
    assert said[-1] == plan.params["text"]
    assert any("checking 3 lines…" in text and "(2 checked)" in text for text in said[:-1])
    assert "*3 uploads ready*" in plan.params["text"]


async def test_a_channel_the_bot_is_not_in_is_explained_privately(
    bot: BotUnderTest, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> None:
    slack.errors["chat.postMessage"] = "not_in_channel"
    slack.errors["chat.postEphemeral"] = "not_in_channel"
    lines = lines_for(images, stock(ecwid, 2))
    await bot.interaction(bulk_form_submission("\n".join(lines), channel="C999"))
    await bot.idle()
    dm = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == "U123"]
    assert [c.params["text"] for c in dm] == [
        ":warning: The bulk upload was not checked: I could not post in that channel. Invite me "
        "there (`/invite @Ecwid Image`) and try again."
    ]
    assert ecwid.calls == []
