"""#35's migration (0009) on the old store's fixtures (tests/fixtures/old_store/: a SQLite file and
a PostgreSQL dump made by the code of a8d5b00), each loaded into a database of its kind: every
line then holds one format (an encoded SlotChange, or nothing), each the exact change its old
JSON meant; the gallery's orders are in change_orders; nothing else is touched. A store with
old lines is refused without its store id, and changes nothing. And the bot itself, started on
the old SQLite store, finishes the job the old bot left running: its lines reach Ecwid as they
meant."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from PIL import ImageOps
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.changes import codec
from bot.changes.edits import inverse
from bot.changes.records import record_of
from bot.changes.slot_change import (
    AltText,
    Asker,
    Delete,
    FromKept,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    Owner,
    Place,
    SlotChange,
    Target,
)
from bot.config import load_settings
from bot.domain.requests import SharedFile, Size
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.ecwid.models import ImageSlot
from bot.jobs.history import History
from bot.jobs.store import MIGRATIONS, JobStore, JobStoreError, Line, Suggestion
from bot.slack.views.bulk_message import UNDO_JOB_ACTION
from tests.bulk_helpers import buttons, report_uploads, updates_of, uploaded_csv
from tests.fakes.ecwid_api import FakeEcwid, media
from tests.fakes.image_host import FakeImageHost, Served, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment, serving
from tests.integration.jobs.test_old_store_fixture import STORE_ID, _dialect, _load
from tests.photos import encoded, real_photo

BULK = "C03BULK"
BEN, DAVID, ELSA, HUGO = "U02BEN", "U04DAVID", "U05ELSA", "U08HUGO"
J_LEGACY = "b0000000000000000000000000000001"
J_LINES = "b0000000000000000000000000000002"
J_CSV = "b0000000000000000000000000000003"
J_CSV_TS = "1796724060.002300"  # its message in BULK
J_FILES = "b0000000000000000000000000000008"
J_DROP = "b0000000000000000000000000000009"
J_UNDO = "d0000000000000000000000000000001"


async def _raw(url: str) -> dict[str, list[Any]]:
    """Every table's rows as they are stored (by their keys' order)."""
    keys = {
        "bulk_jobs": "id",
        "bulk_lines": "job_id, number",
        "image_changes": "id",
        "kept_images": "change_id",
        "undo_claims": "change",
        "seen_events": "key",
        "waiting_drops": "key",
    }
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            found = {
                table: list(
                    (await connection.execute(text(f"SELECT * FROM {table} ORDER BY {key}"))).all()
                )
                for table, key in keys.items()
            }
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
            found["revision"] = [revision]
            if revision != "0008":
                found["change_orders"] = list(
                    (
                        await connection.execute(
                            text("SELECT * FROM change_orders ORDER BY change_id, side, position")
                        )
                    ).all()
                )
    finally:
        await engine.dispose()
    return found


# 0015's tenant keys, by table: a workspace's and a store's, or a store's only.
TENANT_KEYS = {
    "bulk_jobs": {"team_id": ONE_WORKSPACE, "store_id": STORE_ID},
    "image_changes": {"team_id": ONE_WORKSPACE, "store_id": STORE_ID},
    "waiting_drops": {"team_id": ONE_WORKSPACE, "store_id": STORE_ID},
    "kept_images": {"store_id": STORE_ID},
    "undo_claims": {"store_id": STORE_ID},
    "seen_events": {},
}


def _keyed(row: Any, table: str) -> dict[str, Any]:
    """A row upgraded to 0015, its tenant's keys checked (the single store's) and taken out."""
    values = dict(row._mapping)
    keys = {name: values.pop(name) for name in TENANT_KEYS[table]}
    assert keys == TENANT_KEYS[table], (table, keys)
    return values


def _expected_upload(data: dict[str, Any], job: Any) -> SlotChange:
    """What an old upload line (bulk_plan.encode_line's JSON) means, as a8d5b00's run read it
    (BulkItem.decode, then the line's change), built here with this code's own types."""
    slot = ImageSlot(data["product_id"], data["kind"], data["variation_id"])
    file = data["file"]
    size = Size(data["width"], data["height"]) if data["width"] else None
    return SlotChange(
        store_id=STORE_ID,
        target=Target.of_slot(slot),
        source=FromSlackFile(SharedFile(**file)) if file else FromLink(data["url"]),
        asker=Asker(job.started_by or job.user_id, job.channel_id),
        origin=Origin.DROP if job.source == "drop" else Origin.BULK_LINE,
        alt=AltText.of(data["alt"], data["alt_translated"]),
        known=Known(size=size, convert=bool(data["convert"])),
        external_id=data["external_id"],
    )


async def test_the_old_store_migrates_to_one_format_for_lines_and_orders(
    database_url: str,
) -> None:
    url = _load(database_url)
    before = await _raw(url)
    assert before["revision"] == ["0008"]
    store = await JobStore.open(url, store_id=STORE_ID)
    history = History(store, Tenant(ONE_WORKSPACE, STORE_ID))
    try:
        after = await _raw(url)
        assert after["revision"] == ["0016"]  # 0009 converts it; 0010 to 0014 add tables,
        # 0015 keys every row by its tenant, 0016 adds a table
        old_jobs = {row.id: row for row in before["bulk_jobs"]}
        old_lines = {(row.job_id, row.number): row for row in before["bulk_lines"]}
        lines: dict[tuple[str, int], Line] = {}
        for job_id in old_jobs:
            for line in await store.lines(job_id):
                lines[job_id, line.number] = line
        assert lines.keys() == old_lines.keys()

        # Every line holds one format: an encoded change (written as the codec writes it), or
        # nothing. Each upload line is the change its old JSON meant, with its columns.
        decoded: dict[tuple[str, int], SlotChange] = {}
        for key, old in old_lines.items():
            line, dialect = lines[key], _dialect(old.request)
            if dialect in ("upload", "undo"):
                assert line.request is not None, key
                change = codec.loads(line.request)
                assert codec.dumps(change) == line.request, key
                decoded[key] = change
            else:
                assert line.request is None, key
            assert (line.status, line.text, line.product, line.slot, line.reason) == (
                old.status,
                old.text,
                old.product,
                old.slot,
                old.reason,
            ), key
            if dialect == "upload":
                data = json.loads(old.request)
                assert decoded[key] == _expected_upload(data, old_jobs[key[0]]), key
                assert (line.sku, line.product_name, line.variation_label) == (
                    data.get("sku"),
                    data["name"],
                    data["variation"],
                ), key
            else:
                assert (line.sku, line.product_name, line.variation_label) == (None, None, None)
            assert (line.suggestion is not None) == (dialect == "suggest"), key

        # Representative lines, value by value.
        assert lines[J_LINES, 1] == Line(  # a link, its size given, alt texts, an external id
            1,
            '2001 https://images.example.com/fixtures/bulk/brass-lamp.jpg 640x480 alt="Brass lamp,'
            ' lit" alt.de="Messinglampe, an" external-id=BL-2001-LIT',
            "2001 (Brass lamp)",
            "main",
            lines[J_LINES, 1].request,
            "done",
            image_id=lines[J_LINES, 1].image_id,
            sku="BL-2001",
            product_name="Brass lamp",
        )
        assert decoded[J_LINES, 1] == SlotChange(
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 2001, Place.MAIN),
            source=FromLink("https://images.example.com/fixtures/bulk/brass-lamp.jpg"),
            asker=Asker(BEN, BULK),
            origin=Origin.BULK_LINE,
            alt=AltText("Brass lamp, lit", (("de", "Messinglampe, an"),)),
            known=Known(size=Size(640, 480)),
            external_id="BL-2001-LIT",
        )
        assert decoded[J_CSV, 2].alt == AltText(
            "Garden bench", (("de", "Gartenbank"), ("fr", "Banc de jardin"))
        )
        assert decoded[J_CSV, 2].external_id == "CSV-5001"
        assert decoded[J_FILES, 1] == SlotChange(  # a Slack file, for the main image
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 4001, Place.MAIN),
            source=FromSlackFile(
                SharedFile(
                    "F0RS4001A",
                    "RS-4001.jpg",
                    "image/jpeg",
                    1464,
                    "https://files.slack.com/files-pri/T01FIXTURE-F0RS4001A/RS-4001.jpg",
                )
            ),
            asker=Asker(BEN, BULK),  # planned, not started: who planned it
            origin=Origin.BULK_LINE,
        )
        assert decoded[J_LINES, 5] == SlotChange(  # a WebP link, converted before it is sent
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 2005, Place.MAIN),
            source=FromLink("https://images.example.com/fixtures/bulk/wall-clock.webp"),
            asker=Asker(BEN, BULK),
            origin=Origin.BULK_LINE,
            known=Known(convert=True),
        )
        legacy = decoded[J_LEGACY, 2]  # an older bot's (no "sku"): a HEIC for the gallery
        assert (legacy.target, legacy.known, legacy.asker) == (
            Target(Owner.PRODUCT, 1103, Place.GALLERY),
            Known(convert=True),
            Asker(HUGO, BULK),
        )
        assert lines[J_LEGACY, 2].sku is None
        assert decoded[J_LINES, 3].target == Target(Owner.PRODUCT, 2003, Place.VARIATION, 20031)
        assert (lines[J_LINES, 3].sku, lines[J_LINES, 3].variation_label) == (
            "VASE-2003-L",
            "Size L",
        )
        assert decoded[J_LINES, 4].target == Target(Owner.CATEGORY, 2004)
        assert (lines[J_LINES, 4].sku, lines[J_LINES, 4].product_name) == (None, "Autumn")
        assert decoded[J_LINES, 2] == SlotChange(  # a link to the gallery, its size read
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 2002, Place.GALLERY),
            source=FromLink("https://images.example.com/fixtures/bulk/rattan-chair-side.jpg"),
            asker=Asker(BEN, BULK),
            origin=Origin.BULK_LINE,
            known=Known(size=Size(64, 56)),
        )
        drop = decoded[J_DROP, 1]
        assert (drop.origin, drop.asker, drop.target) == (
            Origin.DROP,
            Asker(ELSA, "C02DROPS"),
            Target(Owner.PRODUCT, 4101, Place.GALLERY),
        )
        assert lines[J_FILES, 8].suggestion == Suggestion(
            "RS-4009",
            "main",
            SharedFile(
                "F0RS4099A",
                "RS-4099.jpg",
                "image/jpeg",
                1545,
                "https://files.slack.com/files-pri/T01FIXTURE-F0RS4099A/RS-4099.jpg",
            ),
        )

        # Undo lines: the inverse of the entry each undoes, naming it, as the undo job's plan
        # builds it now (bulk_undo.undo_line).
        undo_lines = {k: v for k, v in old_lines.items() if _dialect(v.request) == "undo"}
        assert len(undo_lines) == 4
        for key, old in undo_lines.items():
            entry = await history.change(json.loads(old.request)["undo"])
            assert entry is not None
            record = record_of(entry)
            base = SlotChange(
                STORE_ID, Target.of_slot(record.slot), Delete(), Asker(DAVID, BULK), Origin.UNDO
            )
            assert decoded[key] == inverse(record, entry, base), key
            assert decoded[key].undoes == entry.id
        assert decoded[J_UNDO, 1] == SlotChange(  # a replaced image, its copy in the store
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 2001, Place.MAIN),
            source=FromKept("c000000000000000000000000000000e", in_store=True),
            asker=Asker(DAVID, BULK),
            origin=Origin.UNDO,
            alt=AltText("Brass lamp"),
            undoes="c000000000000000000000000000000e",
        )
        assert decoded[J_UNDO, 2] == SlotChange(  # an image added to the gallery: deleted
            store_id=STORE_ID,
            target=Target(Owner.PRODUCT, 2002, Place.GALLERY),
            source=Delete(),
            asker=Asker(DAVID, BULK),
            origin=Origin.UNDO,
            undoes="c000000000000000000000000000000f",
        )

        # Counts by kind, as the fixture's inventory has them.
        changes_ = list(decoded.values())
        assert Counter(_dialect(row.request) for row in before["bulk_lines"]) == {
            "upload": 32,
            "none": 9,
            "undo": 4,
            "suggest": 1,
        }
        assert sum(line.request is None for line in lines.values()) == 10
        assert Counter(type(c.source).__name__ for c in changes_) == {
            "FromLink": 22,
            "FromSlackFile": 10,
            "FromKept": 2,  # replaced images, their copies in the store
            "Delete": 2,  # an image added to the gallery, a main image set where none was
        }
        uploads = [c for c in changes_ if c.origin is not Origin.UNDO]
        assert Counter(c.target.slot.kind for c in uploads) == {
            "main": 19,
            "gallery": 11,
            "variation": 1,
            "category": 1,
        }
        assert Counter(c.origin for c in changes_) == {
            Origin.BULK_LINE: 29,
            Origin.DROP: 3,
            Origin.UNDO: 4,
        }
        assert sum(c.known.convert for c in uploads) == 2
        assert sum(bool(c.alt.translated) for c in uploads) == 2
        assert sum(1 for c in uploads if c.external_id) == 2
        assert sum(1 for line in lines.values() if line.suggestion) == 1

        # The gallery's orders: in change_orders, in order; the URL columns hold none.
        listed = {
            row.id: row for row in before["image_changes"] if (row.before_url or "").startswith("[")
        }
        assert len(listed) == 2
        orders: dict[tuple[str, str], list[str | None]] = {}
        for row in after["change_orders"]:
            orders.setdefault((row.change_id, row.side), []).append(row.url)
            assert row.position == len(orders[row.change_id, row.side]) - 1
        assert orders == {
            (change_id, side): json.loads(getattr(row, f"{side}_url"))
            for change_id, row in listed.items()
            for side in ("before", "after")
        }
        for row in after["image_changes"]:
            if row.id in listed:
                assert (row.before_url, row.after_url) == (None, None)
                change = await history.change(row.id)
                assert change is not None
                assert change.before_order == tuple(json.loads(listed[row.id].before_url))
                assert change.after_order == tuple(json.loads(listed[row.id].after_url))

        # The rest of the history as it was: every other column of every change.
        def unlisted(row: Any) -> dict[str, Any]:
            values = dict(row._mapping)
            if row.id in listed:
                values.update(before_url=None, after_url=None)
            return values

        assert [unlisted(row) for row in before["image_changes"]] == [
            _keyed(row, "image_changes") for row in after["image_changes"]
        ]

        # Untouched but for their tenant's keys (0015): the jobs, kept images, undo claims, the
        # drop zone's rows. Every row is the single store's, in single-store mode's workspace.
        for table in ("bulk_jobs", "kept_images", "undo_claims", "seen_events", "waiting_drops"):
            assert [dict(row._mapping) for row in before[table]] == [
                _keyed(row, table) for row in after[table]
            ], table
        assert all(after[table] for table in TENANT_KEYS), "each table has rows to key"
    finally:
        await store.close()


async def test_a_store_with_old_lines_is_refused_without_its_store_id(database_url: str) -> None:
    url = _load(database_url)
    before = await _raw(url)
    with pytest.raises(JobStoreError, match="ECWID_STORE_ID"):
        await JobStore.open(url)
    assert await _raw(url) == before  # nothing changed: still 0008, every row as it was
    store = await JobStore.open(url, store_id=STORE_ID)  # given it, the store is upgraded
    await store.close()
    assert (await _raw(url))["revision"] == ["0016"]


# ---- the bot on the old store: the job left running resumes -------------------------------------


@pytest.fixture
async def old_stores_ecwid(tls: TlsAuthority) -> AsyncIterator[FakeEcwid]:
    """Loopback Ecwid as the store the old bot's jobs were planned for (the fixtures' store id:
    the stand-in serves that store's paths only)."""
    server = FakeEcwid(tls.server_context(), tls.client_context(), store_id=STORE_ID)
    await server.start()
    yield server
    await server.close()


def _photo(name: str, side: int, kind: str) -> bytes:
    """A real photograph (tests/photos.py), cut square to `side` px."""
    return encoded(ImageOps.fit(real_photo(name).convert("RGB"), (side, side)), kind)


async def test_a_job_left_running_by_the_old_bot_resumes_after_the_migration(
    tmp_path: Path,
    slack: FakeSlack,
    old_stores_ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    """J_CSV, as the old bot left it: line 2 done, line 3 (5002's gallery) started, line 4
    (5003's main image) pending, line 5 a problem. The bot opens the store (0009 converts the
    lines), claims the job, checks line 3's slot before sending it again, sends line 4, and
    reports the job in its message and thread."""
    ecwid = old_stores_ecwid
    path = tmp_path / "jobs.sqlite3"
    url = _load(f"sqlite:///{path}")  # a copy of the fixture
    bench_detail = "fixtures/csv/garden-bench-detail.jpg"  # line 3's link, its path kept
    planter = "fixtures/csv/clay-planter.png"  # line 4's

    # The copy at revision 0008, as the old bot left it; edited with plain SQL in its own
    # formats, only where this test's world needs it.
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [("0008",)]
        found = db.execute(
            "SELECT number, status, request FROM bulk_lines WHERE job_id = ? ORDER BY number",
            (J_CSV,),
        ).fetchall()
        assert [(number, status) for number, status, _ in found] == [
            (2, "done"),
            (3, "started"),
            (4, "pending"),
            (5, "invalid"),
        ]
        # What the old JSON of the lines still to run asks for (the world below is theirs).
        keys = ("product_id", "kind", "url", "width", "height", "alt", "alt_translated", "convert")
        asked = {
            number: {key: json.loads(request)[key] for key in keys}
            for number, _, request in found
            if number in (3, 4)
        }
        assert asked == {
            3: {
                "product_id": 5002,
                "kind": "gallery",
                "url": f"https://images.example.com/{bench_detail}",
                "width": 64,
                "height": 64,
                "alt": None,
                "alt_translated": {},
                "convert": None,
            },
            4: {
                "product_id": 5003,
                "kind": "main",
                "url": f"https://images.example.com/{planter}",
                "width": 96,
                "height": 96,
                "alt": "Clay planter",
                "alt_translated": {},
                "convert": None,
            },
        }
        # 1. The links of the lines still to run, to the loopback image host (same paths):
        #    images.example.com is no host here, and the bot reads line 3's image to compare
        #    it with what the slot shows (Ecwid would fetch line 4's). Only `request` (the JSON
        #    the bot runs) changes: `text` keeps what the user wrote, as the report shows it.
        relinked = db.execute(
            "UPDATE bulk_lines SET request = replace(request, 'https://images.example.com/', ?) "
            "WHERE job_id = ? AND number IN (3, 4)",
            (images.link(""), J_CSV),
        )
        assert relinked.rowcount == 2
        # 2. The old process's lease runs until 2026-12-08 (a real date): until then the bot
        #    leaves the job to its holder. Lapsed, as when that process is long gone.
        lapsed = db.execute("UPDATE bulk_jobs SET lease_until = 0 WHERE id = ?", (J_CSV,))
        assert lapsed.rowcount == 1

    # Ecwid: the products lines 3 and 4 change, each with a main image already (distinct
    # photos), and the images the links serve (distinct photos, at the sizes the plan read).
    ecwid.products[5002] = {
        "id": 5002,
        "name": "Garden bench set",
        "sku": "GB-5002",
        "media": media(),
    }
    ecwid.products[5003] = {
        "id": 5003,
        "name": "Clay planter",
        "sku": "PLANTER-5003",
        "media": media(),
    }
    ecwid.replaced_in_admin(5002, _photo("astronaut.png", 200, "JPEG"))
    ecwid.replaced_in_admin(5003, _photo("camera.png", 200, "JPEG"))
    images.files[bench_detail] = Served(_photo("coffee.png", 64, "JPEG"), "image/jpeg")
    images.files[planter] = Served(_photo("chelsea.png", 96, "PNG"), "image/png")

    # The bot's settings: the copy, and the store 0009 writes into each line's change.
    env = environment(slack, ecwid, tls, database_url=f"sqlite:///{path}")
    settings = load_settings({**env, "ECWID_STORE_ID": str(STORE_ID)})
    assert (settings.database_url, settings.ecwid_store_id) == (url, STORE_ID)

    # The bot also takes up the store's other unfinished jobs (the drop job whose report failed;
    # from 2026-12-08 on, as their leases lapse, the stopping one and the one still checking):
    # this job's messages are told apart by its message's ts.
    async with serving(settings, slack) as bot:
        report = await slack.wait_until(
            lambda: [c for c in report_uploads(slack) if c.params.get("thread_ts") == J_CSV_TS],
            timeout=30,
        )
        await bot.idle()  # every run here has ended: nothing more is sent

    # What reached Ecwid: each line still to run sent once, as its old JSON meant; nothing else
    # written. Line 3, begun by the old process, was looked at first: 5002's images read (the
    # link's image compared with them: not there), then sent.
    writes = [(c.method, c.path, c.body) for c in ecwid.calls if c.method != "GET"]
    assert sorted(writes, key=lambda w: w[1]) == [
        (
            "POST",
            "/products/5002/gallery/async",
            {"url": images.link(bench_detail), "width": "64", "height": "64"},
        ),
        (
            "POST",
            "/products/5003/image/async",
            {
                "url": images.link(planter),
                "width": "96",
                "height": "96",
                "alt": {"main": "Clay planter"},
            },
        ),
    ]
    paths = [(c.method, c.path) for c in ecwid.calls]
    sent = paths.index(("POST", "/products/5002/gallery/async"))
    assert ("GET", "/products/5002") in paths[:sent]
    # The links the bot read: line 3's image, once, to compare; line 4's link, which its plan
    # checked and sized, goes to Ecwid unread (as the old JSON's size says it may).
    assert [hit.path for hit in images.hits] == [bench_detail]

    # The job's message: its totals (line 2 done by the old bot, 3 and 4 now; line 5 skipped).
    final = updates_of(slack, J_CSV_TS)[-1]
    assert buttons(final) == {UNDO_JOB_ACTION: J_CSV}  # its changes can be put back
    assert final.params["text"] == (
        ":white_check_mark: *Bulk upload* by <@U02BEN>: finished. *3 uploaded*, 0 failed, "
        "1 line with problems skipped. The report is in the thread."
    )
    (reply,) = [
        c for c in slack.calls_to("chat.postMessage") if c.params.get("thread_ts") == J_CSV_TS
    ]
    assert reply.params["text"] == (
        ":page_facing_up: 1 line had problems and was skipped. The CSV file has every line:"
    )
    rows = uploaded_csv(slack, report[0])
    assert [r["image_id"].isdigit() for r in rows] == [True, True, True, False]
    assert [(r["line"], r["outcome"], r["slot"]) for r in rows] == [
        ("2", "uploaded", "main"),
        ("3", "uploaded", "gallery"),
        ("4", "uploaded", "main"),
        ("5", "problem", ""),
    ]
    assert rows[0]["image_id"] == "90000056"  # the old bot's
    assert len(report) == 1


async def test_a_planned_undo_line_whose_entry_was_pruned_does_not_stop_the_upgrade(
    tmp_path: Path,
) -> None:
    """The history keeps entries HISTORY_DAYS: an undo job planned before may name one pruned
    since. Its line is converted naming the entry, and fails when it runs ("no longer in the
    history"), as it did before 0009; the bot still starts."""
    path = tmp_path / "old.sqlite3"
    url = _load(f"sqlite:///{path}")
    entry = "c000000000000000000000000000000e"  # line 1 of the undo job undoes it
    with contextlib.closing(sqlite3.connect(path)) as old, old:
        old.execute(
            "UPDATE bulk_lines SET status = 'pending' WHERE job_id = ? AND number = 1",
            ("d0000000000000000000000000000001",),
        )
        old.execute("DELETE FROM kept_images WHERE change_id = ?", (entry,))
        old.execute("DELETE FROM image_changes WHERE id = ?", (entry,))
    store = await JobStore.open(url, store_id=STORE_ID)
    try:
        (line,) = [
            line
            for line in await store.lines("d0000000000000000000000000000001")
            if line.number == 1
        ]
        change = codec.loads(line.request or "")
        assert (change.origin, change.undoes, change.target) == (
            Origin.UNDO,
            entry,
            Target(Owner.PRODUCT, 2001, Place.MAIN),
        )
        assert await History(store, Tenant(ONE_WORKSPACE, STORE_ID)).change(entry) is None
    finally:
        await store.close()


def _to(revision: str, *, store_id: int | None = None) -> Any:
    """Alembic's own upgrade or downgrade to `revision`, on a connection (run_sync)."""

    def run(connection: Any) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        config.attributes["store_id"] = store_id
        current = MigrationContext.configure(connection).get_current_revision() or ""
        if current > revision:
            command.downgrade(config, revision)
        else:
            command.upgrade(config, revision)

    return run


async def test_tenant_keys_need_the_store_id_and_go_back_and_forth(database_url: str) -> None:
    """0015 on a single-store database at 0014: without ECWID_STORE_ID it is refused and
    changes nothing; given it, every row is the store's; down and up again, the same rows."""
    url = _load(database_url)
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_to("0014", store_id=STORE_ID))
        at_0014 = await _raw(url)
        assert at_0014["revision"] == ["0014"]
        with pytest.raises(JobStoreError, match="ECWID_STORE_ID") as refused:
            await JobStore.open(url)
        assert "rows of one store (bulk_jobs)" in str(refused.value)
        assert await _raw(url) == at_0014  # nothing changed
        await (await JobStore.open(url, store_id=STORE_ID)).close()
        upgraded = await _raw(url)
        async with engine.begin() as connection:
            await connection.run_sync(_to("0014"))
        assert await _raw(url) == at_0014  # the downgrade takes the keys away, nothing else
        await (await JobStore.open(url, store_id=STORE_ID)).close()
        assert await _raw(url) == upgraded
    finally:
        await engine.dispose()
