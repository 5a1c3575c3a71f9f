"""What the bulk tests share: a stocked store, the bulk form's submission and the job's buttons
as Slack sends them, and reading the job's message and report back from the loopback Slack."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.slack.texts import PLAN_CSV_TITLE
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served, image_bytes, picture
from tests.fakes.slack_api import FakeSlack, SlackCall
from tests.slack_requests import block_actions, view_submission

FIRST_ID = 2001


def stock(ecwid: FakeEcwid, count: int) -> list[int]:
    """`count` more products in the store, ids from 2001, SKU BULK-n."""
    ids = list(range(FIRST_ID, FIRST_ID + count))
    for n in ids:
        ecwid.products[n] = {"id": n, "name": f"Item {n}", "sku": f"BULK-{n}", "media": media()}
    return ids


def serve_photos(images: FakeImageHost) -> None:
    """Every name the host does not know is a 640×480 JPEG."""
    images.default = Served(image_bytes("JPEG", 640, 480), "image/jpeg")


def photo(seed: str, size: tuple[int, int] = (640, 480)) -> bytes:
    """A JPEG of its own for each seed: fingerprints tell two seeds' photos apart."""
    out = io.BytesIO()
    picture(seed, size).save(out, format="JPEG", quality=90)
    return out.getvalue()


def with_old_images(ecwid: FakeEcwid, images: FakeImageHost, ids: list[int]) -> dict[int, bytes]:
    """Each product shows a photo of its own (old-N.jpg) with alt texts, as before any job;
    the photos' bytes by product."""
    old: dict[int, bytes] = {}
    for n in ids:
        old[n] = photo(f"old-{n}")
        images.files[f"old-{n}.jpg"] = Served(old[n], "image/jpeg")
        ecwid.products[n]["originalImage"] = {
            "url": images.link(f"old-{n}.jpg"),
            "width": 640,
            "height": 480,
        }
        main = ecwid.products[n]["media"]["images"][0]
        main["alt"] = {"main": f"Old {n}", "translated": {"nl": f"Oud {n}"}}
    return old


def new_lines(images: FakeImageHost, ids: list[int]) -> list[str]:
    """A line per product, each with a new photo of its own (new-N.jpg) and alt text."""
    for n in ids:
        images.files[f"new-{n}.jpg"] = Served(photo(f"new-{n}"), "image/jpeg")
    return [f'{n} {images.link(f"new-{n}.jpg")} 640x480 alt="New {n}"' for n in ids]


def lines_for(images: FakeImageHost, ids: list[int]) -> list[str]:
    """A line per product, each with its own photo (served) and alt text."""
    serve_photos(images)
    return [f'{n} {images.link(f"p{n}.jpg")} 800x600 alt="Item {n} front"' for n in ids]


def bulk_form_submission(
    lines: str | None = None, csv_file: dict[str, Any] | None = None, channel: str = "C123"
) -> dict[str, Any]:
    return view_submission(
        "ecwid_bulk_upload",
        {
            "lines": {"type": "plain_text_input", "value": lines},
            "csv_file": {"type": "file_input", "files": [csv_file] if csv_file else []},
            "channel": {"type": "conversations_select", "selected_conversation": channel},
        },
        "",
    )


def press(action_id: str, job_id: str, message_ts: str, user: str = "U123") -> dict[str, Any]:
    """The block_actions payload of a bulk message's button."""
    action = {
        "type": "button",
        "action_id": action_id,
        "block_id": "bulk_plan",
        "value": job_id,
        "action_ts": "1700000002.1",
    }
    message = {"ts": message_ts, "text": "", "blocks": []}
    return block_actions(action, user=user, trigger="6666.42.bulk", message=message)


def buttons(call: SlackCall) -> dict[str, str]:
    """action_id → value of the buttons in a message update."""
    return {
        element["action_id"]: element["value"]
        for block in call.params.get("blocks") or []
        if block["type"] == "actions"
        for element in block["elements"]
    }


def message_text(call: SlackCall) -> str:
    return "\n".join(
        str(block.get("text", {}).get("text") or "")
        + "".join(str(e.get("text") or "") for e in block.get("elements") or [] if "type" in e)
        for block in call.params.get("blocks") or []
    )


async def the_plan(slack: FakeSlack, timeout: float = 10.0) -> tuple[str, str, SlackCall]:
    """The plan as the job's message shows it: its ts, the job id (the Start button's value)
    and the update that showed it."""
    update: SlackCall = await slack.wait_until(
        lambda: next(
            (c for c in slack.calls_to("chat.update") if "Bulk upload" in c.params["text"]), None
        ),
        timeout,
    )
    return str(update.params["ts"]), buttons(update).get("bulk_start", ""), update


def updates_of(slack: FakeSlack, ts: str) -> list[SlackCall]:
    return [c for c in slack.calls_to("chat.update") if c.params.get("ts") == ts]


def report_uploads(slack: FakeSlack) -> list[SlackCall]:
    """The files uploaded but a long plan's CSV and a report's before-and-after pictures (their
    titles say which): the jobs' reports."""
    return [
        c
        for c in slack.calls_to("files.completeUploadExternal")
        if PLAN_CSV_TITLE not in (described := json.dumps(c.params.get("files")))
        and "Before: " not in described
        and "After: " not in described
    ]


def plan_uploads(slack: FakeSlack) -> list[SlackCall]:
    """The CSV files of long plans."""
    return [
        c
        for c in slack.calls_to("files.completeUploadExternal")
        if PLAN_CSV_TITLE in json.dumps(c.params.get("files"))
    ]


def uploaded_csv(slack: FakeSlack, call: SlackCall) -> list[dict[str, str]]:
    """The rows of the CSV file an upload call completed."""
    file_id = call.answer["files"][0]["id"]  # type: ignore[index]
    data, _ = slack.files[file_id]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def the_report(slack: FakeSlack, timeout: float = 30.0) -> tuple[str, list[dict[str, str]]]:
    """Once the job is over: the thread reply's text, and the rows of the attached CSV."""
    done = await slack.wait_until(lambda: report_uploads(slack), timeout)
    reply = next(
        c
        for c in slack.calls_to("chat.postMessage")
        if c.params.get("thread_ts") and "CSV" in c.params["text"]
    )
    return str(reply.params["text"]), uploaded_csv(slack, done[0])


async def reports_done(slack: FakeSlack, count: int, timeout: float = 60.0) -> list[SlackCall]:
    """Once `count` jobs have attached their reports: the report uploads."""
    done: list[SlackCall] = await slack.wait_until(
        lambda: (found := report_uploads(slack)) and len(found) >= count and found, timeout
    )
    return done


def uploaded_products(ecwid: FakeEcwid) -> list[int]:
    """The product of each image upload that reached Ecwid, in order."""
    return [
        int(c.path.split("/")[2])
        for c in ecwid.calls
        if c.method == "POST" and ("/image" in c.path or "/gallery" in c.path)
    ]
