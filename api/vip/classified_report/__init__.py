"""The Classified Vehicle Notices Report (OCMS 14 §7.9.1, flowchart tab 6), daily.

* :mod:`.job` — the use case: CAS API 3 refresh (or a warning), the report, the report store, the email.
* :mod:`.query` — the three set-based queries; :mod:`.workbook` — the three typed sheets.
* :mod:`.routes` — list and download stored reports (Staff Portal JWT).
* :mod:`.jobs` — registers ``classified-vehicle-report``.
"""
