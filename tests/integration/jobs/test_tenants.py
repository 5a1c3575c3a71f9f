"""The tenant's keys in the job store (#38), on SQLite and PostgreSQL: three tenants share one
database (a café's workspace with its store, an agency's workspace with the same store linked,
and the agency's own second store), and each reaches only its own jobs, history, undo claims and
kept copies; one store's copies never make way for another's."""

from __future__ import annotations

import time

import pytest

from bot.changes.records import history_entry
from bot.config import database_url as sqlalchemy_url
from bot.domain.tenant import Tenant
from bot.jobs.history import Action, History, KeepLimit
from bot.jobs.store import Job, JobState, JobStore, Line, LineState, Outcome

CAFE = Tenant("T1CAFE", 1001)
AGENCY_AT_CAFE = Tenant("T2AGENCY", 1001)  # the café's store, linked from the agency too
AGENCY = Tenant("T2AGENCY", 2002)


def _job(letter: str, tenant: Tenant) -> Job:
    return Job(
        letter * 32,
        "U1",  # one person id in each: Slack's ids are only unique within a workspace's view
        "C1",
        None,
        "lines",
        JobState.PLANNED,
        time.time(),
        tenant.team_id,
        tenant.store_id,
    )


def _line() -> Line:
    return Line(1, "7 https://x.test/a.jpg", "7", "main", "{}", LineState.PENDING)


async def test_each_tenant_reaches_only_its_own_jobs(database_url: str) -> None:
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        for letter, tenant in (("a", CAFE), ("b", AGENCY_AT_CAFE), ("c", AGENCY)):
            await store.create(_job(letter, tenant), [_line()])
        listed = {
            tenant: [job.id[0] for job, _ in await store.jobs_of(tenant, "U1", 10)]
            for tenant in (CAFE, AGENCY_AT_CAFE, AGENCY)
        }
        assert listed == {CAFE: ["a"], AGENCY_AT_CAFE: ["b"], AGENCY: ["c"]}
        # A press on another tenant's job (its id learnt somehow) finds nothing, changes nothing.
        assert await store.job("a" * 32, AGENCY_AT_CAFE) is None
        assert not await store.start(AGENCY_AT_CAFE, "a" * 32, "U1", "p1", 30)
        assert not await store.cancel(AGENCY, "a" * 32, "U1")
        job = await store.job("a" * 32)
        assert job is not None and job.state == JobState.PLANNED and job.tenant == CAFE
        assert await store.start(CAFE, "a" * 32, "U1", "p1", 30)
        assert not await store.request_stop(AGENCY_AT_CAFE, "a" * 32, "U1")
        assert await store.request_stop(CAFE, "a" * 32, "U1")
    finally:
        await store.close()


async def test_each_tenant_reads_only_its_own_history_and_claims(database_url: str) -> None:
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    try:
        histories = {t: History(store, t) for t in (CAFE, AGENCY_AT_CAFE, AGENCY)}
        made = {}
        for tenant, history in histories.items():
            entry = history_entry(
                tenant=tenant, user_id="U1", product_id=7, slot="main", action=Action.REPLACED
            )
            await history.add(entry, kept=tenant.team_id.encode())
            made[tenant] = entry.id
        for tenant, history in histories.items():
            assert [c.id for c in await history.of_user("U1", 10)] == [made[tenant]]
            assert [c.id for c in await history.of_product(7, 10)] == [made[tenant]]
            for other, change_id in made.items():
                found = await history.change(change_id)
                assert (found is not None) == (other == tenant)
                copy = await history.kept_copy(change_id)
                # A kept copy is its store's: the agency reaches the café store's copies only
                # through the café store's own changes (and those it cannot read).
                assert (copy is not None) == (other.store_id == tenant.store_id)
        # One change undone once in its store, whatever the workspace; another store's change
        # with the same key is another change.
        assert await store.claim_undo(1001, "7/main/-/-/x", "U1") is None
        assert await store.claim_undo(1001, "7/main/-/-/x", "U9") == "U1"
        assert await store.claim_undo(2002, "7/main/-/-/x", "U9") is None
        assert await store.undone_by(2002, "7/main/-/-/x") == "U9"
    finally:
        await store.close()


async def test_one_stores_copies_never_make_way_for_anothers(database_url: str) -> None:
    """Each store keeps up to HISTORY_MAX_MB of copies: a busy store's job evicts its own
    oldest copies, never a quiet store's."""
    store = await JobStore.open(sqlalchemy_url(database_url) or "")
    keep = KeepLimit(max_bytes=1000, note="no copy")
    try:
        cafe, agency = History(store, CAFE), History(store, AGENCY)
        quiet = history_entry(
            tenant=CAFE, user_id="U1", product_id=7, slot="main", action=Action.REPLACED
        )
        await cafe.add(quiet, kept=b"q" * 900)
        await store.create(_job("d", AGENCY), [_line(), *(_line_n(n) for n in (2, 3))])
        assert await store.start(AGENCY, "d" * 32, "U1", "p1", 30)
        for number in (1, 2, 3):  # 3 × 400 bytes: the third makes the first make way
            entry = history_entry(
                tenant=AGENCY,
                user_id="U1",
                product_id=8,
                slot="main",
                action=Action.REPLACED,
                job_id="d" * 32,
                line=number,
            )
            outcome = Outcome(number, LineState.DONE, change=entry, kept=b"a" * 400)
            await store.record("d" * 32, [outcome], keep)
        assert await cafe.kept_bytes() == 900  # untouched, though the two pass 1000 together
        # A line of the agency's job cannot record a change as the café's: refused, unwritten.
        stray = history_entry(
            tenant=CAFE, user_id="U1", product_id=9, slot="main", action=Action.REPLACED
        )
        with pytest.raises(ValueError, match="is not the tenant"):
            await store.record("d" * 32, [Outcome(3, LineState.DONE, change=stray)])
        assert await cafe.of_product(9, 10) == []
        assert await agency.kept_bytes() == 800  # its own: the third line's copy did not fit
        assert await cafe.kept_copy(quiet.id) == b"q" * 900
        # The prune keeps each store to its own quota too.
        await cafe.prune(30 * 86_400.0, 1000)
        assert (await cafe.kept_bytes(), await agency.kept_bytes()) == (900, 800)
        await cafe.prune(30 * 86_400.0, 850)
        assert (await cafe.kept_bytes(), await agency.kept_bytes()) == (0, 800)
    finally:
        await store.close()


def _line_n(number: int) -> Line:
    return Line(number, f"7 https://x.test/{number}.jpg", "7", "main", "{}", LineState.PENDING)
