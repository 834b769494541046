"""The ANS report as an Excel workbook, through the service's one writer (:mod:`api.reports`: typed cells, no formulas)."""
from __future__ import annotations

import datetime as dt

from api.reports import DATE, DATETIME, MONEY, Column, Sheet, write_xlsx

from .query import COLUMNS, AnsCriteria, AnsRow

TITLE = "Advisory Notice Suspension Report"
WIDTHS = (14, 16, 11, 16, 14, 12, 12, 18, 40, 45)
FORMATS = (None, None, None, DATE, DATE, None, MONEY, DATETIME, None, None)


def render_xlsx(rows: list[AnsRow], criteria: AnsCriteria, generated: dt.datetime) -> bytes:
    """Sheet "ANS Report": a header row of :data:`COLUMNS`, one row per suspension; sheet "Criteria"."""
    columns = [Column(name, width, fmt) for name, width, fmt in zip(COLUMNS, WIDTHS, FORMATS)]
    report = Sheet("ANS Report", columns, auto_filter=True, count=len(rows), rows=(
        (r.notice_no, r.vehicle_no, r.subsystem, r.suspension_date, r.revival_date, r.offence_code,
         r.composition_amount, r.notice_date, r.parking_place or None, r.remarks) for r in rows))
    meta = Sheet("Criteria", [Column("", 16), Column("", 24)], header=False, rows=(
        ("Report", TITLE), ("Generated", generated),  # typed cells: dates are dates, counts are numbers
        ("Date From", criteria.date_from), ("Date To", criteria.date_to),
        ("Vehicle Number", criteria.vehicle_no or "(all)"), ("Subsystem", criteria.subsystem or "(all)"),
        ("Total Records", len(rows))))
    return write_xlsx([report, meta], title=TITLE)
