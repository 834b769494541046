"""The ANS report as a PDF (fpdf2): title, generated time, range, the spec's five columns, total.

fpdf2 is imported when a PDF is made: it takes longer to import than the rest
of the app, and every worker would pay for it at boot.
"""
from __future__ import annotations

import datetime as dt

from .query import AnsCriteria, AnsRow

TITLE = "Advisory Notice Suspension Report"
PDF_COLUMNS = ("Notice No", "Vehicle No", "Subsystem", "Suspension Date", "Revival Date")


def _text(value) -> str:
    """Core PDF fonts are Latin-1: anything else is shown as '?'."""
    return str(value).encode("latin-1", "replace").decode("latin-1")


def _day(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else ""


def render_pdf(rows: list[AnsRow], criteria: AnsCriteria, generated: dt.datetime) -> bytes:
    """The layout of the spec (§3.8 PDF Report Structure), headings repeated on every page."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class _Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    pdf = _Report(orientation="portrait", unit="mm", format="A4")
    pdf.set_title(TITLE)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, TITLE, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.cell(0, 6, f"Generated: {generated:%Y-%m-%d %H:%M:%S}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"Date Range: {criteria.date_from.isoformat()} to {criteria.date_to.isoformat()}",
             new_x="LMARGIN", new_y="NEXT")
    filters = [f"Vehicle No: {criteria.vehicle_no}"] if criteria.vehicle_no else []
    filters += [f"Subsystem: {criteria.subsystem}"] if criteria.subsystem else []
    if filters:
        pdf.cell(0, 6, _text(", ".join(filters)), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", size=9)
    with pdf.table(col_widths=(34, 36, 26, 37, 37), text_align="LEFT", repeat_headings=1,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(221, 235, 247))) as table:
        heading = table.row()
        for name in PDF_COLUMNS:
            heading.cell(name)
        for r in rows:
            line = table.row()
            for value in (r.notice_no, r.vehicle_no, r.subsystem or "", _day(r.suspension_date),
                          _day(r.revival_date)):
                line.cell(_text(value))
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(0, 6, f"Total Records: {len(rows)}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
