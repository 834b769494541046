"""Manual stage changes: validate and submit (Staff Portal, OCMS 15 §4-5) and PLUS (§6).

One flow for every channel: lock the notices, gather their facts (three
set-based reads), ask the rulesets (stage_catalogue, stage_map,
cps_validation), then apply the changeable ones with one UPDATE per table and
one batched INSERT of audit rows, record the decisions, and commit once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Sequence

from api.decisions.log import record_decisions
from api.web.errors import bad_request
from engine import Decision, RuleRegistry
from repository import business_time
from repository.models import now

from . import decide as rules
from .queries import (
    SOURCE_OCMS,
    NoticeFacts,
    StageChange,
    apply_stage_change,
    audit_row,
    gather,
    insert_audit,
    lock_notices,
)

UPDATED = "UPDATED"


@dataclass
class ChangeRequest:
    """A request to move notices to one new stage."""

    notice_nos: list[str]
    new_stage: str
    reason: str | None
    remarks: str | None
    is_confirmation: bool
    officer: str
    source: str = SOURCE_OCMS
    expected_stage: str | None = None  # PLUS lastStageName: the stage the caller saw
    stage_date: dt.datetime | None = None  # PLUS newStageDate (business time); default now

    @property
    def remarks_present(self) -> bool:
        return bool(self.remarks and self.remarks.strip())


@dataclass
class Checked:
    """The facts and decision of every notice of a request, in request order."""

    facts: dict[str, NoticeFacts]
    decisions: list[Decision]
    moves: dict[tuple, Decision]

    def results(self, notice_nos: Sequence[str]) -> list[dict]:
        return [result(n, d) for n, d in zip(notice_nos, self.decisions)]


def result(notice_no: str, d: Decision) -> dict:
    """One notice's answer: CHANGEABLE, or the code (warnings too) with the message."""
    item = {"noticeNo": notice_no, "status": d.outcome, "code": d.code, "message": d.message}
    if d.outputs.get("field"):
        item["field"] = d.outputs["field"]
    return item


def check_reason(registry: RuleRegistry, req: ChangeRequest) -> Decision:
    """The request's reason of change and remarks (cps_reason_of_change, §5.4); 400 OCMS-4000 naming the field.

    Called before anything is read: a refused reason (an unknown code, OTH
    without remarks) is a field error of the request, not of a notice.
    """
    d = registry.evaluate(rules.REASON, {"reason_of_change": req.reason, "remarks_present": req.remarks_present})
    if d.outcome == "REJECTED":
        field_name = d.outputs.get("field") or "reasonOfChange"
        raise bad_request(d.message, [{"field": field_name, "message": d.message, "code": d.code}])
    return d


def _stage_date_facts(req: ChangeRequest, f: NoticeFacts, move: Decision | None, when: dt.datetime) -> dict:
    """PLUS newStageDate against the notice (cps_validation's stage-date checks); nothing without one."""
    if req.stage_date is None:
        return {}
    out = {"stage_date_days_ahead": (req.stage_date.date() - when.date()).days,
           "stage_date_before_previous": (f.last_processing_date is not None
                                          and req.stage_date < f.last_processing_date)}
    days = rules.next_of(move)[1] if move is not None and move.outcome == rules.ALLOWED else None
    if days is not None:
        out["next_stage_overdue"] = req.stage_date + dt.timedelta(days=days) < when
    return out


def check(session, registry: RuleRegistry, req: ChangeRequest, when: dt.datetime) -> Checked:
    """Gather each notice's facts and decide cps_validation for all of them (§4.2 steps 6-25).

    ``when`` is the business time of the request (its date is "today" of the duplicate-change check).
    """
    facts = gather(session, req.notice_nos, when.date())
    found = [f for f in facts.values() if f.found]
    court = rules.court_stages(registry, (f.last_processing_stage for f in found))
    roles = rules.role_eligibility(registry, ((f.role, req.new_stage) for f in found))
    moves = rules.stage_moves(registry, ((f.last_processing_stage, req.new_stage) for f in found
                                         if f.last_processing_stage))
    facts_list = []
    for n in req.notice_nos:
        f = facts[n]
        base = {"notice_found": f.found, "new_processing_stage": req.new_stage, "is_confirmation": req.is_confirmation}
        if f.found:
            move = moves.get((f.last_processing_stage, req.new_stage))
            base.update({
                "current_offender_count": len(f.roles), "offender_role": f.role,
                "last_processing_stage": f.last_processing_stage, "court_stage": court.get(f.last_processing_stage),
                "suspension_type": f.suspension_type,
                "stage_matches": (f.last_processing_stage == req.expected_stage) if req.expected_stage else None,
                "stage_rule_found": (move.outcome == rules.ALLOWED) if move is not None else None,
                "role_eligible": roles.get((f.role, req.new_stage)) if f.role else None,
                "changes_today": f.changes_today_total,
                **_stage_date_facts(req, f, move, when),
            })
        facts_list.append(base)
    return Checked(facts, rules.decide(registry, rules.VALIDATION, facts_list), moves)


def validate(database, registry: RuleRegistry, req: ChangeRequest) -> list[dict]:
    """Per notice: CHANGEABLE, WARNING (EXISTING_CHANGE_TODAY) or the error code; writes nothing."""
    with database.session() as s:
        return check(s, registry, req, business_time.now()).results(req.notice_nos)


@dataclass
class Applied:
    """What a submit did: per-notice results and the audit rows written (report input)."""

    results: list[dict]
    audit: list[dict]
    facts: dict[str, NoticeFacts]


def apply_changes(uow, registry: RuleRegistry, req: ChangeRequest, request_id: str | None, caller: str | None,
                  user: str) -> Applied:
    """Lock, check and apply the changeable notices inside ``uow`` (no commit)."""
    session = uow.session
    when = now()
    today = when.date()
    lock_notices(session, req.notice_nos)
    checked = check(session, registry, req, when)
    results = checked.results(req.notice_nos)
    todo = [n for n, d in zip(req.notice_nos, checked.decisions) if d.outcome == rules.CHANGEABLE]
    audit: list[dict] = []
    if todo:
        # Group by what the stage map says follows the new stage (one group unless an analyst made the next
        # stage depend on the stage a notice comes from): one UPDATE per group.
        groups: dict[tuple, list[str]] = {}
        for n in todo:
            groups.setdefault(rules.next_of(checked.moves[(checked.facts[n].last_processing_stage, req.new_stage)]),
                              []).append(n)
        surcharge = rules.surcharge(registry, req.new_stage)
        after: dict[str, StageChange] = {}
        for (next_stage, days), members in groups.items():
            change = StageChange(req.new_stage, next_stage, days, req.stage_date or when, surcharge)
            apply_stage_change(session, members, change, user, when)
            after.update(dict.fromkeys(members, change))
        audit = [audit_row(n, today, checked.facts[n].last_processing_stage, req.new_stage, req.source, req.officer,
                           req.reason, req.remarks, user, when) for n in todo]
        insert_audit(session, audit)
        for item in results:
            change = after.get(item["noticeNo"])
            if change is not None:
                item.update({"status": UPDATED, "previousStage": checked.facts[item["noticeNo"]].last_processing_stage,
                             "newStage": req.new_stage, "nextStage": change.next_stage,
                             "nextStageDate": change.next_date.isoformat() if change.next_date else None})
    record_decisions(session, checked.decisions, list(req.notice_nos), request_id, caller)
    return Applied(results, audit, checked.facts)
