"""The decision log: record applied decisions, read them back by subject."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..base import now
from ..operations import DecisionLog

#: Columns a caller may give for a decision-log row (``id`` is generated).
DECISION_LOG_FIELDS = frozenset(c.key for c in DecisionLog.__table__.columns if c.key != "id")


def _decision_row(row: Mapping[str, Any], decided_at) -> dict[str, Any]:
    unknown = set(row) - DECISION_LOG_FIELDS
    if unknown:
        raise ValueError(f"unknown decision log field(s): {', '.join(sorted(unknown))}")
    if not row.get("ruleset"):
        raise ValueError("decision log row needs a ruleset")
    values = dict.fromkeys(DECISION_LOG_FIELDS)
    values.update(row)
    values["decided_at"] = values["decided_at"] or decided_at
    values["dry_run"] = bool(values["dry_run"])
    return values


def log_decisions(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert decision-log rows in one batched statement; return how many.

    Each row is a mapping of :data:`DECISION_LOG_FIELDS` (``ruleset`` required;
    ``decided_at`` defaults to now, ``dry_run`` to False).
    """
    stamp = now()
    values = [_decision_row(row, stamp) for row in rows]
    if values:
        session.execute(insert(DecisionLog.__table__), values)  # Core executemany: no ORM bulk bookkeeping
    return len(values)


def decisions_for_subject(
    session: Session, subject: str, *, ruleset: str | None = None, limit: int = 100
) -> list[DecisionLog]:
    """Return the decisions recorded for ``subject`` (e.g. a notice number), newest first."""
    stmt = select(DecisionLog).where(DecisionLog.subject == subject)
    if ruleset is not None:
        stmt = stmt.where(DecisionLog.ruleset == ruleset)
    stmt = stmt.order_by(DecisionLog.decided_at.desc(), DecisionLog.id.desc()).limit(limit)
    return list(session.scalars(stmt))
