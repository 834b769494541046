"""Record applied decisions in the decision log (DESIGN.md §5).

Use cases call :func:`record_decisions` inside their own unit of work, so the
log rows commit (or roll back) together with the changes the decisions made.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Sequence

from sqlalchemy.orm import Session

from engine import Decision
from repository.queries import log_decisions


def json_safe(value: Any) -> Any:
    """Make a value storable in a JSON column (dates as ISO text, decimals as numbers)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def decision_log_row(decision: Decision, subject: str | None, request_id: str | None, caller: str | None,
                     dry_run: bool = False) -> dict:
    """The ``ocms_decision_log`` row of one decision."""
    return {
        "request_id": request_id, "caller": caller, "ruleset": decision.ruleset,
        "ruleset_version": decision.version, "ruleset_hash": decision.hash, "subject": subject,
        "facts": json_safe(decision.facts), "outcome": decision.outcome,
        "outputs": json_safe({**decision.outputs, **({"code": decision.code} if decision.code else {}),
                              **({"message": decision.message} if decision.message else {})}),
        "actions": json_safe([a.to_dict() for a in decision.actions]), "fired_rules": list(decision.fired),
        "dry_run": dry_run, "parameters": json_safe(decision.parameters) if decision.parameters else None,
    }


def record_decisions(session: Session, decisions: Sequence[Decision], subjects: str | Sequence[str | None] | None,
                     request_id: str | None, caller: str | None, dry_run: bool = False) -> int:
    """Insert one decision-log row per decision in one batched statement; return how many.

    ``subjects`` is one subject for all decisions or one per decision (e.g.
    the notice numbers of a batch). Never commits: the caller's unit of work does.
    """
    return log_decisions(session, decision_log_rows(decisions, subjects, request_id, caller, dry_run))


def decision_log_rows(decisions: Sequence[Decision], subjects: str | Sequence[str | None] | None,
                      request_id: str | None, caller: str | None, dry_run: bool = False) -> list[dict]:
    """The ``ocms_decision_log`` rows of ``decisions`` (one subject for all, or one per decision)."""
    if subjects is None or isinstance(subjects, str):
        subjects = [subjects] * len(decisions)
    if len(subjects) != len(decisions):
        raise ValueError(f"{len(decisions)} decisions but {len(subjects)} subjects")
    return [decision_log_row(d, s, request_id, caller, dry_run) for d, s in zip(decisions, subjects)]
