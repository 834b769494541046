"""Excel workbooks whose every cell is a typed value: strings stay text, never formulas (formula injection).

:func:`write_xlsx` takes sheets of rows and writes them with openpyxl
(write-only: memory stays flat however many rows). Each value becomes a cell
by :func:`typed_cell`:

=====================================  ================================================================
value                                  cell
=====================================  ================================================================
``None``                               empty
``int``, ``float``, ``Decimal``        a number (the column's ``number_format``, e.g. ``0.00``);
                                       NaN/infinite values are written as text
``datetime``, ``date``                 a date (``yyyy-mm-dd hh:mm`` / ``yyyy-mm-dd`` unless the column
                                       says otherwise)
``str`` (and anything else, as text)   a string cell, explicitly (``t="inlineStr"``): ``=1+2`` or
                                       ``=HYPERLINK(...)`` is shown as typed, never evaluated. Text
                                       starting with ``= + - @``, a tab, CR or LF (or their full-width
                                       forms) also gets Excel's quote prefix, so editing the cell does
                                       not turn it into a formula either. Characters XML cannot hold are
                                       dropped; text is cut at Excel's 32,767 characters.
=====================================  ================================================================

openpyxl is imported when a workbook is made, not when the app boots.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Sequence

DATE, DATETIME, MONEY = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.00"
#: First characters that make spreadsheet programs read text as a formula (ASCII and full-width forms).
FORMULA_PREFIXES = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
#: Characters an XML 1.0 document cannot hold (openpyxl refuses them).
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
MAX_TEXT = 32767


@dataclass(frozen=True)
class Column:
    """A column: its header, width (characters) and the number format of its numbers and dates."""

    header: str
    width: float | None = None
    number_format: str | None = None


@dataclass
class Sheet:
    """One worksheet: a header row from ``columns`` (bold, frozen), then ``rows``."""

    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    header: bool = True
    auto_filter: bool = False
    count: int | None = field(default=None)  # rows, when known in advance (for the auto filter range)


def _clean(text: str) -> str:
    text = XML_ILLEGAL.sub("", text)
    return text[:MAX_TEXT]


def typed_cell(ws, value: Any, number_format: str | None = None, *, cell: bool = False):
    """A write-only cell holding ``value`` as a typed value (see the module docstring), or None for empty.

    Plain text that cannot be read as a formula (and has no character to drop)
    and numbers without a format are handed to openpyxl as they are: it writes
    them as the same string and number cells, without a cell object each
    (``cell=True`` asks for a cell object anyway, e.g. to style it).
    """
    from openpyxl.cell import WriteOnlyCell

    if value is None:
        return None
    kind = type(value)
    if cell:
        pass
    elif kind is str:
        if value and value[0] not in FORMULA_PREFIXES and len(value) <= MAX_TEXT and not XML_ILLEGAL.search(value):
            return value
    elif (kind is int or kind is float and math.isfinite(value)) and not number_format:
        return value
    if isinstance(value, bool):
        value = "Y" if value else "N"
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        finite = value.is_finite() if isinstance(value, Decimal) else math.isfinite(value)
        if finite:
            cell = WriteOnlyCell(ws, value=value)
            if number_format:
                cell.number_format = number_format
            return cell
        value = str(value)
    elif isinstance(value, (dt.datetime, dt.date)):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = number_format or (DATETIME if isinstance(value, dt.datetime) else DATE)
        return cell
    text = _clean(value if isinstance(value, str) else str(value))
    cell = WriteOnlyCell(ws, value=None)
    cell.value = text          # openpyxl takes "=..." for a formula here ...
    cell.data_type = "s"       # ... so say what it is: text
    if text and text[0] in FORMULA_PREFIXES:
        cell.quotePrefix = True
    return cell


def write_xlsx(sheets: Sequence[Sheet], *, title: str | None = None) -> bytes:
    """The .xlsx bytes of ``sheets`` (in order); ``title`` goes to the document properties."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for sheet in sheets:
        ws = wb.create_sheet(_clean(sheet.title)[:31] or "Sheet")
        for i, col in enumerate(sheet.columns, start=1):
            if col.width:
                ws.column_dimensions[get_column_letter(i)].width = col.width
        if sheet.header:
            ws.freeze_panes = "A2"
            if sheet.auto_filter and sheet.count is not None:
                ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{sheet.count + 1}"
            header = []
            for col in sheet.columns:
                c = typed_cell(ws, col.header, cell=True)
                c.font, c.fill = bold, fill
                header.append(c)
            ws.append(header)
        formats = [c.number_format for c in sheet.columns]
        for row in sheet.rows:
            ws.append([typed_cell(ws, v, formats[i] if i < len(formats) else None) for i, v in enumerate(row)])
    if title:
        wb.properties.title = _clean(title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["Column", "DATE", "DATETIME", "FORMULA_PREFIXES", "MONEY", "Sheet", "typed_cell", "write_xlsx"]
