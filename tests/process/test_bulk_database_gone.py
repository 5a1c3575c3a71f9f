"""A bulk job's button pressed when its PostgreSQL database has been dropped (the rest of the bulk
jobs, on SQLite and on PostgreSQL: tests/integration/listeners/test_bulk.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config import Settings
from bot.config import database_url as sqlalchemy_url
from tests.bulk_helpers import (
    bulk_form_submission,
    lines_for,
    press,
    stock,
    the_plan,
    uploaded_products,
)
from tests.fakes.ecwid_api import FakeEcwid
from tests.fakes.image_host import FakeImageHost
from tests.fakes.slack_api import FakeSlack
from tests.harness import serving
from tests.postgres import PostgresServer


@pytest.mark.slow  # a PostgreSQL database of its own
async def test_a_press_when_the_database_is_gone_is_answered_not_silent(
    settings: Settings,
    slack: FakeSlack,
    ecwid: FakeEcwid,
    images: FakeImageHost,
    postgres: PostgresServer,
) -> None:
    url = postgres.new_database()
    tuned = replace(settings, database_url=sqlalchemy_url(url) or "")
    async with serving(tuned, slack) as bot:
        await bot.interaction(bulk_form_submission("\n".join(lines_for(images, stock(ecwid, 2)))))
        ts, job_id, _ = await the_plan(slack)
        postgres.psql(f"DROP DATABASE {url.rsplit('/', 1)[1]} WITH (FORCE)")
        await bot.interaction(press("bulk_start", job_id, ts))
        answer = await slack.wait_for_call("chat.postEphemeral", timeout=15)
    assert answer[0].params["text"] == (
        ":x: The bot's database could not be reached, so nothing changed; try again in a minute."
    )
    assert uploaded_products(ecwid) == []
