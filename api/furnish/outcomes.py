"""What approving, rejecting or queueing furnish applications writes (OCMS 14 tab 4 steps 6-10): set-based.

Shared by the automatic check (:mod:`.processing`) and the OIC's decisions
(:mod:`.review`). Every function works inside the caller's transaction, never
commits, and writes a whole batch with a few statements (one ``IN`` update or
one executemany per table), whatever the number of applications.

* :func:`claim` - lock the applications still undecided among some ids and
  return them: two runs (or a run and an OIC) can never decide one twice.
* :func:`approve` - both copies APPROVED; the notice's current offender made
  not current and the furnished person added as the new current offender
  (``ocms_offence_notice_owner_driver``, D for a driver, H for a hirer); the
  notice's (and internet notice's) next stage and date from the stage map,
  offender name, furnish pending cleared; the OIC review row resolved.
* :func:`reject` - both copies REJECTED with the reason; furnish pending
  cleared on the notice and the internet notice (tab 4 step 7a).
* :func:`queue_for_review` - the application enters the OIC review queue
  (``review_reason``) with an OPEN ``ocms_manual_review_queue`` row (type FURNISH).
* :func:`note_retry` - MHA could not be reached: the attempt is counted, the
  application stays for the next run.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.orm import Session

from engine import Decision, RuleRegistry
from repository.base import now
from repository.furnish import APPROVED, PENDING_APPROVAL, REJECTED
from repository.models import (
    EFurnishApplication,
    EValidOffenceNotice,
    FurnishApplication,
    ManualReviewQueue,
    OffenceNoticeOwnerDriver,
    ValidOffenceNotice,
)

STAGE_MAP = "stage_map"
ALLOWED = "ALLOWED"
REVIEW_TYPE = "FURNISH"
OPEN, RESOLVED = "OPEN", "RESOLVED"
#: ocms_offence_notice_owner_driver.owner_driver_indicator of a furnished person (OCMS 15 §4.4 roles).
INDICATORS = {"DRIVER": "D", "HIRER": "H"}
#: owner_driver_indicator -> the role the rulesets use.
ROLES = {"O": "OWNER", "D": "DRIVER", "H": "HIRER", "DIR": "DIRECTOR"}
CHUNK = 500


def _chunks(items: Sequence, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


@dataclass
class Application:
    """One intranet application with what the decision needs (see :func:`load_applications`)."""

    application_id: str
    notice_no: str
    furnish_type: str
    id_type: str | None
    id_no: str | None
    name: str | None
    contact_no: str | None
    email: str | None
    check_attempts: int = 0
    check_result: dict[str, Any] | None = None
    review_reason: str | None = None
    submitted_date: dt.datetime | None = None
    checked_date: dt.datetime | None = None

    @classmethod
    def of(cls, row: FurnishApplication) -> "Application":
        return cls(row.application_id, row.notice_no, row.furnish_type, row.id_type, row.id_no, row.name,
                   row.contact_no, row.email_addr, row.check_attempts or 0, row.check_result, row.review_reason,
                   row.submitted_date, row.checked_date)


@dataclass
class NoticeState:
    """The intranet notice of an application now, and its current offender's role."""

    found: bool
    last_processing_stage: str | None = None
    suspension_type: str | None = None
    crs_reason_of_suspension: str | None = None
    payment_status: str | None = None
    current_offender_role: str | None = None


@dataclass
class Approval:
    """An application to approve, its next stage (stage map) and the new offender's details."""

    app: Application
    next_stage: str
    stage_days: int
    decided_by: str
    remarks: str | None = None
    #: True when the automatic check just ran (its attempt, result and time are recorded with the approval).
    checked_now: bool = False


def claim(session: Session, application_ids: Iterable[str], *, awaiting_check: bool,
          claimed_by: str | None = None) -> list[str]:
    """Lock and return the applications among ``application_ids`` that are still PENDING_APPROVAL.

    ``awaiting_check``: only those not yet in the OIC review queue (the
    automatic check's own); ``claimed_by``: only those a furnish-sync run still
    holds under that name (:func:`api.furnish.processing.claim_page`; a claim
    that lapsed and was taken by another run is not decided twice). The UPDATE comes first so that on PostgreSQL a
    concurrent claimer waits for this transaction and then no longer sees the
    rows as pending, and on SQLite the write lock is held before anything is read.
    """
    ids = list(dict.fromkeys(application_ids))
    if not ids:
        return []
    t = FurnishApplication.__table__
    claimed: list[str] = []
    for chunk in _chunks(ids):
        cond = [t.c.application_id.in_(chunk), t.c.status == PENDING_APPROVAL]
        if awaiting_check:
            cond.append(t.c.review_reason.is_(None))
        if claimed_by is not None:
            cond.append(t.c.claimed_by == claimed_by)
        session.execute(update(t).where(*cond).values(upd_date=now()))
        claimed += session.scalars(select(t.c.application_id).where(*cond)).all()
    order = {a: i for i, a in enumerate(ids)}
    return sorted(claimed, key=order.__getitem__)


def load_applications(session: Session, application_ids: Sequence[str]) -> dict[str, Application]:
    """The intranet applications of ``application_ids`` (one query per chunk)."""
    out: dict[str, Application] = {}
    for chunk in _chunks(list(application_ids)):
        for row in session.scalars(select(FurnishApplication).where(FurnishApplication.application_id.in_(chunk))):
            out[row.application_id] = Application.of(row)
    return out


def lock_notices(session: Session, notice_nos: Sequence[str]) -> None:
    """Hold the notices' rows until the transaction ends (another writer waits), as CPS does."""
    t = ValidOffenceNotice.__table__
    for chunk in _chunks(sorted(set(notice_nos))):
        session.execute(update(t).where(t.c.notice_no.in_(chunk)).values(notice_no=t.c.notice_no))


def notice_states(session: Session, notice_nos: Sequence[str]) -> dict[str, NoticeState]:
    """Each notice's stage, suspension and current offender role: two queries per chunk."""
    wanted = sorted(set(notice_nos))
    states = {n: NoticeState(False) for n in wanted}
    V, O = ValidOffenceNotice, OffenceNoticeOwnerDriver
    for chunk in _chunks(wanted):
        for n in session.execute(select(V.notice_no, V.last_processing_stage, V.suspension_type,
                                        V.crs_reason_of_suspension, V.payment_status).where(V.notice_no.in_(chunk))):
            states[n.notice_no] = NoticeState(True, n.last_processing_stage, n.suspension_type,
                                              n.crs_reason_of_suspension, n.payment_status)
        current: dict[str, list[str]] = {}
        for notice_no, indicator in session.execute(select(O.notice_no, O.owner_driver_indicator).where(
                O.notice_no.in_(chunk), O.is_current == "Y").order_by(O.notice_no, O.owner_driver_indicator)):
            current.setdefault(notice_no, []).append(indicator)
        for notice_no, indicators in current.items():
            # Several current offenders: the role cannot be told (as CPS's ROLE_CONFLICT), so none is given.
            states[notice_no].current_offender_role = ROLES.get(indicators[0]) if len(indicators) == 1 else None
    return states


def next_stages(registry: RuleRegistry, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Decision]:
    """(furnish type, notice's stage) → the stage_map decision for an approved furnish (rules STAGE-MAP-FURNISH-*)."""
    wanted = sorted(set(pairs))
    decisions = registry.evaluate_many(STAGE_MAP, [
        {"new_processing_stage": stage, "last_processing_stage": stage, "furnish_type": ftype}
        for ftype, stage in wanted]) if wanted else []
    return dict(zip(wanted, decisions))


def stage_of(decision: Decision) -> tuple[str, int] | None:
    """The next stage and days of an ALLOWED stage_map decision, or None."""
    nxt = decision.outputs.get("next_processing_stage")
    if decision.outcome != ALLOWED or not nxt:
        return None
    days = decision.outputs.get("stage_days")
    return str(nxt), int(days or 0)


def offender_name(app: Application) -> str | None:
    """The offender's name on the notice: MHA's (the legal name) when MHA knew the ID, else the one furnished."""
    found = (app.check_result or {}).get("mhaStatus") == "FOUND"
    return ((app.check_result or {}).get("name") if found else None) or app.name


def _offender_row(app: Application, stamp: dt.datetime, user: str) -> dict[str, Any]:
    result = app.check_result or {}
    found = result.get("mhaStatus") == "FOUND"
    address = (result.get("address") or {}) if found else {}
    street = " ".join(p for p in (address.get("blockHouseNo"), address.get("streetName")) if p) or None
    deceased = result.get("isDeceased") if found else None
    checked = result.get("checkedAt") if found else None
    return {
        "notice_no": app.notice_no, "owner_driver_indicator": INDICATORS[app.furnish_type], "is_current": "Y",
        "id_type": app.id_type, "id_no": app.id_no, "name": offender_name(app),
        "bldg_name": address.get("buildingName"), "street_name": street[:65] if street else None,
        "unit_no": address.get("unitNumber"), "postal_code": address.get("postalCode"),
        "mobile_no": app.contact_no, "email_addr": app.email,
        "mha_checked_date": dt.datetime.fromisoformat(checked) if checked else None,
        "is_deceased": None if deceased is None else ("Y" if deceased else "N"),
        "cre_date": stamp, "cre_user_id": user, "upd_date": None, "upd_user_id": None,
    }


def _upsert_offenders(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert the new current offenders; a notice that had an offender of that role before gets it replaced."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    t = OffenceNoticeOwnerDriver.__table__
    stmt = insert(t)
    keep = {"notice_no", "owner_driver_indicator", "cre_date", "cre_user_id"}
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.notice_no, t.c.owner_driver_indicator],
        set_={**{c.name: stmt.excluded[c.name] for c in t.columns if c.name not in keep},
              "upd_date": stmt.excluded.cre_date, "upd_user_id": stmt.excluded.cre_user_id})
    session.execute(stmt, rows)


def _resolve_review_rows(session: Session, notice_nos: Sequence[str], by: str, remarks: str | None,
                         stamp: dt.datetime) -> None:
    q = ManualReviewQueue.__table__
    for chunk in _chunks(sorted(set(notice_nos))):
        session.execute(update(q).where(q.c.notice_no.in_(chunk), q.c.review_type == REVIEW_TYPE,
                                        q.c.status == OPEN)
                        .values(status=RESOLVED, resolved_date=stamp, resolved_by=by, resolution_remarks=remarks))


def _executemany_update(session: Session, model, key: str, where_extra, values: list[dict[str, Any]]) -> None:
    """One executemany UPDATE of ``model``: each parameter set names the row (``key``) and the columns to set."""
    if not values:
        return
    t = model.__table__
    columns = [k for k in values[0] if k != key]
    stmt = update(t).where(and_(t.c[key] == bindparam("k_" + key, type_=t.c[key].type), *where_extra(t))).values(
        {c: bindparam("v_" + c, type_=t.c[c].type) for c in columns})
    session.connection().execute(stmt, [{("k_" if k == key else "v_") + k: v for k, v in row.items()}
                                        for row in values])


def _set_notices(session: Session, values: list[dict[str, Any]]) -> None:
    """Update the notices and their internet mirrors, one parameter set per notice (key ``notice_no``)."""
    for model in (ValidOffenceNotice, EValidOffenceNotice):
        _executemany_update(session, model, "notice_no", lambda t: (), values)


def _set_applications(session: Session, model, values: list[dict[str, Any]]) -> None:
    """Update applications still pending, one parameter set per application (key ``application_id``)."""
    _executemany_update(session, model, "application_id", lambda t: (t.c.status == PENDING_APPROVAL,), values)


def approve(session: Session, approvals: Sequence[Approval], user: str) -> None:
    """Approve ``approvals`` (already claimed) in the session's transaction: see the module docstring."""
    if not approvals:
        return
    stamp = now()
    today = stamp.date()
    notices = [a.app.notice_no for a in approvals]
    by_notice = {a.app.notice_no: a for a in approvals}
    if len(by_notice) != len(approvals):
        raise ValueError("two approvals for one notice in one batch")
    app_values = [{"application_id": a.app.application_id, "status": APPROVED, "decision_date": stamp,
                   "decided_by": a.decided_by, "upd_date": stamp, "upd_user_id": user} for a in approvals]
    _set_applications(session, FurnishApplication, [
        {**v, "decision_remarks": a.remarks, "check_attempts": a.app.check_attempts, "check_result": a.app.check_result,
         "checked_date": stamp if a.checked_now else a.app.checked_date} for v, a in zip(app_values, approvals)])
    _set_applications(session, EFurnishApplication, app_values)
    O = OffenceNoticeOwnerDriver.__table__
    for chunk in _chunks(sorted(set(notices))):
        session.execute(update(O).where(O.c.notice_no.in_(chunk), O.c.is_current == "Y")
                        .values(is_current="N", upd_date=stamp, upd_user_id=user))
    _upsert_offenders(session, [_offender_row(a.app, stamp, user) for a in approvals])
    _set_notices(session, [{
        "notice_no": a.app.notice_no, "next_processing_stage": a.next_stage,
        "next_processing_date": dt.datetime.combine(today + dt.timedelta(days=a.stage_days), dt.time.min),
        "offender_name": offender_name(a.app), "furnish_pending_flag": None, "upd_date": stamp, "upd_user_id": user,
    } for a in approvals])
    groups: dict[tuple, list[str]] = {}
    for a in approvals:
        groups.setdefault((a.decided_by, a.remarks), []).append(a.app.notice_no)
    for (by, remarks), members in groups.items():
        _resolve_review_rows(session, members, by, remarks or "Approved", stamp)


def reject(session: Session, apps: Sequence[Application], decided_by: str, reason: str, user: str) -> None:
    """Reject ``apps`` (already claimed) with ``reason``: both copies, furnish pending cleared, review row resolved."""
    if not apps:
        return
    stamp = now()
    values = [{"application_id": a.application_id, "status": REJECTED, "decision_date": stamp, "decided_by": decided_by,
               "rejection_reason": reason, "upd_date": stamp, "upd_user_id": user} for a in apps]
    _set_applications(session, FurnishApplication, [{**v, "decision_remarks": reason} for v in values])
    _set_applications(session, EFurnishApplication, values)
    _set_notices(session, [{"notice_no": a.notice_no, "furnish_pending_flag": None, "upd_date": stamp,
                            "upd_user_id": user} for a in apps])
    _resolve_review_rows(session, [a.notice_no for a in apps], decided_by, reason, stamp)


def queue_for_review(session: Session, items: Sequence[tuple[Application, str]], user: str) -> None:
    """Put each (application, reason) in the OIC review queue, with its check's attempts and result."""
    if not items:
        return
    stamp = now()
    _set_applications(session, FurnishApplication, [{
        "application_id": a.application_id, "review_reason": reason[:200], "checked_date": stamp,
        "check_attempts": a.check_attempts, "check_result": a.check_result,
        "last_check_error": (a.check_result or {}).get("error"), "upd_date": stamp, "upd_user_id": user,
    } for a, reason in items])
    session.execute(ManualReviewQueue.__table__.insert(), [{
        "notice_no": a.notice_no, "review_type": REVIEW_TYPE, "reason": reason,
        "details": {"applicationId": a.application_id, "furnishType": a.furnish_type, "idType": a.id_type},
        "status": OPEN, "cre_date": stamp, "cre_user_id": user,
    } for a, reason in items])


def note_retry(session: Session, apps: Sequence[Application], user: str) -> None:
    """Count a check that could not reach MHA; the application stays for the next run."""
    if not apps:
        return
    stamp = now()
    _set_applications(session, FurnishApplication, [{
        "application_id": a.application_id, "checked_date": stamp, "check_attempts": a.check_attempts,
        "check_result": a.check_result, "last_check_error": ((a.check_result or {}).get("error") or "")[:200] or None,
        "upd_date": stamp, "upd_user_id": user,
    } for a in apps])


__all__ = ["Application", "Approval", "INDICATORS", "NoticeState", "REVIEW_TYPE", "ROLES", "approve", "claim",
           "load_applications", "lock_notices", "next_stages", "note_retry", "notice_states", "offender_name",
           "queue_for_review", "reject", "stage_of"]
