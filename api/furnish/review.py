"""The OIC's review of furnish applications (OCMS 14 tab 4 steps 6a-7a), for the Staff Portal.

* :func:`list_applications` — the review queue (pending applications the
  automatic check handed to an OIC, with the reason and MHA's answer), or every
  application of a status; newest last, paged.
* :func:`approve_application` — an OIC approves: the notice must still be
  furnishable (``furnish_eligibility`` with its current offender) and the stage
  map must give the next stage; then the same writes as an automatic approval
  (:func:`api.furnish.outcomes.approve`).
* :func:`reject_application` — an OIC rejects with a remark: the internet
  application shows REJECTED with the reason and the notice's furnish pending
  is cleared (tab 4 step 7a).

An application already decided (by the job or another OIC) is refused with
OCMS-4009 / 409 naming its status; an unknown id is OCMS-4004 / 404.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.decisions.log import record_decisions
from api.web.errors import ApiError, not_found
from engine import RuleRegistry
from repository.furnish import PENDING_APPROVAL
from repository.models import FurnishApplication

from . import outcomes
from .checks import eligibility_decisions
from .submission import ELIGIBLE, NO_NEXT_STAGE_MESSAGE

OIC_USER_PREFIX = "oic:"


def describe(row: FurnishApplication) -> dict[str, Any]:
    """An application as the Staff Portal shows it."""
    result = row.check_result or {}
    return {
        "applicationId": row.application_id, "noticeNo": row.notice_no, "furnishType": row.furnish_type,
        "particulars": {"idType": row.id_type, "idNumber": row.id_no, "name": row.name, "contactNo": row.contact_no,
                        "emailAddress": row.email_addr},
        "status": row.status, "submittedDate": row.submitted_date.isoformat(),
        "inReviewQueue": row.status == PENDING_APPROVAL and row.review_reason is not None,
        "reviewReason": row.review_reason, "checkAttempts": row.check_attempts,
        "checkedDate": row.checked_date.isoformat() if row.checked_date else None,
        "mha": {k: result.get(k) for k in ("mhaStatus", "name", "isDeceased", "address", "error")} if result else None,
        "decisionDate": row.decision_date.isoformat() if row.decision_date else None,
        "decidedBy": row.decided_by, "decisionRemarks": row.decision_remarks, "rejectionReason": row.rejection_reason,
    }


def list_applications(session: Session, status: str, queue: str, notice_no: str | None, limit: int,
                      offset: int) -> dict[str, Any]:
    """``{"total", "applications": [...]}`` of the status (REVIEW: only those in the OIC queue), oldest first."""
    F = FurnishApplication
    cond = [F.status == status]
    if status == PENDING_APPROVAL and queue == "REVIEW":
        cond.append(F.review_reason.is_not(None))
    if notice_no:
        cond.append(F.notice_no == notice_no)
    total = session.scalar(select(func.count()).select_from(F).where(*cond)) or 0
    rows = session.scalars(select(F).where(*cond).order_by(F.submitted_date, F.application_id)
                           .limit(limit).offset(offset)).all()
    return {"total": total, "applications": [describe(r) for r in rows]}


def get_application(session: Session, application_id: str) -> FurnishApplication:
    row = session.get(FurnishApplication, application_id, populate_existing=True)  # fresh after Core updates
    if row is None:
        raise not_found("Furnish application not found",
                        [{"field": "applicationId", "message": f"no furnish application {application_id}"}])
    return row


def _claim_one(session: Session, application_id: str) -> outcomes.Application:
    """Lock the application if it is still pending; 404 / 409 otherwise."""
    if not outcomes.claim(session, [application_id], awaiting_check=False):
        row = get_application(session, application_id)
        raise ApiError(409, f"Furnish application is already {row.status}",
                       [{"field": "applicationId", "message": f"{application_id} was decided by {row.decided_by} "
                                                               f"on {row.decision_date:%Y-%m-%d %H:%M:%S}"
                         if row.decision_date else f"{application_id} is {row.status}"}])
    return outcomes.load_applications(session, [application_id])[application_id]


def approve_application(uow, registry: RuleRegistry, application_id: str, officer: str, remarks: str | None, *,
                        request_id: str | None, caller: str | None) -> dict[str, Any]:
    """An OIC approves one application; commits. Returns the application as :func:`describe` shows it."""
    session: Session = uow.session
    app = _claim_one(session, application_id)
    outcomes.lock_notices(session, [app.notice_no])
    state = outcomes.notice_states(session, [app.notice_no])[app.notice_no]
    [eligibility] = eligibility_decisions(registry, [app], {app.notice_no: state})
    if eligibility.outcome != ELIGIBLE:
        raise ApiError(409, f"Notice can no longer be furnished: {eligibility.message}",
                       [{"field": "applicationId", "message": eligibility.message or eligibility.outcome}])
    stage_decision = outcomes.next_stages(registry, [(app.furnish_type, state.last_processing_stage)])[
        (app.furnish_type, state.last_processing_stage)]
    nxt = outcomes.stage_of(stage_decision)
    if nxt is None:
        raise ApiError(409, NO_NEXT_STAGE_MESSAGE,
                       [{"field": "applicationId", "message": f"stage_map: {stage_decision.outcome}"}])
    user = f"{OIC_USER_PREFIX}{officer}"[:50]
    outcomes.approve(session, [outcomes.Approval(app, nxt[0], nxt[1], officer[:50], remarks)], user)
    record_decisions(session, [eligibility, stage_decision], app.notice_no, request_id=request_id, caller=caller)
    uow.commit()
    return describe(get_application(session, application_id))


def reject_application(uow, application_id: str, officer: str, remarks: str, *, request_id: str | None,
                       caller: str | None) -> dict[str, Any]:
    """An OIC rejects one application with ``remarks``; commits. Returns the application."""
    session: Session = uow.session
    app = _claim_one(session, application_id)
    outcomes.reject(session, [app], officer[:50], remarks, f"{OIC_USER_PREFIX}{officer}"[:50])
    uow.commit()
    return describe(get_application(session, application_id))


__all__ = ["approve_application", "describe", "get_application", "list_applications", "reject_application"]
