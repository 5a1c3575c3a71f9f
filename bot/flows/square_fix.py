"""The audit's square fix (#37): the scope's images read again, and each one not square (or of
no known size: a variation's) a job line that pads it to a square in its place, on a white
backdrop if asked for (bot.images.square). Planned and run as any job: its report, its history,
Undo this job. An image found square when its line runs is left as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.changes import codec
from bot.changes.context import StoreContext
from bot.changes.edits import own_translations
from bot.changes.slot_change import (
    AltText,
    Asker,
    Origin,
    Owner,
    Place,
    SlotChange,
    Target,
    ToSquare,
)
from bot.domain.audit import AuditImage, AuditItem, Scope, Slot
from bot.flows.fix_scope import per_image, scope_lines, variation_label
from bot.images.square import is_square
from bot.jobs.store import Line, LineState

SOURCE = "square_fix"  # such a job's source: its plan and report count images padded


@dataclass(frozen=True)
class SquareFix:
    """What the fix's form asked for: the scope, which slots, and the white background."""

    scope: Scope
    slots: frozenset[Slot] = frozenset(Slot)
    white: bool = False


async def square_lines(
    store: StoreContext, fix: SquareFix, asker: Asker, origin: Origin
) -> tuple[list[Line], bool]:
    """The job's lines (numbered from 1), and whether there were more than MAX_FIX_LINES."""

    def line_of(
        number: int,
        item: AuditItem,
        image: AuditImage,
        place: int,
        categories: Mapping[int, AuditItem],
    ) -> Line | None:
        return _line(number, item, image, fix, asker, origin, store.store_id)

    return await scope_lines(store, fix.scope, per_image(line_of))


def _line(
    number: int,
    item: AuditItem,
    image: AuditImage,
    fix: SquareFix,
    asker: Asker,
    origin: Origin,
    store_id: int,
) -> Line | None:
    """The image's line; None when it is square, not in a chosen slot, or has no link."""
    if image.slot not in fix.slots or not image.url:
        return None
    width, height = image.width, image.height
    if width is not None and height is not None and is_square(width, height):
        return None
    target = _target(item, image)
    # The alt texts as the plan read them: the line sets those the image has when it runs, and
    # these only when a restart cut it short after the upload (bot.changes.runner).
    translated = tuple(image.alt_translated.items())
    alt = AltText.of(image.alt_main, own_translations(image.alt_main, translated))
    square = ToSquare(image.url, fix.white)
    change = SlotChange(store_id, target, square, asker, origin, alt=alt)
    if width is not None and height is not None:
        side = max(width, height)
        what = f"{width}×{height} → {side}×{side}"
    else:  # a variation's image: Ecwid gives no size; left as it is if square
        what = "size unknown, padded if not square"
    if fix.white:
        what += ", white backdrop"
    label = f"{item.sku or item.id} · {image.slot} image"
    variation = image.slot is Slot.VARIATION
    return Line(
        number,
        f"{label}: {what}"[:300],
        f"{'category' if item.category else 'product'} {item.id} ({item.name})",
        image.slot.value,
        codec.dumps(change),
        LineState.PENDING,
        sku=item.sku,
        product_name=item.name or None,
        variation_label=variation_label(image) if variation else None,
    )


def _target(item: AuditItem, image: AuditImage) -> Target:
    if item.category:
        return Target(Owner.CATEGORY, item.id)
    if image.slot is Slot.VARIATION:
        return Target(Owner.PRODUCT, item.id, Place.VARIATION, int(image.image_id))
    if image.slot is Slot.MAIN:
        return Target(Owner.PRODUCT, item.id, Place.MAIN)
    return Target(Owner.PRODUCT, item.id, Place.GALLERY)
