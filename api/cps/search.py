"""Staff Portal search (OCMS 15 §3.2, §5.2 steps 4-7): notices by criteria, eligible vs ineligible.

Two reads (notices, then their current offenders) and two engine batches
(stage_catalogue court check, cps_classification) whatever the number of
notices found; each notice also carries the stages its role may move to
(stage_catalogue CPS-ROLE), for the UI's stage dropdown (§3.2 step 17).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import exists, select

from engine import RuleRegistry
from repository.models import OffenceNoticeOwnerDriver, ValidOffenceNotice

from . import decide as rules
from .queries import ROLES, chunks

#: Most notices one search returns (``truncated`` says there were more).
MAX_RESULTS = 500


def search(session, registry: RuleRegistry, criteria: dict) -> dict:
    """Notices matching every given criterion, segregated by cps_classification."""
    V, O = ValidOffenceNotice, OffenceNoticeOwnerDriver
    q = select(V.notice_no, V.vehicle_no, V.offence_notice_type, V.notice_date_and_time, V.last_processing_stage,
               V.last_processing_date, V.next_processing_stage, V.next_processing_date, V.suspension_type,
               V.amount_payable, V.composition_amount).order_by(V.notice_no).limit(MAX_RESULTS + 1)
    if criteria.get("noticeNo"):
        q = q.where(V.notice_no == criteria["noticeNo"])
    if criteria.get("vehicleNo"):
        q = q.where(V.vehicle_no == criteria["vehicleNo"])
    if criteria.get("currentProcessingStage"):
        q = q.where(V.last_processing_stage == criteria["currentProcessingStage"])
    if criteria.get("dateOfCurrentProcessingStage"):
        day = dt.datetime.combine(criteria["dateOfCurrentProcessingStage"], dt.time.min)
        q = q.where(V.last_processing_date >= day, V.last_processing_date < day + dt.timedelta(days=1))
    if criteria.get("idNo"):
        q = q.where(exists().where(O.notice_no == V.notice_no, O.id_no == criteria["idNo"]))
    rows = session.execute(q).all()
    truncated = len(rows) > MAX_RESULTS
    rows = rows[:MAX_RESULTS]

    offenders: dict[str, list] = {}
    for part in chunks([r.notice_no for r in rows]):
        for o in session.execute(select(O.notice_no, O.owner_driver_indicator, O.name, O.id_type, O.id_no)
                                 .where(O.notice_no.in_(part), O.is_current == "Y")
                                 .order_by(O.notice_no, O.owner_driver_indicator)):
            offenders.setdefault(o.notice_no, []).append(o)

    court = rules.court_stages(registry, (r.last_processing_stage for r in rows))
    decisions = rules.decide(registry, rules.CLASSIFICATION, [
        {"court_stage": bool(court.get(r.last_processing_stage)), "suspension_type": r.suspension_type} for r in rows])
    roles = {n: (ROLES.get(o[0].owner_driver_indicator) if len(o) == 1 else None) for n, o in offenders.items()}
    stages_for = rules.eligible_stages(registry, roles.values())

    eligible, ineligible = [], []
    for r, d in zip(rows, decisions):
        current = offenders.get(r.notice_no) or []
        role = roles.get(r.notice_no)
        item = {
            "noticeNo": r.notice_no, "vehicleNo": r.vehicle_no, "offenceNoticeType": r.offence_notice_type,
            "noticeDateAndTime": _iso(r.notice_date_and_time), "currentProcessingStage": r.last_processing_stage,
            "dateOfCurrentProcessingStage": _iso(r.last_processing_date),
            "nextProcessingStage": r.next_processing_stage, "nextProcessingDate": _iso(r.next_processing_date),
            "suspensionType": r.suspension_type, "amountPayable": r.amount_payable,
            "offenderName": current[0].name if len(current) == 1 else None,
            "idNo": current[0].id_no if len(current) == 1 else None,
            "offenderRole": role, "eligibleStages": stages_for.get(role, []),
        }
        if d.outcome == "ELIGIBLE":
            eligible.append(item)
        else:
            ineligible.append({**item, "reasonCode": d.code, "reason": d.message})
    return {"total": len(rows), "truncated": truncated, "eligible": eligible, "ineligible": ineligible}


def _iso(value):
    return value.isoformat() if value is not None else None
