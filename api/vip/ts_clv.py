"""The TS-CLV loop of VIP notices (OCMS 14 tab 5), decided by ruleset ``vip_notice``.

* :func:`suspend_ts_clv` — the end-of-day ``vip-ts-clv`` job: VIP notices at RR3/DR3 whose next stage
  CPC is due, not paid nor permanently suspended, move to CPC (next stage CSD, no next date: the loop
  holds them) and are suspended TS-CLV for REVIVAL_DAYS/CLV days - the spec's UPDATE, with a new
  suspension row, the internet copy and an ``ocms_change_of_processing`` row (source SYSTEM). A notice
  that was suspended TS already (e.g. TS-APP: the spec's query takes TS notices) has that suspension
  closed with a revival record (the automatic revival reason, remarks "superseded by TS-CLV") before
  TS-CLV is applied: one open suspension per notice, matching the notice's columns (DESIGN.md §10).
* :func:`reapply_ts_clv` — the 00:00 ``vip-ts-clv-reapply`` job: notices at CPC whose TS-CLV is due get
  a revival record and, while the vehicle is still VIP, a new TS-CLV with a new due date; a vehicle
  amended V to S leaves the loop (revived, next stage per the stage map).

Both ask the ruleset once per distinct (vehicle type, stages, suspension, paid) of the candidates and
write each group set-based; a notice the database refuses is logged and skipped (tab 9).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import case, select

from api.cps.decide import decide, surcharge
from api.cps.queries import SOURCE_SYSTEM, StageChange, apply_stage_change, audit_row, insert_audit
from api.decisions.log import record_decisions
from api.stages.batch import apply_batch_actions, isolating, revive_notices
from api.stages.moves import due_before, next_after, resume_after_revival, run_time
from engine import RuleRegistry
from repository.models import SYSTEM_USER, ValidOffenceNotice, now

from .revival import auto_revival_reason

RULESET = "vip_notice"
SUSPEND_CLV, REAPPLY_CLV, LEAVE_LOOP = "SUSPEND_CLV", "REAPPLY_CLV", "LEAVE_LOOP"
V = ValidOffenceNotice
PAID = case((V.crs_reason_of_suspension.is_(None), False), else_=True)
GROUP_COLUMNS = (V.vehicle_registration_type, V.last_processing_stage, V.next_processing_stage, V.suspension_type)


def _same(column, value):
    return column.is_(None) if value is None else column == value


def _groups(session, where) -> dict[tuple, list[str]]:
    """Candidates' notice numbers by (vehicle type, last stage, next stage, suspension type, paid)."""
    out: dict[tuple, list[str]] = defaultdict(list)
    for row in session.execute(select(V.notice_no, *GROUP_COLUMNS, PAID).where(*where).order_by(V.notice_no)):
        out[tuple(row[1:])].append(row[0])
    return out


def _facts(question: str, key: tuple) -> dict:
    vtype, last, next_stage, stype, paid = key
    return {"question": question, "vehicle_registration_type": vtype, "last_processing_stage": last,
            "next_processing_stage": next_stage, "suspension_type": stype, "paid": bool(paid)}


def suspend_ts_clv(uow, registry: RuleRegistry, day: dt.date, request_id: str | None = None) -> dict:
    """Move due VIP notices at RR3/DR3 to CPC with TS-CLV (tab 5 steps 2-6); counts."""
    session = uow.session
    rs = registry.get(RULESET)
    vip_types = list(rs.lists.get("vip_vehicle_types") or [])
    groups = _groups(session, [V.vehicle_registration_type.in_(vip_types), V.next_processing_date < due_before(day),
                               V.last_processing_stage.in_(list(rs.lists.get("ts_clv_from_stages") or []))])
    keys = list(groups)
    decisions = dict(zip(keys, decide(registry, RULESET, [_facts("ts_clv", k) for k in keys])))
    when, reason = run_time(day), auto_revival_reason(registry)
    counts = {"candidates": sum(map(len, groups.values())), "suspended": 0, "notEligible": 0, "failed": 0}
    errors: list[str] = []
    for key, members in groups.items():
        d = decisions[key]
        if d.outcome != SUSPEND_CLV:
            counts["notEligible"] += len(members)
            continue
        new_stage = d.outputs.get("new_processing_stage") or "CPC"
        last = key[1]
        next_stage = (next_after(registry, [(last, new_stage)])[(last, new_stage)] or (None, None))[0]
        # The spec's UPDATE: next stage CSD, next_processing_date NULL - the loop holds the notice at CPC.
        change = StageChange(new_stage, next_stage, None, when, surcharge(registry, new_stage))

        def write(batch, d=d, change=change, last=last, key=key):
            apply_stage_change(session, batch, change, SYSTEM_USER, now())  # upd_date: the real clock
            if key[3] == "TS":
                # DESIGN.md §10: TS-CLV replaces the notice's active TS (the spec's query takes TS notices and its
                # UPDATE overwrites the reason): the old suspension is closed with a revival record, never left open.
                revive_notices(session, batch, None, reason, SYSTEM_USER, "superseded by TS-CLV (vip-ts-clv)", when,
                               suspension_type="TS", clear=False)
            apply_batch_actions(session, batch, d.actions, when)
            insert_audit(session, [audit_row(n, day, last, change.new_stage, SOURCE_SYSTEM, None, None,
                                             "TS-CLV at CPC (vip-ts-clv)", SYSTEM_USER, when) for n in batch])
            record_decisions(session, [d] * len(batch), list(batch), request_id, "vip-ts-clv")

        done, failed = isolating(session, members, write, "vip-ts-clv")
        counts["suspended"] += len(done)
        counts["failed"] += len(failed)
        errors += [f"{n}: {e}" for n, e in failed]
    counts["errors"] = errors[:100]
    return counts


def reapply_ts_clv(uow, registry: RuleRegistry, day: dt.date, request_id: str | None = None) -> dict:
    """Revive due TS-CLV at CPC and re-apply it while the vehicle is VIP; V→S leaves the loop (tab 5); counts."""
    session = uow.session
    groups = _groups(session, [V.last_processing_stage == "CPC", V.suspension_type == "TS",
                               V.epr_reason_of_suspension == "CLV", V.due_date_of_revival < due_before(day)])
    keys = list(groups)
    decisions = dict(zip(keys, decide(registry, RULESET, [_facts("ts_clv_reapply", k) for k in keys])))
    when, reason = run_time(day), auto_revival_reason(registry)
    counts = {"due": sum(map(len, groups.values())), "reapplied": 0, "leftLoop": 0, "notEligible": 0, "failed": 0}
    errors: list[str] = []
    for key, members in groups.items():
        d = decisions[key]
        if d.outcome not in (REAPPLY_CLV, LEAVE_LOOP):
            counts["notEligible"] += len(members)
            continue

        def write(batch, d=d):
            remarks = "TS-CLV period ended - re-applied" if d.outcome == REAPPLY_CLV else \
                "TS-CLV period ended - vehicle no longer VIP, loop left"
            revive_notices(session, batch, "CLV", reason, SYSTEM_USER, remarks, when)
            if d.outcome == REAPPLY_CLV:
                apply_batch_actions(session, batch, d.actions, when)
            else:
                resume_after_revival(session, registry, batch, when)
            record_decisions(session, [d] * len(batch), list(batch), request_id, "vip-ts-clv-reapply")

        done, failed = isolating(session, members, write, "vip-ts-clv-reapply")
        counts["reapplied" if d.outcome == REAPPLY_CLV else "leftLoop"] += len(done)
        counts["failed"] += len(failed)
        errors += [f"{n}: {e}" for n, e in failed]
    counts["errors"] = errors[:100]
    return counts


__all__ = ["RULESET", "reapply_ts_clv", "suspend_ts_clv"]
