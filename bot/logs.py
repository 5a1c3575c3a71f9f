"""Logging set-up: plain lines on stderr, with every secret redacted wherever it turns up."""

from __future__ import annotations

import logging
import os


class RedactSecrets(logging.Filter):
    """Replace secret values in the final text of every record, exception text included."""

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
        record.msg, record.args = message, None
        record.exc_text = exc_text or None
        return True


def configure_logging(secrets: tuple[str, ...], default_level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("LOG_LEVEL", default_level).upper())
    # httpx logs every request URL at INFO; response_url paths are credentials of a kind.
    logging.getLogger("httpx").setLevel(logging.WARNING)
