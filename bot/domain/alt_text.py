"""Alt text, wherever it comes from (the command, the upload form, the gallery card's form, a
bulk CSV, a copy to variations): one cleaning, so that Ecwid never gets text a person cannot see.

Refused: C0 and C1 controls (NUL, escape, tab, newline…), bidi embeddings, overrides and
isolates (U+202A–202E, U+2066–2069: they reorder what a shopper reads), U+200B ZERO WIDTH SPACE,
U+FEFF ZERO WIDTH NO-BREAK SPACE and U+2028/U+2029 (line and paragraph separators). ZWNJ and ZWJ
(U+200C, U+200D) are kept: Persian, Indic scripts and emoji sequences need them. The rest is
NFC-normalised, so that a decomposed "é" (e + U+0301) reaches Ecwid as the one character.

Where a person typed the text, a refused character is refused (bot.domain.requests); where it
came from a file or from Ecwid, it is removed and the removal reported.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_REFUSED_RANGES = (
    (0x202A, 0x202E),  # LRE, RLE, PDF, LRO, RLO
    (0x2066, 0x2069),  # LRI, RLI, FSI, PDI
)
_REFUSED_SINGLE = frozenset({0x200B, 0xFEFF, 0x2028, 0x2029})
# Controls have no Unicode name; the ones a person may meet, by the name they know.
_CONTROL_NAMES = {
    0x00: "NULL",
    0x09: "TAB",
    0x0A: "LINE FEED",
    0x0D: "CARRIAGE RETURN",
    0x1B: "ESCAPE",
    0x7F: "DELETE",
    0x85: "NEXT LINE",
}


def is_refused(char: str) -> bool:
    """A character alt text never carries."""
    point = ord(char)
    return (
        unicodedata.category(char) == "Cc"  # C0, DEL and C1
        or point in _REFUSED_SINGLE
        or any(low <= point <= high for low, high in _REFUSED_RANGES)
    )


def describe(char: str) -> str:
    """e.g. "U+202E RIGHT-TO-LEFT OVERRIDE", "U+0000 NULL"."""
    point = ord(char)
    name = _CONTROL_NAMES.get(point) or unicodedata.name(char, "CONTROL CHARACTER")
    return f"U+{point:04X} {name}"


def describe_all(chars: Iterable[str]) -> str:
    """Each distinct character once, in the order met: "U+200B ZERO WIDTH SPACE, U+0000 NULL"."""
    return ", ".join(describe(char) for char in dict.fromkeys(chars))


@dataclass(frozen=True)
class CleanAlt:
    text: str  # NFC, without any refused character
    removed: tuple[str, ...]  # each refused character found, in order (repeats included)


def clean_alt_text(value: str) -> CleanAlt:
    """The text as Ecwid should get it, and what had to be taken out. Pure and idempotent."""
    removed = tuple(char for char in value if is_refused(char))
    kept = "".join(char for char in value if not is_refused(char)) if removed else value
    # Removed first, normalised after: a character removed between "e" and U+0301 would
    # otherwise leave the pair decomposed. No refused character is changed by NFC, and NFC
    # makes none, so the result holds none.
    return CleanAlt(unicodedata.normalize("NFC", kept), removed)


CLEANED = "removed"  # a cleaning note starts so (bot.slack.views tells it from other notes)


def alt_cleaned_note(removed: tuple[str, ...]) -> str:
    """What a plan or a report says of text it cleaned: "removed 2 invisible characters from
    its alt text: U+200B ZERO WIDTH SPACE"."""
    count = len(removed)
    said = "1 invisible character" if count == 1 else f"{count} invisible characters"
    return f"{CLEANED} {said} from its alt text: {describe_all(removed)}"
