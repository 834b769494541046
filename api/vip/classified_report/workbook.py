"""The Classified Vehicle Notices Report as an Excel workbook (OCMS 14 tab 6 "Report Output Structure").

Three sheets, exactly the spec's: **Summary** (Field, Value: Report Date, Total
Notices Issued (Type V), Outstanding Notices (Unpaid), Settled Notices (Paid),
Notices Amended (V→S); a Warning row only when CAS could not be reached),
**Type V Notices Detail** and **Amended Notices (V→S)** with the spec's columns
in its order. Every cell is typed - dates as dates, amounts as numbers with two
decimals, codes and names as text - and text is never a formula, whatever it
starts with (:meth:`SheetWriter.text`). openpyxl's write-only mode keeps memory flat
for any number of rows; it is imported when a workbook is made.

Written through the service's one report writer (:mod:`api.reports`): text that
a spreadsheet would read as a formula (starting with ``= + - @``, a tab, CR or LF)
is a string cell with Excel's quote prefix, as in the CPS and ANS reports.
"""
from __future__ import annotations

import datetime as dt
from typing import Iterable

from api.reports import Column, Sheet, write_xlsx

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

_DETAIL_WIDTHS = (7, 13, 13, 17, 12, 40, 14, 14, 14, 10, 10)
_DETAIL_FORMATS = (None, None, None, DATETIME, None, None, MONEY, MONEY, None, None, None)
_AMENDED_WIDTHS = (7, 13, 13, 17, 12, 14, 17, 17, 40, 14, 14)
_AMENDED_FORMATS = (None, None, None, DATETIME, None, None, DATETIME, DATETIME, None, MONEY, MONEY)


def _columns(names, widths, formats) -> list[Column]:
    return [Column(n, w, f) for n, w, f in zip(names, widths, formats)]


def render_report(report_date: dt.date, summary: Summary, notices: Iterable[NoticeRow],
                  amended: Iterable[AmendedRow], warning: str | None = None,
                  generated: dt.datetime | None = None) -> tuple[bytes, int, int]:
    """The workbook's bytes and the rows written to sheets 2 and 3."""
    counted = {"detail": 0, "amended": 0}

    summary_rows = [("Report Date", report_date),
                    ("Total Notices Issued (Type V)", summary.total),
                    ("Outstanding Notices (Unpaid)", summary.outstanding),
                    ("Settled Notices (Paid)", summary.settled),
                    ("Notices Amended (V→S)", summary.amended)]
    if warning:
        summary_rows.append(("Warning", warning))

    def detail_rows():
        for i, r in enumerate(notices, 1):
            counted["detail"] = i
            yield (i, r.notice_no, r.vehicle_no, r.notice_date, r.offence_code, r.place, r.composition_amount,
                   r.amount_payable, r.payment_status, r.suspension_type, r.suspension_reason)

    def amended_rows():
        for i, r in enumerate(amended, 1):
            counted["amended"] = i
            yield (i, r.notice_no, r.vehicle_no, r.notice_date, ORIGINAL_TYPE, AMENDED_TYPE, r.suspension_date,
                   r.revival_date, r.place, r.composition_amount, r.amount_payable)

    data = write_xlsx([
        Sheet(SUMMARY, [Column("Field", 34), Column("Value", 22)], summary_rows),
        Sheet(DETAIL, _columns(DETAIL_COLUMNS, _DETAIL_WIDTHS, _DETAIL_FORMATS), detail_rows()),
        Sheet(AMENDED, _columns(AMENDED_COLUMNS, _AMENDED_WIDTHS, _AMENDED_FORMATS), amended_rows()),
    ], title=f"Classified Vehicle Notices Report {report_date.isoformat()}")
    return data, counted["detail"], counted["amended"]


__all__ = ["AMENDED", "AMENDED_COLUMNS", "DETAIL", "DETAIL_COLUMNS", "SUMMARY", "render_report"]
