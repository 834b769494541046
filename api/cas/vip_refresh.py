"""Refresh the VIP vehicle list from CAS (CAS API 3): ``ocms jobs run refresh-vip-vehicles``.

The daily job (CAS/PLUS technical spec §3):

1. records its start (the RUNNING row of ``ocms_batch_job_run``, by :func:`api.jobs.registry.run_job`);
2. calls ``POST {OCMS_CAS_URL}/v1/cas/refreshVIPVehicle`` through APIM
   (:class:`api.clients.cas.CasClient`): one try and up to ``OCMS_HTTP_RETRIES``
   (3) retries with exponential backoff on a timeout, a refused connection,
   HTTP 429/5xx or a malformed answer; another 4xx is not retried;
3. on success replaces ``ocms_vip_vehicle`` in ONE transaction — a DELETE and
   one executemany INSERT (``vip_vehicle`` 'Y', status, label status and label
   expiry date as CAS sends them - OCMS 14 tab 6 reports on them -, ``cre_date``
   now, ``cre_user_id`` 'ocmsiz_app_conn'), committed with the run's SUCCESS row —
   so readers see the old list until the new one is complete;
4. if CAS still fails, emails an alert to operations (``OCMS_ALERT_TO`` via
   ``OCMS_SMTP_HOST``/``PORT``) naming the job, run, attempts and errors, and
   the run ends FAILED with the attempts in its counts; the table is untouched;
5. if the insert fails (the spec: "log error to application log"), the
   transaction rolls back — the old list stays whole — the error is logged and
   the run ends FAILED. No email: the spec asks for one only for API failures.

The run key is the day (default today); a day that succeeded is not run again
without ``--force``, a FAILED day may simply be run again. The HTTP call is
made before any database work, so no transaction is held open while waiting
on CAS.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from api.clients.cas import REFRESH_VIP_PATH, CasClient
from api.clients.http import ExternalCallError
from api.clients.mail import MailSettings, send_alert
from repository.base import SYSTEM_USER, now
from repository.models import BatchJobRun, VipVehicle
from repository.operations import JOB_RUNNING

log = logging.getLogger(__name__)

JOB_NAME = "refresh-vip-vehicles"
VIP_FLAG = "Y"


class VipRefreshFailed(RuntimeError):
    """The run failed; ``counts`` (attempts, errors, alert) are recorded with the FAILED run."""

    def __init__(self, message: str, counts: dict[str, Any]):
        super().__init__(message)
        self.counts = counts


def replace_vip_vehicles(session: Session, vehicles: Iterable[dict[str, Any]]) -> tuple[int, int]:
    """Replace every ``ocms_vip_vehicle`` row by ``vehicles`` in the session's transaction (no commit).

    Set-based: one DELETE, one executemany INSERT. On PostgreSQL the table is
    first locked against other writers (readers go on reading the old list), so
    two runs at once cannot interleave. Returns (rows deleted, rows inserted).
    """
    stamp = now()
    rows = [{"vehicle_no": v["vehicleNo"], "vip_vehicle": VIP_FLAG, "description": v.get("description"),
             "status": v["status"], "vip_label_status": v.get("vipLabelStatus"),
             "label_expiry_date": v.get("labelExpiryDate"), "cre_date": stamp, "cre_user_id": SYSTEM_USER}
            for v in vehicles]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("LOCK TABLE ocms_vip_vehicle IN EXCLUSIVE MODE"))
    deleted = session.execute(delete(VipVehicle)).rowcount
    if rows:
        session.execute(insert(VipVehicle.__table__), rows)
    return deleted, len(rows)


def _current_run_id(session: Session, run_key: str) -> int | None:
    """The id of this job's RUNNING row for ``run_key`` (committed by run_job before the job starts)."""
    stmt = (select(BatchJobRun.id).where(BatchJobRun.job_name == JOB_NAME, BatchJobRun.run_key == str(run_key),
                                         BatchJobRun.status == JOB_RUNNING)
            .order_by(BatchJobRun.id.desc()).limit(1))
    return session.scalar(stmt)


def alert_text(run_key: str, run_id: int | None, started: Any, error: ExternalCallError, cas_url: str | None,
               kept: int | None) -> tuple[str, str]:
    """Subject and body of the alert sent when CAS cannot be reached after the retries."""
    subject = (f"[OCMS] {JOB_NAME} FAILED (run {run_id if run_id is not None else '-'}, {run_key}): "
               f"CAS refreshVIPVehicle failed after {error.attempts} attempt(s)")
    lines = [
        f"The OCMS batch job {JOB_NAME} could not get the VIP vehicle list from CAS (CAS API 3).",
        "",
        f"Job:        {JOB_NAME}",
        f"Run id:     {run_id if run_id is not None else '-'}",
        f"Run key:    {run_key}",
        f"Started:    {started:%Y-%m-%d %H:%M:%S}",
        f"Call:       POST {(cas_url or '(OCMS_CAS_URL not set)') + REFRESH_VIP_PATH}",
        f"Attempts:   {error.attempts} (1 try + {max(error.attempts - 1, 0)} retries)",
        f"Last error: {error.last_error}",
        "",
        "Errors, attempt by attempt:",
        *(f"  {i}. {e}" for i, e in enumerate(error.errors, 1)),
        "",
        "ocms_vip_vehicle was NOT changed: the previous list"
        + (f" ({kept} vehicles)" if kept is not None else "") + " stays in service.",
        f"After the cause is fixed, run again: ocms jobs run {JOB_NAME} --key {run_key}",
    ]
    return subject, "\n".join(lines) + "\n"


def refresh_vip_vehicles(uow, run_key: str, config: dict, client: CasClient | None = None) -> dict[str, Any]:
    """Fetch the VIP list from CAS and replace ``ocms_vip_vehicle`` with it in ``uow`` (the caller commits)."""
    started = now()
    log.info("%s %s: started", JOB_NAME, run_key)
    own_client = client is None
    client = client or CasClient.from_config(config)
    t0 = time.perf_counter()
    try:
        outcome = client.fetch_vip_vehicles()
    except ExternalCallError as e:
        try:   # for the alert only: a database in trouble must not stop the alert going out
            run_id = _current_run_id(uow.session, run_key)
            kept = uow.session.scalar(select(func.count()).select_from(VipVehicle))
        except SQLAlchemyError:
            log.exception("%s %s: could not read the run id / list size for the alert", JOB_NAME, run_key)
            run_id = kept = None
        uow.rollback()   # nothing to keep; end the read transaction before the SMTP call
        subject, body = alert_text(run_key, run_id, started, e, client.base_url or None, kept)
        alerted = send_alert(MailSettings.from_config(config), subject, body)
        log.error("%s %s: CAS failed after %d attempt(s) (%s); alert %s; VIP list unchanged (%s vehicles)",
                  JOB_NAME, run_key, e.attempts, e.last_error, "emailed" if alerted else "NOT emailed", kept)
        raise VipRefreshFailed(f"CAS refreshVIPVehicle failed after {e.attempts} attempt(s): {e.last_error}",
                               {"attempts": e.attempts, "retries": max(e.attempts - 1, 0), "errors": e.errors,
                                "alertSent": alerted, "vehiclesKept": kept}) from e
    finally:
        if own_client:
            client.close()
    fetched = time.perf_counter() - t0
    vehicles = outcome.value
    try:
        deleted, inserted = replace_vip_vehicles(uow.session, vehicles)
    except SQLAlchemyError as e:
        uow.rollback()
        cause = getattr(e, "orig", None) or e
        reason = f"{type(cause).__name__}: {str(cause).strip().splitlines()[0] if str(cause).strip() else ''}"
        log.error("%s %s: insert into ocms_vip_vehicle failed, rolled back, old list kept: %s",
                  JOB_NAME, run_key, reason)
        raise VipRefreshFailed(f"insert into ocms_vip_vehicle failed (rolled back, old list kept): {reason}",
                               {"attempts": outcome.attempts, "retries": outcome.retries,
                                "vehiclesReceived": len(vehicles)}) from e
    counts = {"vehicles": inserted, "previous": deleted, "attempts": outcome.attempts, "retries": outcome.retries,
              "fetchSeconds": round(fetched, 3), "dbSeconds": round(time.perf_counter() - t0 - fetched, 3)}
    log.info("%s %s: VIP list replaced: %d vehicles (was %d), %d attempt(s)", JOB_NAME, run_key,
             inserted, deleted, outcome.attempts)
    return counts


__all__ = ["JOB_NAME", "VipRefreshFailed", "alert_text", "refresh_vip_vehicles", "replace_vip_vehicles"]
