"""Logging set-up: plain lines on stderr, every secret redacted wherever it turns up.

Log lines are evidence (the upload audit line), so nothing from outside may forge one: CR and LF
inside a message are shown as `\\r` and `\\n`, messages are capped, and each line of a traceback
is indented so that none of it can pass for a line of its own.
"""

from __future__ import annotations

import logging
import re

MAX_MESSAGE_CHARS = 2000
# Secrets by their shape, for those learned at run time (not in the start-up list): Slack's
# tokens (xoxb-…, xoxp-…, xoxe-…, xapp-…) and Ecwid's (secret_…), wherever they stand (inside a
# percent-encoded URL too); OAuth's `code` and `client_secret` as a URL's or a form's fields
# (`?code=…`, `&client_secret=…`) and as JSON's or a dict's keys. A field named `code` elsewhere
# ("error code=…") is left alone.
# Bolt logs a failed exchange "… result with code: <code> - error: …".
_TOKENS = re.compile(
    r"(?:xox[a-z]|xapp)-[A-Za-z0-9-]{6,}|secret_[A-Za-z0-9]{6,}|(?<=with code: )[^\s]+"
)
_FIELDS = re.compile(r"(?:(?<=[?&])|^|(?<=\s))(client_secret=|(?<=[?&])code=)[^&\s\"')]+")
_KEYS = re.compile(r"""(["'](?:code|client_secret)["']\s*:\s*)(["'])[^"']*\2""")


def _by_shape(text: str) -> str:
    text = _TOKENS.sub("[redacted]", text)
    text = _FIELDS.sub(lambda found: f"{found.group(1)}[redacted]", text)
    return _KEYS.sub(
        lambda found: f"{found.group(1)}{found.group(2)}[redacted]{found.group(2)}", text
    )


def _one_line(text: str) -> str:
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    if len(text) > MAX_MESSAGE_CHARS:
        text = text[:MAX_MESSAGE_CHARS] + f"… ({len(text) - MAX_MESSAGE_CHARS} more characters)"
    return text


class RedactSecrets(logging.Filter):
    """Replace secret values in the final text of every record, exception text included: those
    given, and any of a secret's shape (`_SHAPES`); keep each record to one line of its own."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self._secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        exc_text = record.exc_text or ""
        for secret in self._secrets:
            message = message.replace(secret, "[redacted]")
            exc_text = exc_text.replace(secret, "[redacted]")
        message, exc_text = _by_shape(message), _by_shape(exc_text)
        record.msg, record.args = _one_line(message), None
        lines = exc_text.replace("\r", "\\r").splitlines()
        record.exc_text = "\n".join("    | " + line for line in lines) or None
        return True


def configure_logging(
    secrets: tuple[str, ...], level: str = "INFO", *, default_level: str | None = None
) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(default_level or level)
    # slack-sdk announces every retry at INFO (with the URL); the bot's own lines say what matters.
    if (default_level or level) != "DEBUG":
        logging.getLogger("slack_sdk").setLevel(logging.WARNING)
    # httpx logs every request URL at INFO; response_url paths are credentials of a kind.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Bolt logs a refused request's whole body at INFO; the server refuses those before Bolt
    # sees them, and this keeps it so should anything change.
    logging.getLogger("slack_bolt.AsyncRequestVerification").setLevel(logging.WARNING)
    # Alembic tells of every schema check at start-up; a migration that fails is an error.
    logging.getLogger("alembic").setLevel(logging.WARNING)
