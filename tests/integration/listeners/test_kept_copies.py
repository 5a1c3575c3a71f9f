"""HISTORY_MAX_MB while a job runs, through signed requests on SQLite and PostgreSQL: a job keeps
copies for Undo only while they fit, says so up front and lists the lines past the limit; a
prune in another process (a deploy that lowered HISTORY_MAX_MB: its start-up prune, then its
daily one) drops none of the running job's copies."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from bot.config import Settings
from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.ecwid.budget import RateLimit
from bot.jobs.history import History
from bot.jobs.store import JobStore, Outcome
from bot.runtime import Runtime
from tests.bulk_helpers import (
    new_lines,
    press,
    report_uploads,
    stock,
    the_report,
    updates_of,
    uploaded_csv,
    with_old_images,
)
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import serving
from tests.integration.listeners.test_history import (
    byte_uploads_to,
    finished_job,
    undo_button,
    undo_report,
)

MB = 1024 * 1024


class Watch:
    """Every write of outcomes, watched: after each, the copies kept in all, and the running
    job's own (none of which may ever go)."""

    def __init__(self, jobs: JobStore, history: History) -> None:
        self.jobs, self.history = jobs, history
        self.totals: list[int] = []
        self.kept: set[str] = set()  # this job's copies, as kept so far
        self.lost: set[str] = set()  # … any of them gone since
        self.during: Any = None  # run once, after the first write that kept copies

    async def after_write(self, outcomes: list[Outcome]) -> None:
        self.totals.append(await self.history.kept_bytes())
        now = {
            o.change.id
            for o in outcomes
            if o.change is not None and await self.history.kept_copy(o.change.id) is not None
        }
        still = {c for c in self.kept if await self.history.kept_copy(c) is not None}
        self.lost |= self.kept - still
        self.kept = still | now
        if now and self.during is not None:
            during, self.during = self.during, None
            await during()
            await self.after_write([])  # and what the prune left

    def install(self) -> None:
        record = self.jobs.record

        async def watched(job_id: str, outcomes: Any, keep: Any = None) -> None:
            outcomes = list(outcomes)
            await record(job_id, outcomes, keep)
            await self.after_write(outcomes)

        self.jobs.record = watched  # type: ignore[method-assign]


async def test_past_history_max_mb_a_running_job_keeps_no_more_copies_and_lists_those_lines(
    settings: Settings,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    database_url: str,
) -> None:
    ids = stock(ecwid, 12)
    old = with_old_images(ecwid, images, ids)  # a 640×480 JPEG each: 11-17 KB
    limit = 62_000  # 3 or 4 of them, whichever lines end first
    ecwid.rate_limit = (10, 1.0)
    tuned = replace(
        settings,
        database_url=sqlalchemy_url(database_url) or "",
        ecwid_rate_limit=RateLimit(10, 1),
        history_max_mb=limit / MB,
    )
    async with serving(tuned, slack) as bot:
        watch = Watch(bot.runtime.jobs, History(bot.runtime.jobs, Tenant(ONE_WORKSPACE, STORE_ID)))

        async def deploy_with_a_lower_limit() -> None:
            """Another process starts on the same store, HISTORY_MAX_MB lowered to 1 KB: it
            prunes at start, and its daily prune runs, while the job runs."""
            other = await Runtime.open(replace(tuned, history_max_mb=1024 / MB))
            try:
                await other.history.prune_quietly()
            finally:
                await other.close(grace_seconds=1)

        watch.during = deploy_with_a_lower_limit
        watch.install()
        ts, final = await finished_job(bot, slack, new_lines(images, ids))
        text, rows = await the_report(slack)
        kept = {
            change.line
            for change in (await watch.history.of_job(final_job(final))).values()
            if change.copy_kept
        }

        # Before Start, the plan said the copies may not all fit.
        plan = json.dumps(updates_of(slack, ts)[0].params)
        assert "Copies for Undo may not all fit" in plan and "no copy for Undo" in plan
        # Every line was uploaded; the copies never passed the limit, and none was dropped
        # while the job ran, by the other process's prunes either.
        assert [r["outcome"] for r in rows] == ["uploaded"] * 12
        assert all(ecwid.products[n]["originalImage"]["url"].endswith(f"new-{n}.jpg") for n in ids)
        assert watch.during is None  # the other process pruned while the job ran
        assert watch.totals and max(watch.totals) <= limit
        assert watch.lost == set()
        assert 3 <= len(kept) <= 4
        assert sum(len(old[ids[n - 1]]) for n in kept) == await watch.history.kept_bytes()
        # The lines past the limit say so, in the CSV and in the thread.
        no_copy = {int(r["line"]) for r in rows if "No copy for Undo" in r["reason"]}
        assert no_copy == set(range(1, 13)) - kept
        assert "No copy for Undo (HISTORY_MAX_MB was reached): lines" in text

        # Their Undo says the copy is gone; the others are put back.
        await bot.interaction(press("bulk_undo", undo_button(final)["value"], ts))
        undo_text, undo_rows = await undo_report(slack)
        await bot.idle()
    for row in undo_rows:
        line = int(row["line"])
        if line in kept:
            assert row["outcome"] == "put back"
            assert byte_uploads_to(ecwid, ids[line - 1]) == [old[ids[line - 1]]]
        else:
            assert row["outcome"] == "problem" and "is no longer kept" in row["reason"]
            assert byte_uploads_to(ecwid, ids[line - 1]) == []
    assert "HISTORY_MAX_MB" in undo_text
    assert len(report_uploads(slack)) == 2
    assert uploaded_csv(slack, report_uploads(slack)[0]) == rows


def final_job(final: Any) -> str:
    """The job's id, from its finished message's Undo this job button."""
    return str(undo_button(final)["value"])
