"""Monthly partitions of the decision log on PostgreSQL, and its retention (issue 16, "Decision-log growth").

On PostgreSQL ``ocms_decision_log`` is declaratively partitioned:
``PARTITION BY RANGE (decided_at)``, one partition per calendar month named
``ocms_decision_log_yYYYYmMM`` plus ``ocms_decision_log_default`` for rows no
month partition takes (so an insert never fails for want of a partition). The
primary key is ``(id, decided_at)`` there (PostgreSQL wants the partition key
in it; ``id`` alone still comes from one sequence); the indexes are declared on
the parent, so every partition has them. SQLite keeps a plain table.

* :func:`ensure_month_partitions` creates the partitions of the coming months
  (the ``decision-log-maintenance`` job, and the migration). A month whose rows
  already went to the default partition gets them moved into its new partition
  in the same transaction.
* :func:`apply_retention` drops the partitions wholly older than the cut-off
  (one ``DROP TABLE`` each, no row-by-row delete) and deletes older rows of
  the default partition; on SQLite it deletes in batches of primary-key ranges.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

TABLE = "ocms_decision_log"
DEFAULT_PARTITION = f"{TABLE}_default"
_MONTH = re.compile(rf"^{TABLE}_y(\d{{4}})m(\d{{2}})$")
#: Rows per DELETE on SQLite (and in the default partition).
DELETE_BATCH = 10_000


def is_partition_name(name: str | None) -> bool:
    """True for the name of a decision-log partition (not a table of the models)."""
    return bool(name) and (name == DEFAULT_PARTITION or bool(_MONTH.match(name)))


def month_start(day: dt.date | dt.datetime) -> dt.date:
    return dt.date(day.year, day.month, 1)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_y{month.year:04d}m{month.month:02d}"


def is_partitioned(conn: Connection) -> bool:
    """True if the decision log is a partitioned table (PostgreSQL after migration 0002)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT c.relkind = 'p' FROM pg_class c WHERE c.relname = :t "
                             "AND c.relnamespace = current_schema()::regnamespace"), {"t": TABLE}).scalar() is True


@dataclass(frozen=True)
class Partition:
    name: str
    month: dt.date | None  # None: the default partition


def list_partitions(conn: Connection) -> list[Partition]:
    """The partitions of the decision log, months in order, the default partition last."""
    rows = conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = :t "
        "AND p.relnamespace = current_schema()::regnamespace"), {"t": TABLE}).scalars().all()
    months = []
    default = None
    for name in rows:
        m = _MONTH.match(name)
        if m:
            months.append(Partition(name, dt.date(int(m.group(1)), int(m.group(2)), 1)))
        elif name == DEFAULT_PARTITION:
            default = Partition(name, None)
    months.sort(key=lambda p: p.month)
    return months + ([default] if default else [])


def create_month_partition(conn: Connection, month: dt.date) -> bool:
    """Create the partition of ``month`` (moving its rows out of the default partition); False if it exists."""
    month = month_start(month)
    name, nxt = partition_name(month), add_months(month, 1)
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
        return False
    bounds = {"lo": dt.datetime.combine(month, dt.time()), "hi": dt.datetime.combine(nxt, dt.time())}
    # A standalone table first: rows of this month that went to the default partition move into it, then it is
    # attached (PostgreSQL refuses a new partition whose rows still sit in the default one).
    conn.execute(text(f"CREATE TABLE {name} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"))
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": DEFAULT_PARTITION}).scalar() is not None:
        conn.execute(text(f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE decided_at >= :lo AND decided_at < :hi "
                          f"RETURNING *) INSERT INTO {name} SELECT * FROM moved"), bounds)
    # The bound check ATTACH makes is then a scan of this month's rows only (a CHECK constraint would spare it).
    conn.execute(text(f"ALTER TABLE {TABLE} ATTACH PARTITION {name} "
                      f"FOR VALUES FROM ('{bounds['lo']:%Y-%m-%d}') TO ('{bounds['hi']:%Y-%m-%d}')"))
    return True


def ensure_default_partition(conn: Connection) -> bool:
    if conn.execute(text("SELECT to_regclass(:n)"), {"n": DEFAULT_PARTITION}).scalar() is not None:
        return False
    conn.execute(text(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT"))
    return True


def ensure_month_partitions(conn: Connection, today: dt.date, ahead: int = 3,
                            since: dt.date | None = None) -> list[str]:
    """Partitions from ``since`` (default: this month) to ``ahead`` months after ``today``; the names created."""
    if not is_partitioned(conn):
        return []
    created = []
    month = month_start(since or today)
    last = add_months(month_start(today), ahead)
    while month <= last:
        if create_month_partition(conn, month):
            created.append(partition_name(month))
        month = add_months(month, 1)
    if ensure_default_partition(conn):
        created.append(DEFAULT_PARTITION)
    return created


def apply_retention(conn: Connection, cutoff: dt.datetime, batch: int = DELETE_BATCH) -> dict[str, int]:
    """Remove decision-log rows decided before ``cutoff``: whole partitions on PostgreSQL, batches on SQLite.

    Returns ``{"partitionsDropped", "rowsDeleted"}`` (rows deleted outside
    dropped partitions). Month partitions that straddle the cut-off are kept
    whole until they fall entirely before it (retention is by month there).
    """
    dropped = deleted = 0
    if is_partitioned(conn):
        for p in list_partitions(conn):
            if p.month is not None and dt.datetime.combine(add_months(p.month, 1), dt.time()) <= cutoff:
                conn.execute(text(f"DROP TABLE {p.name}"))
                dropped += 1
        deleted += _delete_in_batches(conn, DEFAULT_PARTITION, cutoff, batch) \
            if conn.execute(text("SELECT to_regclass(:n)"), {"n": DEFAULT_PARTITION}).scalar() else 0
        return {"partitionsDropped": dropped, "rowsDeleted": deleted}
    deleted = _delete_in_batches(conn, TABLE, cutoff, batch)
    return {"partitionsDropped": 0, "rowsDeleted": deleted}


def _delete_in_batches(conn: Connection, table: str, cutoff: dt.datetime, batch: int) -> int:
    """Delete rows older than ``cutoff`` in windows of ``batch`` ids, oldest first.

    ids grow with time, so the old rows are the low ids: walk id windows from
    the smallest id and stop at the first window holding no old row (no index
    on ``decided_at`` is needed, and each statement touches at most ``batch``
    rows by primary key).
    """
    total = 0
    lo = conn.execute(text(f"SELECT MIN(id) FROM {table}")).scalar()
    while lo is not None:
        hi = lo + batch
        n = conn.execute(text(f"DELETE FROM {table} WHERE id >= :lo AND id < :hi AND decided_at < :cut"),
                         {"lo": lo, "hi": hi, "cut": cutoff}).rowcount or 0
        total += n
        if n == 0:
            break
        lo = conn.execute(text(f"SELECT MIN(id) FROM {table} WHERE id >= :hi"), {"hi": hi}).scalar()
    return total


__all__ = ["DEFAULT_PARTITION", "DELETE_BATCH", "Partition", "TABLE", "add_months", "apply_retention",
           "create_month_partition", "ensure_default_partition", "ensure_month_partitions", "is_partition_name",
           "is_partitioned", "list_partitions", "month_start", "partition_name"]
