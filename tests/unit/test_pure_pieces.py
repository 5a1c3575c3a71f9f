"""The pure pieces on their own: the CSV reader, the call budget with its clock, and the plan's
record of a line."""

from __future__ import annotations

import asyncio

import pytest

from bot.changes.slot_change import Asker, Origin
from bot.domain.bulk import MAX_FIELDS, BulkInputError, BulkLine, parse_csv
from bot.domain.requests import ProductId, ProductSku, Size, UploadRequest
from bot.ecwid.budget import CallBudget, RateLimit, bulk_lane
from bot.ecwid.errors import EcwidError
from bot.ecwid.models import ImageSlot, Product, Variation
from bot.flows.bulk_plan import Stamp, _Checked, _record
from bot.jobs.store import LineState
from bot.slack.texts import bulk_report

STAMP = Stamp(1003, Asker("U1", "C1"), Origin.BULK_LINE)  # a bulk line's change's


def test_the_csv_reader_takes_any_header_case_semicolons_and_a_bom() -> None:
    data = "\ufeffProduct;IMAGE_URL;Alt\n123;https://x.test/a.jpg;Front\n\n;;\n".encode()
    (line,) = parse_csv(data)
    assert (line.number, line.problem) == (2, None)
    assert line.request is not None
    assert (line.request.product, line.request.image_url, line.request.alt_main) == (
        ProductId(123),
        "https://x.test/a.jpg",
        "Front",
    )


def test_the_csv_reader_stops_at_the_5001st_line_and_at_a_line_of_too_many_fields() -> None:
    rows = "".join(f"{n},https://x.test/{n}.jpg\n" for n in range(1, 5002))
    with pytest.raises(BulkInputError) as many:
        parse_csv(("product,image_url\n" + rows).encode())
    assert many.value.message.startswith("That is more than 5,000 lines")
    with pytest.raises(BulkInputError) as wide:
        parse_csv(("product,image_url\n1," + "," * MAX_FIELDS + "\n").encode())
    assert wide.value.message == (
        f"Line 2 of the CSV file has more than {MAX_FIELDS} fields: it is not a list of images."
    )


def test_the_csv_reader_refuses_what_is_not_utf8() -> None:
    with pytest.raises(BulkInputError) as error:
        parse_csv("product,image_url\n1,https://x.test/é.jpg\n".encode("latin-1"))
    assert "not UTF-8" in error.value.message


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_budget_lets_no_more_than_its_calls_into_a_window() -> None:
    clock = Clock()
    budget = CallBudget(RateLimit(3, 10), clock=clock)
    for _ in range(3):
        async with budget.call():
            pass
    blocked = asyncio.ensure_future(budget.call().__aenter__())
    await asyncio.sleep(0)
    assert not blocked.done()  # a fourth call waits for the window
    blocked.cancel()
    clock.now = 10.1  # the first calls have left the window
    async with budget.call():
        pass


async def test_the_bulk_lane_is_paced_and_gives_way_to_people() -> None:
    clock = Clock()
    budget = CallBudget(RateLimit(10, 10), clock=clock)  # a place a second
    with bulk_lane():
        async with budget.call():
            pass
        paced = asyncio.ensure_future(budget.call().__aenter__())
    await asyncio.sleep(0)
    assert not paced.done()  # the bulk lane's next call waits its turn (1 s)
    async with budget.call():  # a person's call goes at once
        pass
    paced.cancel()


async def test_a_new_budgets_bulk_lane_starts_paced_with_nothing_to_make_up() -> None:
    """A process that has just started (a restart) does not burst: the one before it may have
    filled Ecwid's window a moment ago."""
    clock = Clock()
    clock.now = 1000.0  # a monotonic clock is far from zero
    budget = CallBudget(RateLimit(10, 10), clock=clock)
    with bulk_lane():
        async with budget.call():
            pass
        paced = asyncio.ensure_future(budget.call().__aenter__())
    await asyncio.sleep(0)
    assert not paced.done()
    clock.now = 1001.0  # a second later: its place
    with bulk_lane():
        async with budget.call():
            pass
    paced.cancel()


def test_a_line_matched_by_letter_case_says_which_sku_it_used() -> None:
    product = Product(9, "Shoe", "RS-1", asked_sku="rs-1")
    request = UploadRequest(ProductSku("rs-1"), "https://x.test/a.jpg", Size(1, 1))
    checked = _Checked(product, ImageSlot(9, "main"), request, Size(1, 1), {})
    line = _record(BulkLine(4, "sku:rs-1 https://x.test/a.jpg", request), checked, STAMP)
    assert (line.status, line.product, line.reason) == (
        LineState.PENDING,
        "sku:rs-1 → sku:RS-1 (Shoe)",
        'uses SKU "RS-1": no product has "rs-1" exactly',
    )


def test_a_line_with_ecwids_words_keeps_them_apart() -> None:
    request = UploadRequest(ProductId(9), "https://x.test/a.jpg", Size(1, 1))
    problem = EcwidError("Ecwid refused the request.", ecwid_said="*bad*")
    line = _record(BulkLine(5, "9 https://x.test/a.jpg", request), problem, STAMP)
    assert (line.status, line.reason, line.quoted) == (
        LineState.INVALID,
        "Ecwid refused the request.",
        "*bad*",
    )


def test_a_variation_line_records_its_slot() -> None:
    variation = Variation(77, "RS-1-RED")
    product = Product(9, "Shoe", "RS-1", variation=variation)
    request = UploadRequest(ProductSku("RS-1-RED"), "https://x.test/a.jpg", Size(1, 1))
    checked = _Checked(product, ImageSlot(9, "variation", 77), request, Size(1, 1), {})
    line = _record(BulkLine(6, "sku:RS-1-RED https://x.test/a.jpg", request), checked, STAMP)
    assert (line.slot, line.status) == ("variation", LineState.PENDING)


def test_the_bulk_report_agrees_with_one_line_and_with_many() -> None:
    assert "1 line had problems and was skipped; 1 line was not run" in bulk_report(0, 1, 1)
    assert "2 lines had problems and were skipped; 3 lines were not run" in bulk_report(0, 3, 2)


@pytest.mark.parametrize(
    ("said", "logged"),
    [
        ("installed with xoxb-1234-5678-abcdefgh", "installed with [redacted]"),
        ("refresh xoxe-1-My4xLTI and xapp-1-A0B1-2345-abc", "refresh [redacted] and [redacted]"),
        ("store token secret_4T6Bb2vXe9 refused", "store token [redacted] refused"),
        (
            "GET /ecwid/oauth/callback?code=Xy12abc&state=1",
            "GET /ecwid/oauth/callback?code=[redacted]&state=1",
        ),
        (
            "POST body: client_id=42&client_secret=s3cr3t-v4lue&code=abc",
            "POST body: client_id=42&client_secret=[redacted]&code=[redacted]",
        ),
        ("error code=PRODUCT_NOT_FOUND", "error code=PRODUCT_NOT_FOUND"),
        ("redirect /cb%3Ftoken%3Dxoxb-1234-5678-abc", "redirect /cb%3Ftoken%3D[redacted]"),
        ('{"code": "Xy12abc", "state": "s"}', '{"code": "[redacted]", "state": "s"}'),
        ("{'client_secret': 'abc123def'}", "{'client_secret': '[redacted]'}"),
        ("token public_abcdef12 is public", "token public_abcdef12 is public"),
        (
            "Failed to fetch oauth.v2.access result with code: 1234.abcd - error: invalid_code",
            "Failed to fetch oauth.v2.access result with code: [redacted] - error: invalid_code",
        ),
        ("the SLACK_SIGNING_SECRET is missing", "the SLACK_SIGNING_SECRET is missing"),
        ("barcode=123 and decode=ok", "barcode=123 and decode=ok"),
    ],
)
def test_secrets_learned_at_run_time_are_redacted_by_their_shape(said: str, logged: str) -> None:
    """Tokens a workspace or store gives at run time are in no start-up list of secrets."""
    import logging

    from bot.logs import RedactSecrets

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (said,), None)
    RedactSecrets(()).filter(record)
    assert record.getMessage() == logged
