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
from bot.domain.requests import ProductId, ProductSku
from bot.ecwid.models import Product


async def option_lines(store: StoreContext, upload: OptionUpload) -> list[BulkLine]:
    """One line per variation with every value asked for; a value the product does not have
    (or several alike) refuses the whole plan, naming the product's values."""
    product = await _product(store, upload)
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
    request = upload.request
    return [
        BulkLine(
            number,
            f"{product.sku or product.id}: {variation.describe()}",
            replace(request, product=ProductId(product.id, variation.id)),
            reading="; ".join(notes) or None,
        )
        for number, variation in enumerate(variations, start=1)
    ]


async def _product(store: StoreContext, upload: OptionUpload) -> Product:
    """The product with its option values and variations, as one read shows them."""
    ref = upload.request.product
    if isinstance(ref, ProductSku):
        found = await store.catalog.product(ref)
        if found.variation is not None:
            raise BulkInputError(texts.OPTION_ON_VARIATION)
        ref = ProductId(found.id)
    if not isinstance(ref, ProductId) or ref.variation is not None:
        raise BulkInputError(texts.OPTION_ON_VARIATION)
    product = (await store.ecwid.product_state(ref.id)).product
    store.catalog.read_just_now(product)  # the plan's look-up of each line takes it from here
    return product


def _unmatched(product: Product, found: Unmatched) -> str:
    if found.alike:
        return texts.option_alike(found.asked.value, [c.value for c in found.alike])
    values = list(dict.fromkeys(c.value for c in found.values))
    name = product.name or str(product.id)
    return texts.option_unmatched(name, found.asked.option, found.asked.value, values)
