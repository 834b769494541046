"""Decision-log growth (issue 16): the read uses the subject index; monthly partitions; the retention job.

On PostgreSQL the table is partitioned by month (migration 0002); on SQLite it
is a plain table. Both run every test here that applies to them; the plan
checks read the planner's own output (EXPLAIN) for the query
``GET /v1/decision-log`` runs.
"""
from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, insert, select, text

from api.jobs import run_job
from repository import partitions
from repository.models import DecisionLog, Parameter
from repository.queries import decisions_for_subject

JOB = "decision-log-maintenance"


def subject_query(session, subject="500400058A", ruleset=None):
    """The statement decisions_for_subject runs, with its parameters inlined for EXPLAIN."""
    captured = {}
    from sqlalchemy import event

    def grab(conn, cursor, statement, parameters, context, executemany):
        captured["sql"], captured["params"] = statement, parameters
    event.listen(session.get_bind(), "before_cursor_execute", grab)
    try:
        decisions_for_subject(session, subject, ruleset=ruleset, limit=100)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", grab)
    return captured["sql"], captured["params"]


def plan_nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from plan_nodes(child)


def rows(db, n_subjects: int, per_subject: int = 5, when: dt.datetime | None = None) -> None:
    when = when or dt.datetime.now().replace(microsecond=0)
    with db.unit_of_work() as uow:
        uow.session.execute(insert(DecisionLog), [
            {"decided_at": when - dt.timedelta(seconds=i), "ruleset": "an_qualification", "subject": f"S{s:09d}",
             "outcome": "QUALIFIED", "dry_run": False}
            for s in range(n_subjects) for i in range(per_subject)])
        uow.commit()


@pytest.mark.parametrize("ruleset", [None, "an_qualification"])
def test_the_decision_log_read_uses_the_subject_index_without_a_sort(db, ruleset):
    rows(db, 200)
    with db.session() as s:
        sql, params = subject_query(s, "S000000042", ruleset)
        if db.engine.dialect.name == "postgresql":
            # A small table: the planner would rather read it all and sort. Forbid those to see whether the index
            # can answer — with sorts forbidden too, a Sort left in the plan would mean it cannot give the order.
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                s.execute(text(f"SET LOCAL {setting} = off"))
            [[explained]] = s.connection().exec_driver_sql("EXPLAIN (FORMAT JSON) " + sql, params).all()
            plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
            nodes = list(plan_nodes(plan))
            scans = [n for n in nodes if "Scan" in n["Node Type"]]
            assert scans and all(n["Node Type"] in ("Index Scan", "Index Only Scan") for n in scans), nodes
            assert all("subject" in n["Index Name"] for n in scans), [n.get("Index Name") for n in scans]
            assert all(n["Relation Name"].startswith("ocms_decision_log_") for n in scans)  # the partitions
            assert not [n for n in nodes if n["Node Type"] == "Sort"]      # order comes from the index
        else:
            detail = " | ".join(r[-1] for r in s.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params))
            assert "USING INDEX ix_ocms_decision_log_subject" in detail, detail
            assert "TEMP B-TREE" not in detail, detail                      # no sort step
        found = decisions_for_subject(s, "S000000042", ruleset=ruleset)
        assert [r.subject for r in found] == ["S000000042"] * 5
        assert [r.decided_at for r in found] == sorted((r.decided_at for r in found), reverse=True)


def month(offset: int) -> dt.date:
    return partitions.add_months(partitions.month_start(dt.date.today()), offset)


def test_the_job_creates_the_coming_months_and_moves_strays_out_of_the_default(db, time_machine):
    from zoneinfo import ZoneInfo
    job_day = month(4)
    stray = dt.datetime.combine(month(6), dt.time(12))          # beyond the partitions the migration made
    expected = [partitions.partition_name(month(k)) for k in range(0, 8)]   # this month .. job day + 3 months
    stray_partition = partitions.partition_name(month(6))
    rows(db, 1, 2, when=stray)
    # The job runs on its day (a run key after today is refused): the clock is moved there.
    time_machine.move_to(dt.datetime.combine(job_day, dt.time(12), tzinfo=ZoneInfo("Asia/Singapore")))
    outcome = run_job(db, JOB, job_day.isoformat())
    assert outcome["status"] == "SUCCESS", outcome
    with db.engine.connect() as c:
        if db.engine.dialect.name != "postgresql":
            assert outcome["counts"]["partitioned"] is False
            return
        names = [p.name for p in partitions.list_partitions(c)]
        for name in expected:
            assert name in names, names
        where = c.execute(text("SELECT DISTINCT tableoid::regclass::text FROM ocms_decision_log "
                               "WHERE decided_at = :t"), {"t": stray}).scalars().all()
        assert where == [stray_partition]                          # moved out of the default partition
    again = run_job(db, JOB, job_day.isoformat(), force=True)
    assert again["counts"]["partitionsCreated"] == 0               # idempotent


def test_retention_drops_old_months_and_keeps_the_rest(db):
    today = dt.date.today()
    old = dt.datetime.combine(partitions.add_months(month(0), -30), dt.time(9))   # 30 months ago
    older = dt.datetime.combine(partitions.add_months(month(0), -40), dt.time(9))  # no partition: default
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as c:
            partitions.create_month_partition(c, old.date())
    rows(db, 3, 2, when=old)
    rows(db, 2, 2, when=older)
    rows(db, 4, 1)                                                  # today's
    with db.unit_of_work() as uow:
        uow.session.merge(Parameter(parameter_id="RETENTION_DAYS", code="DECISION_LOG", value="365",
                                    description="test", cre_user_id="test"))
        uow.commit()
    outcome = run_job(db, JOB, today.isoformat())
    assert outcome["status"] == "SUCCESS", outcome
    counts = outcome["counts"]
    with db.session() as s:
        left = s.scalars(select(DecisionLog.decided_at)).all()
    assert len(left) == 4 and all(d.date() >= today - dt.timedelta(days=1) for d in left)
    if db.engine.dialect.name == "postgresql":
        assert counts["partitionsDropped"] == 1 and counts["rowsDeleted"] == 4   # 30 months: dropped; 40: deleted
        with db.engine.connect() as c:
            assert partitions.partition_name(old.date()) not in [p.name for p in partitions.list_partitions(c)]
    else:
        assert counts["partitionsDropped"] == 0 and counts["rowsDeleted"] == 10


def test_retention_zero_keeps_everything(db):
    rows(db, 2, 2, when=dt.datetime(2001, 1, 1))
    with db.unit_of_work() as uow:
        uow.session.merge(Parameter(parameter_id="RETENTION_DAYS", code="DECISION_LOG", value="0",
                                    description="test", cre_user_id="test"))
        uow.commit()
    outcome = run_job(db, JOB, dt.date.today().isoformat())
    assert outcome["counts"]["retentionDays"] is None and outcome["counts"]["rowsDeleted"] == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionLog)) == 4


def test_batched_deletes_walk_id_windows(db):
    rows(db, 10, 3, when=dt.datetime(2001, 1, 1))                   # 30 old rows
    rows(db, 2, 1)                                                  # 2 new rows
    with db.engine.begin() as c:
        table = partitions.DEFAULT_PARTITION if partitions.is_partitioned(c) else partitions.TABLE
        deleted = partitions._delete_in_batches(c, table, dt.datetime(2020, 1, 1), batch=4)
    assert deleted == 30
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionLog)) == 2


def test_partition_names_are_not_model_tables():
    assert partitions.is_partition_name("ocms_decision_log_y2026m01")
    assert partitions.is_partition_name("ocms_decision_log_default")
    assert not partitions.is_partition_name("ocms_decision_log")
    assert not partitions.is_partition_name("ocms_decision_log_y2026m1")
