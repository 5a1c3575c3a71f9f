"""Tokens at rest (#38): a Slack workspace's or an Ecwid store's token, sealed with
`cryptography`'s MultiFernet under TOKEN_KEYS (comma-separated Fernet keys; the first one
seals, every one opens), so that a key can be rotated (`TOKEN_KEYS=new,old`, then each token
sealed again: `reseal`).

Each sealed token names the row it belongs to: what is sealed is `{"kind", "owner", "token"}`
(a store's id, or a workspace's team id), and `open` checks the owner after opening. A sealed
token copied onto another row (or an SQL injection that swaps two) does not open there.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

Kind = Literal["store", "team"]  # an Ecwid store's token, or a Slack workspace's bot token


class TokenKeyError(ValueError):
    """TOKEN_KEYS does not read as Fernet keys; the message names which one, not its value."""


class SealedTokenError(ValueError):
    """A sealed token that does not open under TOKEN_KEYS, or that belongs to another row."""


@dataclass(frozen=True)
class TokenKeys:
    """TOKEN_KEYS, read: the first key seals, every key opens."""

    keys: tuple[Fernet, ...]

    @classmethod
    def parse(cls, text: str) -> TokenKeys:
        """Comma-separated Fernet keys (`Fernet.generate_key()`: 32 url-safe base64 bytes)."""
        parts = [part.strip() for part in text.split(",") if part.strip()]
        if not parts:
            raise TokenKeyError("TOKEN_KEYS is empty: give at least one key.")
        keys = []
        for number, part in enumerate(parts, start=1):
            try:
                keys.append(Fernet(part.encode()))
            except (ValueError, TypeError):
                raise TokenKeyError(
                    f"TOKEN_KEYS: key {number} of {len(parts)} is not a Fernet key (32 url-safe "
                    "base64-encoded bytes, as Fernet.generate_key() makes)."
                ) from None
        return cls(tuple(keys))

    def _fernet(self) -> MultiFernet:
        return MultiFernet(list(self.keys))

    def seal(self, kind: Kind, owner: str, token: str) -> str:
        """`token` sealed for its row (`owner`: the store's id, or the team's id)."""
        plain = json.dumps({"kind": kind, "owner": owner, "token": token}, separators=(",", ":"))
        return self._fernet().encrypt(plain.encode()).decode()

    def open(self, kind: Kind, owner: str, sealed: str) -> str:
        """The token of `owner`'s row; SealedTokenError when it does not open, or is another
        row's (never saying whose: the message is safe to log)."""
        try:
            plain = self._fernet().decrypt(sealed.encode())
            found = json.loads(plain)
        except (InvalidToken, ValueError) as exc:
            raise SealedTokenError(
                "A stored token does not open under TOKEN_KEYS (a key removed too soon?)."
            ) from exc
        if not isinstance(found, dict) or (found.get("kind"), found.get("owner")) != (
            kind,
            owner,
        ):
            raise SealedTokenError("A stored token belongs to another row: it is not used.")
        token = found.get("token")
        if not isinstance(token, str):
            raise SealedTokenError("A stored token does not read as one.")
        return token

    def reseal(self, sealed: str) -> str:
        """The same sealed token under the first key (after `TOKEN_KEYS=new,old`)."""
        try:
            return self._fernet().rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise SealedTokenError(
                "A stored token does not open under TOKEN_KEYS (a key removed too soon?)."
            ) from exc


def generate_key() -> str:
    """A new key for TOKEN_KEYS."""
    return Fernet.generate_key().decode()


def first_key_seals(keys: TokenKeys, sealed: Sequence[str]) -> bool:
    """Whether every token given is sealed under the first key already (rotation is done)."""
    first = MultiFernet([keys.keys[0]])
    try:
        for token in sealed:
            first.decrypt(token.encode())
    except InvalidToken:
        return False
    return True
