"""One frozen settings object, read from the environment (and a `.env` file, via python-dotenv)."""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv

from bot.domain.bulk import DEFAULT_VIEWS, NamingRules, compile_pattern
from bot.ecwid.budget import ECWID_LIMIT, RateLimit
from bot.images.convert import ImagePolicy

DEFAULT_IMAGE_POLICY = ImagePolicy()


class ConfigError(Exception):
    """One or more settings are missing or malformed; the message names every one of them."""


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The values .env.example ships with: a copy left unfilled is named, not sent to Slack or Ecwid.
EXAMPLE_VALUES = {
    "SLACK_BOT_TOKEN": "xoxb-your-bot-token",
    "SLACK_SIGNING_SECRET": "your-signing-secret",
    "SLACK_APP_TOKEN": "xapp-your-app-token",
    "ECWID_STORE_ID": "your-store-id",
    "ECWID_TOKEN": "secret_your-ecwid-token",
}


DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///ecwid-image-jobs.sqlite3"
_DRIVERS = {
    "postgres": "postgresql+asyncpg",  # Heroku's spelling
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


DEFAULT_NAMING = NamingRules()


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str
    slack_signing_secret: str | None
    slack_app_token: str | None
    slack_api_url: str
    ecwid_store_id: int
    ecwid_token: str
    ecwid_api_url: str
    ecwid_timeout_seconds: float
    port: int
    allowed_users: frozenset[str] = frozenset()
    allowed_usergroups: frozenset[str] = frozenset()
    allowed_channels: frozenset[str] = frozenset()
    probe_allow_private_networks: bool = False  # for tests only
    ssl_cert_file: str | None = None  # extra CA bundle the image fetch trusts (tests)
    log_level: str = "INFO"
    ecwid_rate_limit: RateLimit = ECWID_LIMIT
    # Where bulk jobs are kept (SQLAlchemy's form); the default is a SQLite file.
    database_url: str = DEFAULT_DATABASE_URL
    bulk_lease_seconds: float = 30.0  # how long a bulk job stays with a process that went silent
    images: ImagePolicy = DEFAULT_IMAGE_POLICY  # KEEP_IMAGE_METADATA, IMAGE_MAX_SIDE, …
    # How long, and up to how much in all, bulk lines' previous images are kept for Undo.
    history_days: int = 30
    history_max_mb: float = 200.0
    # The drop zone: channels whose dropped photos become a plan, and how long one person's
    # messages there make one plan.
    watch_channels: frozenset[str] = frozenset()
    drop_group_seconds: float = 10.0
    naming: NamingRules = DEFAULT_NAMING  # FILENAME_VIEWS, FILENAME_PATTERN
    duplicate_check_max_lines: int = 200  # plans up to this many lines are checked for duplicates
    csv_parse_seconds: float = 20.0  # a bulk CSV's parse stops past this (tests make it tiny)
    env_file: str | None = None  # the .env file the settings were read from, if any

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, so logging can redact them wherever they turn up."""
        values = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.ecwid_token,
            database_password(self.database_url),
        )
        return tuple(v for v in values if v)

    def __repr__(self) -> str:  # never print a secret by accident
        return (
            f"Settings(store={self.ecwid_store_id}, socket_mode={self.socket_mode}, "
            f"port={self.port}, slack_api_url={self.slack_api_url!r}, "
            f"ecwid_api_url={self.ecwid_api_url!r})"
        )


def database_url(value: str) -> str | None:
    """DATABASE_URL as SQLAlchemy's async drivers take it; None when it names no database the
    bot can use."""
    scheme, sep, rest = value.partition("://")
    driver = _DRIVERS.get(scheme.lower())
    if not sep or driver is None or not rest:
        return None
    url = f"{driver}://{rest}"
    # The host and port must parse (a port of letters, an unclosed `[::1`): refused here, in
    # one line with the other settings, not as a traceback from the driver at start-up.
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if driver.startswith("postgresql") and (not parts.hostname or port == 0):
        return None
    return url


def database_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def _http_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming all the bad ones at once."""
    env_file: str | None = None
    if environ is None:
        # .env in the working directory (or above); real environment variables win over it
        env_file = find_dotenv(usecwd=True) or None
        if env_file:
            load_dotenv(env_file, override=False)
        environ = os.environ
    env = {k: v.strip() for k, v in environ.items()}
    problems: list[str] = []

    def text(
        name: str, *, prefix: str | None = None, required: bool = True, why: str = ""
    ) -> str | None:
        value = env.get(name) or None
        if value is None:
            if required:
                problems.append(f"{name} is missing{why}")
            return None
        if value == EXAMPLE_VALUES.get(name):
            if not required:  # unused in this mode (a signing secret in Socket Mode): harmless
                return None
            problems.append(f"{name} is still the example value from .env.example{why}")
            return value
        if prefix and not value.startswith(prefix):
            problems.append(f"{name} must start with {prefix}")
        return value

    def url(name: str, default: str) -> str:
        value = env.get(name) or default
        if not _http_url(value):
            problems.append(f"{name} must be an http(s) URL")
        return value

    def number(
        name: str, default: str, kind: type[int] | type[float], low: float, high: float
    ) -> float:
        raw = env.get(name) or default
        try:
            value: float | None = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            problems.append(f"{name} must be a number from {low:g} to {high:g}")
            return kind(default)
        return value

    bot_token = text("SLACK_BOT_TOKEN", prefix="xoxb-")
    app_token = text("SLACK_APP_TOKEN", prefix="xapp-", required=False)
    signing_secret = text(
        "SLACK_SIGNING_SECRET",
        required=app_token is None,
        why=" (HTTP mode needs it; or set SLACK_APP_TOKEN to use Socket Mode)",
    )
    slack_api_url = url("SLACK_API_URL", "https://slack.com/api/")
    store_id = text("ECWID_STORE_ID")
    if (
        store_id is not None
        and store_id != EXAMPLE_VALUES["ECWID_STORE_ID"]
        and not (store_id.isascii() and store_id.isdigit() and len(store_id) <= 12)
    ):
        problems.append("ECWID_STORE_ID must be the store's number")
    ecwid_token = text("ECWID_TOKEN", prefix="secret_")
    ecwid_api_url = url("ECWID_API_URL", "https://app.ecwid.com/api/v3")
    timeout = number("ECWID_TIMEOUT_SECONDS", "10", float, 0.1, 120)
    port = number("PORT", "3000", int, 1, 65535)

    def ids(name: str, prefixes: str) -> frozenset[str]:
        values = frozenset(v.strip() for v in env.get(name, "").split(",") if v.strip())
        if any(not re.fullmatch(f"[{prefixes}][A-Z0-9]{{2,}}", v) for v in values):
            starts = (
                " or ".join(prefixes)
                if len(prefixes) < 3
                else ", ".join(prefixes[:-1]) + f" or {prefixes[-1]}"
            )
            problems.append(f"{name} must be comma-separated Slack ids starting with {starts}")
        return values

    users = ids("ALLOWED_USERS", "UW")
    usergroups = ids("ALLOWED_USERGROUPS", "S")
    channels = ids("ALLOWED_CHANNELS", "CGD")

    def flag(name: str) -> bool:
        value = env.get(name, "false").lower()
        if value not in ("true", "false", "1", "0", "yes", "no", ""):
            problems.append(f"{name} must be true or false")
        return value in ("true", "1", "yes")

    allow_private = flag("PROBE_ALLOW_PRIVATE_NETWORKS")

    log_level = (env.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    ssl_cert_file = env.get("SSL_CERT_FILE") or None
    if ssl_cert_file is not None:
        try:
            ssl.create_default_context().load_verify_locations(cafile=ssl_cert_file)
        except (OSError, ssl.SSLError, ValueError):
            problems.append("SSL_CERT_FILE must name a readable file of PEM certificates")

    try:
        rate_limit = RateLimit.parse(env.get("ECWID_RATE_LIMIT") or "600/60")
    except ValueError:
        problems.append("ECWID_RATE_LIMIT must be calls/seconds, e.g. 600/60")
        rate_limit = ECWID_LIMIT
    database = DEFAULT_DATABASE_URL
    if env.get("DATABASE_URL"):
        database = database_url(env["DATABASE_URL"]) or ""
        if not database:  # the value itself may hold a password: it is not repeated
            problems.append(
                "DATABASE_URL must be a postgres://, postgresql:// or sqlite:/// URL, with a "
                "host and a port of 1–65535 for PostgreSQL"
            )
    lease = number("BULK_LEASE_SECONDS", "30", float, 1, 600)
    keep_metadata = flag("KEEP_IMAGE_METADATA")
    max_side = (
        number("IMAGE_MAX_SIDE", "800", int, 100, 100_000) if env.get("IMAGE_MAX_SIDE") else 0
    )
    megapixels = number("IMAGE_MAX_MEGAPIXELS", "50", int, 1, 1000)
    min_side = number("IMAGE_MIN_SIDE", "800", int, 0, 100_000)
    history_days = number("HISTORY_DAYS", "30", int, 1, 3650)
    watch_channels = ids("WATCH_CHANNELS", "CG")
    drop_group_seconds = number("DROP_GROUP_SECONDS", "10", float, 0.05, 300)
    duplicate_lines = number("DUPLICATE_CHECK_MAX_LINES", "200", int, 0, 5000)
    views = tuple(
        v.strip().lower() for v in (env.get("FILENAME_VIEWS") or ",".join(DEFAULT_VIEWS)).split(",")
    )
    if not all(v.isascii() and v.isalpha() for v in views):
        problems.append("FILENAME_VIEWS must be comma-separated words, e.g. front,back,side")
    pattern = None
    if env.get("FILENAME_PATTERN"):
        try:
            pattern = compile_pattern(env["FILENAME_PATTERN"])
        except ValueError as exc:
            problems.append(f"FILENAME_PATTERN: {exc}")
    history_max_mb = number("HISTORY_MAX_MB", "200", float, 0.01, 100_000)

    if problems:
        raise ConfigError(
            "Cannot start: " + "; ".join(problems) + ". See .env.example for every setting."
        )
    return Settings(
        slack_bot_token=bot_token or "",
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        # slack-sdk joins base URL and method name as plain strings
        slack_api_url=slack_api_url.rstrip("/") + "/",
        ecwid_store_id=int(store_id or 0),
        ecwid_token=ecwid_token or "",
        ecwid_api_url=ecwid_api_url.rstrip("/"),
        ecwid_timeout_seconds=float(timeout),
        port=int(port),
        allowed_users=users,
        allowed_usergroups=usergroups,
        allowed_channels=channels,
        probe_allow_private_networks=allow_private,
        ssl_cert_file=ssl_cert_file,
        log_level=log_level,
        ecwid_rate_limit=rate_limit,
        database_url=database,
        bulk_lease_seconds=float(lease),
        images=ImagePolicy(
            keep_metadata=keep_metadata,
            max_side=int(max_side) or None,
            max_megapixels=int(megapixels),
            min_side=int(min_side),
        ),
        history_days=int(history_days),
        watch_channels=watch_channels,
        drop_group_seconds=float(drop_group_seconds),
        naming=NamingRules(views=views, pattern=pattern),
        duplicate_check_max_lines=int(duplicate_lines),
        history_max_mb=float(history_max_mb),
        env_file=env_file,
    )
