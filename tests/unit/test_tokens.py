"""Tokens at rest (bot.tokens, #38): sealed under TOKEN_KEYS, bound to their row, rotated."""

from __future__ import annotations

import pytest

from bot.tokens import SealedTokenError, TokenKeyError, TokenKeys, first_key_seals, generate_key

SLACK_TOKEN = "xoxb-1234-5678-abcdefghijklmnop"
ECWID_TOKEN = "secret_4T6Bb2vXe9Qr"
A_KEY = "nmz6u6mPD3LjSTfXAUOQBy1lJ9uJD2AP7i1ULRNNUXY="  # fixed: xdist's workers collect alike


def test_a_sealed_token_opens_for_its_row_only_and_never_shows_in_plain() -> None:
    keys = TokenKeys.parse(generate_key())
    sealed = keys.seal("store", "1003", ECWID_TOKEN)
    assert ECWID_TOKEN not in sealed and "1003" not in sealed
    assert keys.open("store", "1003", sealed) == ECWID_TOKEN
    with pytest.raises(SealedTokenError, match="another row"):
        keys.open("store", "1004", sealed)  # copied onto another store's row
    with pytest.raises(SealedTokenError, match="another row"):
        keys.open("team", "1003", sealed)  # a store's token where a workspace's is read
    assert SLACK_TOKEN not in keys.seal("team", "T1", SLACK_TOKEN)


def test_rotation_opens_under_the_old_key_and_reseals_under_the_new() -> None:
    old, new = generate_key(), generate_key()
    before = TokenKeys.parse(old).seal("team", "T1", SLACK_TOKEN)
    rotating = TokenKeys.parse(f"{new}, {old}")
    assert rotating.open("team", "T1", before) == SLACK_TOKEN
    assert not first_key_seals(rotating, [before])
    after = rotating.reseal(before)
    assert first_key_seals(rotating, [after])
    only_new = TokenKeys.parse(new)
    assert only_new.open("team", "T1", after) == SLACK_TOKEN
    with pytest.raises(SealedTokenError, match="does not open"):
        only_new.open("team", "T1", before)  # the old key removed before resealing


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "TOKEN_KEYS is empty"),
        (" , ", "TOKEN_KEYS is empty"),
        ("not-a-key", "key 1 of 1 is not a Fernet key"),
        (f"{A_KEY},short", "key 2 of 2 is not a Fernet key"),
    ],
    ids=["empty", "blank", "not a key", "second short"],
)
def test_token_keys_that_do_not_read_are_named_without_their_value(text: str, message: str) -> None:
    with pytest.raises(TokenKeyError, match=message) as refused:
        TokenKeys.parse(text)
    assert "short" not in str(refused.value) and "not-a-key" not in str(refused.value)
