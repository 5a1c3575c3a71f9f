"""The Undo button's value (bot.slack.views.upload_result): what undo needs, in at most 2000
characters; an image's identity rides along only where the history has no entry to read."""

from __future__ import annotations

from bot.changes.records import UndoRecord
from bot.ecwid.models import ImageSlot
from bot.images.identity import Identity
from bot.slack.views.upload_result import MAX_VALUE, decode, encode

IDENTITY = Identity(640, 480, 0x0123456789ABCDEF, bytes(range(27)), "7" * 256).text


def test_without_a_history_entry_the_identities_ride_along_and_come_back() -> None:
    record = UndoRecord(
        ImageSlot(123, "main"), 987, "a" * 20, "F0UP1", after_image=IDENTITY, before_image=IDENTITY
    )
    value = encode(record)
    assert len(value) <= MAX_VALUE
    back = decode(value)
    assert back is not None
    assert (back.after_image, back.before_image) == (IDENTITY, IDENTITY)


def test_with_a_history_entry_the_button_carries_its_id_not_the_identities() -> None:
    record = UndoRecord(
        ImageSlot(123, "main"),
        987,
        "a" * 20,
        "F0UP1",
        after_image=IDENTITY,
        change_id="c" * 32,
        before_image=IDENTITY,
    )
    back = decode(encode(record))
    assert back is not None and back.change_id == "c" * 32
    assert (back.after_image, back.before_image) == (None, None)  # read from the history


def test_a_forged_identity_is_dropped() -> None:
    value = encode(UndoRecord(ImageSlot(123, "main"), 987, None, None, after_image="<!channel>"))
    back = decode(value)
    assert back is not None and back.after_image is None
