"""The old store's fixtures (tests/fixtures/old_store/: a SQLite file and a PostgreSQL dump, made
by the code of a8d5b00, the last commit before #35 changes the stored formats) hold every shape
that code stores: each dialect of `bulk_lines.request`, each kind of history entry (a gallery's
order as JSON lists in the URL columns, identities and an older bot's bare hashes), kept images,
undo claims, waiting drops, a job in each state. Loaded into a database of each kind, its rows
are checked as they are stored (at revision 0008, before any upgrade); then it is opened with
this code (JobStore.open, which migrates it: 0009 converts the lines and the gallery's orders)
and read back with it.

This guards the fixtures themselves: #35's migration test (test_store_migration.py) starts from
them."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.flows.bulk_run import BulkItem
from bot.images.identity import Identity
from bot.jobs.history import Action, History
from bot.jobs.store import JobState, JobStore, LineState
from bot.slack.views.bulk_message import line_target
from tests.postgres import tool

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "old_store"
MADE_AT_REVISION = "0008"  # alembic's head at a8d5b00
STORE_ID = 77_000_001  # the store the fixtures' flows ran for (make.py's STORE_ID)


def _load(database_url: str) -> str:
    """The fixture in the (empty) database: the SQLite file copied there, or the dump loaded
    with psql; its URL as the bot takes it."""
    if database_url.startswith("sqlite:///"):
        shutil.copyfile(FIXTURES / "store.sqlite3", database_url.removeprefix("sqlite:///"))
    else:
        parts = urlsplit(database_url)
        subprocess.run(
            [
                tool("psql") or "psql",
                "-h",
                parts.hostname or "127.0.0.1",
                "-p",
                str(parts.port),
                "-U",
                parts.username or "postgres",
                "-d",
                parts.path.lstrip("/"),
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-f",
                str(FIXTURES / "store.pgdump.sql"),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return sqlalchemy_url(database_url) or ""


def _dialect(request: str | None) -> str:
    """Which of the three JSON dialects a line's request is in (or none: a line's problem)."""
    if request is None:
        return "none"
    data = json.loads(request)
    if "undo" in data:
        return "undo"  # bot.flows.bulk_undo.undo_line
    if "suggest" in data:
        return "suggest"  # bot.flows.bulk_plan.Suggested.replan
    return "upload"  # bot.flows.bulk_plan.encode_line


def _upload_kinds(requests: list[dict[str, Any]]) -> Counter[str]:
    found: Counter[str] = Counter()
    for data in requests:
        found["link" if data["url"] else "slack_file"] += 1
        found[f"slot:{data['kind']}"] += 1
        if data["convert"]:
            found[f"convert:{data['convert']}"] += 1
        if data["alt_translated"]:
            found["alt_translated"] += 1
        if "sku" not in data:  # an older bot's (before 4133648)
            found["no_sku"] += 1
    return found


BARE_HASH = re.compile(r"[0-9a-f]{16}")
URL_FINGERPRINT = re.compile(r"[0-9a-f]{20}")


async def test_the_old_store_holds_every_shape_and_this_code_reads_it(database_url: str) -> None:
    url = _load(database_url)
    # The rows as a8d5b00 stored them: read before any upgrade.
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))

            async def rows(table: str) -> list[Any]:
                return list((await connection.execute(text(f"SELECT * FROM {table}"))).all())

            job_rows = await rows("bulk_jobs")
            line_rows = await rows("bulk_lines")
            change_rows = await rows("image_changes")
            kept_rows = await rows("kept_images")
            claims = {row.change for row in await rows("undo_claims")}
            seen = {row.key for row in await rows("seen_events")}
            drops = await rows("waiting_drops")
    finally:
        await engine.dispose()
    assert revision == MADE_AT_REVISION
    store = await JobStore.open(url, store_id=STORE_ID)  # upgraded: 0009 converts it
    history = History(store, Tenant(ONE_WORKSPACE, STORE_ID))
    try:
        # Jobs: one in each state, of each source; an undo job, one given up (undo_of let go),
        # a drop's (in its thread), one finished whose report was not posted.
        assert {row.state for row in job_rows} == {str(s) for s in JobState}
        assert Counter(row.source for row in job_rows) == {
            "lines": 7,
            "undo": 2,
            "csv": 1,
            "files": 1,
            "drop": 1,
        }
        undo_jobs = [row for row in job_rows if row.source == "undo"]
        assert sorted(str(row.state) for row in undo_jobs if row.undo_of) == ["finished"]
        assert [row.state for row in undo_jobs if row.undo_of is None] == ["cancelled"]
        assert [row.source for row in job_rows if row.thread_ts] == ["drop"]
        assert [r.source for r in job_rows if r.state == "finished" and not r.reported_at] == [
            "drop"
        ]
        assert len(job_rows) == 12

        # Lines: every status; the three dialects of `request`, and the upload dialect's kinds.
        assert {row.status for row in line_rows} == {str(s) for s in LineState}
        assert Counter(_dialect(row.request) for row in line_rows) == {
            "upload": 32,
            "none": 9,
            "undo": 4,
            "suggest": 1,
        }
        uploads = [json.loads(r.request) for r in line_rows if _dialect(r.request) == "upload"]
        assert _upload_kinds(uploads) == {
            "link": 22,
            "slack_file": 10,
            "slot:main": 19,
            "slot:gallery": 11,
            "slot:variation": 1,
            "slot:category": 1,
            "convert:WEBP": 1,
            "convert:HEIF": 1,
            "alt_translated": 2,
            "no_sku": 2,
        }
        assert any(row.changes for row in line_rows)  # what was done to make an image ready
        assert any(row.quoted for row in line_rows)  # Ecwid's own words
        # This code reads each line to run as its run does, and each plan's target (once
        # upgraded: test_store_migration.py checks what each line became).
        dialects = {(row.job_id, row.number): _dialect(row.request) for row in line_rows}
        for job in {row.job_id for row in line_rows}:
            for line in await store.lines(job):
                if dialects[job, line.number] in ("upload", "undo"):
                    assert BulkItem.decode(line) is not None, (job, line.number)
                    assert line_target(line) is not None, (job, line.number)

        # The history: each action; a reorder's orders (and its undo's) as JSON lists of URLs.
        assert Counter(row.action for row in change_rows) == {
            "replaced": 13,
            "undone": 11,
            "added": 6,
            "set": 4,
            "removed": 3,
            "reordered": 1,
            "alt": 1,
        }
        assert {row.slot for row in change_rows} == {"main", "gallery", "variation", "category"}
        by_id = {row.id: row for row in change_rows}
        listed = [row for row in change_rows if (row.before_url or "").startswith("[")]
        assert sorted(row.action for row in listed) == ["reordered", "undone"]
        for row in listed:
            before, after = json.loads(row.before_url), json.loads(row.after_url)
            assert isinstance(before, list) and before != after and sorted(before) == sorted(after)
            assert all(url.startswith("https://") for url in before)
        (undone_order,) = [row for row in listed if row.action == "undone"]
        assert by_id[undone_order.undo_of].action == "reordered"
        # Identities, and an older bot's bare hashes (kept by migration 0006).
        prints = [p for row in change_rows for p in (row.before_fp, row.after_fp) if p]
        parsed = [Identity.parse(p) for p in prints]
        assert all(identity is not None for identity in parsed)
        assert sum(1 for p in prints if BARE_HASH.fullmatch(p)) == 5
        assert sum(1 for i in parsed if i is not None and not i.legacy) >= 15
        # Where the previous image is kept: a Slack file, the store (bytes there, or refused).
        kept_ids = {row.change_id for row in kept_rows}
        assert sum(1 for row in change_rows if row.kept_file) == 4
        in_store = [row for row in change_rows if row.kept_in_store]
        assert {row.id for row in in_store} > kept_ids
        assert [by_id[i].slot for i in {row.id for row in in_store} - kept_ids] == ["category"]
        assert any(row.after_url_fp and not row.after_fp for row in change_rows)
        assert any(json.loads(row.alt_translated) for row in change_rows)
        assert sum(1 for row in change_rows if row.job_id) == 17  # bulk lines and undo lines
        # Every change but an undo has its claim key; every undo's change is claimed by it.
        assert all((row.change_key is None) == (row.action == "undone") for row in change_rows)
        undone = [by_id[row.undo_of] for row in change_rows if row.action == "undone"]
        assert {row.change_key for row in undone} == claims
        assert len(claims) == 11
        ends = Counter(
            "edit"
            if re.fullmatch(r"\d+/(reordered|removed|alt)/[0-9a-f]{32}", key)
            else "bare_hash"
            if BARE_HASH.fullmatch(key.rpartition("/")[2])
            else "url_fingerprint"
            if URL_FINGERPRINT.fullmatch(key.rpartition("/")[2])
            else "none"
            if key.endswith("/-")
            else "identity"
            for key in claims
        )
        assert ends == {"identity": 3, "none": 4, "edit": 2, "bare_hash": 1, "url_fingerprint": 1}

        # Kept images: small real pictures, each another one, each its change's.
        assert len(kept_rows) == 8
        assert len({bytes(row.data) for row in kept_rows}) == 8
        for row in kept_rows:
            data = bytes(row.data)
            assert row.size == len(data) and by_id[row.change_id].kept_in_store
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                assert image.format == "JPEG"
            assert await history.kept_copy(row.change_id) == data
        # This code reads each change back.
        for row in change_rows:
            change = await history.change(row.id)
            assert change is not None and change.action == Action(row.action)

        # The drop zone: waiting drops (checked, and not: the lists could not be read), and
        # the marks of what was taken in (messages, events).
        assert sorted(bool(row.checked) for row in drops) == [False, True]
        for row in drops:
            (file,) = json.loads(row.files)
            assert set(file) == {"id", "name", "mimetype", "size", "download_url", "thumb_url"}
        assert Counter(key.partition(":")[0] for key in seen) == {"message": 5, "event": 4}
    finally:
        await store.close()
