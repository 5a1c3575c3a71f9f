"""Bulk jobs outlive their process: `python -m bot` killed with SIGKILL or stopped with SIGTERM
mid-job, another started on the same job store; and two processes on one PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.bulk_helpers import (
    bulk_form_submission,
    buttons,
    lines_for,
    new_lines,
    press,
    reports_done,
    stock,
    the_plan,
    the_report,
    updates_of,
    uploaded_products,
    with_old_images,
)
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, Served, TlsAuthority, image_bytes
from tests.fakes.slack_api import FakeSlack
from tests.harness import environment
from tests.postgres import PostgresServer
from tests.processes import free_port, start_bot, wait_healthy
from tests.slack_requests import SlackSender

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own

LINES = 40


class BotProcess:
    def __init__(self, process: asyncio.subprocess.Process, sender: SlackSender) -> None:
        self.process = process
        self.sender = sender
        self.output: list[str] = []
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:  # keep the pipe drained, and the log for failures
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            self.output.append(line.decode(errors="replace"))

    async def end(self, how: signal.Signals) -> int:
        if self.process.returncode is None:
            self.process.send_signal(how)
        status = await asyncio.wait_for(self.process.wait(), 30)
        await self._reader
        return status


@contextlib.asynccontextmanager
async def bots(env: dict[str, str], cwd: Path) -> AsyncIterator[list[BotProcess]]:
    """Start bot processes on demand (`await start()`); all are killed at the end."""
    started: list[BotProcess] = []
    try:
        yield started
    finally:
        for bot in started:
            with contextlib.suppress(ProcessLookupError, TimeoutError):
                await bot.end(signal.SIGKILL)


async def start(
    started: list[BotProcess], env: dict[str, str], cwd: Path, slack: FakeSlack
) -> BotProcess:
    port = free_port()
    process = await start_bot({**env, "PORT": str(port)}, cwd)
    await wait_healthy(f"http://127.0.0.1:{port}", process)
    sender = SlackSender(f"http://127.0.0.1:{port}/slack/events", slack.response_url())
    bot = BotProcess(process, sender)
    started.append(bot)
    return bot


def bot_env(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, database_url: str
) -> dict[str, str]:
    # Ecwid's limit at 10 calls a second and leases of 2 s: the job takes seconds, and a dead
    # process's job is free 2 s after its last renewal.
    ecwid.rate_limit = (10, 1.0)
    return {
        **environment(slack, ecwid, tls, database_url=database_url),
        "ECWID_RATE_LIMIT": "10/1",
        "BULK_LEASE_SECONDS": "2",
    }


async def plan_and_start(
    bot: BotProcess, slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost
) -> tuple[list[int], str]:
    ids = stock(ecwid, LINES)
    await bot.sender.interaction(bulk_form_submission("\n".join(lines_for(images, ids))))
    ts, job_id, _ = await the_plan(slack)
    await bot.sender.interaction(press("bulk_start", job_id, ts))
    await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) >= 10, timeout=20)
    return ids, ts


def assert_every_line_uploaded_once(ecwid: FakeEcwid, ids: list[int]) -> None:
    """Each line exactly once: a line begun before the kill is checked, not sent again."""
    assert sorted(uploaded_products(ecwid)) == ids
    assert ecwid.rate_limited == []


async def test_a_job_killed_mid_way_completes_after_a_restart(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
    database_url: str,
) -> None:
    env = bot_env(slack, ecwid, tls, database_url)
    async with bots(env, tmp_path) as started:
        first = await start(started, env, tmp_path, slack)
        ids, ts = await plan_and_start(first, slack, ecwid, images)
        await first.end(signal.SIGKILL)
        at_kill = len(uploaded_products(ecwid))
        assert at_kill < LINES

        await start(started, env, tmp_path, slack)  # a new process, nothing in memory
        text, rows = await the_report(slack, timeout=40)
    assert_every_line_uploaded_once(ecwid, ids)
    assert [r["outcome"] for r in rows] == ["uploaded"] * LINES
    assert "Every line was uploaded" in text
    # The same message went on: progress after the restart, then the totals.
    final = updates_of(slack, ts)[-1]
    assert f"*{LINES} uploaded*, 0 failed" in final.params["text"]


async def test_sigterm_pauses_the_job_and_the_next_process_resumes_it_without_repeats(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
) -> None:
    env = bot_env(slack, ecwid, tls, f"sqlite:///{tmp_path}/jobs.sqlite3")
    async with bots(env, tmp_path) as started:
        first = await start(started, env, tmp_path, slack)
        ids, ts = await plan_and_start(first, slack, ecwid, images)
        assert await first.end(signal.SIGTERM) == 0
        paused = updates_of(slack, ts)[-1]
        assert "paused, the bot is restarting" in paused.params["text"]
        await start(started, env, tmp_path, slack)
        await the_report(slack, timeout=40)
    # Lines in flight finished: no repeats; and the new process kept to the budget its
    # predecessor had been using (no burst at start: not one 429).
    assert_every_line_uploaded_once(ecwid, ids)


async def test_two_processes_on_one_postgresql_hand_a_job_over_when_one_dies(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
    postgres: PostgresServer,
) -> None:
    env = bot_env(slack, ecwid, tls, postgres.new_database())
    async with bots(env, tmp_path) as started:
        first, second = await asyncio.gather(
            start(started, env, tmp_path, slack), start(started, env, tmp_path, slack)
        )
        ids, ts = await plan_and_start(first, slack, ecwid, images)
        # While the first runs it, the second leaves it alone: a second Start is refused.
        await second.sender.interaction(press("bulk_start", _job_of(slack, ts), ts))
        refusal = await slack.wait_for_call("chat.postEphemeral")
        assert "already running" in refusal[0].params["text"]
        await first.end(signal.SIGKILL)
        killed_at = asyncio.get_running_loop().time()
        before = len(uploaded_products(ecwid))
        await ecwid.wait_until(lambda: len(uploaded_products(ecwid)) > before, timeout=60)
        taken_over_in = asyncio.get_running_loop().time() - killed_at
        await the_report(slack, timeout=40)
    assert taken_over_in < 10  # the lease is 2 s here; by default 30 s, so within a minute
    assert_every_line_uploaded_once(ecwid, ids)


def _job_of(slack: FakeSlack, ts: str) -> str:
    for call in updates_of(slack, ts):
        for block in call.params.get("blocks") or []:
            for element in block.get("elements") or []:
                if element.get("action_id") == "bulk_start":
                    return str(element["value"])
    raise AssertionError("no plan with a Start button")


async def test_a_job_killed_while_its_lines_are_checked_is_explained_by_the_next_process(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
) -> None:
    env = bot_env(slack, ecwid, tls, f"sqlite:///{tmp_path}/jobs.sqlite3")
    ids = stock(ecwid, 1)
    images.files["slow.jpg"] = Served(image_bytes("JPEG", 640, 480), "image/jpeg", delay=60)
    async with bots(env, tmp_path) as started:
        first = await start(started, env, tmp_path, slack)
        await first.sender.interaction(bulk_form_submission(f"{ids[0]} {images.link('slow.jpg')}"))
        (checking,) = await slack.wait_for_call("chat.postMessage")
        ts = checking.answer["ts"]  # type: ignore[index]
        # Well into the checks (they show how far they got), the process dies.
        await slack.wait_until(
            lambda: [c for c in updates_of(slack, ts) if "checked" in c.params["text"]]
        )
        await first.end(signal.SIGKILL)
        await start(started, env, tmp_path, slack)
        said = await slack.wait_until(
            lambda: [c for c in updates_of(slack, ts) if "not planned" in c.params["text"]],
            timeout=15,
        )
    assert said[-1].params["text"] == (
        ":x: <@U123>'s bulk upload was not planned; nothing was uploaded. The bot restarted "
        "while checking the lines: send them again in a minute."
    )
    assert uploaded_products(ecwid) == []


async def test_an_undo_job_killed_mid_way_finishes_after_a_restart_restoring_each_line_once(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
    tmp_path: Path,
    database_url: str,
) -> None:
    env = bot_env(slack, ecwid, tls, database_url)
    ids = stock(ecwid, LINES)
    old = with_old_images(ecwid, images, ids)
    async with bots(env, tmp_path) as started:
        first = await start(started, env, tmp_path, slack)
        await first.sender.interaction(bulk_form_submission("\n".join(new_lines(images, ids))))
        ts, job_id, _ = await the_plan(slack)
        await first.sender.interaction(press("bulk_start", job_id, ts))
        await the_report(slack, timeout=60)
        final = updates_of(slack, ts)[-1]
        assert buttons(final)["bulk_undo"] == job_id

        await first.sender.interaction(press("bulk_undo", job_id, ts))
        await ecwid.wait_until(lambda: len(restores(ecwid)) >= 10, timeout=30)
        await first.end(signal.SIGKILL)
        assert len(restores(ecwid)) < LINES

        await start(started, env, tmp_path, slack)  # a new process, nothing in memory
        await reports_done(slack, 2)  # the job's report, then its undo's
    # Each previous image went back exactly once: a line begun before the kill was checked
    # (it showed the previous image already), not sent again.
    assert sorted(restores(ecwid)) == sorted((n, old[n]) for n in ids)
    assert ecwid.rate_limited == []
    done = next(c for c in slack.calls_to("chat.update") if "put back*" in c.params["text"])
    assert f"*{LINES} put back*, 0 skipped" in done.params["text"]


def restores(ecwid: FakeEcwid) -> list[tuple[int, bytes]]:
    """Each previous image sent back: its product and bytes (an upload of the bytes)."""
    return [
        (int(c.path.split("/")[2]), c.body)
        for c in ecwid.calls
        if c.method == "POST" and c.path.endswith("/image") and isinstance(c.body, bytes)
    ]
