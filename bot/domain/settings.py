"""A workspace's settings (#38, many-stores mode): who may use the bot and where (the
allow-lists), the drop zone's channels, and how file names say where an image goes (the naming
rules: the workspace's default, and each store's own). Single-store mode reads the same from
its environment (bot.config). The App Home's form is read and checked here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.bulk import DEFAULT_VIEWS, NamingRules, compile_pattern

MAX_IDS = 100  # ids in one list (a form's multi-select takes up to 100, as Slack allows)
MAX_PATTERN_CHARS = 300
MAX_VIEWS = 20
MAX_VIEW_CHARS = 20

USER_IDS = "UW"  # Slack's user ids start with U, or W in Enterprise Grid
USERGROUP_IDS = "S"
CHANNEL_IDS = "CG"  # public and private channels (not DMs)


@dataclass(frozen=True)
class AccessLists:
    """Who may use the bot, and where: ids, never names. An empty list allows everyone (users
    and groups together) or every channel."""

    users: frozenset[str] = frozenset()
    usergroups: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Naming:
    """Naming rules as they were written (a pattern, the views in order); `rules()` compiles
    them. Kept as text so that a form shows them back as they were typed."""

    pattern: str = ""
    views: tuple[str, ...] = DEFAULT_VIEWS

    def rules(self) -> NamingRules:
        return NamingRules(
            views=self.views, pattern=compile_pattern(self.pattern) if self.pattern else None
        )


@dataclass(frozen=True)
class WorkspaceSettings:
    access: AccessLists = AccessLists()
    watch_channels: frozenset[str] = frozenset()  # the drop zone's channels
    naming: Naming | None = None  # the workspace's default naming; None: the deployment's


class SettingError(ValueError):
    """A setting that cannot be taken: its words say what is wrong, for the person who typed it."""


def slack_ids(text: str, prefixes: str, what: str) -> frozenset[str]:
    """Comma- or space-separated Slack ids, each starting with one of `prefixes`."""
    if len(text) > MAX_IDS * 24:
        raise SettingError(f"{what}: at most {MAX_IDS} ids")
    ids = frozenset(word for word in re.split(r"[\s,]+", text.strip()) if word)
    if len(ids) > MAX_IDS:
        raise SettingError(f"{what}: at most {MAX_IDS} ids")
    if any(not re.fullmatch(f"[{prefixes}][A-Z0-9]{{2,}}", word) for word in ids):
        starts = " or ".join(prefixes)
        raise SettingError(
            f"{what} must be Slack ids starting with {starts}, e.g. {prefixes}0123ABCD"
        )
    return ids


def naming(pattern: str | None, views: str | None) -> Naming:
    """A pattern (may be empty) and comma-separated views (empty: the usual ones), checked."""
    pattern = (pattern or "").strip()
    if len(pattern) > MAX_PATTERN_CHARS:
        raise SettingError(f"The file name pattern is longer than {MAX_PATTERN_CHARS} characters.")
    if pattern:
        try:
            compile_pattern(pattern)
        except ValueError as problem:
            raise SettingError(f"The file name pattern cannot be used: {problem}.") from None
    words = tuple(v.strip().lower() for v in (views or "").split(",") if v.strip())
    if len(words) > MAX_VIEWS or any(
        len(v) > MAX_VIEW_CHARS or not (v.isascii() and v.isalpha()) for v in words
    ):
        raise SettingError(
            f"The views must be up to {MAX_VIEWS} comma-separated words, e.g. front,back,side."
        )
    return Naming(pattern=pattern, views=words or DEFAULT_VIEWS)
