"""The audit's fix for missing variation images (#37): for each variation with option values
but no image of its own, the image the catalog has for one of its values (Color=Red: the one
image that the Red variations with an image of their own show), sent by link to that variation.
Which variations have a value is read as #36's option-value targets read it
(`bot.domain.options.has_all`). A line a variation, planned and run as any job: its report, its
history, and Undo this job takes each image away again.

A value whose variations show different images offers none (choosing one would be a guess), and
a variation none of whose values offers one is left as it is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.changes import codec
from bot.changes.context import StoreContext
from bot.changes.slot_change import Asker, FromLink, Origin, Owner, Place, SlotChange, Target
from bot.domain.audit import AuditItem, Scope, Slot
from bot.domain.options import Choice, has_all
from bot.flows.fix_scope import scope_lines
from bot.jobs.store import Line, LineState

SOURCE = "variation_fix"  # such a job's source: its plan and report count variations


@dataclass(frozen=True)
class VariationFix:
    """The scope whose variations without an image of their own are filled."""

    scope: Scope


async def fill_lines(
    store: StoreContext, fix: VariationFix, asker: Asker, origin: Origin
) -> tuple[list[Line], bool]:
    """The job's lines (numbered from 1), and whether there were more than MAX_FIX_LINES."""

    def lines_of(number: int, item: AuditItem, categories: Mapping[int, AuditItem]) -> list[Line]:
        del categories  # a category has no variations
        lines: list[Line] = []
        for variation, choice, url in offers(item):
            change = SlotChange(
                store.store_id,
                Target(Owner.PRODUCT, item.id, Place.VARIATION, variation),
                FromLink(url),
                asker,
                origin,
            )
            values = item.bare_options.get(variation, {})
            label = " ".join(f"{name} {value}" for name, value in values.items())
            text = (
                f"{item.sku or item.id} · variation {label}: the image of "
                f"{choice.option}={choice.value}"
            )
            lines.append(
                Line(
                    number + len(lines),
                    text[:300],
                    f"product {item.id} ({item.name})",
                    Slot.VARIATION.value,
                    codec.dumps(change),
                    LineState.PENDING,
                    sku=item.sku,
                    product_name=item.name or None,
                    variation_label=label or None,
                )
            )
        return lines

    return await scope_lines(store, fix.scope, lines_of, with_categories=False)


def offers(item: AuditItem) -> list[tuple[int, Choice, str]]:
    """What each variation without an image of its own is offered: (its id, the value it
    shares, the image's link), by its first value (in the product's option order) whose
    variations with an image all show one and the same."""
    shown = [
        (tuple(image.options.get("", {}).items()), image.url)
        for image in item.images
        if image.slot is Slot.VARIATION and image.url
    ]
    found = []
    for variation in item.bare_variations:
        for name, value in item.bare_options.get(variation, {}).items():
            choice = Choice(name, value)
            urls = {url for options, url in shown if url and has_all(options, [choice])}
            if len(urls) == 1:
                found.append((variation, choice, urls.pop()))
                break
    return found
