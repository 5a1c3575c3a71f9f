"""The bulk report's CSV: spreadsheets must not run its cells as formulas."""

from __future__ import annotations

import csv
import io

import pytest

from bot.domain.bulk import report_csv


def cells(*values: str) -> list[str]:
    data = report_csv([values]).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))[1]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ('=HYPERLINK("https://x")', '\'=HYPERLINK("https://x")'),
        ("+1+1", "'+1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-1+cmd", "'-1+cmd"),
        ("-", "-"),  # a lone dash: no formula
        ("-12.5", "-12.5"),  # a plain negative number
        ("-12", "-12"),
        ("-12.", "'-12."),
        ("-١٢", "'-١٢"),  # digits of another script are no plain number
        ("12", "12"),
        ("Red shoe", "Red shoe"),
    ],
)
def test_formula_cells_are_quoted_but_a_dash_and_negative_numbers_are_not(
    value: str, written: str
) -> None:
    assert cells("1", value)[1] == written
