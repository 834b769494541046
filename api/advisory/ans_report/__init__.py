"""The Advisory Notice Suspension (ANS) report (OCMS 10 §3.8): query, Excel and PDF, report store.

``GET /v1/an/reports/ans`` (:mod:`api.advisory.ans_report.routes`) validates the
criteria, runs :func:`ans_rows` (one set-based query), renders with
:func:`render_xlsx` or :func:`render_pdf` and keeps the file with
:func:`store_report` (``OCMS_REPORT_DIR`` + an ``ocms_report_file`` row).
"""
from .pdf import render_pdf
from .query import COLUMNS, AnsCriteria, AnsRow, ans_rows, max_range_days
from .store import CONTENT_TYPES, read_report, store_report
from .xlsx import render_xlsx

__all__ = ["COLUMNS", "CONTENT_TYPES", "AnsCriteria", "AnsRow", "ans_rows", "max_range_days", "read_report",
           "render_pdf", "render_xlsx", "store_report"]
