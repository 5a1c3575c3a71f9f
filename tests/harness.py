"""What several test files share: the bot's test settings, and the bot serving HTTP on loopback
as `python -m bot` does, with a sender of signed Slack requests and a way to wait until it is idle."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ProcessPoolExecutor

from bot.changes.context import StoreContext
from bot.changes.slot_change import Asker, FromLink, Origin, Owner, Place, SlotChange, Target
from bot.config import Settings
from bot.flows.weekly import TICK_SECONDS
from bot.images.convert import default_workers, start_pool
from bot.runtime import Runtime
from bot.slack.app import build_app
from bot.slack.client import CALL_TIMEOUT_SECONDS
from bot.slack.server import EVENTS_PATH, HttpServer
from tests.fakes.ecwid_api import STORE_ID, TOKEN, FakeEcwid
from tests.fakes.image_host import TlsAuthority
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.slack_requests import SIGNING_SECRET, SlackSender

# A job's message is updated at most every 2.1 s, Slack's pace (bot.flows.bulk_run); a test
# that does not look at the pace waits this long instead for each update, its report too.
QUICK_PROGRESS_SECONDS = 0.2


async def the_store(runtime: Runtime) -> StoreContext:
    """Single-store mode's one store context (the runtime's, as every request gets it)."""
    store = await runtime.stores.for_team(None)
    assert store is not None
    return store


class BotUnderTest(SlackSender):
    """Signed requests to the bot, and `idle()`: every upload it queued has run to its end."""

    def __init__(self, events_url: str, response_url: str, runtime: Runtime) -> None:
        super().__init__(events_url, response_url)
        self.runtime = runtime  # the flows, for tests of a flow's own step

    async def idle(self) -> None:
        """Every upload queued has ended, and no bulk job runs in this process."""
        await self.runtime.workers.join()
        await self.runtime.drops.idle()  # drops waiting for their group are planned
        await self.runtime.workers.join()
        await self.runtime.bulk.idle()


def environment(
    slack: FakeSlack, ecwid: FakeEcwid, tls: TlsAuthority, database_url: str | None = None
) -> dict[str, str]:
    """The bot's settings for the tests: loopback servers, images allowed from loopback, and a
    job store of its own (a fresh SQLite file unless told otherwise)."""
    if database_url is None:
        database_url = f"sqlite:///{tempfile.mkdtemp(prefix='ecwid-image-jobs-')}/jobs.sqlite3"
    return {
        "DATABASE_URL": database_url,
        "PROBE_ALLOW_PRIVATE_NETWORKS": "true",
        "SSL_CERT_FILE": str(tls.ca_file),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "ECWID_STORE_ID": str(STORE_ID),
        "ECWID_TOKEN": TOKEN,
        "ECWID_API_URL": ecwid.api_url,
        "ECWID_TIMEOUT_SECONDS": "2",
    }


_image_pool: ProcessPoolExecutor | None = None


def image_pool() -> ProcessPoolExecutor:
    """The conversion pool the bots of this test process share, as the bot starts its own: one
    pool's workers start once, not once a test (about 0.5 s of CPU each). Its workers keep no
    state between tasks. A bot that stopped it (a task past its time limit) or saw it break
    goes on with a pool of its own, and the next bot gets a new shared one."""
    global _image_pool
    pool = _image_pool
    # ProcessPoolExecutor says whether it broke or was shut down in these two attributes only.
    if pool is None or pool._broken or pool._shutdown_thread:
        pool = _image_pool = start_pool(default_workers())
    return pool


def close_image_pool() -> None:
    """At the end of the session (tests/conftest.py)."""
    global _image_pool
    if _image_pool is not None:
        _image_pool.shutdown(wait=True, cancel_futures=True)
        _image_pool = None


@contextlib.asynccontextmanager
async def serving(
    settings: Settings,
    slack: FakeSlack,
    clock: Callable[[], float] = time.monotonic,
    *,
    slack_call_timeout: float = CALL_TIMEOUT_SECONDS,
    progress_seconds: float = QUICK_PROGRESS_SECONDS,
    wall_clock: Callable[[], float] = time.time,
    weekly_tick: float = TICK_SECONDS,
) -> AsyncIterator[BotUnderTest]:
    """The bot serving HTTP on loopback as `python -m bot` does, and a sender of signed Slack
    requests to it (`clock`: the access rules' clock, for a test to turn; `slack_call_timeout`:
    the bound on each Slack call, short for a test of a call that never ends;
    `progress_seconds`: between two updates of a job's message, Slack's pace for a test of it;
    `wall_clock`, `weekly_tick`: the weekly audits' time, and how often they are looked for)."""
    runtime = await Runtime.open(
        settings,
        clock=clock,
        slack_call_timeout=slack_call_timeout,
        image_pool=image_pool(),
        progress_seconds=progress_seconds,
        wall_clock=wall_clock,
        weekly_tick=weekly_tick,
    )
    server = HttpServer(
        build_app(runtime), runtime.workers.priority, signing_secret=settings.slack_signing_secret
    )
    port = await server.start("127.0.0.1", 0)
    try:
        yield BotUnderTest(f"http://127.0.0.1:{port}{EVENTS_PATH}", slack.response_url(), runtime)
    finally:
        await server.stop_listening()
        await runtime.close(grace_seconds=5)
        await server.close()


def gallery_line(product_id: int, link: str) -> SlotChange:
    """A bulk line's change: the image at `link` added to a product's gallery (what a resumed
    job looks for before it sends a started line again)."""
    return SlotChange(
        store_id=STORE_ID,
        target=Target(Owner.PRODUCT, product_id, Place.GALLERY),
        source=FromLink(link),
        asker=Asker("U123", "C123"),
        origin=Origin.BULK_LINE,
    )
