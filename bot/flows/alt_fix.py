"""The audit's alt-text fix (#37): the scope's images read again, and for each image whose alt
text is missing (or only the name) in a language, the template rendered for it; a job line an
image, planned and run as any job (its report, its history, Undo this job).

A line sets the image's alt texts in every language at once: those rendered, and the others as
they are (Ecwid's update takes them all), so nothing written by a person is lost unless
"Overwrite existing alt texts" was asked for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.changes import codec
from bot.changes.context import StoreContext
from bot.changes.slot_change import (
    AltOnly,
    AltText,
    Asker,
    Origin,
    Owner,
    Place,
    SlotChange,
    Target,
)
from bot.domain.alt_template import Template, render
from bot.domain.audit import Alt, AuditImage, AuditItem, Scope, Slot, alt_of
from bot.flows.fix_scope import per_image, scope_lines, variation_label
from bot.jobs.store import Line, LineState

SOURCE = "alt_fix"  # such a job's source: its plan and report count alt texts
GAPS = (Alt.MISSING, Alt.DEFAULT)


@dataclass(frozen=True)
class AltFix:
    """What the fix's form asked for: the scope, a template a language for the products' and
    categories' images and one for the variations', and whether to overwrite."""

    scope: Scope
    templates: Mapping[str, Template]
    variation_templates: Mapping[str, Template]
    overwrite: bool = False


async def fix_lines(
    store: StoreContext, fix: AltFix, asker: Asker, origin: Origin
) -> tuple[list[Line], bool]:
    """The job's lines (numbered from 1), and whether there were more than MAX_FIX_LINES."""
    languages = await store.catalog.languages()
    ordered = tuple(dict.fromkeys((languages.default, *languages.others)))

    def line_of(
        number: int,
        item: AuditItem,
        image: AuditImage,
        place: int,
        categories: Mapping[int, AuditItem],
    ) -> Line | None:
        return _line(
            number, item, image, place, fix, ordered, categories, asker, origin, store.store_id
        )

    return await scope_lines(store, fix.scope, per_image(line_of))


def _line(
    number: int,
    item: AuditItem,
    image: AuditImage,
    place: int,
    fix: AltFix,
    languages: tuple[str, ...],
    categories: Mapping[int, AuditItem],
    asker: Asker,
    origin: Origin,
    store_id: int,
) -> Line | None:
    """The image's line, or None when none of its alt texts is to change."""
    default = languages[0]
    variation = image.slot is Slot.VARIATION
    templates = fix.variation_templates if variation else fix.templates
    category = categories.get(item.default_category or 0)
    written: dict[str, str] = {}  # only these: the others stay as the store shows them then
    for language in languages:
        current = image.alt_main if language == default else image.alt_translated.get(language)
        state, _ = alt_of(image, language, default, item)
        template = templates.get(language)
        if template is None or not (fix.overwrite or state in GAPS):
            continue
        values = {
            "name": item.name if language == default else item.names.get(language) or item.name,
            "sku": item.sku or "",
            "category": _name(category, language, default),
            "n": str(place) if image.slot in (Slot.MAIN, Slot.GALLERY) else "",
            "view": "",
        }
        options = dict(image.options.get("", {}))
        if language != default:
            options |= image.options.get(language, {})
        rendered = render(template, values, options)
        if rendered and (rendered != current or state is Alt.MISSING):
            written[language] = rendered
    if not written:
        return None
    target, source = _target(item, image)
    alt = AltText.of(written.get(default), {k: v for k, v in written.items() if k != default})
    change = SlotChange(store_id, target, source, asker, origin, alt=alt)
    label = f"{item.sku or item.id} · {image.slot} image"
    shown = "; ".join(f"{lang}: “{text}”" for lang, text in written.items())
    label_of_variation = variation_label(image) if variation else None
    return Line(
        number,
        f"{label}: {shown}"[:300],
        f"{'category' if item.category else 'product'} {item.id} ({item.name})",
        image.slot.value,
        codec.dumps(change),
        LineState.PENDING,
        sku=item.sku,
        product_name=item.name or None,
        variation_label=label_of_variation,
    )


def _target(item: AuditItem, image: AuditImage) -> tuple[Target, AltOnly]:
    # The image by its URL, for every slot: a line never writes onto another picture.
    if item.category:
        return Target(Owner.CATEGORY, item.id), AltOnly(image.url)
    if image.slot is Slot.VARIATION:
        variation = Target(Owner.PRODUCT, item.id, Place.VARIATION, int(image.image_id))
        return variation, AltOnly(image.url)
    # A media image (the main one too) is named by its URL in the product's update.
    return Target(Owner.PRODUCT, item.id, Place.GALLERY), AltOnly(image.url)


def _name(category: AuditItem | None, language: str, default: str) -> str:
    if category is None:
        return ""
    if language == default:
        return category.name
    return category.names.get(language) or category.name
