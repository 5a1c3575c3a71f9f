"""Ecwid's refusals, in plain words: one family under UserFacingError.

`EcwidError` carries our sentence, Ecwid's own message (`quoted`), the HTTP status and whether the
call is worth another attempt; `ProductNotFound` and `AmbiguousSku` are the look-ups' answers.
"""

from __future__ import annotations

from bot.domain.errors import UserFacingError
from bot.ecwid.models import Product

MAX_ATTEMPTS = 3  # for 5xx, connection errors and timeouts


class EcwidError(UserFacingError):
    """A failed Ecwid call: our plain-language sentence, and Ecwid's own message as `quoted`."""

    def __init__(
        self,
        explanation: str,
        *,
        ecwid_said: str | None = None,
        status: int | None = None,
        code: str | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        unsent: bool = False,
    ) -> None:
        super().__init__(explanation, quoted=ecwid_said, quoted_by="Ecwid")
        self.status = status
        self.code = code
        self.transient = transient  # worth another attempt: 5xx, no connection, no answer
        self.retry_after = retry_after  # set for 429: how long Ecwid asked us to wait
        self.unsent = unsent  # the request surely never reached Ecwid (no connection was made)


class ProductNotFound(EcwidError):
    pass


class AmbiguousSku(EcwidError):
    """Several products match one SKU (duplicates happen; variation SKUs match too)."""

    def __init__(self, sku: str, candidates: tuple[Product, ...]) -> None:
        if all(c.asked_sku for c in candidates):
            matched = (
                f'No product has SKU "{sku}" exactly, and {len(candidates)} have it in other '
                "letter case"
            )
        else:
            matched = f'{len(candidates)} products match SKU "{sku}"'
        super().__init__(f"{matched}; nothing was chosen. Give the product by its id instead.")
        self.sku = sku
        self.candidates = candidates


def explain_status(status: int, code: str | None, *, scope: str, what: str) -> str:
    """Turn an Ecwid error answer into a sentence a store's staff can act on."""
    if status == 400:
        return "Ecwid refused the request."
    if status == 402:
        return "The store's Ecwid plan does not allow this."
    if status == 403 and code == "INSUFFICIENT_APP_SCOPE":
        return (
            f"The Ecwid token lacks the `{scope}` scope: ask Ecwid to add it to your custom app, "
            "then copy its token again."
        )
    if status in (401, 403):
        return "Ecwid refused the token: check ECWID_TOKEN and ECWID_STORE_ID."
    if status == 404:
        thing = "The store" if code == "STORE_NOT_FOUND" else what[:1].upper() + what[1:]
        return f"{thing} was not found in Ecwid."
    if status == 409:
        return "Ecwid reports a conflict."
    if status == 429:
        return "Ecwid is rate-limiting the store's requests; try again in a minute."
    if status >= 500:
        return (
            f"Ecwid is unavailable right now (HTTP {status}, after {MAX_ATTEMPTS} attempts); "
            f"try again in a few minutes."
        )
    return f"Ecwid answered HTTP {status}."
