"""The one family of problems a user must be told about.

Every such problem is a `UserFacingError`: bad input (`ValidationError`), an image that cannot be
used (`ProbeError`), an Ecwid refusal (`EcwidError`).

The one contract for `message`: plain text in our words, in which backticks enclose a literal
(what the user typed, an example to copy). How it is shown is bot.slack.texts's alone: in a Slack
message a literal is code (so that what a user typed never becomes formatting), in a form field
(plain text only) it is shown without its marks; `str()`, for logs and the setup doctor, keeps
them. Text that came from outside (Ecwid's error message) travels apart in `quoted`, and is shown
as code wherever it is shown.
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
