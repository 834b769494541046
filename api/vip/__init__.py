"""VIP vehicle notices (OCMS 14 §7).

* :mod:`.classified_report` — the daily Classified Vehicle Notices Report (tab 6): job, queries,
  workbook, download endpoints.
"""
