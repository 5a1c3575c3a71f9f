"""The one stored form of a `SlotChange`: a JSON object, versioned, decoded once and strictly.

Every field is written, none is guessed on the way back: a stored change that does not decode
is an error (`ChangeFormatError`), never a change with a missing part. `decode(encode(c)) == c`
for every change (tests/unit/test_slot_change_codec.py, with Hypothesis).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.changes.slot_change import (
    AltOnly,
    AltText,
    Asker,
    Delete,
    FromKept,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    Owner,
    Place,
    Reorder,
    SlotChange,
    Source,
    Target,
    ToSquare,
)
from bot.domain.requests import SharedFile, Size

VERSION = 1
MAX_ENCODED = 64 * 1024  # characters: far above any change (a reorder of 100 long URLs fits)


class ChangeFormatError(ValueError):
    """A stored change that this version cannot read."""


def encode(change: SlotChange) -> dict[str, Any]:
    target = change.target
    return {
        "v": VERSION,
        "store": change.store_id,
        "target": {
            "owner": target.owner.value,
            "id": target.owner_id,
            "place": target.place.value,
            "variation": target.variation_id,
        },
        "source": _source(change.source),
        "asker": {"user": change.asker.user_id, "channel": change.asker.channel_id},
        "origin": change.origin.value,
        "alt": {"main": change.alt.main, "translated": [list(p) for p in change.alt.translated]},
        "known": {
            "identity": change.known.identity,
            "size": [change.known.size.width, change.known.size.height]
            if change.known.size
            else None,
            "convert": change.known.convert,
        },
        "external_id": change.external_id,
        "undoes": change.undoes,
    }


def _source(source: Source) -> dict[str, Any]:
    match source:
        case FromLink(url):
            return {"kind": "link", "url": url}
        case FromSlackFile(file):
            return {
                "kind": "slack_file",
                "id": file.id,
                "name": file.name,
                "mimetype": file.mimetype,
                "size": file.size,
                "download_url": file.download_url,
                "thumb_url": file.thumb_url,
            }
        case FromKept(reference, in_store, replaces):
            kept = {"kind": "kept", "reference": reference, "in_store": in_store}
            return kept | ({"replaces": replaces} if replaces is not None else {})
        case Reorder(order):
            return {"kind": "reorder", "order": list(order)}
        case Delete(image_url, without_copy):
            return {"kind": "delete", "image_url": image_url, "without_copy": without_copy}
        case AltOnly(image_url):
            return {"kind": "alt_only", "image_url": image_url}
        case ToSquare(image_url, white):
            return {"kind": "to_square", "image_url": image_url, "white": white}
    raise TypeError(f"not a source: {source!r}")


def dumps(change: SlotChange) -> str:
    return json.dumps(encode(change), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> SlotChange:
    if len(text) > MAX_ENCODED:  # bounded before it is parsed
        raise ChangeFormatError("a stored change is too long")
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ChangeFormatError("a stored change is not JSON") from exc
    return decode(value)


def decode(value: object) -> SlotChange:
    try:
        return _decode(_object(value))
    except ChangeFormatError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # a missing part, a wrong value or shape
        raise ChangeFormatError(f"a stored change does not decode: {exc}") from exc


def _decode(raw: Mapping[str, Any]) -> SlotChange:
    if raw.get("v") != VERSION:
        raise ChangeFormatError(f"a stored change of version {raw.get('v')!r}")
    target, asker, alt, known = (_object(raw[k]) for k in ("target", "asker", "alt", "known"))
    size = None if known["size"] is None else _list(known["size"])
    return SlotChange(
        store_id=_int(raw["store"]),
        target=Target(
            Owner(target["owner"]),
            _int(target["id"]),
            Place(target["place"]),
            _optional_int(target["variation"]),
        ),
        source=_decode_source(_object(raw["source"])),
        asker=Asker(_str(asker["user"]), _optional_str(asker["channel"])),
        origin=Origin(raw["origin"]),
        alt=AltText(
            _optional_str(alt["main"]),
            tuple((_str(lang), _str(text)) for lang, text in _list(alt["translated"])),
        ),
        known=Known(
            _optional_str(known["identity"]),
            Size(*(_int(side) for side in size)) if size is not None else None,
            _bool(known["convert"]),
        ),
        external_id=_optional_str(raw["external_id"]),
        undoes=_optional_str(raw["undoes"]),
    )


def _decode_source(raw: Mapping[str, Any]) -> Source:
    match raw["kind"]:
        case "link":
            return FromLink(_str(raw["url"]))
        case "slack_file":
            return FromSlackFile(
                SharedFile(
                    _str(raw["id"]),
                    _str(raw["name"]),
                    _str(raw["mimetype"]),
                    _optional_int(raw["size"]),
                    _optional_str(raw["download_url"]),
                    _optional_str(raw["thumb_url"]),
                )
            )
        case "kept":
            replaces = _optional_str(raw.get("replaces"))  # absent before the square fix
            return FromKept(_str(raw["reference"]), _bool(raw["in_store"]), replaces)
        case "reorder":
            return Reorder(tuple(_str(url) for url in _list(raw["order"])))
        case "delete":
            return Delete(_optional_str(raw["image_url"]), _bool(raw["without_copy"]))
        case "alt_only":
            return AltOnly(_optional_str(raw["image_url"]))
        case "to_square":
            return ToSquare(_str(raw["image_url"]), _bool(raw["white"]))
    raise ChangeFormatError(f"a stored change's source is {raw['kind']!r}")


def _object(value: object) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ChangeFormatError("a stored change's part is not an object")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise ChangeFormatError("a stored change's part is not a list")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise ChangeFormatError("a stored change's text is not text")
    return value


def _optional_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ChangeFormatError("a stored change's number is not a whole number")
    return value


def _optional_int(value: object) -> int | None:
    return None if value is None else _int(value)


def _bool(value: object) -> bool:
    if not isinstance(value, bool):
        raise ChangeFormatError("a stored change's flag is not true or false")
    return value
