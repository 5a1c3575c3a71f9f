"""The audit's fixes (#37) plan from the catalog as it is now: the scope's products, page by
page, and (unless the scope is a search) its categories, each image handed to the fix, which
makes it a job line or leaves it out. Bounded as any job: at most MAX_FIX_LINES lines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from bot.changes.context import StoreContext
from bot.domain.audit import AuditImage, AuditItem, Scope
from bot.jobs.store import Line

MAX_PRODUCTS = 50_000
MAX_CATEGORIES = 10_000
MAX_FIX_LINES = 5_000  # as any job: a larger scope is fixed a category or a search at a time

# An image's line (its number, its item, the image, its place among the item's images, the
# store's categories by id), or None when the fix leaves it as it is.
LineOf = Callable[[int, AuditItem, AuditImage, int, Mapping[int, AuditItem]], Line | None]
# An item's lines (numbered from the number given), with the store's categories by id.
ItemLines = Callable[[int, AuditItem, Mapping[int, AuditItem]], list[Line]]


def per_image(line_of: LineOf) -> ItemLines:
    """An item's lines: a line an image that the fix changes."""

    def lines(number: int, item: AuditItem, categories: Mapping[int, AuditItem]) -> list[Line]:
        found: list[Line] = []
        for place, image in enumerate(item.images, start=1):
            line = line_of(number + len(found), item, image, place, categories)
            if line is not None:
                found.append(line)
        return found

    return lines


async def scope_lines(
    store: StoreContext, scope: Scope, lines_of: ItemLines, *, with_categories: bool = True
) -> tuple[list[Line], bool]:
    """The lines (numbered from 1), and whether there were more than MAX_FIX_LINES (the rest
    is not read). `with_categories`: the store's categories are read and fixed too."""
    categories: dict[int, AuditItem] = {}
    under: dict[int, int] = {}
    offset = 0
    while with_categories and offset < MAX_CATEGORIES:
        page, total = await store.ecwid.category_audit_page(offset)
        for item, parent in page:
            categories[item.id] = item
            under[item.id] = parent
        offset += len(page)
        if not page or offset >= total:
            break
    lines: list[Line] = []

    def add(item: AuditItem) -> bool:
        found = lines_of(len(lines) + 1, item, categories)
        if len(lines) + len(found) > MAX_FIX_LINES:
            lines.extend(found[: MAX_FIX_LINES - len(lines)])
            return False
        lines.extend(found)
        return True

    def add_all(items: list[AuditItem]) -> bool:
        """False once the plan is full."""
        return all(add(item) for item in items)

    offset = 0
    while offset < MAX_PRODUCTS:
        items, total = await store.ecwid.audit_page(scope, offset)
        # A page's lines are made off the event loop (acks keep their 3 s).
        if not await asyncio.to_thread(add_all, items):
            return lines, True
        offset += len(items)
        if not items or offset >= total:
            break
    if with_categories and scope.search is None:
        scoped = [
            item
            for item in categories.values()
            if scope.category is None or _within(item.id, scope.category, under)
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


def variation_label(image: AuditImage) -> str:
    """A variation's line names it by its option values, e.g. "Color Red Size 38"."""
    return " ".join(f"{name} {value}" for name, value in image.options.get("", {}).items())
