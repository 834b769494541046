"""The ANS report as an Excel workbook (openpyxl, write-only: memory stays flat however many rows).

openpyxl is imported when a workbook is made, not when the app boots.
"""
from __future__ import annotations

import datetime as dt
import io

from .query import COLUMNS, AnsCriteria, AnsRow

TITLE = "Advisory Notice Suspension Report"
WIDTHS = (14, 16, 11, 16, 14, 12, 12, 18, 40, 45)
DATE, DATETIME, MONEY = "yyyy-mm-dd", "yyyy-mm-dd hh:mm", "0.00"


def render_xlsx(rows: list[AnsRow], criteria: AnsCriteria, generated: dt.datetime) -> bytes:
    """Sheet "ANS Report": a header row of :data:`COLUMNS`, one row per suspension; sheet "Criteria"."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("ANS Report")
    for i, width in enumerate(WIDTHS):
        ws.column_dimensions[chr(ord("A") + i)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:J{len(rows) + 1}"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    header = []
    for name in COLUMNS:
        c = _cell(ws, name, "General")
        c.font, c.fill = bold, fill
        header.append(c)
    ws.append(header)
    for r in rows:
        ws.append([r.notice_no, r.vehicle_no, r.subsystem, _cell(ws, r.suspension_date, DATE),
                   _cell(ws, r.revival_date, DATE), r.offence_code, _cell(ws, r.composition_amount, MONEY),
                   _cell(ws, r.notice_date, DATETIME), r.parking_place or None, r.remarks])

    meta = wb.create_sheet("Criteria")
    meta.column_dimensions["A"].width, meta.column_dimensions["B"].width = 16, 24
    for label, value in (("Report", TITLE), ("Generated", _cell(meta, generated, "yyyy-mm-dd hh:mm:ss")),
                         ("Date From", _cell(meta, criteria.date_from, DATE)),
                         ("Date To", _cell(meta, criteria.date_to, DATE)),
                         ("Vehicle Number", criteria.vehicle_no or "(all)"),
                         ("Subsystem", criteria.subsystem or "(all)"), ("Total Records", len(rows))):
        meta.append([label, value])  # typed cells: dates are dates, counts are numbers
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(ws, value, number_format: str):
    from openpyxl.cell import WriteOnlyCell
    if value is None:
        return None
    c = WriteOnlyCell(ws, value=value)
    c.number_format = number_format
    return c
