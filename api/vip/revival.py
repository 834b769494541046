"""Reviving TS-OLD and TS-CLV suspensions (OCMS 14 tab 1 steps 8 and 12, tab 2 step 8).

* :func:`revive_by_officer` — the Staff Portal: an OIC revives notices' TS-OLD / TS-CLV; ruleset
  ``suspension_revival`` decides per notice (reason code, remarks for OTH, notice found, suspended,
  revivable). The suspension row records when (``date_of_revival``), who
  (``officer_authorising_revival``, the JWT's ``sub``) and why (``revival_reason``, ``revival_remarks``).
* :func:`revive_due_ts_old` — the daily ``ts-old-revival`` job: every TS-OLD whose revival date has come.

A revived notice goes on from its stage: next stage and stage days from rules/stage_map.yaml
(:func:`api.stages.moves.resume_after_revival`). Both are set-based: one statement per table per
kind of suspension, whatever the number of notices.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Sequence

from sqlalchemy import select

from api.cps.decide import decide
from api.cps.queries import lock_notices
from api.decisions.log import record_decisions
from api.stages.batch import in_batch, isolating, revive_notices
from api.stages.moves import due_before, resume_after_revival, run_time
from api.web.errors import bad_request
from engine import RuleRegistry
from repository.models import SYSTEM_USER, ValidOffenceNotice, now

RULESET = "suspension_revival"
REVIVABLE, INVALID_REQUEST = "REVIVABLE", "INVALID_REQUEST"
REVIVED, NOT_REVIVED = "REVIVED", "NOT_REVIVED"


def auto_revival_reason(registry: RuleRegistry) -> str:
    """The revival_reason the daily jobs record (ruleset parameter ``auto_revival_reason``)."""
    return str(registry.get(RULESET).parameters.get("auto_revival_reason") or "AUT")


def _suspensions(session, notice_nos: Sequence[str]) -> dict[str, tuple]:
    V = ValidOffenceNotice
    rows = session.execute(select(V.notice_no, V.suspension_type, V.epr_reason_of_suspension,
                                  V.crs_reason_of_suspension).where(in_batch(session, V.notice_no, notice_nos)))
    return {n: (stype, crs or epr) for n, stype, epr, crs in rows}


def revive_by_officer(uow, registry: RuleRegistry, notice_nos: list[str], revival_reason: str, remarks: str | None,
                      officer: str, request_id: str | None = None, caller: str | None = None) -> dict:
    """Revive the notices' TS-OLD / TS-CLV for ``officer`` inside ``uow`` (no commit); the per-notice results.

    Raises ApiError 400 (OCMS-4000, naming ``revivalReason`` or ``remarks``) when the request itself is
    refused by the ruleset; nothing is written then.
    """
    session = uow.session
    lock_notices(session, notice_nos)
    found = _suspensions(session, notice_nos)
    remarks_present = bool(remarks and remarks.strip())
    facts = []
    for n in notice_nos:
        stype, reason = found.get(n, (None, None))
        facts.append({"revival_reason": revival_reason, "remarks_present": remarks_present, "notice_found": n in found,
                      "suspension_type": stype, "reason_of_suspension": reason})
    decisions = decide(registry, RULESET, facts)
    refused = next((d for d in decisions if d.outcome == INVALID_REQUEST), None)
    if refused is not None:
        field = refused.outputs.get("field") or "body"
        raise bad_request(refused.message, [{"field": field, "message": refused.message}])
    when = now()
    by_reason: dict[str, list[str]] = defaultdict(list)
    for n, d in zip(notice_nos, decisions):
        if d.outcome == REVIVABLE:
            by_reason[found[n][1]].append(n)
    for reason, members in by_reason.items():
        revive_notices(session, members, reason, revival_reason, officer, remarks, when, user=officer[:50])
    revived = [n for members in by_reason.values() for n in members]
    following = resume_after_revival(session, registry, revived, when, user=officer[:50])
    record_decisions(session, decisions, notice_nos, request_id, caller)
    results = []
    for n, d in zip(notice_nos, decisions):
        if d.outcome == REVIVABLE:
            stype, reason = found[n]
            next_stage, next_date = following.get(n, (None, None))
            results.append({"noticeNo": n, "status": REVIVED, "revivedSuspension": f"{stype}-{reason}",
                            "dateOfRevival": when.isoformat(), "nextStage": next_stage,
                            "nextStageDate": next_date.isoformat() if next_date else None})
        else:
            results.append({"noticeNo": n, "status": NOT_REVIVED, "code": d.code, "message": d.message})
    return {"revived": len(revived), "notRevived": len(notice_nos) - len(revived), "results": results}


def revive_due_ts_old(uow, registry: RuleRegistry, day: dt.date) -> dict:
    """Revive every TS-OLD whose due date of revival has come by ``day`` (the ``ts-old-revival`` job).

    One notice the database refuses is logged and skipped; the rest are revived (tab 9).
    """
    session = uow.session
    V = ValidOffenceNotice
    due = list(session.scalars(select(V.notice_no).where(
        V.suspension_type == "TS", V.epr_reason_of_suspension == "OLD", V.due_date_of_revival < due_before(day))
        .order_by(V.notice_no)))
    when, reason = run_time(day), auto_revival_reason(registry)

    def write(batch):
        revive_notices(session, batch, "OLD", reason, SYSTEM_USER, "TS-OLD period ended - automatic revival", when)
        resume_after_revival(session, registry, batch, when)

    done, failed = isolating(session, due, write, "ts-old-revival")
    return {"due": len(due), "revived": len(done), "failed": len(failed), "errors": [f"{n}: {e}" for n, e in failed][:100]}


__all__ = ["RULESET", "auto_revival_reason", "revive_by_officer", "revive_due_ts_old"]
