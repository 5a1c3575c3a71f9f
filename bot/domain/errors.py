"""The one family of problems a user must be told about.

Every such problem is a `UserFacingError`: bad input (`ValidationError`), an image that cannot be
used (`ProbeError`), an Ecwid refusal (`EcwidError`). `str()` is a plain sentence, fit for logs and
the setup doctor. Text that came from outside (Ecwid's error message, an image host's answer)
travels apart in `quoted`, so that where the problem is shown in Slack it is rendered inert.
"""

from __future__ import annotations


class UserFacingError(Exception):
    """A problem to explain to the user: `message` is ours, `quoted` is someone else's words."""

    def __init__(self, message: str, *, quoted: str | None = None, quoted_by: str = "") -> None:
        self.message = message
        self.quoted = quoted or None
        self.quoted_by = quoted_by  # who said it, e.g. "Ecwid"
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.quoted is None:
            return self.message
        return f'{self.message} {self.quoted_by} said: "{self.quoted}"'
