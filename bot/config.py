"""One frozen settings object, read from the environment (and a `.env` file, via python-dotenv)."""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dotenv import find_dotenv, load_dotenv

from bot.domain.bulk import DEFAULT_VIEWS, NamingRules, compile_pattern
from bot.domain.settings import AccessLists
from bot.ecwid.budget import ECWID_LIMIT, RateLimit, SharedPace
from bot.images.convert import ImagePolicy
from bot.tokens import TokenKeyError, TokenKeys

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
class ManyStores:
    """Many-stores mode (#38): the Slack app's and the Ecwid app's OAuth credentials, the keys
    that seal every stored token, and the bot's public https base URL (for redirect URIs)."""

    slack_client_id: str
    slack_client_secret: str
    ecwid_client_id: str
    ecwid_client_secret: str
    token_keys: TokenKeys
    public_url: str
    ecwid_oauth_url: str = "https://my.ecwid.com"

    def __repr__(self) -> str:  # never print a secret by accident
        return f"ManyStores(public_url={self.public_url!r})"


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
    many: ManyStores | None = None  # many-stores mode; None: one store (the settings above)

    @property
    def access_lists(self) -> AccessLists:
        """Single-store mode's allow-lists (many-stores mode's are each workspace's)."""
        return AccessLists(self.allowed_users, self.allowed_usergroups, self.allowed_channels)

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
            *((self.many.slack_client_secret, self.many.ecwid_client_secret) if self.many else ()),
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


@dataclass
class _Env:
    """The environment's values, stripped, and the problems found reading them, in the order
    found: the error message lists them in that order."""

    values: dict[str, str]
    problems: list[str] = field(default_factory=list)

    def text(
        self, name: str, *, prefix: str | None = None, required: bool = True, why: str = ""
    ) -> str | None:
        value = self.values.get(name) or None
        if value is None:
            if required:
                self.problems.append(f"{name} is missing{why}")
            return None
        if value == EXAMPLE_VALUES.get(name):
            if not required:  # unused in this mode (a signing secret in Socket Mode): harmless
                return None
            self.problems.append(f"{name} is still the example value from .env.example{why}")
            return value
        if prefix and not value.startswith(prefix):
            self.problems.append(f"{name} must start with {prefix}")
        return value

    def url(self, name: str, default: str) -> str:
        value = self.values.get(name) or default
        if not _http_url(value):
            self.problems.append(f"{name} must be an http(s) URL")
        return value

    def number(
        self, name: str, default: str, kind: type[int] | type[float], low: float, high: float
    ) -> float:
        raw = self.values.get(name) or default
        try:
            value: float | None = kind(raw)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            self.problems.append(f"{name} must be a number from {low:g} to {high:g}")
            return kind(default)
        return value

    def ids(self, name: str, prefixes: str) -> frozenset[str]:
        values = frozenset(v.strip() for v in self.values.get(name, "").split(",") if v.strip())
        if any(not re.fullmatch(f"[{prefixes}][A-Z0-9]{{2,}}", v) for v in values):
            starts = (
                " or ".join(prefixes)
                if len(prefixes) < 3
                else ", ".join(prefixes[:-1]) + f" or {prefixes[-1]}"
            )
            self.problems.append(f"{name} must be comma-separated Slack ids starting with {starts}")
        return values

    def flag(self, name: str) -> bool:
        value = self.values.get(name, "false").lower()
        if value not in ("true", "false", "1", "0", "yes", "no", ""):
            self.problems.append(f"{name} must be true or false")
        return value in ("true", "1", "yes")


def _slack(env: _Env, one_store: bool) -> tuple[str, str | None, str | None, str]:
    """The bot token (one store's), the signing secret, the app token and the API URL."""
    bot_token = env.text("SLACK_BOT_TOKEN", prefix="xoxb-", required=one_store)
    app_token = env.text("SLACK_APP_TOKEN", prefix="xapp-", required=False)
    signing_secret = env.text(
        "SLACK_SIGNING_SECRET",
        required=app_token is None,
        why=" (HTTP mode needs it; or set SLACK_APP_TOKEN to use Socket Mode)",
    )
    api_url = env.url("SLACK_API_URL", "https://slack.com/api/")
    # slack-sdk joins base URL and method name as plain strings
    return bot_token or "", signing_secret, app_token, api_url.rstrip("/") + "/"


def _ecwid(env: _Env, one_store: bool) -> tuple[int, str, str, float]:
    """The store's number and token (one store's), the API URL and the timeout of one call."""
    store_id = env.text("ECWID_STORE_ID", required=one_store) or ""
    is_number = store_id.isascii() and store_id.isdigit() and len(store_id) <= 12
    # missing or the example value: text() said so already
    if store_id not in ("", EXAMPLE_VALUES["ECWID_STORE_ID"]) and not is_number:
        env.problems.append("ECWID_STORE_ID must be the store's number")
    token = env.text("ECWID_TOKEN", prefix="secret_", required=one_store)
    api_url = env.url("ECWID_API_URL", "https://app.ecwid.com/api/v3")
    timeout = env.number("ECWID_TIMEOUT_SECONDS", "10", float, 0.1, 120)
    return int(store_id) if is_number else 0, token or "", api_url.rstrip("/"), timeout


def _access(env: _Env) -> tuple[frozenset[str], frozenset[str], frozenset[str], bool]:
    """Who may use the bot, where, and whether an image fetch may reach private networks."""
    users = env.ids("ALLOWED_USERS", "UW")
    usergroups = env.ids("ALLOWED_USERGROUPS", "S")
    channels = env.ids("ALLOWED_CHANNELS", "CGD")
    return users, usergroups, channels, env.flag("PROBE_ALLOW_PRIVATE_NETWORKS")


def _logging_and_tls(env: _Env) -> tuple[str, str | None]:
    """The log level, and an extra CA bundle, checked by loading it."""
    log_level = (env.values.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        env.problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
    ssl_cert_file = env.values.get("SSL_CERT_FILE") or None
    if ssl_cert_file is not None:
        try:
            ssl.create_default_context().load_verify_locations(cafile=ssl_cert_file)
        except (OSError, ssl.SSLError, ValueError):
            env.problems.append("SSL_CERT_FILE must name a readable file of PEM certificates")
    return log_level, ssl_cert_file


def _ecwid_rate_limit(env: _Env) -> RateLimit:
    """How many calls to Ecwid in how many seconds."""
    try:
        return RateLimit.parse(env.values.get("ECWID_RATE_LIMIT") or "600/60")
    except ValueError:
        env.problems.append("ECWID_RATE_LIMIT must be calls/seconds, e.g. 600/60")
        return ECWID_LIMIT


def _storage(env: _Env) -> tuple[str, float]:
    """Where bulk jobs are kept, and how long one stays with a process that went silent."""
    database = DEFAULT_DATABASE_URL
    if env.values.get("DATABASE_URL"):
        database = database_url(env.values["DATABASE_URL"]) or ""
        if not database:  # the value itself may hold a password: it is not repeated
            env.problems.append(
                "DATABASE_URL must be a postgres://, postgresql:// or sqlite:/// URL, with a "
                "host and a port of 1–65535 for PostgreSQL"
            )
    return database, env.number("BULK_LEASE_SECONDS", "30", float, 1, 600)


def _images(env: _Env) -> ImagePolicy:
    """What a converted image keeps, and the sizes it is held to."""
    keep_metadata = env.flag("KEEP_IMAGE_METADATA")
    # no default size: unset, images keep theirs
    max_side = (
        env.number("IMAGE_MAX_SIDE", "800", int, 100, 100_000)
        if env.values.get("IMAGE_MAX_SIDE")
        else 0
    )
    megapixels = env.number("IMAGE_MAX_MEGAPIXELS", "50", int, 1, 1000)
    min_side = env.number("IMAGE_MIN_SIDE", "800", int, 0, 100_000)
    return ImagePolicy(
        keep_metadata=keep_metadata,
        max_side=int(max_side) or None,
        max_megapixels=int(megapixels),
        min_side=int(min_side),
    )


def _drops(env: _Env) -> tuple[frozenset[str], float]:
    """The drop zone's channels, and how long one person's messages there make one plan."""
    channels = env.ids("WATCH_CHANNELS", "CG")
    return channels, env.number("DROP_GROUP_SECONDS", "10", float, 0.05, 300)


def _naming(env: _Env) -> NamingRules:
    """The views a file name may say, and the pattern names are read with."""
    views = tuple(
        v.strip().lower()
        for v in (env.values.get("FILENAME_VIEWS") or ",".join(DEFAULT_VIEWS)).split(",")
    )
    if not all(v.isascii() and v.isalpha() for v in views):
        env.problems.append("FILENAME_VIEWS must be comma-separated words, e.g. front,back,side")
    pattern = None
    if env.values.get("FILENAME_PATTERN"):
        try:
            pattern = compile_pattern(env.values["FILENAME_PATTERN"])
        except ValueError as exc:
            env.problems.append(f"FILENAME_PATTERN: {exc}")
    return NamingRules(views=views, pattern=pattern)


def _read_dotenv() -> str | None:
    """Load .env from the working directory (or above), under the real environment, which wins
    over it; its path, if there is one."""
    env_file = find_dotenv(usecwd=True) or None
    if env_file:
        load_dotenv(env_file, override=False)
    return env_file


# The two modes (#38). One store (today's): SLACK_BOT_TOKEN, ECWID_STORE_ID and ECWID_TOKEN.
# Many stores: the apps' OAuth credentials, TOKEN_KEYS and PUBLIC_URL, and no SLACK_BOT_TOKEN
# (SLACK_SIGNING_SECRET is both modes'). Bolt turns on an OAuth flow of its own (tokens in
# files) when it sees SLACK_CLIENT_ID and SLACK_CLIENT_SECRET: a half or mixed set-up is refused
# before anything starts, so that it never does.
ONE_STORE = ("SLACK_BOT_TOKEN", "ECWID_STORE_ID", "ECWID_TOKEN")
MANY_STORES = (
    "SLACK_CLIENT_ID",
    "SLACK_CLIENT_SECRET",
    "SLACK_SIGNING_SECRET",
    "ECWID_CLIENT_ID",
    "ECWID_CLIENT_SECRET",
    "TOKEN_KEYS",
    "PUBLIC_URL",
)


def _mode(values: Mapping[str, str]) -> bool:
    """Whether this is many-stores mode; a set-up of both modes, or of half of many-stores
    mode, is refused in one line."""
    many = [name for name in MANY_STORES if name != "SLACK_SIGNING_SECRET" and values.get(name)]
    if not many:
        return False
    one = [name for name in ONE_STORE if values.get(name)]
    if one:
        raise ConfigError(
            f"Cannot start: both modes are set up ({', '.join(one)} for one store; "
            f"{', '.join(many)} for many stores). Keep SLACK_BOT_TOKEN, ECWID_STORE_ID and "
            "ECWID_TOKEN for one store, or the many-stores settings without them."
        )
    missing = [name for name in MANY_STORES if not values.get(name)]
    if missing:
        raise ConfigError(
            f"Cannot start: many-stores mode ({', '.join(many)} set) also needs "
            f"{', '.join(missing)}."
        )
    if values.get("SLACK_APP_TOKEN"):
        raise ConfigError(
            "Cannot start: many-stores mode is HTTP only (Slack's Marketplace takes no Socket "
            "Mode app): leave out SLACK_APP_TOKEN."
        )
    one_workspace = [name for name in ONE_WORKSPACE_SETTINGS if values.get(name)]
    if one_workspace:  # they would apply to every workspace, with whichever workspace's token
        raise ConfigError(
            f"Cannot start: {', '.join(one_workspace)} name one workspace's people and "
            "channels; in many-stores mode each workspace sets its own in the App Home: leave "
            "them out."
        )
    return True


# Single-store settings that name one workspace's people and channels (many-stores mode: each
# workspace's settings, bot.slack.workspaces).
ONE_WORKSPACE_SETTINGS = (
    "ALLOWED_USERS",
    "ALLOWED_USERGROUPS",
    "ALLOWED_CHANNELS",
    "WATCH_CHANNELS",
)


def _many(env: _Env) -> ManyStores | None:
    """Many-stores mode's settings (all present: _mode checked)."""
    try:
        keys = TokenKeys.parse(env.values["TOKEN_KEYS"])
    except TokenKeyError as problem:
        env.problems.append(str(problem))
        return None
    public_url = env.values["PUBLIC_URL"].rstrip("/")
    if not public_url.startswith("https://") or not _http_url(public_url):
        env.problems.append(
            "PUBLIC_URL must be the bot's https:// address, e.g. https://bot.example.com"
        )
    oauth_url = env.url("ECWID_OAUTH_URL", "https://my.ecwid.com").rstrip("/")
    return ManyStores(
        slack_client_id=env.values["SLACK_CLIENT_ID"],
        slack_client_secret=env.values["SLACK_CLIENT_SECRET"],
        ecwid_client_id=env.values["ECWID_CLIENT_ID"],
        ecwid_client_secret=env.values["ECWID_CLIENT_SECRET"],
        token_keys=keys,
        public_url=public_url,
        ecwid_oauth_url=oauth_url,
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and check every setting; raise ConfigError naming all the bad ones at once."""
    env_file = _read_dotenv() if environ is None else None
    env = _Env({k: v.strip() for k, v in (os.environ if environ is None else environ).items()})
    many_stores = _mode(env.values)
    # Problems are reported in the order read, kept from before this split: so PORT and the two
    # history settings are read here, between the groups.
    bot_token, signing_secret, app_token, slack_api_url = _slack(env, not many_stores)
    store_id, ecwid_token, ecwid_api_url, timeout = _ecwid(env, not many_stores)
    many = _many(env) if many_stores else None
    port = env.number("PORT", "3000", int, 1, 65535)
    users, usergroups, channels, allow_private = _access(env)
    log_level, ssl_cert_file = _logging_and_tls(env)
    rate_limit = _ecwid_rate_limit(env)
    database, lease = _storage(env)
    if database.startswith("postgresql"):
        try:  # every process shares the store's budget (bot.jobs.budgets): it needs room
            SharedPace.for_limit(rate_limit)
        except ValueError as too_small:
            env.problems.append(f"ECWID_RATE_LIMIT with PostgreSQL needs {too_small}")
    images = _images(env)
    history_days = env.number("HISTORY_DAYS", "30", int, 1, 3650)
    watch_channels, drop_group_seconds = _drops(env)
    duplicate_lines = env.number("DUPLICATE_CHECK_MAX_LINES", "200", int, 0, 5000)
    naming = _naming(env)
    history_max_mb = env.number("HISTORY_MAX_MB", "200", float, 0.01, 100_000)
    if env.problems:
        raise ConfigError(
            "Cannot start: " + "; ".join(env.problems) + ". See .env.example for every setting."
        )
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=slack_api_url,
        ecwid_store_id=store_id,
        ecwid_token=ecwid_token,
        ecwid_api_url=ecwid_api_url,
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
        images=images,
        history_days=int(history_days),
        watch_channels=watch_channels,
        drop_group_seconds=float(drop_group_seconds),
        naming=naming,
        duplicate_check_max_lines=int(duplicate_lines),
        history_max_mb=float(history_max_mb),
        env_file=env_file,
        many=many,
    )


def rotation_settings(environ: Mapping[str, str] | None = None) -> tuple[str, TokenKeys]:
    """What `python -m bot rotate-keys` needs: the database and TOKEN_KEYS (the new key first);
    ConfigError in one line when either does not read."""
    if environ is None:
        _read_dotenv()
    values = {k: v.strip() for k, v in (os.environ if environ is None else environ).items()}
    database = DEFAULT_DATABASE_URL
    if values.get("DATABASE_URL"):
        database = database_url(values["DATABASE_URL"]) or ""
        if not database:
            raise ConfigError("Cannot rotate: DATABASE_URL does not read as a database URL.")
    try:
        keys = TokenKeys.parse(values.get("TOKEN_KEYS", ""))
    except TokenKeyError as problem:
        raise ConfigError(f"Cannot rotate: {problem}") from None
    return database, keys
