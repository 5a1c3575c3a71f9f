"""The bulk engine's pieces on their own: a line decoded once, the per-product queue, and the
counts (the lease's rules, on a SQLite job store: tests/integration/jobs/test_lease.py)."""

from __future__ import annotations

from bot.changes import codec
from bot.changes.slot_change import (
    AltText,
    Asker,
    FromLink,
    FromSlackFile,
    Known,
    Origin,
    Owner,
    Place,
    Reorder,
    SlotChange,
    Target,
)
from bot.domain.bulk import BulkLine
from bot.domain.requests import ProductId, SharedFile, Size, UploadRequest
from bot.ecwid.models import ImageSlot, Product, Variation
from bot.flows.bulk_plan import Stamp, _Checked, _record
from bot.flows.bulk_run import BulkItem, LineQueue
from bot.jobs.store import Line, LineState, count_lines

STAMP = Stamp(1003, Asker("U1", "C1"), Origin.BULK_LINE)


def item(number: int, product: int) -> BulkItem:
    change = SlotChange(
        1003,
        Target(Owner.PRODUCT, product),
        FromLink(f"https://x.test/{number}.jpg"),
        Asker("U1"),
        Origin.BULK_LINE,
        known=Known(size=Size(1, 1)),
    )
    return BulkItem(number, change, started=False)


def line(number: int, status: LineState, request: str | None = None) -> Line:
    return Line(number, f"line {number}", "p", "main", request, status)


def test_a_line_is_decoded_as_it_was_encoded() -> None:
    file = SharedFile("F1", "a.png", "image/png", 10, "https://files.slack.com/a.png")
    request = UploadRequest(
        ProductId(9), None, None, alt_main="Front", file=file, target="main", external_id="e1"
    )
    product = Product(9, "Shoe", "S-9", variation=Variation(77, "S-9-RED"))
    slot = ImageSlot(9, "variation", 77)
    checked = _Checked(product, slot, request, Size(800, 600), {"nl": "Voor"}, convert="WEBP")
    planned = _record(BulkLine(3, "sku:S-9-RED", request), checked, STAMP)
    assert (planned.sku, planned.product_name, planned.variation_label) == (
        "S-9-RED",  # the SKU the image goes on: the variation's own
        "Shoe",  # kept for the history
        Variation(77, "S-9-RED").describe(),
    )
    decoded = BulkItem.decode(
        Line(
            3,
            planned.text,
            planned.product,
            planned.slot,
            planned.request,
            LineState.STARTED,
            product_name=planned.product_name,
            variation_label=planned.variation_label,
        )
    )
    assert decoded == BulkItem(
        3,
        SlotChange(
            store_id=1003,
            target=Target(Owner.PRODUCT, 9, Place.VARIATION, 77),
            source=FromSlackFile(file),
            asker=Asker("U1", "C1"),
            origin=Origin.BULK_LINE,
            alt=AltText("Front", (("nl", "Voor"),)),
            known=Known(size=Size(800, 600), convert=True),
            external_id="e1",
        ),
        started=True,
        name="Shoe",  # kept for the history
        variation=Variation(77, "S-9-RED").describe(),
    )


def test_a_line_that_cannot_be_read_back_decodes_to_none() -> None:
    assert BulkItem.decode(line(1, LineState.PENDING, "{not json")) is None
    assert BulkItem.decode(line(1, LineState.PENDING, '{"kind": "main"}')) is None
    upload = item(1, 9).change
    # An undo that names no entry, an upload that says it undoes one, a change no line makes.
    undo = SlotChange(1003, upload.target, upload.source, upload.asker, Origin.UNDO)
    assert BulkItem.decode(line(1, LineState.PENDING, codec.dumps(undo))) is None
    naming = SlotChange(
        1003, upload.target, upload.source, upload.asker, Origin.BULK_LINE, undoes="c1"
    )
    assert BulkItem.decode(line(1, LineState.PENDING, codec.dumps(naming))) is None
    gallery = Target(Owner.PRODUCT, 9, Place.GALLERY)

    reorder = SlotChange(
        1003, gallery, Reorder(("https://x.test/a.jpg",)), upload.asker, Origin.BULK_LINE
    )
    assert BulkItem.decode(line(1, LineState.PENDING, codec.dumps(reorder))) is None


def test_one_products_lines_run_one_after_the_other_in_order() -> None:
    queue = LineQueue([item(1, 10), item(2, 10), item(3, 20), item(4, 10)])
    first, second = queue.take(), queue.take()
    assert (first and first.number, second and second.number) == (1, 3)
    assert queue.take() is None  # both products are busy
    queue.done_with(10)
    nxt = queue.take()
    assert nxt is not None and nxt.number == 2  # product 10's next, in its order
    queue.put_back(nxt)  # not run after all: first again
    queue.done_with(10)
    again = queue.take()
    assert again is not None and again.number == 2
    assert len(queue) == 1  # line 4 is left


def test_every_line_of_a_big_job_is_taken_once_in_each_products_order() -> None:
    """5,000 lines over 50 products (benchmarks/bulk.py measures the CPU it takes)."""
    queue = LineQueue([item(n, n % 50 + 1) for n in range(5000)])  # products 1 to 50
    taken: dict[int, list[int]] = {}
    while queue:
        got = queue.take()
        assert got is not None
        taken.setdefault(got.slot.product_id, []).append(got.number)
        queue.done_with(got.slot.product_id)
    assert {p: numbers for p, numbers in taken.items()} == {
        p + 1: list(range(p, 5000, 50)) for p in range(50)
    }


def test_counts_take_started_lines_as_not_finished() -> None:
    counts = count_lines(
        [
            line(1, LineState.DONE),
            line(2, LineState.STARTED),
            line(3, LineState.PENDING),
            line(4, LineState.INVALID),
            line(5, LineState.NOT_RUN),
            line(6, LineState.FAILED),
        ]
    )
    assert (counts.done, counts.pending, counts.invalid, counts.not_run, counts.failed) == (
        1,
        2,
        1,
        1,
        1,
    )
