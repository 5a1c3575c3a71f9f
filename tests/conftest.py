"""Fixtures: the loopback Slack and Ecwid servers, and the bot serving HTTP on loopback; and the
tiers. A test's folder says what it costs, and gives it the marker of that name:

- `tests/unit/`: no I/O (no socket, no child process, no database; reading committed files is
  fine): `pytest tests/unit` or `-m unit`.
- `tests/integration/`: the bot in this one process, served on loopback, talking to the loopback
  fakes (tests/fakes/), its job store a SQLite file: `pytest tests/integration` or
  `-m integration`. The store tests parametrised over `database_url` run on PostgreSQL too: that
  half is marked `slow` (it starts the server for the session, tests/postgres.py).
- `tests/process/`: `python -m bot` and other child processes, PostgreSQL servers of their own,
  `kill -9` and SIGTERM: `pytest tests/process` or `-m process`. Every one is marked `slow`.

`slow` also marks unit and integration tests that wait out a fault or move a lot of bytes;
`-m "not slow"` is the fast tier. The helpers at the top of tests/ serve every tier.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Settings, load_settings
from bot.config import database_url as sqlalchemy_url
from bot.ecwid.budget import RateLimit
from bot.flows.bulk_run import PROGRESS_SECONDS
from bot.jobs.store import JobStore
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost, TlsAuthority
from tests.fakes.slack_api import FakeSlack
from tests.harness import (
    QUICK_PROGRESS_SECONDS,
    BotUnderTest,
    close_image_pool,
    environment,
    serving,
)
from tests.postgres import PostgresServer

TIERS = ("unit", "integration", "process")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each test gets the marker of its tier, from its folder; the process tier is `slow` too."""
    tests = Path(__file__).resolve().parent
    for item in items:
        path = item.path.resolve()
        if not path.is_relative_to(tests):
            continue
        tier = path.relative_to(tests).parts[0]
        if tier not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in one of tests/{TIERS}")
        item.add_marker(tier)
        if tier == "process":
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session", autouse=True)
def shared_image_pool() -> Iterator[None]:
    """The bots' shared conversion pool (tests/harness.py) ends with the session."""
    yield
    close_image_pool()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    server = FakeSlack()
    await server.start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsAuthority:
    return TlsAuthority(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="session", autouse=True)
def trusted_test_ca(tls: TlsAuthority) -> Iterator[None]:
    """SSL_CERT_FILE, the test CA, in this process's environment as well as in the bots'
    settings, as `python -m bot` has it (the process tier, and production when it is set): the
    default TLS contexts (OpenSSL's default trust store, httpx's) then load the test CA, not the
    system's bundle of about 150 certificates again for each bot (about 50 ms of CPU each)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSL_CERT_FILE", str(tls.ca_file))
        yield


# What Ecwid's gallery ids mean is not settled (tests/fakes/ecwid_api.py, `gallery_ids`): the
# gallery, Undo and delete tests run under both models with
# `pytestmark = pytest.mark.parametrize("ecwid", GALLERY_ID_MODELS, indirect=True)`; the rest of
# the suite runs under the stable one.


@pytest.fixture
async def ecwid(tls: TlsAuthority, request: pytest.FixtureRequest) -> AsyncIterator[FakeEcwid]:
    """Loopback Ecwid, its CDN on https (trusted through the test CA, as the bot is told)."""
    ids = getattr(request, "param", "stable")
    server = FakeEcwid(tls.server_context(), tls.client_context(), gallery_ids=ids)
    await server.start()
    yield server
    await server.close()


@pytest.fixture
async def images(tls: TlsAuthority) -> AsyncIterator[FakeImageHost]:
    server = FakeImageHost(tls)
    await server.start()
    yield server
    await server.close()


@pytest.fixture(scope="session")
def migrated_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite job store with every migration applied, made once a session by the bot's own
    `JobStore.open`: each test's bot starts on a copy (migrating a new file costs about 0.1 s
    of CPU, a test). `database_url` stays an empty store, for the tests of the migrations."""
    path = tmp_path_factory.mktemp("migrated") / "jobs.sqlite3"

    async def migrate() -> None:
        store = await JobStore.open(sqlalchemy_url(f"sqlite:///{path}") or "")
        await store.close()  # the WAL is checkpointed: the one file holds it all

    # In a thread of its own: a test's event loop may be running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, migrate()).result()
    return path


@pytest.fixture
def settings(
    slack: FakeSlack,
    ecwid: FakeEcwid,
    tls: TlsAuthority,
    migrated_store: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Settings:
    """The bot's settings for the tests, its job store a copy of the migrated one."""
    store = tmp_path_factory.mktemp("jobs") / "jobs.sqlite3"
    shutil.copyfile(migrated_store, store)
    return load_settings(environment(slack, ecwid, tls, database_url=f"sqlite:///{store}"))


@pytest.fixture
async def bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotUnderTest]:
    async with serving(settings, slack) as sender:
        yield sender


@pytest.fixture
async def strict_bot(settings: Settings, slack: FakeSlack) -> AsyncIterator[BotUnderTest]:
    """The bot with the default image rule: only public addresses."""
    async with serving(replace(settings, probe_allow_private_networks=False), slack) as sender:
        yield sender


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty job store of each kind: a SQLite file, and a database on the real PostgreSQL
    (started for the session when a test first needs it: the fast tier does not)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/jobs.sqlite3"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()


BULK_CALLS_A_SECOND = 40


@pytest.fixture
async def bulk_bot(
    request: pytest.FixtureRequest,
    settings: Settings,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    database_url: str,
) -> AsyncIterator[BotUnderTest]:
    """The bot on each kind of job store, against an Ecwid that answers 429 past a limit of 40
    calls a second, the bot told the same limit. A test that needs a job to take seconds (to see
    its progress, or stop it) lowers it: `@pytest.mark.ecwid_calls_a_second(10)`. A test of the
    pace of a job's message updates has Slack's (`@pytest.mark.slack_pace`), others a short one."""
    marker = request.node.get_closest_marker("ecwid_calls_a_second")
    calls = int(marker.args[0]) if marker else BULK_CALLS_A_SECOND
    paced = request.node.get_closest_marker("slack_pace") is not None
    ecwid.rate_limit = (calls, 1.0)
    tuned = replace(
        settings,
        database_url=sqlalchemy_url(database_url) or "",
        ecwid_rate_limit=RateLimit(calls, 1),
    )
    progress = PROGRESS_SECONDS if paced else QUICK_PROGRESS_SECONDS
    async with serving(tuned, slack, progress_seconds=progress) as bot:
        yield bot
