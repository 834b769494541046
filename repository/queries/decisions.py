"""The decision log: record applied decisions, read them back by subject."""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..base import now
from ..operations import DecisionLog

#: Columns a caller may give for a decision-log row (``id`` is generated).
DECISION_LOG_FIELDS = frozenset(c.key for c in DecisionLog.__table__.columns if c.key != "id")
_INSERT = insert(DecisionLog.__table__)


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


def decision_log_values(rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The ``ocms_decision_log`` rows for ``rows`` as :func:`log_decisions` inserts them (every field given).

    ValueError for an unknown field or a row without ruleset.
    """
    stamp = now()
    return [_decision_row(row, stamp) for row in rows]


def log_decisions(session: Session, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert decision-log rows in one batched statement; return how many.

    Each row is a mapping of :data:`DECISION_LOG_FIELDS` (``ruleset`` required;
    ``decided_at`` defaults to now, ``dry_run`` to False).
    """
    values = decision_log_values(rows)
    if values:
        session.connection().execute(_INSERT, values)  # Core executemany: no ORM bulk bookkeeping
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


#: Columns :func:`iter_logged_decisions` yields, in order.
LOGGED_COLUMNS = ("id", "subject", "ruleset", "facts", "parameters", "fired_rules", "outcome")


def _logged_select(*, since=None, until=None, ruleset: str | None = None, facts_as_text: bool = False):
    from sqlalchemy import Text, cast
    facts = cast(DecisionLog.facts, Text) if facts_as_text else DecisionLog.facts
    params = cast(DecisionLog.parameters, Text) if facts_as_text else DecisionLog.parameters
    fired = cast(DecisionLog.fired_rules, Text) if facts_as_text else DecisionLog.fired_rules
    stmt = select(DecisionLog.id, DecisionLog.subject, DecisionLog.ruleset, facts, params,
                  fired, DecisionLog.outcome).where(DecisionLog.dry_run.is_(False))
    if since is not None:
        stmt = stmt.where(DecisionLog.decided_at >= since)
    if until is not None:
        stmt = stmt.where(DecisionLog.decided_at < until)
    if ruleset is not None:
        stmt = stmt.where(DecisionLog.ruleset == ruleset)
    return stmt


def iter_logged_decisions(session: Session, *, since=None, until=None, ruleset: str | None = None,
                          limit: int | None = None, batch_size: int = 5000, facts_as_text: bool = False):
    """Yield applied decisions as tuples of :data:`LOGGED_COLUMNS`, streamed in batches.

    One SELECT read through a server-side cursor on PostgreSQL (``yield_per``),
    so a million rows never sit in memory at once; ``since``/``until`` bound
    ``decided_at`` (``until`` excluded); dry runs are left out. With
    ``facts_as_text`` facts, parameters and fired rules come as their JSON text
    (not decoded). Read through Core (plain tuples, no ORM bookkeeping).
    """
    stmt = _logged_select(since=since, until=until, ruleset=ruleset, facts_as_text=facts_as_text)
    if limit is not None:
        stmt = stmt.order_by(DecisionLog.id.desc()).limit(limit)
    result = session.connection().execution_options(stream_results=True, yield_per=batch_size).execute(stmt)
    for partition in result.partitions(batch_size):
        yield from partition


def count_logged_decisions(session: Session, *, since=None, until=None, ruleset: str | None = None) -> int:
    """How many applied decisions :func:`iter_logged_decisions` would yield (no limit)."""
    from sqlalchemy import func
    sub = _logged_select(since=since, until=until, ruleset=ruleset).subquery()
    return int(session.scalar(select(func.count()).select_from(sub)) or 0)


def logged_decisions(session: Session, *, ids=None, subject: str | None = None, ruleset: str | None = None,
                     limit: int = 100) -> list[DecisionLog]:
    """Decision-log rows by id(s) or by subject (newest first), for replay."""
    stmt = select(DecisionLog)
    if ids is not None:
        stmt = stmt.where(DecisionLog.id.in_(list(ids)))
    if subject is not None:
        stmt = stmt.where(DecisionLog.subject == subject)
    if ruleset is not None:
        stmt = stmt.where(DecisionLog.ruleset == ruleset)
    return list(session.scalars(stmt.order_by(DecisionLog.decided_at.desc(), DecisionLog.id.desc()).limit(limit)))
