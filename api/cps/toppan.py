"""Toppan automatic stage changes (OCMS 15 §7): the internal API's use case and the ``toppan-cps`` job.

A batch is the notices Toppan processed (letters printed) for one stage move::

    {"batchId": "TOPPAN-20260118-RD1", "currentStage": "ROV", "newStage": "RD1",
     "noticeNumbers": ["500400058A", "500400059B"]}

Per notice (ruleset cps_toppan): not found, not at ``currentStage`` or a move
the stage map does not allow → skipped; a manual change today (source OCMS or
PLUS) → MANUAL, stage only; otherwise AUTOMATIC, stage and amount_payable.
Each update writes an ocms_change_of_processing row (source SYSTEM). A notice
moved by the batch is no longer at ``currentStage``, so re-running the same
batch skips it: the batch is idempotent.

The job reads its batches from files: every ``*.json`` under
``$OCMS_TOPPAN_DIR/<run key>/`` (default ``instance/toppan/<yyyy-mm-dd>/``),
each one batch object or a list of them, as the Toppan cron leaves them.
"""
from __future__ import annotations

import os
from pathlib import Path

from api.decisions.log import record_decisions
from api.web.json import strict_loads
from engine import RuleRegistry
from repository.models import SYSTEM_USER, now

from . import decide as rules
from .queries import (
    SOURCE_OCMS,
    SOURCE_PLUS,
    SOURCE_SYSTEM,
    StageChange,
    apply_stage_change,
    audit_row,
    gather,
    insert_audit,
    lock_notices,
)

MANUAL, AUTOMATIC, SKIPPED = "MANUAL", "AUTOMATIC", "SKIPPED"
REMARKS = {AUTOMATIC: "Toppan automatic update: stage and amount payable",
           MANUAL: "Toppan update after a manual change today: stage only"}
TOPPAN_DIR_ENV = "OCMS_TOPPAN_DIR"


def update_batch(uow, registry: RuleRegistry, notice_nos: list[str], current_stage: str, new_stage: str,
                 request_id: str | None = None, caller: str | None = "toppan") -> dict:
    """Apply one Toppan batch inside ``uow`` (no commit); return the §7.4 statistics."""
    session = uow.session
    when = now()
    today = when.date()
    notice_nos = list(dict.fromkeys(notice_nos))
    lock_notices(session, notice_nos)
    facts = gather(session, notice_nos, today, with_offenders=False)
    move = rules.stage_moves(registry, [(current_stage, new_stage)])[(current_stage, new_stage)]
    allowed = move.outcome == rules.ALLOWED
    facts_list = []
    for n in notice_nos:
        f = facts[n]
        item = {"notice_found": f.found}
        if f.found:
            item.update({"stage_matches": f.last_processing_stage == current_stage, "stage_rule_found": allowed,
                         "ocms_changes_today": f.changes_today.get(SOURCE_OCMS, 0),
                         "plus_changes_today": f.changes_today.get(SOURCE_PLUS, 0)})
        facts_list.append(item)
    decisions = rules.decide(registry, rules.TOPPAN, facts_list)
    by_outcome: dict[str, list[str]] = {AUTOMATIC: [], MANUAL: [], SKIPPED: []}
    errors = []
    for n, d in zip(notice_nos, decisions):
        by_outcome.setdefault(d.outcome, []).append(n)
        if d.outcome == SKIPPED:
            errors.append(f"{n}: {d.code} {d.message}")
    audit = []
    if allowed:
        next_stage, days = rules.next_of(move)
        surcharge = rules.surcharge(registry, new_stage)
        for outcome, members in ((AUTOMATIC, by_outcome[AUTOMATIC]), (MANUAL, by_outcome[MANUAL])):
            update_amount = outcome == AUTOMATIC
            change = StageChange(new_stage, next_stage, days, when, surcharge if update_amount else None)
            apply_stage_change(session, members, change, SYSTEM_USER, when)
            audit += [audit_row(n, today, current_stage, new_stage, SOURCE_SYSTEM, None, None, REMARKS[outcome],
                                SYSTEM_USER, when) for n in members]
    insert_audit(session, audit)
    record_decisions(session, decisions, notice_nos, request_id, caller)
    return {"totalNotices": len(notice_nos), "automaticUpdates": len(by_outcome[AUTOMATIC]),
            "manualUpdates": len(by_outcome[MANUAL]), "skipped": len(by_outcome[SKIPPED]),
            "errors": errors, "success": True}


def read_batches(directory: Path) -> list[tuple[str, dict]]:
    """Every batch in the ``*.json`` files of ``directory`` (sorted by name), with its origin."""
    out = []
    for path in sorted(directory.glob("*.json")):
        data = strict_loads(path.read_bytes())  # the API's JSON rules: no duplicate keys, NUL, lone surrogates
        for i, batch in enumerate(data if isinstance(data, list) else [data]):
            out.append((f"{path.name}[{i}]", batch))
    return out


def toppan_dir() -> Path:
    from api.config import default_instance_path
    return Path(os.environ.get(TOPPAN_DIR_ENV) or default_instance_path() / "toppan")
