"""An image by option value (#36): `option:Color=Red` (the command, the form), a file named
`SHIRT-red.jpg`, a caption's `option:` or a CSV's `option` column becomes one bulk line per
variation that has Red, planned and run as a job (bot.flows.bulk_plan), so that the plan says
what it replaces, each line is sent once (one image read once: bot.flows.relay), and "Undo this
job" puts every variation back."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from bot.changes.context import StoreContext
from bot.domain import texts
from bot.domain.bulk import MAX_LINES, BulkInputError, BulkLine, Reading, too_many
from bot.domain.errors import UserFacingError
from bot.domain.grammar import OptionUpload
from bot.domain.options import (
    Asked,
    Choice,
    Close,
    Matched,
    Translated,
    Unmatched,
    has_all,
    match,
)
from bot.domain.requests import (
    ProductId,
    ProductRef,
    ProductSku,
    UploadRequest,
    ValidationError,
)
from bot.ecwid.models import CurrentImage, ImageSlot, Product, ProductState

SOURCE = "option"  # such a job's source: its plan and report count variations


@dataclass(frozen=True)
class Chosen:
    """How a file's name was read: the reading whose product exists (and whose value, if it
    names one, the product has), and that value."""

    reading: Reading
    product: Product
    state: ProductState | None = None  # the product as read for its values
    matched: Matched | None = None


@dataclass(frozen=True)
class Lacking:
    """A name whose only readings with a product name a value that product lacks."""

    reading: Reading
    product: Product
    unmatched: Unmatched


async def value_states(
    store: StoreContext, names: Iterable[Sequence[Reading]], found: Mapping[ProductRef, object]
) -> dict[int, ProductState]:
    """The products a reading with a value may name, read with their values and variations (a
    hundred a call): those of the readings tried before any reading without a value finds a
    product (a SKU that exists wins)."""
    wanted: list[int] = []
    for readings in names:
        for reading in readings:
            product = found.get(ProductSku(reading.sku))
            if not isinstance(product, Product):
                continue
            if reading.value is None:
                break
            if product.variation is None:
                wanted.append(product.id)
    if not wanted:
        return {}
    return await store.ecwid.product_states(list(dict.fromkeys(wanted)))


def choose(
    readings: Sequence[Reading],
    found: Mapping[ProductRef, object],
    states: Mapping[int, ProductState],
) -> Chosen | Lacking | None:
    """The likeliest reading that holds: its SKU exists, and a value it names is the product's
    (a product with no option values makes a value reading not hold at all). Lacking: the
    first value reading whose product has values, but not that one; None: no reading holds."""
    lacking: Lacking | None = None
    for reading in readings:
        product = found.get(ProductSku(reading.sku))
        if not isinstance(product, Product):
            continue
        if reading.value is None:
            return Chosen(reading, product)
        if product.variation is not None:  # a variation's SKU names one variation, not a value
            continue
        state = states.get(product.id)
        if state is None or not state.product.choices:
            continue
        asked = Asked(reading.option, reading.value)
        matched = match(asked, state.product.choices)
        if isinstance(matched, Unmatched):
            lacking = lacking or Lacking(reading, state.product, matched)
            continue
        return Chosen(reading, product, state, matched)
    return lacking


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
            raise BulkInputError(unmatched(product, found))
        if (note := matched_note(found)) is not None:
            notes.append(note)
        chosen.append(found.choice)
    label = product.sku or str(product.id)
    return variation_lines(state, chosen, upload.request, label, "; ".join(notes) or None)


async def expand_options(store: StoreContext, lines: list[BulkLine]) -> list[BulkLine]:
    """Each line with option values (a CSV's `option` column, a caption's `option:`) as a line
    for each variation of its product that has them; a value the product lacks is the line's
    problem, naming the product's values. The lines are numbered anew when any was expanded.
    Its products are looked up once, and read with their variations a hundred a call."""
    asking = [line for line in lines if line.options and line.request and not line.problem]
    if not asking:
        return lines
    expanding = {id(line) for line in asking}
    found = await store.catalog.products(line.request.product for line in asking if line.request)
    ids = [p.id for p in found.values() if isinstance(p, Product) and p.variation is None]
    states = await store.ecwid.product_states(list(dict.fromkeys(ids))) if ids else {}
    out: list[BulkLine] = []
    for line in lines:
        if id(line) not in expanding or line.request is None:
            out.append(line)
            continue
        try:
            out += _expanded(line, line.request, found.get(line.request.product), states)
        except UserFacingError as problem:
            out.append(BulkLine(line.number, line.text, problem=problem))
        if len(out) > MAX_LINES:  # a row for many variations is a line each
            raise too_many()
    return [replace(line, number=number) for number, line in enumerate(out, start=1)]


def _expanded(
    line: BulkLine,
    request: UploadRequest,
    product: object,
    states: Mapping[int, ProductState],
) -> list[BulkLine]:
    if isinstance(product, UserFacingError):
        raise product
    if not isinstance(product, Product):
        raise ValidationError(texts.NOT_LOOKED_UP)
    if product.variation is not None:
        raise ValidationError(texts.OPTION_ON_VARIATION)
    state = states.get(product.id)
    if state is None:
        raise ValidationError(texts.NOT_LOOKED_UP)
    chosen: list[Choice] = []
    notes = [line.reading] if line.reading else []
    for name, value in line.options:
        found = match(Asked(name, value), state.product.choices)
        if isinstance(found, Unmatched):
            raise ValidationError(unmatched(state.product, found))
        if (note := matched_note(found)) is not None:
            notes.append(note)
        chosen.append(found.choice)
    asked = replace(request, product=ProductId(product.id))
    fanned = variation_lines(state, chosen, asked, line.text, "; ".join(notes) or None)
    return [replace(each, cleaned=line.cleaned) for each in fanned]


def matched_note(found: Matched) -> str | None:
    """What the plan says of a value read in another language, or as a slip of the keys."""
    if isinstance(found, Translated | Close):
        return texts.read_as(found.said, found.choice.value)
    return None


def variation_lines(
    state: ProductState,
    chosen: Sequence[Choice],
    request: UploadRequest,
    label: str,
    reading: str | None,
) -> list[BulkLine]:
    """The request, once for each of the product's variations that has every chosen value (the
    lines numbered from 1, labelled `label: Red, M`); BulkInputError when none has them."""
    product = state.product
    variations = [v for v in product.variations if has_all(v.options, chosen)]
    if not variations:
        pairs = [f"{c.option}={c.value}" for c in chosen]
        raise BulkInputError(texts.no_variation_with(product.name or str(product.id), pairs))
    lines = []
    for number, variation in enumerate(variations, start=1):
        current = state.current(ImageSlot(product.id, "variation", variation.id))
        asked = replace(request, product=ProductId(product.id, variation.id))
        text = f"{label}: {variation.describe()}"
        own = _keeping_alt(asked, current)
        lines.append(BulkLine(number, text, own, reading=reading, replaces=current is not None))
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


def unmatched(product: Product, found: Unmatched) -> str:
    """A value the product lacks: its values; or several values alike: those."""
    if found.alike:
        return texts.option_alike(found.asked.value, [c.value for c in found.alike])
    values = list(dict.fromkeys(c.value for c in found.values))
    name = product.name or str(product.id)
    return texts.option_unmatched(name, found.asked.option, found.asked.value, values)
