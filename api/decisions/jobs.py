"""The decision log's own job: ``decision-log-maintenance`` (issue 16, "Decision-log growth").

About five decision-log rows are written per notice. Once a day (timetable):

1. PostgreSQL: create the monthly partitions of the coming
   :data:`PARTITIONS_AHEAD` months (rows that landed in the default partition
   for want of one move into it) — repository/partitions.py;
2. apply the retention period ``RETENTION_DAYS/DECISION_LOG`` of
   ``ocms_parameter`` (days; absent or 0 keeps everything): on PostgreSQL,
   every month partition wholly older than the cut-off is dropped (one
   statement, no row-by-row delete); on SQLite, older rows are deleted in
   batches by primary-key range.

The run key is the business date the cut-off counts from (default today).
DDL waits at most :data:`LOCK_TIMEOUT` for its lock, so a busy table fails the
run (to be retried) instead of queueing the inserts of live traffic behind it.
Idempotent: a second run creates and drops nothing more.
"""
from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import text

from api.jobs import register_job
from repository.partitions import apply_retention, ensure_month_partitions, is_partitioned
from repository.queries import get_int_parameter

log = logging.getLogger(__name__)

JOB_NAME = "decision-log-maintenance"
PARTITIONS_AHEAD = 3
LOCK_TIMEOUT = "5s"
RETENTION = ("RETENTION_DAYS", "DECISION_LOG")


def retention_days(session) -> int | None:
    """The retention period in days (``RETENTION_DAYS/DECISION_LOG``); None: keep every row."""
    days = get_int_parameter(session, *RETENTION, None)
    return days if days and days > 0 else None


@register_job(JOB_NAME, "Decision log: partitions for the coming months (PostgreSQL) and the retention period")
def decision_log_maintenance(uow, run_key: str) -> dict:
    """Create the coming months' partitions and remove rows older than the retention period."""
    try:
        day = dt.date.fromisoformat(str(run_key)[:10])
    except ValueError:
        raise ValueError(f"run key must start with a date YYYY-MM-DD, got {run_key!r}") from None
    conn = uow.session.connection()
    partitioned = is_partitioned(conn)
    if partitioned:
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
    created = ensure_month_partitions(conn, day, ahead=PARTITIONS_AHEAD)
    days = retention_days(uow.session)
    counts = {"partitioned": partitioned, "partitionsCreated": len(created), "retentionDays": days,
              "partitionsDropped": 0, "rowsDeleted": 0}
    if days is not None:
        cutoff = dt.datetime.combine(day - dt.timedelta(days=days), dt.time())
        counts.update(apply_retention(conn, cutoff))
        counts["cutoff"] = cutoff.isoformat()
    log.info("%s %s: %s", JOB_NAME, run_key, counts)
    return counts


__all__ = ["JOB_NAME", "LOCK_TIMEOUT", "PARTITIONS_AHEAD", "RETENTION", "decision_log_maintenance", "retention_days"]
