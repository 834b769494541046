"""Submit a furnished driver or hirer from the eService (OCMS 14 tab 4 steps 2-3), in the internet zone.

One transaction per submission (:func:`submit_application`):

1. read the internet notice (``eocms_valid_offence_notice``) - the internet zone
   knows nothing else;
2. refuse a second application while one is pending for the notice
   (OCMS-4009 / 409, naming the pending application);
3. ask ``furnish_eligibility`` (rules/furnish_eligibility.yaml) whether the
   notice may be furnished now (unknown notice → OCMS-4004 / 404; a stage where
   furnishing is not offered, paid, permanently suspended, a driver already
   furnished, a hirer furnishing another hirer → OCMS-4000 / 400 naming the
   field); the decision goes to the decision log. The current offender the
   internet zone knows is the furnish type of the notice's last APPROVED
   internet application (none: the owner);
4. ask ``stage_map`` for the next stage an approval would give: none (an
   analyst took the furnish rows out) → OCMS-4000 / 400 naming ``furnishType``.
   Every refusal an approval could give from the notice alone is given here,
   at submission (only MHA's answer and an OIC's judgement are left for later);
5. give the application its id (:mod:`.application_ids`), insert it into
   ``eocms_furnish_application`` with status PENDING_APPROVAL, and set the
   internet notice's ``furnish_pending_flag`` to Y.

Two submissions for one notice at the same moment: the partial unique index
``uq_eocms_furnish_application_pending`` lets one commit; the other is answered
409 like any repeat, and nothing of it is kept (not even its serial).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.decisions.log import record_decisions
from api.web.errors import ApiError
from engine import Decision, RuleRegistry
from repository.base import now
from repository.furnish import APPROVED, PENDING_APPROVAL
from repository.models import EFurnishApplication, EValidOffenceNotice

from .application_ids import new_application_id
from .outcomes import next_stages, stage_of

ELIGIBILITY = "furnish_eligibility"
ELIGIBLE = "ELIGIBLE"
#: Who writes the internet rows (the eService's connection).
ESERVICE_USER = "ocmsez_app_conn"
DUPLICATE_MESSAGE = "A furnish application for this notice is already pending approval"
#: What an approval answers when the stage map has no next stage for the furnish type (api.furnish.review).
NO_NEXT_STAGE_MESSAGE = "The stage map gives no next stage for this furnish type"
#: furnish_type of an approved application -> the role it made the notice's current offender.
FURNISHED_ROLES = {"DRIVER": "DRIVER", "HIRER": "HIRER"}


@dataclass(frozen=True)
class Particulars:
    """The furnished person, as validated by :class:`api.furnish.schemas.ParticularsSchema`."""

    id_type: str
    id_no: str
    name: str
    contact_no: str
    email: str | None = None


def status_of(code: str | None) -> int:
    """The HTTP status an app code echoes: OCMS-4004 → 404, OCMS-4000 → 400 (DESIGN.md §8)."""
    digits = (code or "")[5:]
    if len(digits) == 4 and digits.isdigit():
        return int(digits[0]) * 100 + int(digits[1:])
    return 400


def refusal(decision: Decision) -> ApiError:
    """The error answer of an eligibility decision other than ELIGIBLE."""
    field = decision.outputs.get("field") or "noticeNo"
    message = decision.message or "Notice cannot be furnished"
    return ApiError(status_of(decision.code), message, [{"field": field, "message": message}], app_code=decision.code)


def duplicate(pending_id: str | None) -> ApiError:
    """OCMS-4009 / 409: one application per notice at a time."""
    detail = f"{DUPLICATE_MESSAGE} ({pending_id})" if pending_id else DUPLICATE_MESSAGE
    return ApiError(409, DUPLICATE_MESSAGE, [{"field": "noticeNo", "message": detail}],
                    extra={"pendingApplicationId": pending_id} if pending_id else None)


def eligibility_facts(notice, furnish_type: str, current_offender_role: str | None = None) -> dict:
    """The furnish_eligibility facts of a notice row (internet or intranet), or of a missing one (None)."""
    if notice is None:
        return {"notice_found": False, "furnish_type": furnish_type}
    return {"notice_found": True, "last_processing_stage": notice.last_processing_stage,
            "suspension_type": notice.suspension_type, "crs_reason_of_suspension": notice.crs_reason_of_suspension,
            "payment_status": notice.payment_status, "furnish_type": furnish_type, "current_offender_role": current_offender_role}


def internet_offender_role(session: Session, notice_no: str) -> str | None:
    """The notice's current offender as the internet zone knows it: the role of its last APPROVED application
    (``DRIVER``/``HIRER``), or None (the owner; no furnished person approved)."""
    E = EFurnishApplication
    last = session.scalar(select(E.furnish_type).where(E.notice_no == notice_no, E.status == APPROVED)
                          .order_by(E.decision_date.desc(), E.application_id.desc()).limit(1))
    return FURNISHED_ROLES.get(last) if last else None


def _pending_id(session: Session, notice_no: str) -> str | None:
    E = EFurnishApplication
    return session.scalar(select(E.application_id).where(E.notice_no == notice_no, E.status == PENDING_APPROVAL)
                          .order_by(E.submitted_date, E.application_id).limit(1))


def submit_application(uow, registry: RuleRegistry, notice_no: str, furnish_type: str, who: Particulars, *,
                       caller: str | None, request_id: str | None) -> dict:
    """Record one eService submission in ``uow`` and commit it; return the spec's response.

    Raises :class:`~api.web.errors.ApiError` (404 unknown notice, 400 not furnishable - stage, paid, suspended,
    role, no next stage -, 409 already pending);
    nothing is written then.
    """
    session: Session = uow.session
    _lock_internet_notice(session, notice_no)
    pending = _pending_id(session, notice_no)
    if pending:
        raise duplicate(pending)
    notice = session.get(EValidOffenceNotice, notice_no)
    role = internet_offender_role(session, notice_no) if notice is not None else None
    decision = registry.evaluate(ELIGIBILITY, eligibility_facts(notice, furnish_type, role))
    if decision.outcome != ELIGIBLE:
        raise refusal(decision)   # the unit of work rolls back: nothing is written
    stage = notice.last_processing_stage
    if stage_of(next_stages(registry, [(furnish_type, stage)])[(furnish_type, stage)]) is None:
        raise ApiError(400, NO_NEXT_STAGE_MESSAGE, [{"field": "furnishType", "message": NO_NEXT_STAGE_MESSAGE}],
                       app_code="OCMS-4000")
    stamp = now()
    try:
        application_id = new_application_id(session, stamp.date())
        session.add(EFurnishApplication(
            application_id=application_id, notice_no=notice_no, furnish_type=furnish_type, id_type=who.id_type,
            id_no=who.id_no, name=who.name, contact_no=who.contact_no, email_addr=who.email,
            status=PENDING_APPROVAL, submitted_date=stamp, cre_date=stamp, cre_user_id=ESERVICE_USER))
        session.execute(update(EValidOffenceNotice).where(EValidOffenceNotice.notice_no == notice_no)
                        .values(furnish_pending_flag="Y", upd_date=stamp, upd_user_id=ESERVICE_USER))
        record_decisions(session, [decision], notice_no, request_id=request_id, caller=caller)
        uow.commit()
    except IntegrityError:
        # A concurrent submission for the same notice got in first (the partial unique index refused ours).
        uow.rollback()
        raise duplicate(_pending_id(session, notice_no)) from None
    return {"success": True, "applicationId": application_id, "status": PENDING_APPROVAL}


def _lock_internet_notice(session: Session, notice_no: str) -> None:
    """Hold the internet notice's row (PostgreSQL) / the write lock (SQLite) first, so that submissions for one
    notice take turns: the second one then sees the first one's pending application."""
    t = EValidOffenceNotice.__table__
    session.execute(update(t).where(t.c.notice_no == notice_no).values(notice_no=t.c.notice_no))


def application_status(session: Session, application_id: str) -> dict | None:
    """What the eService may show of one application, or None."""
    row = session.get(EFurnishApplication, application_id)
    if row is None:
        return None
    return {"applicationId": row.application_id, "noticeNo": row.notice_no, "furnishType": row.furnish_type,
            "status": row.status, "submittedDate": row.submitted_date.isoformat(),
            "decisionDate": row.decision_date.isoformat() if row.decision_date else None,
            "rejectionReason": row.rejection_reason}


__all__ = ["DUPLICATE_MESSAGE", "ELIGIBILITY", "ELIGIBLE", "ESERVICE_USER", "NO_NEXT_STAGE_MESSAGE", "Particulars",
           "application_status", "duplicate", "eligibility_facts", "internet_offender_role", "refusal", "status_of",
           "submit_application"]
