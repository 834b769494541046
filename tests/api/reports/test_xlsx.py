"""The one Excel writer (api/reports): every cell written from data is text, a number or a date — never a formula."""
from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from api.reports import Column, Sheet, write_xlsx
from api.reports.xlsx import FORMULA_PREFIXES, XML_ILLEGAL

HOSTILE = ["=1+2", '=HYPERLINK("https://evil.example/","Click")', "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+2",
           "\r=1+2", "\n=1", "＝1+2", "=cmd|' /C calc'!A0", "DDE(\"cmd\")", "=1+2\x01", "\x00=2"]


def _as_read(text: str) -> str:
    """Text compared as a cell reads back: XML-illegal characters dropped, CR as LF (XML may normalise it)."""
    return XML_ILLEGAL.sub("", text).replace("\r\n", "\n").replace("\r", "\n")


def _cells(data: bytes, sheet: str | None = None):
    wb = load_workbook(io.BytesIO(data))
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [cell for row in ws.iter_rows() for cell in row]


def _one(value, fmt=None):
    data = write_xlsx([Sheet("S", [Column("h", number_format=fmt)], [[value]])])
    header, cell = _cells(data)
    return cell


@pytest.mark.parametrize("text", HOSTILE)
def test_text_that_looks_like_a_formula_is_a_string_cell(text):
    cell = _one(text)
    assert cell.data_type == "s" and _as_read(cell.value) == _as_read(text)
    assert cell.quotePrefix == (XML_ILLEGAL.sub("", text)[:1] in FORMULA_PREFIXES)


@pytest.mark.parametrize("value, kind, fmt", [
    (70, int, None), (Decimal("300.50"), float, "0.00"), (1.5, float, None),
    (dt.date(2026, 1, 15), dt.datetime, "yyyy-mm-dd"), (dt.datetime(2026, 1, 15, 8, 30), dt.datetime, "yyyy-mm-dd hh:mm"),
])
def test_numbers_and_dates_stay_typed(value, kind, fmt):
    cell = _one(value, fmt)
    assert isinstance(cell.value, kind) and cell.data_type in ("n", "d") and cell.number_format == (fmt or cell.number_format)
    if kind is dt.datetime:
        assert cell.is_date


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), True, object()])
def test_other_values_are_text(value):
    assert _one(value).data_type == "s"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=40), st.integers(-10**12, 10**12), st.none(),
                          st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**6, max_value=10**6),
                          st.dates(), st.datetimes()), min_size=1, max_size=6))
def test_any_row_gives_only_typed_cells(row):
    """Whatever a row holds, no cell of the file is a formula, and text reads back as written (minus XML-illegal)."""
    data = write_xlsx([Sheet("S", [Column(f"c{i}") for i in range(len(row))], [row])])
    cells = _cells(data)[len(row):]
    assert all(c.data_type != "f" for c in cells)
    for value, cell in zip(row, cells):
        if isinstance(value, str):
            cleaned = _as_read(value)
            assert _as_read(cell.value or "") == cleaned and (cell.data_type == "s" or not cleaned)
        elif value is None:
            assert cell.value is None
        else:
            assert cell.data_type in ("n", "d")
