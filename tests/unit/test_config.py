"""Settings: defaults, one clear line naming every bad variable, and .env.example's placeholders."""

from __future__ import annotations

import pytest

from bot.config import EXAMPLE_VALUES, ConfigError, load_settings
from bot.ecwid.budget import RateLimit
from bot.images.convert import ImagePolicy
from tests.processes import ROOT

GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-abc",
    "SLACK_SIGNING_SECRET": "s3cr3t-signing",
    "ECWID_STORE_ID": "1003",
    "ECWID_TOKEN": "secret_abcdef",
}


def test_defaults() -> None:
    settings = load_settings(GOOD)
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.ecwid_api_url == "https://app.ecwid.com/api/v3"
    assert settings.ecwid_timeout_seconds == 10.0
    assert settings.port == 3000
    assert settings.socket_mode is False
    assert "secret_abcdef" not in repr(settings) and "xoxb" not in repr(settings)


def test_socket_mode_needs_no_signing_secret() -> None:
    env = {**GOOD, "SLACK_APP_TOKEN": "xapp-1-A-abc"}
    del env["SLACK_SIGNING_SECRET"]
    assert load_settings(env).socket_mode is True


def test_socket_mode_ignores_the_example_signing_secret_left_in_dotenv() -> None:
    """.env.example's HTTP-mode line left as it is must not stop a Socket Mode start."""
    env = {**GOOD, "SLACK_APP_TOKEN": "xapp-1-A-abc"}
    env["SLACK_SIGNING_SECRET"] = EXAMPLE_VALUES["SLACK_SIGNING_SECRET"]
    settings = load_settings(env)
    assert settings.socket_mode is True and settings.slack_signing_secret is None
    del env["SLACK_APP_TOKEN"]  # in HTTP mode it is needed, and still the example: said
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is still the example value"):
        load_settings(env)


def test_every_problem_is_named_at_once() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxp-user-token",
        "ECWID_STORE_ID": "my-store",
        "ECWID_TOKEN": "public_abc",
        "ECWID_TIMEOUT_SECONDS": "soon",
        "PORT": "99999",
        "SLACK_API_URL": "slack.com",
    }
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert str(error.value) == (
        "Cannot start: SLACK_BOT_TOKEN must start with xoxb-; SLACK_SIGNING_SECRET is missing (HTTP mode needs it; or set SLACK_APP_TOKEN to use Socket Mode); "
        "SLACK_API_URL must be an http(s) URL; ECWID_STORE_ID must be the store's number; "
        "ECWID_TOKEN must start with secret_; ECWID_TIMEOUT_SECONDS must be a number from 0.1 to 120; "
        "PORT must be a number from 1 to 65535. See .env.example for every setting."
    )
    assert "public_abc" not in str(error.value)


def test_allow_lists_say_which_letters_ids_start_with() -> None:
    env = {**GOOD, "ALLOWED_USERS": "bob", "ALLOWED_CHANNELS": "#general"}
    with pytest.raises(ConfigError) as error:
        load_settings(env)
    assert str(error.value) == (
        "Cannot start: ALLOWED_USERS must be comma-separated Slack ids starting with U or W; "
        "ALLOWED_CHANNELS must be comma-separated Slack ids starting with C, G or D. See "
        ".env.example for every setting."
    )


def test_the_image_settings() -> None:
    assert load_settings(GOOD).images == ImagePolicy(
        keep_metadata=False, max_side=None, max_megapixels=50, min_side=800
    )
    chosen = {
        **GOOD,
        "KEEP_IMAGE_METADATA": "yes",
        "IMAGE_MAX_SIDE": "4000",
        "IMAGE_MAX_MEGAPIXELS": "100",
        "IMAGE_MIN_SIDE": "1200",
    }
    assert load_settings(chosen).images == ImagePolicy(
        keep_metadata=True, max_side=4000, max_megapixels=100, min_side=1200
    )
    bad = {**GOOD, "KEEP_IMAGE_METADATA": "maybe", "IMAGE_MAX_SIDE": "50"}
    with pytest.raises(ConfigError) as error:
        load_settings(bad)
    assert str(error.value) == (
        "Cannot start: KEEP_IMAGE_METADATA must be true or false; IMAGE_MAX_SIDE must be a "
        "number from 100 to 100000. See .env.example for every setting."
    )


def test_the_history_settings() -> None:
    defaults = load_settings(GOOD)
    assert (defaults.history_days, defaults.history_max_mb) == (30, 200.0)
    chosen = load_settings({**GOOD, "HISTORY_DAYS": "90", "HISTORY_MAX_MB": "0.5"})
    assert (chosen.history_days, chosen.history_max_mb) == (90, 0.5)
    with pytest.raises(ConfigError) as error:
        load_settings({**GOOD, "HISTORY_DAYS": "0", "HISTORY_MAX_MB": "lots"})
    assert str(error.value) == (
        "Cannot start: HISTORY_DAYS must be a number from 1 to 3650; HISTORY_MAX_MB must be a "
        "number from 0.01 to 100000. See .env.example for every setting."
    )


def test_the_drop_zone_settings() -> None:
    defaults = load_settings(GOOD)
    assert (defaults.watch_channels, defaults.drop_group_seconds) == (frozenset(), 10.0)
    chosen = load_settings({**GOOD, "WATCH_CHANNELS": "C1AB, G2CD", "DROP_GROUP_SECONDS": "2.5"})
    assert (chosen.watch_channels, chosen.drop_group_seconds) == (frozenset({"C1AB", "G2CD"}), 2.5)
    with pytest.raises(ConfigError) as error:
        load_settings({**GOOD, "WATCH_CHANNELS": "general", "DROP_GROUP_SECONDS": "0"})
    assert str(error.value) == (
        "Cannot start: WATCH_CHANNELS must be comma-separated Slack ids starting with C or G; "
        "DROP_GROUP_SECONDS must be a number from 0.05 to 300. See .env.example for every "
        "setting."
    )


def test_the_placeholders_known_to_the_bot_are_those_of_env_example() -> None:
    example = {}
    for raw in (ROOT / ".env.example").read_text().splitlines():
        line = raw.lstrip("# ").strip()
        if "=" in line and line.split("=", 1)[0] in EXAMPLE_VALUES:
            name, value = line.split("=", 1)
            example[name] = value
    assert example == EXAMPLE_VALUES


MANY = {
    "SLACK_CLIENT_ID": "1234.5678",
    "SLACK_CLIENT_SECRET": "0123456789abcdef",
    "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99yyyzzz85a5",
    "ECWID_CLIENT_ID": "custom-app-1003-1",
    "ECWID_CLIENT_SECRET": "abcdef0123456789",
    "TOKEN_KEYS": "nmz6u6mPD3LjSTfXAUOQBy1lJ9uJD2AP7i1ULRNNUXY=",
    "PUBLIC_URL": "https://bot.example.com",
}


@pytest.mark.parametrize(
    ("env", "said"),
    [
        (
            {**GOOD, "SLACK_CLIENT_ID": "1234.5678"},
            "Cannot start: both modes are set up (SLACK_BOT_TOKEN, ECWID_STORE_ID, ECWID_TOKEN "
            "for one store; SLACK_CLIENT_ID for many stores). Keep SLACK_BOT_TOKEN, "
            "ECWID_STORE_ID and ECWID_TOKEN for one store, or the many-stores settings without "
            "them.",
        ),
        (
            {"SLACK_CLIENT_ID": "1234.5678", "SLACK_CLIENT_SECRET": "0123456789abcdef"},
            "Cannot start: many-stores mode (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET set) also "
            "needs SLACK_SIGNING_SECRET, ECWID_CLIENT_ID, ECWID_CLIENT_SECRET, TOKEN_KEYS, "
            "PUBLIC_URL.",
        ),
        (
            {**MANY, "SLACK_APP_TOKEN": "xapp-1-A-abc"},
            "Cannot start: many-stores mode is HTTP only (Slack's Marketplace takes no Socket "
            "Mode app): leave out SLACK_APP_TOKEN.",
        ),
        (
            {**MANY, "PUBLIC_URL": "http://bot.example.com"},
            "Cannot start: PUBLIC_URL must be the bot's https:// address, e.g. "
            "https://bot.example.com. See .env.example for every setting.",
        ),
        (
            {**MANY, "ALLOWED_USERGROUPS": "S1", "WATCH_CHANNELS": "C1"},
            "Cannot start: ALLOWED_USERGROUPS, WATCH_CHANNELS name one workspace's people and "
            "channels; in many-stores mode each workspace sets its own in the App Home: leave them "
            "out.",
        ),
    ],
    ids=["both", "half", "socket", "plain-http", "one-workspace-lists"],
)
def test_a_mixed_or_half_set_up_of_the_two_modes_stops_start_up_in_one_line(
    env: dict[str, str], said: str
) -> None:
    """Bolt would otherwise turn on an OAuth flow of its own on seeing SLACK_CLIENT_ID."""
    with pytest.raises(ConfigError) as refused:
        load_settings(env)
    assert str(refused.value) == said
    assert "\n" not in said and MANY["SLACK_CLIENT_SECRET"] not in said


def test_many_stores_mode_reads_its_settings_and_no_store_of_its_own() -> None:
    settings = load_settings({**MANY, "ECWID_OAUTH_URL": "http://127.0.0.1:9/"})
    assert settings.many is not None
    assert (settings.many.public_url, settings.many.ecwid_oauth_url) == (
        "https://bot.example.com",
        "http://127.0.0.1:9",
    )
    assert (settings.slack_bot_token, settings.ecwid_store_id, settings.ecwid_token) == ("", 0, "")
    assert MANY["SLACK_CLIENT_SECRET"] in settings.secrets  # redacted wherever it turns up
    assert MANY["SLACK_CLIENT_SECRET"] not in repr(settings) + repr(settings.many)


def test_a_rate_limit_too_small_to_share_is_refused_with_postgresql_only() -> None:
    small = {**GOOD, "ECWID_RATE_LIMIT": "5/1"}
    assert load_settings(small).ecwid_rate_limit == RateLimit(5, 1)  # SQLite: one process
    with pytest.raises(
        ConfigError, match="ECWID_RATE_LIMIT with PostgreSQL needs at least 7 calls a window"
    ):
        load_settings({**small, "DATABASE_URL": "postgres://bot@db.example.com/bot"})
    shared = {**GOOD, "DATABASE_URL": "postgres://bot@db.example.com/bot"}
    assert load_settings({**shared, "ECWID_RATE_LIMIT": "8/1"}).ecwid_rate_limit.calls == 8
