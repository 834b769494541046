"""The daily ANS report (OCMS 10 §3.8, "Ad-hoc request from staff portal OR scheduled cron job", "Daily"):
``ocms jobs run ans-report-daily [--key <business date>]`` (default: the previous business day).

For the run key's day it writes the ANS report as Excel and as PDF into the
report store — the same query, renderers and store as ``GET /v1/an/reports/ans``
(``dateFrom = dateTo = day``), ``ocms_report_file`` rows created by
``ans-report-daily:<day>`` — and emails both files to ``OCMS_ANS_REPORT_TO``
over SMTP (``OCMS_SMTP_HOST``/``PORT``, sender ``OCMS_ALERT_FROM``). The email's
text is the template ``api/advisory/templates/ans_report_daily.txt``.

* A day without PS-ANS suspensions stores no file and emails the spec's "No
  records found for the selected criteria" without attachments.
* Re-runs are safe: stored files of the day are reused (not rendered twice),
  and a day whose email was sent (``emailedAt`` in the Excel row's params) is
  not emailed again. The files are committed before the email is sent, so a
  failed send (the run is FAILED) is retried by running the key again.
* No ``OCMS_ANS_REPORT_TO``: the files are stored and the run succeeds with
  ``emailed: false`` (logged as a warning).
"""
from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select

from api.clients.mail import MailAttachment, MailSettings, send_mail
from repository.models import ReportFile, now

from .pdf import render_pdf
from .query import AnsCriteria, ans_rows
from .store import CONTENT_TYPES, discard, read_report, store_report
from .xlsx import render_xlsx

log = logging.getLogger(__name__)

JOB_NAME = "ans-report-daily"
REPORT_TYPE = "ANS"
NO_RECORDS = "No records found for the selected criteria"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined, autoescape=False,
                   keep_trailing_newline=True)


def marker(day: dt.date) -> str:
    """``created_by`` of the day's stored files (how a re-run finds them)."""
    return f"{JOB_NAME}:{day.isoformat()}"


def _stored(session, report_dir: str, day: dt.date) -> dict[str, ReportFile]:
    """The day's stored files by format, those still present in the store."""
    rows = session.scalars(select(ReportFile).where(ReportFile.report_type == REPORT_TYPE,
                                                    ReportFile.created_by == marker(day))
                           .order_by(ReportFile.id)).all()
    found = {}
    for r in rows:
        fmt = (r.params or {}).get("format")
        if fmt in CONTENT_TYPES and read_report(report_dir, r) is not None:
            found[fmt] = r
    return found


def email_text(day: dt.date, total: int, files: list[str]) -> tuple[str, str]:
    """Subject and body of the day's email."""
    subject = f"OCMS ANS report {day.isoformat()}: {total} notice(s)" if total else \
        f"OCMS ANS report {day.isoformat()}: no records"
    body = _env.get_template("ans_report_daily.txt").render(day=day, total=total, files=files, no_records=NO_RECORDS)
    return subject, body


def send_daily_ans_report(uow, day: dt.date, config: dict) -> dict[str, Any]:
    """Store ``day``'s ANS report (Excel and PDF) and email it; counts for ``ocms_batch_job_run``.

    Raises :class:`api.clients.mail.MailError` if the email cannot be sent (the
    stored files stay; a re-run sends them).
    """
    session, report_dir = uow.session, config["OCMS_REPORT_DIR"]
    criteria = AnsCriteria(day, day)
    stored = _stored(session, report_dir, day)
    total = (stored["xlsx"].params or {}).get("totalRecords", 0) if "xlsx" in stored else None
    written: list[ReportFile] = []
    if total is None or set(stored) != set(CONTENT_TYPES):
        rows = ans_rows(session, criteria)
        total = len(rows)
        if rows:
            generated = now()
            params = {**criteria.to_params(), "totalRecords": total, "job": JOB_NAME}
            for fmt, render in (("xlsx", render_xlsx), ("pdf", render_pdf)):
                if fmt not in stored:
                    row = store_report(session, report_dir, REPORT_TYPE,
                                       f"ANS_Report_Daily_{day:%Y%m%d}", fmt, render(rows, criteria, generated),
                                       marker(day), {**params, "format": fmt})
                    written.append(row)
                    stored[fmt] = row
            try:
                uow.commit()  # the files are kept even if the email fails
            except Exception:
                for row in written:
                    discard(report_dir, row)
                raise
    counts: dict[str, Any] = {"day": day.isoformat(), "totalRecords": total,
                              "reportIds": [stored[f].id for f in ("xlsx", "pdf") if f in stored],
                              "filesWritten": len(written), "emailed": False, "recipients": 0}
    head = stored.get("xlsx")
    if head is not None and (head.params or {}).get("emailedAt"):
        counts["emailedAt"] = head.params["emailedAt"]
        log.info("%s %s: already emailed at %s; not sent again", JOB_NAME, day, head.params["emailedAt"])
        return counts
    recipients = list(config.get("OCMS_ANS_REPORT_TO") or [])
    if not recipients:
        log.warning("%s %s: OCMS_ANS_REPORT_TO is not set; report stored, not emailed", JOB_NAME, day)
        return counts
    files = [stored[f] for f in ("xlsx", "pdf") if f in stored]
    attachments = [MailAttachment(r.file_name, r.content_type, read_report(report_dir, r).read_bytes()) for r in files]
    subject, body = email_text(day, total, [r.file_name for r in files])
    accepted = send_mail(MailSettings.from_config(config), subject, body, recipients, attachments)
    counts.update(emailed=True, recipients=len(accepted))
    if head is not None:
        head.params = {**(head.params or {}), "emailedAt": now().isoformat(), "emailedTo": len(accepted)}
        uow.commit()
    log.info("%s %s: %d record(s), %d file(s) emailed to %d recipient(s)", JOB_NAME, day, total, len(files),
             len(accepted))
    return counts


__all__ = ["JOB_NAME", "NO_RECORDS", "email_text", "marker", "send_daily_ans_report"]
