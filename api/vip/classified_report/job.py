"""The daily Classified Vehicle Notices Report: ``ocms jobs run classified-vehicle-report`` (OCMS 14 tab 6, tab 9).

For a business date (the run key, default today):

1. **CAS** (step 2): the VIP list is fetched with CAS API 3 (the client's
   retries) and, on success, replaces ``ocms_vip_vehicle`` exactly as
   ``refresh-vip-vehicles`` does (status, label status, label expiry date), so
   the report and the list in service agree. If CAS cannot be reached (tab 9:
   "Generate report with warning → Notify admin"), the report is built from the
   list as last refreshed, its Summary sheet carries a Warning row, and an alert
   goes to the administrator (``OCMS_ALERT_TO``).
2. **Report** (steps 3-14): the three set-based queries of :mod:`.query` and the
   workbook of :mod:`.workbook`; no active VIP vehicle gives a report with zero
   counts and empty sheets, which is still sent. The file goes to the report
   store (``OCMS_REPORT_DIR/classified_vehicle/``) with an ``ocms_report_file``
   row (type CLASSIFIED_VEHICLE), committed before any email is tried.
3. **Email** (steps 15-16): to ``OCMS_CLASSIFIED_REPORT_TO`` with the workbook
   attached, retried (``OCMS_HTTP_RETRIES`` times, backoff ``OCMS_HTTP_BACKOFF``).
   If it still fails (tab 9: "Retry → Log for manual send"), an OPEN
   ``ocms_manual_review_queue`` row (type REPORT_EMAIL, with the report id)
   tells an operator to send it by hand (``GET /v1/vip/reports/classified/<id>``)
   and the run ends FAILED with the report id in its counts.
4. The run is recorded in ``ocms_batch_job_run`` (by the runner, step 17).

Re-running a FAILED key does not build the report again: it finds the stored,
unsent report of that date and only emails it (and resolves the manual-send
row). ``--force`` on a date whose report was sent builds and sends a new one.
"""
from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from api.advisory.ans_report.store import discard, read_report, store_report
from api.cas.vip_refresh import replace_vip_vehicles
from api.clients.cas import CasClient
from api.clients.http import ExternalCallError
from api.clients.mail import MailAttachment, MailError, MailSettings, send_alert, send_mail
from repository.base import now
from repository.models import ManualReviewQueue, ReportFile, VipVehicle

from . import query
from .workbook import render_report

log = logging.getLogger(__name__)

JOB_NAME = "classified-vehicle-report"
REPORT_TYPE = "CLASSIFIED_VEHICLE"
STEM = "Classified_Vehicle_Report"
REVIEW_TYPE = "REPORT_EMAIL"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class EmailNotSent(RuntimeError):
    """Every attempt to email the report failed (or there was nobody to send it to)."""

    def __init__(self, message: str, attempts: int, errors: list[str]):
        super().__init__(message)
        self.attempts = attempts
        self.errors = errors


def send_with_retry(settings: MailSettings, subject: str, body: str, recipients: list[str],
                    attachments: list[MailAttachment], retries: int, backoff: float, sleep=None) -> int:
    """Tab 9 "Email Send failed → Retry": :func:`api.clients.mail.send_mail` tried once and up to ``retries``
    more times, waiting ``backoff`` seconds, then twice as long each time (tenacity); the attempts it took.
    Raises :class:`EmailNotSent` with every attempt's error."""
    errors: list[str] = []

    def attempt() -> None:
        try:
            send_mail(settings, subject, body, recipients, attachments)
        except MailError as e:
            errors.append(str(e)[:200])
            log.warning("%s: email %r failed (attempt %d): %s", JOB_NAME, subject, len(errors), e)
            raise

    retrying = Retrying(stop=stop_after_attempt(1 + max(int(retries), 0)), reraise=False,
                        wait=wait_exponential(multiplier=backoff, min=backoff, max=backoff * 2 ** max(int(retries), 0)),
                        retry=retry_if_exception_type(MailError), **({"sleep": sleep} if sleep else {}))
    try:
        retrying(attempt)
    except RetryError:
        raise EmailNotSent(f"email not delivered after {len(errors)} attempt(s): {errors[-1]}", len(errors),
                           errors) from None
    return len(errors) + 1


class ReportEmailFailed(RuntimeError):
    """The report is stored but could not be emailed; ``counts`` go with the FAILED run."""

    def __init__(self, message: str, counts: dict[str, Any]):
        super().__init__(message)
        self.counts = counts


def report_url(report_id: int) -> str:
    return f"/v1/vip/reports/classified/{report_id}"


def parse_report_date(run_key: str) -> dt.date:
    """The run key's business date (``yyyy-MM-dd``); ValueError otherwise."""
    try:
        return dt.date.fromisoformat(str(run_key)[:10])
    except ValueError:
        raise ValueError(f"run key must start with a date yyyy-MM-dd, got {run_key!r}") from None


def unsent_report(session: Session, day: dt.date) -> ReportFile | None:
    """The latest stored report of ``day`` if its email has not gone out."""
    R = ReportFile
    row = session.scalars(select(R).where(R.report_type == REPORT_TYPE,
                                          R.file_name.startswith(f"{STEM}_{day:%Y%m%d}_", autoescape=True))
                          .order_by(R.id.desc()).limit(1)).first()
    return row if row is not None and not (row.params or {}).get("emailSent") else None


def _refresh_from_cas(uow, config: dict, client: CasClient | None) -> tuple[str | None, dict[str, Any]]:
    """Step 2: refresh the list from CAS; (warning or None, counts)."""
    own = client is None
    client = client or CasClient.from_config(config)
    try:
        outcome = client.fetch_vip_vehicles()
    except ExternalCallError as e:
        session = uow.session
        stamp = session.scalar(select(VipVehicle.cre_date).order_by(VipVehicle.cre_date.desc()).limit(1))
        uow.rollback()
        as_of = f"as last refreshed on {stamp:%Y-%m-%d %H:%M}" if stamp else "of which none is stored"
        warning = (f"CAS could not be reached ({e.last_error or e}); the report uses the VIP vehicle list "
                   f"{as_of}.")
        return warning, {"cas": "UNAVAILABLE", "casAttempts": e.attempts, "casError": str(e)[:300]}
    finally:
        if own:
            client.close()
    deleted, inserted = replace_vip_vehicles(uow.session, outcome.value)
    uow.commit()
    return None, {"cas": "REFRESHED", "casAttempts": outcome.attempts, "vipVehicles": inserted}


def _alert_admin(config: dict, day: dt.date, warning: str, report_id: int) -> bool:
    subject = f"[OCMS] {JOB_NAME} {day}: CAS unreachable, report {report_id} built with a warning"
    body = (f"The Classified Vehicle Notices Report of {day} was built without a fresh VIP vehicle list.\n\n"
            f"{warning}\n\nReport id: {report_id} ({report_url(report_id)})\n"
            f"Once CAS answers again: ocms jobs run refresh-vip-vehicles, then "
            f"ocms jobs run {JOB_NAME} --key {day} --force\n")
    return send_alert(MailSettings.from_config(config), subject, body)


def _email_text(day: dt.date, params: dict[str, Any], report_id: int) -> tuple[str, str]:
    subject = f"Classified Vehicle Notices Report {day:%d/%m/%Y}"
    lines = [f"Please find attached the Classified Vehicle Notices Report for {day:%d/%m/%Y}.", "",
             f"Total Notices Issued (Type V): {params['total']}",
             f"Outstanding Notices (Unpaid):  {params['outstanding']}",
             f"Settled Notices (Paid):        {params['settled']}",
             f"Notices Amended (V→S):         {params['amended']}"]
    if params.get("activeVipVehicles") == 0:
        lines += ["", "No active VIP vehicle was found: the report is empty."]
    if params.get("warning"):
        lines += ["", f"WARNING: {params['warning']}"]
    lines += ["", f"Report id {report_id}; it can be downloaded again from OCMS ({report_url(report_id)})."]
    return subject, "\n".join(lines) + "\n"


def _build(uow, day: dt.date, config: dict, cas: CasClient | None) -> tuple[ReportFile, dict[str, Any]]:
    warning, counts = _refresh_from_cas(uow, config, cas)
    session = uow.session
    summary = query.summary(session)
    data, n_detail, n_amended = render_report(day, summary, query.type_v_notices(session),
                                              query.amended_notices(session), warning, now())
    if (n_detail, n_amended) != (summary.total, summary.amended):   # one snapshot read twice: it must agree
        log.warning("%s %s: rows (%d, %d) differ from counts (%d, %d) - the data changed while reading",
                    JOB_NAME, day, n_detail, n_amended, summary.total, summary.amended)
    params = {"reportDate": day.isoformat(), "activeVipVehicles": summary.active_vehicles, "total": summary.total,
              "outstanding": summary.outstanding, "settled": summary.settled, "amended": summary.amended,
              "detailRows": n_detail, "amendedRows": n_amended, "warning": warning, "emailSent": False, **counts}
    report_dir = config["OCMS_REPORT_DIR"]
    row = store_report(session, report_dir, REPORT_TYPE, f"{STEM}_{day:%Y%m%d}", "xlsx", data, JOB_NAME, params)
    try:
        uow.commit()
    except SQLAlchemyError:
        discard(report_dir, row)
        raise
    if warning:
        params["adminAlerted"] = _alert_admin(config, day, warning, row.id)
        row.params = dict(params)
        uow.commit()
    return row, params


def _queue_manual_send(session: Session, row: ReportFile, error: EmailNotSent, recipients: list[str]) -> None:
    q = ManualReviewQueue
    existing = session.scalars(select(q).where(q.review_type == REVIEW_TYPE, q.status == "OPEN")).all()
    if any((r.details or {}).get("reportId") == row.id for r in existing):
        return
    session.add(ManualReviewQueue(
        review_type=REVIEW_TYPE, status="OPEN",
        reason=f"Send report {row.file_name} by hand: the email failed after {error.attempts} attempt(s)",
        details={"reportId": row.id, "fileName": row.file_name, "url": report_url(row.id),
                 "recipients": recipients, "errors": error.errors[-5:], "job": JOB_NAME},
        cre_user_id="ocmsiz_cron"))


def _resolve_manual_send(session: Session, report_id: int) -> None:
    q = ManualReviewQueue
    for r in session.scalars(select(q).where(q.review_type == REVIEW_TYPE, q.status == "OPEN")).all():
        if (r.details or {}).get("reportId") == report_id:
            session.execute(update(q).where(q.id == r.id).values(
                status="RESOLVED", resolved_date=now(), resolved_by=JOB_NAME,
                resolution_remarks="Emailed by a later run"))


def run_classified_report(uow, run_key: str, config: dict, cas: CasClient | None = None,
                          sleep=None) -> dict[str, Any]:
    """Build (or resume), store and email the report of the run key's date; see the module docstring."""
    day = parse_report_date(run_key)
    session: Session = uow.session
    row = unsent_report(session, day)
    if row is not None:
        params, resumed = dict(row.params or {}), True
        log.info("%s %s: report %s already built, emailing it", JOB_NAME, day, row.id)
    else:
        row, params = _build(uow, day, config, cas)
        resumed = False
    recipients = list(config.get("OCMS_CLASSIFIED_REPORT_TO") or [])
    path = read_report(config["OCMS_REPORT_DIR"], row)
    subject, body = _email_text(day, params, row.id)
    counts = {"reportId": row.id, "fileName": row.file_name, "resumed": resumed,
              **{k: params.get(k) for k in ("activeVipVehicles", "total", "outstanding", "settled", "amended",
                                            "cas", "warning", "adminAlerted")}}
    try:
        if not recipients:
            raise EmailNotSent("OCMS_CLASSIFIED_REPORT_TO is not set: nobody to send the report to", 0,
                               ["no recipients configured"])
        if path is None:
            raise EmailNotSent(f"report file {row.storage_path} is missing from the store", 0, ["file missing"])
        attempts = send_with_retry(MailSettings.from_config(config), subject, body, recipients,
                                   [MailAttachment(row.file_name, XLSX, path.read_bytes())],
                                   retries=int(config.get("OCMS_HTTP_RETRIES", 3)),
                                   backoff=float(config.get("OCMS_HTTP_BACKOFF", 2.0)), sleep=sleep)
    except EmailNotSent as e:
        _queue_manual_send(session, row, e, recipients)
        uow.commit()
        log.error("%s %s: report %s stored but not emailed (%s); logged for manual sending", JOB_NAME, day,
                  row.id, e)
        raise ReportEmailFailed(f"report {row.id} stored but not emailed: {e}",
                                {**counts, "emailSent": False, "emailAttempts": e.attempts,
                                 "emailErrors": e.errors[-5:], "manualSend": True}) from e
    row.params = {**params, "emailSent": True, "emailedAt": now().isoformat(), "recipients": recipients}
    _resolve_manual_send(session, row.id)
    uow.commit()
    return {**counts, "emailSent": True, "emailAttempts": attempts, "recipients": len(recipients)}


__all__ = ["EmailNotSent", "JOB_NAME", "REPORT_TYPE", "ReportEmailFailed", "parse_report_date", "report_url",
           "run_classified_report", "send_with_retry", "unsent_report"]
