"""`python -m bot check`: a setup doctor that says in plain words what to fix."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import aiohttp
from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url

from bot.config import Settings
from bot.domain.tenant import ONE_WORKSPACE, Tenant
from bot.ecwid.client import EcwidClient
from bot.ecwid.errors import EcwidError
from bot.jobs.history import History
from bot.jobs.store import JobStore, JobStoreError, NewerDatabaseError
from bot.slack.client import SLACK_FAILURES, BoundedWebClient, slack_error, slack_session

# users:read: a weekly audit's 09:00 is in its asker's time zone (users.info `tz`).
SLACK_SCOPES = ("commands", "chat:write", "files:read", "files:write", "users:read")
# The drop zone (WATCH_CHANNELS): the message events of public and private channels (docs/drop-zone.md).
DROP_ZONE_SCOPES = ("channels:history", "groups:history")
CHECK_TIMEOUT_SECONDS = 15.0  # a Slack that never answers is reported, not waited for
ECWID_SCOPE_HELP = (
    "by asking Ecwid (the custom app's Details page, Contact: docs/ecwid-token.md), then copy its "
    "token again"
)


@dataclass(frozen=True)
class Finding:
    ok: bool
    text: str
    warning: bool = False  # ok for now, but worth acting on soon

    def __str__(self) -> str:
        return f"{'FIX' if not self.ok else 'WARN' if self.warning else 'ok '} {self.text}"


async def check_slack(settings: Settings, session: aiohttp.ClientSession) -> list[Finding]:
    slack = BoundedWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        session=session,
        call_timeout=CHECK_TIMEOUT_SECONDS,
    )
    try:
        identity = await slack.auth_test()
    except SlackApiError as exc:
        return [
            Finding(
                False, f"Slack refused the bot token ({slack_error(exc)}): check SLACK_BOT_TOKEN."
            )
        ]
    except SLACK_FAILURES as exc:
        return [
            Finding(
                False,
                f"Slack could not be reached at {settings.slack_api_url} ({slack_error(exc)}): "
                "check the network or a proxy, or SLACK_API_URL.",
            )
        ]
    if not identity.get("bot_id"):  # a user token: auth.test names no bot
        return [
            Finding(
                False,
                f"Slack: SLACK_BOT_TOKEN is a token of the user @{identity.get('user')}, not a "
                "bot token: use the Bot User OAuth Token (xoxb-) of the app's OAuth & "
                "Permissions page.",
            )
        ]
    findings = [
        Finding(
            True,
            f"Slack: connected as @{identity.get('user')} ({identity.get('user_id')}) "
            f"in workspace {identity.get('team')}.",
        )
    ]
    granted = {s.strip() for s in (identity.headers.get("x-oauth-scopes") or "").split(",")}
    needed = set(SLACK_SCOPES) | ({"usergroups:read"} if settings.allowed_usergroups else set())
    missing = sorted(needed - granted)
    if missing:
        findings.append(Finding(False, f"Slack: the bot token lacks {_scopes(missing)}."))
    if settings.watch_channels:
        findings += await check_drop_zone(settings, slack, granted, str(identity.get("user")))
    return findings


def _scopes(missing: list[str]) -> str:
    many = len(missing) > 1
    return (
        f"the {', '.join(missing)} scope{'s' if many else ''}: add {'them' if many else 'it'} "
        "under OAuth & Permissions (or recreate the app from manifest.yml) and reinstall"
    )


async def check_drop_zone(
    settings: Settings, slack: BoundedWebClient, granted: set[str], bot_name: str
) -> list[Finding]:
    """WATCH_CHANNELS: the scopes its message events need (the token's x-oauth-scopes), and
    the bot's membership of each watched channel. A bot token reads the history of the
    conversations the bot is a member of only; `conversations.history` with `limit=1` answers
    `not_in_channel` for one it is not in (Slack's conversations.history reference)."""
    findings: list[Finding] = []
    missing = sorted(set(DROP_ZONE_SCOPES) - granted)
    if missing:
        findings.append(
            Finding(False, f"Slack: the drop zone (WATCH_CHANNELS) needs {_scopes(missing)}.")
        )

    async def member(channel: str) -> Finding:
        where = f"Drop zone {channel}"
        try:
            await slack.conversations_history(channel=channel, limit=1)
        except SlackApiError as exc:
            error = slack_error(exc)
            if error == "not_in_channel":
                return Finding(
                    False,
                    f"{where}: the bot is not in this channel, so it sees no photos dropped "
                    f"there: invite it (/invite @{bot_name} in the channel) or take the channel "
                    "out of WATCH_CHANNELS.",
                )
            if error == "channel_not_found":
                return Finding(
                    False,
                    f"{where}: Slack knows no channel with this id that the bot can see (a "
                    "private channel the bot is not in looks so too): check WATCH_CHANNELS, or "
                    "invite the bot there.",
                )
            if error == "missing_scope":
                needed = exc.response.get("needed") if exc.response is not None else None
                scope = f"the {needed} scope" if needed else "a scope"
                return Finding(
                    False, f"{where}: the bot may not read its messages: the token lacks {scope}."
                )
            return Finding(False, f"{where}: could not be checked (Slack said {error}).")
        except SLACK_FAILURES as exc:
            return Finding(False, f"{where}: could not be checked ({slack_error(exc)}).")
        return Finding(True, f"{where}: the bot is in it and can read what is dropped there.")

    findings += await asyncio.gather(*(member(c) for c in sorted(settings.watch_channels)))
    return findings


async def check_ecwid(settings: Settings, session: aiohttp.ClientSession) -> list[Finding]:
    ecwid = EcwidClient.for_settings(session, settings)
    try:
        profile = await ecwid.get_profile()
    except EcwidError as exc:
        return [Finding(False, f"Ecwid store {settings.ecwid_store_id}: {exc}")]
    languages = ", ".join(
        f"{lang} (default)" if lang == profile.languages.default else lang
        for lang in profile.languages.enabled
    )
    findings = [
        Finding(
            True,
            f"Ecwid: store {settings.ecwid_store_id} “{profile.name or 'unnamed'}”, "
            f"languages {languages}.",
        )
    ]
    try:
        await ecwid.search_products("a", limit=1, time_limit=settings.ecwid_timeout_seconds)
        findings.append(Finding(True, "Ecwid: the token can read the catalog."))
    except EcwidError as exc:
        findings.append(Finding(False, f"Ecwid: the token cannot read the catalog: {exc}"))
    can_update = await ecwid.can_update_catalog()
    if can_update is None:
        findings.append(
            Finding(
                False,
                "Ecwid: could not check whether the token can update the catalog: Ecwid did not "
                "answer; run the check again in a few minutes.",
            )
        )
    elif can_update:
        findings.append(Finding(True, "Ecwid: the token can update the catalog."))
    else:
        findings.append(
            Finding(
                False,
                f"Ecwid: the token lacks the update_catalog scope: add it {ECWID_SCOPE_HELP}.",
            )
        )
    return findings


async def check_jobs(settings: Settings, *, on_heroku: bool) -> list[Finding]:
    """The job store opens (its schema brought up to date, as at start-up). A SQLite file that
    does not exist yet is not created here: the bot creates it where it runs."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        if on_heroku:
            return [
                Finding(
                    False,
                    "Bulk jobs: kept in a SQLite file, which a Heroku dyno loses at every "
                    "restart: add Heroku Postgres (it sets DATABASE_URL).",
                )
            ]
        if not url.database or not await asyncio.to_thread(Path(url.database).exists):
            return [
                Finding(True, "Bulk jobs: kept in a SQLite file, made at the bot's first start.")
            ]
    try:
        jobs = await JobStore.open(settings.database_url, store_id=settings.ecwid_store_id or None)
    except NewerDatabaseError as exc:  # DATABASE_URL is right: the version of the bot is not
        return [Finding(False, f"Bulk jobs: {exc}.")]
    except JobStoreError as exc:
        return [Finding(False, f"Bulk jobs: {exc}; check DATABASE_URL.")]
    kind = jobs.dialect
    try:
        kept = await History(jobs, Tenant(ONE_WORKSPACE, settings.ecwid_store_id)).kept_bytes()
    finally:
        await jobs.close()
    found = [
        Finding(True, "Bulk jobs: kept in PostgreSQL (DATABASE_URL).")
        if kind != "sqlite"
        else Finding(True, "Bulk jobs: kept in a SQLite file.")
    ]
    return [*found, history_finding(settings, kept)]


HISTORY_WARN_SHARE = 0.8  # of HISTORY_MAX_MB


def history_finding(settings: Settings, kept: int) -> Finding:
    """How full the kept copies (bulk lines' previous images, for Undo) are."""
    limit = settings.history_max_mb
    used = kept / (1024 * 1024)
    text = (
        f"History: copies kept for Undo take {used:,.1f} MB of HISTORY_MAX_MB={limit:g} MB "
        f"(and are kept at most HISTORY_DAYS={settings.history_days} days)"
    )
    if used >= HISTORY_WARN_SHARE * limit:
        return Finding(
            True,
            text + ": nearly full. The oldest copies are dropped first, and an undo of their "
            "lines will say so; raise HISTORY_MAX_MB if the database has room.",
            warning=True,
        )
    return Finding(True, text + ".")


async def diagnose(
    settings: Settings, *, on_heroku: bool = False, found: Callable[[Finding], None]
) -> list[Finding]:
    """Every check, each with a deadline of its own; each finding is passed to `found` as soon
    as its check ends, so that a silent service never leaves the screen blank."""
    findings: list[Finding] = []

    async def run(name: str, check: Awaitable[list[Finding]]) -> None:
        try:
            results = await asyncio.wait_for(check, CHECK_TIMEOUT_SECONDS)
        except TimeoutError:
            results = [Finding(False, f"{name} did not answer within {CHECK_TIMEOUT_SECONDS:g} s.")]
        for finding in results:
            found(finding)
            findings.append(finding)

    async with slack_session(limit=10) as session:
        await run("Slack", check_slack(settings, session))
        await run(f"Ecwid store {settings.ecwid_store_id}", check_ecwid(settings, session))
        await run("Bulk jobs: the job store", check_jobs(settings, on_heroku=on_heroku))
    return findings
