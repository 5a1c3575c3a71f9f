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
# tokens (xoxb-…, xoxp-…, xoxe-…, xapp-…), Ecwid's (secret_…, public_…), and OAuth's `code=`
# and `client_secret=` in a URL or a form.
_SHAPES = re.compile(
    r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]{6,}"
    r"|\b(?:secret|public)_[A-Za-z0-9]{6,}"
    r"|(?<=[?&\s\"'(])(?:code|client_secret)=[^&\s\"')]+"
    r"|^(?:code|client_secret)=[^&\s\"')]+"
)


def _by_shape(text: str) -> str:
    def redacted(found: re.Match[str]) -> str:
        key, equals, _ = found.group(0).partition("=")
        return f"{key}=[redacted]" if equals else "[redacted]"

    return _SHAPES.sub(redacted, text)


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
