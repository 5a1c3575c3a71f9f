"""`python -m bot` as users run it: start-up errors, health check, a real upload, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bot import __version__
from bot.config import database_url as sqlalchemy_url
from bot.jobs.store import JobStore
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack, SlackFault
from tests.harness import environment
from tests.postgres import PostgresServer
from tests.processes import (
    ROOT,
    free_port,
    reap,
    run_to_end,
    start_bot,
    stopped_by_sigterm,
    wait_healthy,
)
from tests.slack_requests import SlackSender

pytestmark = pytest.mark.slow  # runs `python -m bot` in processes of its own


async def test_bad_settings_stop_start_up_with_one_line_and_status_2(tmp_path: Path) -> None:
    status, stdout, stderr = await run_to_end(
        {"SLACK_BOT_TOKEN": "xoxb-very-secret-value"}, tmp_path
    )
    assert (status, stdout) == (2, "")
    assert stderr.strip().splitlines() == [
        "Cannot start: SLACK_SIGNING_SECRET is missing (HTTP mode needs it; or set SLACK_APP_TOKEN to use Socket Mode); ECWID_STORE_ID is missing; "
        "ECWID_TOKEN is missing. See .env.example for every setting."
    ]
    assert "very-secret" not in stderr


async def test_settings_come_from_a_dotenv_file(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    lines = [f"{k}={v}" for k, v in environment(slack, ecwid, tls).items()]
    (tmp_path / ".env").write_text("\n".join(lines) + "\n")
    status, stdout, stderr = await run_to_end({}, tmp_path, "check")
    assert status == 0, stdout + stderr
    assert "ok  Slack: connected as @ecwid-image (UBOT) in workspace Shop." in stdout


@pytest.fixture
async def running_bot(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> AsyncIterator[tuple[asyncio.subprocess.Process, str]]:
    port = free_port()
    env = {
        **environment(slack, ecwid, tls),
        "PORT": str(port),
        "LOG_LEVEL": "DEBUG",  # secrets must stay out of even the most talkative logs
    }
    process = await start_bot(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    await wait_healthy(base, process)
    yield process, base
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_serves_health_and_uploads_then_stops_cleanly_on_sigterm(
    running_bot: tuple[asyncio.subprocess.Process, str],
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    tls: TlsAuthority,
) -> None:
    process, base = running_bot
    ecwid.upload_delay = 0.5  # SIGTERM arrives while Ecwid is still working
    ecwid.upload_status = 202  # the audit line carries the status Ecwid answered
    sender = SlackSender(f"{base}/slack/events", slack.response_url())
    response = await sender.command(f"123 {images.link('shoe.png')} 800x600")
    assert response.status_code == 200
    await ecwid.wait_until(lambda: ecwid.uploads)
    process.send_signal(signal.SIGTERM)

    posts = await slack.wait_for_call("chat.postMessage", count=2)
    assert "New main image id: *987654321*" in posts[1].params["text"]
    assert await asyncio.wait_for(process.wait(), 30) == 0
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert "outcome=uploaded ecwid_status=202" in output
    assert "upload user=U123 channel=C123 product=123" in output
    for name, secret in environment(slack, ecwid, tls).items():
        if name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ECWID_TOKEN"):
            assert secret not in output


async def test_a_busy_port_is_one_clear_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**environment(slack, ecwid, tls), "PORT": str(port)}
        status, _, stderr = await run_to_end(env, tmp_path)
    assert status == 2  # every start-up mistake: one line, status 2
    assert (
        stderr.strip().splitlines()[-1].startswith(f"Cannot start: cannot listen on port {port} (")
    )
    assert "Traceback" not in stderr


async def test_a_refused_app_token_is_one_clear_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.errors["apps.connections.open"] = "invalid_auth"
    env = {**environment(slack, ecwid, tls), "SLACK_APP_TOKEN": "xapp-1-wrong"}
    status, _, stderr = await run_to_end(env, tmp_path)
    assert status == 2  # every start-up mistake: one line, status 2
    assert stderr.strip().splitlines()[-1] == (
        "Cannot start: Slack refused the app token (invalid_auth): check SLACK_APP_TOKEN "
        "(an xapp- token with connections:write)."
    )
    assert "Traceback" not in stderr and "xapp-1-wrong" not in stderr


@pytest.mark.parametrize(
    ("extra", "line"),
    [
        ({"LOG_LEVEL": "verbose"}, "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR"),
        (
            {"SSL_CERT_FILE": "/nonexistent/ca.pem"},
            "SSL_CERT_FILE must name a readable file of PEM certificates",
        ),
        (
            {"SLACK_BOT_TOKEN": "xoxb-your-bot-token", "ECWID_TOKEN": "secret_your-ecwid-token"},
            "SLACK_BOT_TOKEN is still the example value from .env.example; ECWID_TOKEN is still "
            "the example value from .env.example",
        ),
    ],
)
async def test_start_up_mistakes_are_one_line_and_status_2(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    tls: TlsAuthority,
    tmp_path: Path,
    extra: dict[str, str],
    line: str,
) -> None:
    status, _stdout, stderr = await run_to_end(
        {**environment(slack, ecwid, tls), **extra}, tmp_path
    )
    assert status == 2
    assert stderr.strip().splitlines() == [
        f"Cannot start: {line}. See .env.example for every setting."
    ]
    assert slack.calls == [] and ecwid.calls == []


async def test_env_example_unchanged_names_every_placeholder(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text((ROOT / ".env.example").read_text())
    status, _, stderr = await run_to_end({}, tmp_path)
    assert status == 2
    assert stderr.strip() == (
        "Cannot start: SLACK_BOT_TOKEN is still the example value from .env.example; "
        # A laptop user is told that Socket Mode needs no signing secret.
        "SLACK_SIGNING_SECRET is still the example value from .env.example (HTTP mode needs it; "
        "or set SLACK_APP_TOKEN to use Socket Mode); ECWID_STORE_ID is still the example value "
        "from .env.example; ECWID_TOKEN is still the example value from .env.example. "
        "See .env.example for every setting."
    )
    assert len(stderr.strip().splitlines()) == 1


async def test_unreachable_slack_in_socket_mode_is_one_line(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    env = {
        **environment(slack, ecwid, tls),
        "SLACK_APP_TOKEN": "xapp-1-A1-secret",
        "SLACK_API_URL": f"http://127.0.0.1:{free_port()}/api/",
    }
    status, stdout, stderr = await run_to_end(env, tmp_path)
    assert status == 2
    assert stderr.strip().splitlines() == [
        f"Cannot start: Slack could not be reached at {env['SLACK_API_URL']} "
        "(ClientConnectorError); check the network, or SLACK_API_URL."
    ]
    assert "Unclosed" not in stdout + stderr


@pytest.mark.parametrize("flag", ["--help", "-h", "help"])
async def test_help_and_version(tmp_path: Path, flag: str) -> None:
    status, stdout, stderr = await run_to_end({}, tmp_path, flag)
    assert (status, stderr) == (0, "")
    assert stdout.startswith("usage: python -m bot [check | rotate-keys]")
    status, stdout, _ = await run_to_end({}, tmp_path, "--version")
    assert (status, stdout.strip()) == (0, f"ecwid-image {__version__}")


async def test_start_up_logs_no_bolt_token_warning(
    running_bot: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, _ = running_bot
    process.send_signal(signal.SIGINT)  # Ctrl-C: the same clean stop as SIGTERM
    assert await asyncio.wait_for(process.wait(), 10) == 0
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert "listening on port" in output and "stopped" in output
    # Who the bot is, once; and the migrations that made its (new) job store, each by name.
    assert output.count("INFO bot: Slack: signed in as @ecwid-image in workspace Shop\n") == 1
    assert "INFO bot.jobs.store: database upgraded (empty) → 0001\n" in output
    assert "token` will be unused" not in output
    assert "Traceback" not in output


async def test_a_client_holding_a_request_open_does_not_delay_the_exit(
    running_bot: tuple[asyncio.subprocess.Process, str],
) -> None:
    process, base = running_bot
    port = int(base.rsplit(":", 1)[1])
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\nabc"
    )
    await writer.drain()
    await asyncio.sleep(0.3)  # the request is in the bot's hands, its body never completes
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    assert time.monotonic() - started < 5
    writer.close()


async def test_shutdown_stays_within_25_seconds_with_an_upload_stuck_in_ecwid(
    slack: FakeSlack, ecwid: FakeEcwid, images: FakeImageHost, tls: TlsAuthority, tmp_path: Path
) -> None:
    port = free_port()
    env = {**environment(slack, ecwid, tls), "PORT": str(port), "ECWID_TIMEOUT_SECONDS": "120"}
    process = await start_bot(env, tmp_path)
    base = f"http://127.0.0.1:{port}"
    await wait_healthy(base, process)
    ecwid.upload_delay = 120
    sender = SlackSender(f"{base}/slack/events", slack.response_url())
    response = await sender.command(f"123 {images.link('shoe.png')} 800x600")
    assert response.status_code == 200, response.text
    await ecwid.wait_until(lambda: ecwid.uploads, timeout=10)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 40) == 0
    elapsed = time.monotonic() - started
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert elapsed <= 25.5, output
    answer = await slack.wait_for_response()
    assert answer["text"].startswith(":warning: The bot was restarted before your upload finished")


async def test_a_job_store_that_cannot_be_opened_is_one_line_without_its_password(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    url = f"postgres://bot:hunter2-pw@127.0.0.1:{free_port()}/jobs"
    status, stdout, stderr = await run_to_end(
        {**environment(slack, ecwid, tls), "DATABASE_URL": url}, tmp_path
    )
    assert status == 2
    assert stderr.strip().splitlines() == [
        f"Cannot start: cannot open the job store at {url.replace('postgres:', 'postgresql+asyncpg:').replace('hunter2-pw', '***')}: "
        "ConnectionRefusedError ([Errno 111] Connection refused); check DATABASE_URL."
    ]
    assert "hunter2" not in stdout + stderr


@pytest.mark.parametrize(
    "url",
    [
        "postgres://u:hunter2-pw@h:abc/db",  # a port of letters
        "postgres://u:hunter2-pw@[::1",  # an unclosed IPv6 address
        "postgresql://u:hunter2-pw@[::1/db",
        "postgres://u:hunter2-pw@h:99999/db",  # out of range
        "postgres://u:hunter2-pw@/db",  # no host
    ],
)
@pytest.mark.parametrize("command", [[], ["check"]], ids=["start", "check"])
async def test_a_malformed_database_url_is_one_line_exit_2_without_its_password(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    tls: TlsAuthority,
    tmp_path: Path,
    url: str,
    command: list[str],
) -> None:
    status, stdout, stderr = await run_to_end(
        {**environment(slack, ecwid, tls), "DATABASE_URL": url}, tmp_path, *command
    )
    assert status == 2
    assert stderr.strip().splitlines() == [
        "Cannot start: DATABASE_URL must be a postgres://, postgresql:// or sqlite:/// URL, with "
        "a host and a port of 1–65535 for PostgreSQL. See .env.example for every setting."
    ]
    assert "hunter2" not in stdout + stderr


async def test_a_wrong_database_password_is_the_drivers_own_words_without_the_password(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    server = PostgresServer(password="right-one")
    await asyncio.to_thread(server.start)
    try:
        url = f"postgres://postgres:wrong-pw-secret@127.0.0.1:{server.port}/postgres"
        env = {**environment(slack, ecwid, tls), "DATABASE_URL": url}
        status, stdout, stderr = await run_to_end(env, tmp_path)
        check_status, check_out, _ = await run_to_end(env, tmp_path, "check")
    finally:
        await asyncio.to_thread(server.stop)
    shown = f"postgresql+asyncpg://postgres:***@127.0.0.1:{server.port}/postgres"
    said = 'InvalidPasswordError (password authentication failed for user "postgres")'
    assert (status, stderr.strip().splitlines()) == (
        2,
        [f"Cannot start: cannot open the job store at {shown}: {said}; check DATABASE_URL."],
    )
    assert check_status == 1
    assert f"FIX Bulk jobs: cannot open the job store at {shown}: {said}; check DATABASE_URL." in (
        check_out.splitlines()
    )
    assert "wrong-pw-secret" not in stdout + stderr + check_out


async def test_a_silent_database_is_one_line_well_within_herokus_boot_limit(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # accepts, and never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        url = f"postgres://bot:pw-secret@127.0.0.1:{port}/jobs"
        started = time.monotonic()
        status, _, stderr = await run_to_end(
            {**environment(slack, ecwid, tls), "DATABASE_URL": url}, tmp_path
        )
        took = time.monotonic() - started
    finally:
        server.close()
    assert status == 2
    assert stderr.strip().splitlines() == [
        f"Cannot start: cannot open the job store at postgresql+asyncpg://bot:***@127.0.0.1:"
        f"{port}/jobs: no answer within 10 s (TimeoutError); check DATABASE_URL."
    ]
    assert took < 30  # Heroku gives a web dyno 60 s to boot


async def test_start_up_logs_the_env_file_read_and_warns_a_heroku_dyno_on_sqlite(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    port = free_port()
    lines = [f"{k}={v}" for k, v in environment(slack, ecwid, tls).items()]
    (tmp_path / ".env").write_text("\n".join([*lines, f"PORT={port}"]) + "\n")
    process = await start_bot({"DYNO": "web.1"}, tmp_path)
    await wait_healthy(f"http://127.0.0.1:{port}", process)
    process.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(process.wait(), 30) == 0
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert f"INFO bot: settings: read {tmp_path / '.env'}" in output
    assert (
        "WARNING bot: bulk jobs are kept in a SQLite file, which this dyno loses at every "
        "restart: add Heroku Postgres (it sets DATABASE_URL)"
    ) in output


REFUSED_BOT_TOKEN = (
    "Cannot start: Slack refused the bot token ({}): check SLACK_BOT_TOKEN (the Bot User OAuth "
    "Token, xoxb-, of the app's OAuth & Permissions page)."
)


@pytest.mark.parametrize(
    ("mode", "error"),
    [("http", "invalid_auth"), ("socket_mode", "token_revoked")],
)
async def test_a_refused_bot_token_is_one_line_naming_slacks_error_and_changes_nothing(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path, mode: str, error: str
) -> None:
    slack.errors["auth.test"] = error
    database = tmp_path / "jobs.sqlite3"
    env = {
        **environment(slack, ecwid, tls, database_url=f"sqlite:///{database}"),
        "SLACK_BOT_TOKEN": "xoxb-wrong-secret-token",
    }
    if mode == "socket_mode":
        env["SLACK_APP_TOKEN"] = "xapp-1-A1-secret-app-token"
        del env["SLACK_SIGNING_SECRET"]
    status, stdout, stderr = await run_to_end(env, tmp_path)
    assert (status, stdout) == (2, "")
    assert stderr.strip().splitlines() == [REFUSED_BOT_TOKEN.format(error)]
    assert "wrong-secret" not in stderr and "secret-app-token" not in stderr
    assert [c.method for c in slack.calls] == ["auth.test"]  # asked once, first
    assert not database.exists()  # nothing was changed: not even the job store made


async def test_a_user_token_is_refused_as_not_a_bot_token(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path
) -> None:
    slack.bot_id = None  # auth.test's answer to a user token names no bot
    status, stdout, stderr = await run_to_end(environment(slack, ecwid, tls), tmp_path)
    assert (status, stdout) == (2, "")
    assert stderr.strip().splitlines() == [
        "Cannot start: SLACK_BOT_TOKEN is a token of the user @ecwid-image, not a bot token: use "
        "the Bot User OAuth Token (xoxb-) of the app's OAuth & Permissions page."
    ]


@pytest.mark.parametrize("silence", ["closed_port", "http_503", "no_answer"])
async def test_http_mode_starts_with_a_warning_when_slack_does_not_answer(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path, silence: str
) -> None:
    """A dyno must boot even while Slack is down: the token is then not checked, and the log
    says so; a Slack that never answers holds start-up 5 s at most (TOKEN_CHECK_SECONDS)."""
    port = free_port()
    env = {**environment(slack, ecwid, tls), "PORT": str(port)}
    said = {"closed_port": "ClientConnectorError", "http_503": "http_503", "no_answer": "timeout"}
    if silence == "closed_port":
        env["SLACK_API_URL"] = f"http://127.0.0.1:{free_port()}/api/"
    elif silence == "http_503":
        slack.faults["auth.test"] = [SlackFault(status=503)] * 5  # the retry too
    else:
        slack.faults["auth.test"] = [SlackFault(delay=400)] * 5
    process = await start_bot(env, tmp_path)
    try:
        await wait_healthy(f"http://127.0.0.1:{port}", process)
        healthy = time.monotonic()
        assert await stopped_by_sigterm(process) == 0
    finally:
        await reap(process)
    output = (await process.stdout.read()).decode()  # type: ignore[union-attr]
    assert (
        f"WARNING bot: Slack could not be reached at {env['SLACK_API_URL']} ({said[silence]}), "
        "so SLACK_BOT_TOKEN is not checked: starting anyway\n"
    ) in output
    assert "signed in as" not in output and env["SLACK_BOT_TOKEN"] not in output
    if silence == "no_answer":  # from the question: 5 s, then the job store opens, the port listens
        assert healthy - slack.calls_to("auth.test")[0].at < 8


FROM_THE_FUTURE = "9999_from_the_future"


async def test_a_database_upgraded_by_a_newer_version_is_refused_as_such(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, tmp_path: Path, database_url: str
) -> None:
    """The revision in alembic_version is none of this code's: nothing is changed, and both
    start-up and the doctor say what to do."""
    url = sqlalchemy_url(database_url) or ""
    await (await JobStore.open(url)).close()
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": FROM_THE_FUTURE}
            )
        env = environment(slack, ecwid, tls, database_url=database_url)
        status, stdout, stderr = await run_to_end(env, tmp_path)
        check_status, check_out, _ = await run_to_end(env, tmp_path, "check")
        async with engine.connect() as connection:
            kept = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    finding = (
        f"this database was upgraded by a newer ecwid-image ({FROM_THE_FUTURE}); this version "
        "knows up to 0016: run the newer version, or restore the backup taken before upgrading."
    )
    assert (status, stdout, stderr.strip().splitlines()) == (2, "", [f"Cannot start: {finding}"])
    assert check_status == 1
    assert f"FIX Bulk jobs: {finding}" in check_out.splitlines()
    assert kept == FROM_THE_FUTURE
