"""The audit's alt-text fix (#37): the scope's images read again, and for each image whose alt
text is missing (or only the name) in a language, the template rendered for it; a job line an
image, planned and run as any job (its report, its history, Undo this job).

A line sets the image's alt texts in every language at once: those rendered, and the others as
they are (Ecwid's update takes them all), so nothing written by a person is lost unless
"Overwrite existing alt texts" was asked for.
"""

from __future__ import annotations

import asyncio
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
from bot.jobs.store import Line, LineState

SOURCE = "alt_fix"  # such a job's source: its plan and report count alt texts
MAX_PRODUCTS = 50_000
MAX_CATEGORIES = 10_000
MAX_FIX_LINES = 5_000  # as any job: a larger scope is fixed a category or a search at a time
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
    categories: dict[int, AuditItem] = {}
    under: dict[int, int] = {}
    offset = 0
    while offset < MAX_CATEGORIES:
        page, total = await store.ecwid.category_audit_page(offset)
        for item, parent in page:
            categories[item.id] = item
            under[item.id] = parent
        offset += len(page)
        if not page or offset >= total:
            break
    lines: list[Line] = []

    def add(item: AuditItem) -> bool:
        for place, image in enumerate(item.images, start=1):
            line = _line(
                len(lines) + 1,
                item,
                image,
                place,
                fix,
                ordered,
                categories,
                asker,
                origin,
                store.store_id,
            )
            if line is not None:
                if len(lines) == MAX_FIX_LINES:
                    return False
                lines.append(line)
        return True

    def add_all(items: list[AuditItem]) -> bool:
        """False once the plan is full (its rest is not read)."""
        return all(add(item) for item in items)

    offset = 0
    while offset < MAX_PRODUCTS:
        items, total = await store.ecwid.audit_page(fix.scope, offset)
        # A page's rendering and encoding: off the event loop (acks keep their 3 s).
        if not await asyncio.to_thread(add_all, items):
            return lines, True
        offset += len(items)
        if not items or offset >= total:
            break
    if fix.scope.search is None:
        scoped = [
            item
            for item in categories.values()
            if fix.scope.category is None or _within(item.id, fix.scope.category, under)
        ]
        if not await asyncio.to_thread(add_all, scoped):
            return lines, True
    return lines, False


def _within(category: int, scope: int, parents: Mapping[int, int]) -> bool:
    seen: set[int] = set()
    while category and category not in seen:
        if category == scope:
            return True
        seen.add(category)
        category = parents.get(category, 0)
    return False


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
    variation_label = _variation_label(image) if variation else None
    return Line(
        number,
        f"{label}: {shown}"[:300],
        f"{'category' if item.category else 'product'} {item.id} ({item.name})",
        image.slot.value,
        codec.dumps(change),
        LineState.PENDING,
        sku=item.sku,
        product_name=item.name or None,
        variation_label=variation_label,
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


def _variation_label(image: AuditImage) -> str:
    return " ".join(f"{name} {value}" for name, value in image.options.get("", {}).items())
