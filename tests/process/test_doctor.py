"""`python -m bot check`: the setup doctor, run as a new user would, against the loopback fakes."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.jobs.history import Action, Change, History
from bot.jobs.store import JobStore
from tests.fakes.ecwid_api import STORE_ID, FakeEcwid, Fault
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import FakeSlack, SlackFault
from tests.harness import environment
from tests.postgres import PostgresServer
from tests.processes import free_port, run_to_end, start_bot

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own

# The tests' job store is a SQLite file not made yet: the doctor does not make it.
SQLITE_OK = "ok  Bulk jobs: kept in a SQLite file, made at the bot's first start."


async def doctor(env: dict[str, str], tmp_path: Path) -> tuple[int, list[str]]:
    status, stdout, stderr = await run_to_end(env, tmp_path, "check")
    assert "Traceback" not in stderr
    return status, stdout.strip().splitlines()


async def test_a_good_setup_is_reported_and_exits_0(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert lines == [
        "ok  Slack: connected as @ecwid-image (UBOT) in workspace Shop.",
        f"ok  Ecwid: store {STORE_ID} “Test Shop”, languages en (default), nl, de.",
        "ok  Ecwid: the token can read the catalog.",
        "ok  Ecwid: the token can update the catalog.",
        SQLITE_OK,
        "All set.",
    ]
    assert status == 0


async def test_a_user_token_is_not_a_bot_token(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.bot_id = None  # auth.test's answer to a user token names no bot
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[0] == (
        "FIX Slack: SLACK_BOT_TOKEN is a token of the user @ecwid-image, not a bot token: use the "
        "Bot User OAuth Token (xoxb-) of the app's OAuth & Permissions page."
    )


async def test_the_job_store_is_checked_on_postgresql_and_on_heroku(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    tls: TlsAuthority,
    tmp_path: Path,
    postgres: PostgresServer,
) -> None:
    env = environment(slack, ecwid, tls, database_url=postgres.new_database())
    status, lines = await doctor(env, tmp_path)
    assert (status, lines[-3:]) == (
        0,
        [
            "ok  Bulk jobs: kept in PostgreSQL (DATABASE_URL).",
            "ok  History: copies kept for Undo take 0.0 MB of HISTORY_MAX_MB=200 MB (and are "
            "kept at most HISTORY_DAYS=30 days).",
            "All set.",
        ],
    )
    on_heroku = {**environment(slack, ecwid, tls), "DYNO": "web.1"}
    status, lines = await doctor(on_heroku, tmp_path)
    assert status == 1
    assert lines[-2] == (
        "FIX Bulk jobs: kept in a SQLite file, which a Heroku dyno loses at every restart: "
        "add Heroku Postgres (it sets DATABASE_URL)."
    )
    gone = f"postgres://bot:pw-secret@127.0.0.1:{free_port()}/jobs"
    status, lines = await doctor(environment(slack, ecwid, tls, database_url=gone), tmp_path)
    assert status == 1
    assert lines[-2].startswith(
        "FIX Bulk jobs: cannot open the job store at postgresql+asyncpg://bot:***@"
    )
    assert "pw-secret" not in "\n".join(lines)


async def test_a_wrong_ecwid_token_is_explained_in_one_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {**environment(slack, ecwid, tls), "ECWID_TOKEN": "secret_wrong"}
    status, lines = await doctor(env, tmp_path)
    assert status == 1
    assert lines[1:] == [
        f"FIX Ecwid store {STORE_ID}: Ecwid refused the token: check ECWID_TOKEN and "
        'ECWID_STORE_ID. Ecwid said: "Invalid token"',
        SQLITE_OK,
        "1 thing(s) to fix.",
    ]
    assert "secret_wrong" not in "\n".join(lines)


async def test_a_missing_slack_scope_is_explained_in_one_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.scopes = "commands,files:read,files:write,users:read"
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[1] == (
        "FIX Slack: the bot token lacks the chat:write scope: add it under OAuth & Permissions "
        "(or recreate the app from manifest.yml) and reinstall."
    )


async def test_group_allow_lists_need_usergroups_read(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.scopes = "commands,chat:write,files:read,files:write,users:read"
    env = {**environment(slack, ecwid, tls), "ALLOWED_USERGROUPS": "S100"}
    status, lines = await doctor(env, tmp_path)
    assert status == 1
    assert "FIX Slack: the bot token lacks the usergroups:read scope" in lines[1]


async def test_missing_catalog_scopes_are_named(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    ecwid.missing_scopes = {"update_catalog", "read_catalog"}
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[2:] == [
        "FIX Ecwid: the token cannot read the catalog: The Ecwid token lacks the `read_catalog` "
        "scope: ask Ecwid to add it to your custom app, then copy its token again. "
        'Ecwid said: "Token lacks a scope"',
        "FIX Ecwid: the token lacks the update_catalog scope: add it by asking Ecwid (the custom app's Details "
        "page, Contact: docs/ecwid-token.md), then copy its token again.",
        SQLITE_OK,
        "2 thing(s) to fix.",
    ]
    assert ecwid.uploads[0].path == "/products/0/image/async"  # the harmless probe


async def test_unreachable_slack_is_explained(
    ecwid: FakeEcwid, slack: FakeSlack, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {**environment(slack, ecwid, tls), "SLACK_API_URL": "http://127.0.0.1:9/api/"}
    status, lines = await doctor(env, tmp_path)
    assert status == 1
    assert lines[0].startswith("FIX Slack could not be reached at http://127.0.0.1:9/api/")


async def test_a_hanging_slack_is_reported_within_seconds(
    ecwid: FakeEcwid, slack: FakeSlack, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.faults["auth.test"] = [SlackFault(delay=400)] * 3
    started = time.monotonic()
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert time.monotonic() - started < 35
    assert status == 1
    assert lines[0] == (
        f"FIX Slack could not be reached at {slack.api_url} (timeout): check the network or a "
        "proxy, or SLACK_API_URL."
    )


@pytest.mark.parametrize(
    "fault", [Fault(503, text="<h1>down</h1>"), Fault(200, {}, delay=30)], ids=["503", "no answer"]
)
async def test_an_update_check_that_could_not_run_says_so(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path, fault: Fault
) -> None:
    ecwid.faults["upload"] = [fault]
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[3:] == [
        "FIX Ecwid: could not check whether the token can update the catalog: Ecwid did not "
        "answer; run the check again in a few minutes.",
        SQLITE_OK,
        "1 thing(s) to fix.",
    ]


async def test_users_read_is_asked_for_with_what_it_is_for(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    """A token from before weekly audits: the upgrade note's scope is named."""
    slack.scopes = "commands,chat:write,files:read,files:write"
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[1] == (
        "FIX Slack: the bot token lacks the users:read scope: add it under OAuth & Permissions "
        "(or recreate the app from manifest.yml) and reinstall."
    )


async def test_files_read_is_asked_for(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.scopes = "commands,chat:write,files:write,users:read"
    status, lines = await doctor(environment(slack, ecwid, tls), tmp_path)
    assert status == 1
    assert lines[1].startswith("FIX Slack: the bot token lacks the files:read scope")


async def test_the_doctor_makes_no_sqlite_file_where_it_runs(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {**environment(slack, ecwid, tls), "DATABASE_URL": "sqlite:///jobs.sqlite3"}
    status, lines = await doctor(env, tmp_path)
    assert (status, lines[-2]) == (0, SQLITE_OK)
    assert os.listdir(tmp_path) == []


async def test_each_finding_is_printed_as_it_comes_and_a_silent_ecwid_has_a_deadline(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    """Ecwid never answers: Slack's finding is on the screen at once, Ecwid's after its own
    deadline, and the rest follows."""
    ecwid.faults["profile"] = [Fault(200, {}, delay=400)] * 3
    env = {**environment(slack, ecwid, tls), "ECWID_TIMEOUT_SECONDS": "60"}
    process = await start_bot(env, tmp_path, "check")
    assert process.stdout is not None
    started = time.monotonic()
    first = (await asyncio.wait_for(process.stdout.readline(), 10)).decode()
    assert first.startswith("ok  Slack: connected as @ecwid-image")
    assert time.monotonic() - started < 10
    rest = (await asyncio.wait_for(process.stdout.read(), 30)).decode().splitlines()
    assert await process.wait() == 1
    assert rest == [
        f"FIX Ecwid store {STORE_ID} did not answer within 15 s.",
        SQLITE_OK,
        "1 thing(s) to fix.",
    ]
    assert time.monotonic() - started < 25


async def test_kept_copies_near_history_max_mb_are_warned_of_and_still_exit_0(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path}/jobs.sqlite3"
    jobs = await JobStore.open(sqlalchemy_url(url) or "")
    change = Change(
        "c" * 32, time.time(), "U1", 7, "main", Action.REPLACED, "", STORE_ID, kept_in_store=True
    )
    await History(jobs, Tenant(ONE_WORKSPACE, STORE_ID)).add(change, kept=b"x" * 900_000)  # 0.86 MB
    await jobs.close()
    env = {**environment(slack, ecwid, tls, database_url=url), "HISTORY_MAX_MB": "1"}
    status, lines = await doctor(env, tmp_path)
    assert status == 0
    assert lines[-2] == (
        "WARN History: copies kept for Undo take 0.9 MB of HISTORY_MAX_MB=1 MB (and are kept "
        "at most HISTORY_DAYS=30 days): nearly full. The oldest copies are dropped first, and "
        "an undo of their lines will say so; raise HISTORY_MAX_MB if the database has room."
    )


async def test_the_drop_zone_needs_its_scopes_and_the_bot_in_each_watched_channel(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.scopes = "commands,chat:write,files:read,files:write,users:read,channels:history"
    slack.not_member = {"C0TWO"}
    slack.unknown_channels = {"C0GONE"}
    env = {**environment(slack, ecwid, tls), "WATCH_CHANNELS": "C0ONE,C0TWO,C0GONE"}
    status, lines = await doctor(env, tmp_path)
    assert status == 1
    assert lines[1:5] == [
        "FIX Slack: the drop zone (WATCH_CHANNELS) needs the groups:history scope: add it under "
        "OAuth & Permissions (or recreate the app from manifest.yml) and reinstall.",
        "FIX Drop zone C0GONE: Slack knows no channel with this id that the bot can see (a private "
        "channel the bot is not in looks so too): check WATCH_CHANNELS, or invite the bot there.",
        "ok  Drop zone C0ONE: the bot is in it and can read what is dropped there.",
        "FIX Drop zone C0TWO: the bot is not in this channel, so it sees no photos dropped there: "
        "invite it (/invite @ecwid-image in the channel) or take the channel out of "
        "WATCH_CHANNELS.",
    ]
    assert lines[-1] == "3 thing(s) to fix."
    asked = sorted(
        (c.params["channel"], c.params["limit"]) for c in slack.calls_to("conversations.history")
    )
    assert asked == [("C0GONE", "1"), ("C0ONE", "1"), ("C0TWO", "1")]


async def test_a_drop_zone_set_up_right_is_reported_and_a_private_one_needs_groups_history(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.scopes += ",channels:history,groups:history"
    env = {**environment(slack, ecwid, tls), "WATCH_CHANNELS": "C0ONE"}
    status, lines = await doctor(env, tmp_path)
    assert (status, lines[1], lines[-1]) == (
        0,
        "ok  Drop zone C0ONE: the bot is in it and can read what is dropped there.",
        "All set.",
    )
    slack.scopes = "commands,chat:write,files:read,files:write,users:read,channels:history"
    slack.private_channels = {"G0SECRET"}
    env = {**environment(slack, ecwid, tls), "WATCH_CHANNELS": "G0SECRET"}
    status, lines = await doctor(env, tmp_path)
    assert status == 1
    assert lines[2] == (
        "FIX Drop zone G0SECRET: the bot may not read its messages: the token lacks the "
        "groups:history scope."
    )
