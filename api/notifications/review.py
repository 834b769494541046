"""The manual review queue of AN notifications, for staff (OCMS 10 §3.4-3.6 "Manual review queue").

Items are ``ocms_manual_review_queue`` rows whose ``review_type`` starts with
``AN_`` (the route's review types), each linked to its notice's
``ocms_an_notification`` row. Staff:

* list them (:func:`list_reviews`) with the reason and the notice's details;
* resolve one (:func:`resolve_review`): RETRY — the notice goes back to the
  an-notifications job from the failed step (that step's result and the later
  ones are cleared; a send that went out or is in doubt is never cleared, so a
  retry never sends twice — except a letter in doubt, which staff retry only
  after checking SLIFT did not receive it); CLOSE — the notification ends here,
  with the officer's remark.

Every action is recorded on the item (``details.actions``: who, when, what,
remarks) and in the item's resolution columns; an item is resolved once
(409 OCMS-4009 after that).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from api.web.errors import ApiError, not_found
from repository.models import AnNotification, ManualReviewQueue, ValidOffenceNotice, now
from repository.notifications import CLOSED, PENDING, REVIEW

from .store import REVIEW_PREFIX

OPEN, RESOLVED = "OPEN", "RESOLVED"
#: The work row's results in flow order: a retry clears the failed step's and the later ones.
FLOW = ("owner_result", "contact_result", "sms_result", "email_result", "address_result", "letter_result")
#: Where a retry starts, by review type (an unknown AN_ type starts from the owner).
RETRY_FROM = {"AN_MHA_NO_ADDRESS": "address_result", "AN_MHA_FAILED": "address_result",
              "AN_LETTER_INVALID": "letter_result", "AN_SLIFT_REJECTED": "letter_result",
              "AN_SLIFT_FAILED": "letter_result", "AN_SLIFT_IN_DOUBT": "letter_result"}
#: Send results a retry may clear (a SUCCESS or an IN_DOUBT SMS/email stays: never sent twice).
CLEARABLE_SENDS = {"sms_result": ("FAILED",), "email_result": ("FAILED",),
                   "letter_result": ("FAILED", "REJECTED", "INVALID")}


def _item(q: ManualReviewQueue, w: AnNotification | None, n: ValidOffenceNotice | None) -> dict[str, Any]:
    return {
        "id": q.id, "noticeNo": q.notice_no, "reviewType": q.review_type, "reason": q.reason, "status": q.status,
        "createdAt": q.cre_date.isoformat() if q.cre_date else None,
        "resolvedAt": q.resolved_date.isoformat() if q.resolved_date else None, "resolvedBy": q.resolved_by,
        "resolutionRemarks": q.resolution_remarks,
        "actions": list((q.details or {}).get("actions") or []),
        "notification": None if w is None else {
            "status": w.status, "step": w.step, "ownerResult": w.owner_result, "contactResult": w.contact_result,
            "smsResult": w.sms_result, "emailResult": w.email_result, "addressResult": w.address_result,
            "letterResult": w.letter_result, "lastError": w.last_error},
        "notice": None if n is None else {
            "vehicleNo": n.vehicle_no, "noticeDateAndTime": n.notice_date_and_time.isoformat(),
            "computerRuleCode": n.computer_rule_code, "compositionAmount": f"{n.composition_amount:.2f}",
            "ppCode": n.pp_code, "ppName": n.pp_name, "vehicleRegistrationType": n.vehicle_registration_type,
            "suspensionType": n.suspension_type, "anFlag": n.an_flag},
    }


def _base():
    Q, W, V = ManualReviewQueue, AnNotification, ValidOffenceNotice
    return (select(Q, W, V).outerjoin(W, W.review_id == Q.id).outerjoin(V, V.notice_no == Q.notice_no)
            .where(Q.review_type.like(f"{REVIEW_PREFIX}%")))


def list_reviews(session: Session, status: str, review_type: str | None, notice_no: str | None, limit: int,
                 offset: int) -> dict[str, Any]:
    """``{"total", "items": [...]}``, oldest first: the AN notification items of ``status`` (or ALL)."""
    Q = ManualReviewQueue
    stmt = _base()
    if status != "ALL":
        stmt = stmt.where(Q.status == status)
    if review_type:
        stmt = stmt.where(Q.review_type == review_type)
    if notice_no:
        stmt = stmt.where(Q.notice_no == notice_no)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    found = session.execute(stmt.order_by(Q.cre_date, Q.id).limit(limit).offset(offset)).all()
    return {"total": total, "items": [_item(q, w, n) for q, w, n in found]}


def get_review(session: Session, review_id: int) -> dict[str, Any]:
    """One item; 404 OCMS-4004 if there is no AN notification item ``review_id``."""
    row = session.execute(_base().where(ManualReviewQueue.id == review_id)).first()
    if row is None:
        raise not_found("Review item not found", [{"field": "reviewId", "message": f"no AN review item {review_id}"}])
    return _item(*row)


def resolve_review(uow, review_id: int, action: str, remarks: str | None, officer: str) -> dict[str, Any]:
    """RETRY or CLOSE item ``review_id`` (module docstring); 404 unknown, 409 already resolved; commits."""
    session: Session = uow.session
    Q, W = ManualReviewQueue, AnNotification
    q = session.execute(select(Q).where(Q.id == review_id, Q.review_type.like(f"{REVIEW_PREFIX}%"))
                        .with_for_update()).scalar_one_or_none()
    if q is None:
        raise not_found("Review item not found", [{"field": "reviewId", "message": f"no AN review item {review_id}"}])
    if q.status != OPEN:
        raise ApiError(409, f"Review item already {q.status.lower()}",
                       [{"field": "reviewId", "message": f"resolved by {q.resolved_by} at {q.resolved_date}"}])
    w = session.execute(select(W).where(W.review_id == q.id).with_for_update()).scalar_one_or_none()
    when = now()
    if w is None or w.status != REVIEW:
        raise ApiError(409, "The notice's notification is no longer waiting for this review",
                       [{"field": "reviewId", "message": "no notification row in REVIEW for this item"}])
    cleared: list[str] = []
    if action == "RETRY":
        start = FLOW.index(RETRY_FROM.get(q.review_type, "owner_result"))
        for column in FLOW[start:]:
            value = getattr(w, column)
            if value is None:
                continue
            if column in CLEARABLE_SENDS and value not in CLEARABLE_SENDS[column] and not (
                    column == "letter_result" and q.review_type == "AN_SLIFT_IN_DOUBT"):
                continue
            setattr(w, column, None)
            cleared.append(column)
        w.status, w.review_id, w.claimed_by, w.claimed_until = PENDING, None, None, None
        w.step, w.last_error = "RETRY", None
        q.status = RESOLVED
    else:
        w.status, w.step = CLOSED, "CLOSED"
        q.status = CLOSED
    w.upd_date, w.upd_user_id = when, officer[:50]
    q.resolved_date, q.resolved_by, q.resolution_remarks = when, officer[:50], remarks
    details = dict(q.details or {})
    details["actions"] = [*(details.get("actions") or []),
                          {"action": action, "by": officer, "at": when.isoformat(), "remarks": remarks,
                           "cleared": cleared}]
    q.details = details
    session.flush()
    out = get_review(session, review_id)
    uow.commit()
    return out


__all__ = ["CLEARABLE_SENDS", "FLOW", "RETRY_FROM", "get_review", "list_reviews", "resolve_review"]
