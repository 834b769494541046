"""The Classified Vehicle Notices Report as an Excel workbook (OCMS 14 tab 6 "Report Output Structure").

Three sheets, exactly the spec's: **Summary** (Field, Value: Report Date, Total
Notices Issued (Type V), Outstanding Notices (Unpaid), Settled Notices (Paid),
Notices Amended (V→S); a Warning row only when CAS could not be reached),
**Type V Notices Detail** and **Amended Notices (V→S)** with the spec's columns
in its order. Every cell is typed - dates as dates, amounts as numbers with two
decimals, codes and names as text - and text is never a formula, whatever it
starts with (:meth:`SheetWriter.text`). openpyxl's write-only mode keeps memory flat
for any number of rows; it is imported when a workbook is made.

PLACEHOLDER until the shared report writer (api/reports/, branch edge) is on
main: :class:`SheetWriter` is the one place to switch over.
"""
from __future__ import annotations

import datetime as dt
import io
from typing import Any, Iterable, Sequence

from .query import AmendedRow, NoticeRow, Summary

SUMMARY, DETAIL, AMENDED = "Summary", "Type V Notices Detail", "Amended Notices (V→S)"
DETAIL_COLUMNS = ("S/N", "Notice No", "Vehicle No", "Notice Date", "Offence Code", "Place of Offence",
                  "Composition Amount ($)", "Amount Payable ($)", "Payment Status", "Suspension Type",
                  "Suspension Reason")
AMENDED_COLUMNS = ("S/N", "Notice No", "Vehicle No", "Notice Date", "Original Type", "Amended Type",
                   "Suspension Date (TS-CLV)", "Revival Date (TS-CLV)", "Place of Offence", "Composition Amount ($)",
                   "Amount Payable ($)")
ORIGINAL_TYPE, AMENDED_TYPE = "V (VIP)", "S (Singapore)"
DATE, DATETIME, MONEY = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "#,##0.00"


class SheetWriter:
    """Typed cells for one write-only sheet: text never becomes a formula; dates and money get their formats.

    openpyxl writes each appended row at once, so one cell object per column and format is reused for
    every row (no object per cell); plain text goes as a plain value, which openpyxl stores as text - only
    text it would read as a formula ("=...") or an error ("#N/A") is wrapped in a cell forced to text.
    """

    def __init__(self, ws):
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES
        self.ws, self._cell, self._errors = ws, WriteOnlyCell, frozenset(ERROR_CODES)
        self._templates: dict[tuple[int, str], object] = {}

    def text(self, value: Any):
        if value is None:
            return None
        value = str(value)
        if not value.startswith("=") and value not in self._errors:
            return value
        c = self._cell(self.ws, value=value)
        c.data_type = "s"    # '=...' and '#N/A' stay text: a report from data holds no formula
        return c

    def formatted(self, value: Any, number_format: str, column: int = 0):
        """A date or number with ``number_format``; ``column`` tells the cell objects of one row apart."""
        if value is None:
            return None
        key = (column, number_format)
        c = self._templates.get(key)
        if c is None:
            c = self._templates[key] = self._cell(self.ws)
            c.number_format = number_format
        c.value = value
        return c

    def header(self, names: Sequence[str], widths: Sequence[int]) -> None:
        from openpyxl.styles import Font, PatternFill
        from openpyxl.utils import get_column_letter
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
        cells = []
        for n in names:
            c = self._cell(self.ws, value=n)
            c.data_type = "s"
            c.font, c.fill = bold, fill
            cells.append(c)
        self.ws.append(cells)

    def append(self, cells: list) -> None:
        self.ws.append(cells)


def render_report(report_date: dt.date, summary: Summary, notices: Iterable[NoticeRow],
                  amended: Iterable[AmendedRow], warning: str | None = None,
                  generated: dt.datetime | None = None) -> tuple[bytes, int, int]:
    """The workbook's bytes and the rows written to sheets 2 and 3."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    wb.properties.title = f"Classified Vehicle Notices Report {report_date.isoformat()}"
    s = SheetWriter(wb.create_sheet(SUMMARY))
    s.header(("Field", "Value"), (34, 22))
    s.append([s.text("Report Date"), s.formatted(report_date, DATE, 2)])
    for label, value in (("Total Notices Issued (Type V)", summary.total),
                         ("Outstanding Notices (Unpaid)", summary.outstanding),
                         ("Settled Notices (Paid)", summary.settled),
                         ("Notices Amended (V→S)", summary.amended)):
        s.append([s.text(label), value])
    if warning:
        s.append([s.text("Warning"), s.text(warning)])

    d = SheetWriter(wb.create_sheet(DETAIL))
    d.header(DETAIL_COLUMNS, (7, 13, 13, 17, 12, 40, 14, 14, 14, 10, 10))
    n_detail = 0
    for n_detail, r in enumerate(notices, 1):
        d.append([n_detail, d.text(r.notice_no), d.text(r.vehicle_no), d.formatted(r.notice_date, DATETIME, 4),
                  r.offence_code, d.text(r.place), d.formatted(r.composition_amount, MONEY, 7),
                  d.formatted(r.amount_payable, MONEY, 8), d.text(r.payment_status), d.text(r.suspension_type),
                  d.text(r.suspension_reason)])

    a = SheetWriter(wb.create_sheet(AMENDED))
    a.header(AMENDED_COLUMNS, (7, 13, 13, 17, 12, 14, 17, 17, 40, 14, 14))
    n_amended = 0
    for n_amended, r in enumerate(amended, 1):
        a.append([n_amended, a.text(r.notice_no), a.text(r.vehicle_no), a.formatted(r.notice_date, DATETIME, 4),
                  ORIGINAL_TYPE, AMENDED_TYPE, a.formatted(r.suspension_date, DATETIME, 7),
                  a.formatted(r.revival_date, DATETIME, 8), a.text(r.place), a.formatted(r.composition_amount, MONEY, 10),
                  a.formatted(r.amount_payable, MONEY, 11)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue(), n_detail, n_amended


__all__ = ["AMENDED", "AMENDED_COLUMNS", "DETAIL", "DETAIL_COLUMNS", "SUMMARY", "SheetWriter", "render_report"]
