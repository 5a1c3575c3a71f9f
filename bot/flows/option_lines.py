"""An image by option value (#36): `option:Color=Red` becomes one bulk line per variation that
has Red, planned and run as a job (bot.flows.bulk_plan), so that the plan says what it replaces,
each line is sent once, and "Undo this job" puts every variation back."""

from __future__ import annotations

from dataclasses import replace

from bot.changes.context import StoreContext
from bot.domain import texts
from bot.domain.bulk import BulkInputError, BulkLine
from bot.domain.grammar import OptionUpload
from bot.domain.options import Asked, Choice, Close, Translated, Unmatched, has_all, match
from bot.domain.requests import ProductId, ProductSku, UploadRequest
from bot.ecwid.models import CurrentImage, ImageSlot, Product, ProductState

SOURCE = "option"  # such a job's source: its plan and report count variations


async def option_lines(store: StoreContext, upload: OptionUpload) -> list[BulkLine]:
    """One line per variation with every value asked for; a value the product does not have
    (or several alike) refuses the whole plan, naming the product's values."""
    state = await _state(store, upload)
    product = state.product
    chosen: list[Choice] = []
    notes: list[str] = []
    for name, value in upload.options:
        found = match(Asked(name, value), product.choices)
        if isinstance(found, Unmatched):
            raise BulkInputError(_unmatched(product, found))
        if isinstance(found, Translated | Close):
            notes.append(texts.read_as(value, found.choice.value))
        chosen.append(found.choice)
    variations = [v for v in product.variations if has_all(v.options, chosen)]
    if not variations:
        pairs = [f"{c.option}={c.value}" for c in chosen]
        raise BulkInputError(texts.no_variation_with(product.name or str(product.id), pairs))
    lines = []
    for number, variation in enumerate(variations, start=1):
        current = state.current(ImageSlot(product.id, "variation", variation.id))
        request = replace(upload.request, product=ProductId(product.id, variation.id))
        lines.append(
            BulkLine(
                number,
                f"{product.sku or product.id}: {variation.describe()}",
                _keeping_alt(request, current),
                reading="; ".join(notes) or None,
            )
        )
    return lines


def _keeping_alt(request: UploadRequest, current: CurrentImage | None) -> UploadRequest:
    """The alt texts asked for; else the variation's own, sent again with its new image (Ecwid
    does not say whether an alt text outlives the image it describes)."""
    if request.alt_main is not None or request.alt_translated or current is None:
        return request
    if current.alt_main is None and not current.alt_translated:
        return request
    return replace(request, alt_main=current.alt_main, alt_translated=dict(current.alt_translated))


async def _state(store: StoreContext, upload: OptionUpload) -> ProductState:
    """The product with its option values and variations, and what each variation shows, as
    one read has them."""
    ref = upload.request.product
    if isinstance(ref, ProductSku):
        found = await store.catalog.product(ref)
        if found.variation is not None:
            raise BulkInputError(texts.OPTION_ON_VARIATION)
        ref = ProductId(found.id)
    if not isinstance(ref, ProductId) or ref.variation is not None:
        raise BulkInputError(texts.OPTION_ON_VARIATION)
    state = await store.ecwid.product_state(ref.id)
    store.catalog.read_just_now(state.product)  # the plan's look-up of each line takes it here
    return state


def _unmatched(product: Product, found: Unmatched) -> str:
    if found.alike:
        return texts.option_alike(found.asked.value, [c.value for c in found.alike])
    values = list(dict.fromkeys(c.value for c in found.values))
    name = product.name or str(product.id)
    return texts.option_unmatched(name, found.asked.option, found.asked.value, values)
