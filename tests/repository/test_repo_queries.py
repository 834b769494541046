"""Query functions of repository.queries, on the database under test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, insert

from repository.models import JOB_FAILED, JOB_RUNNING, JOB_SUCCESS, DecisionLog, SuspendedNotice
from repository.queries import (
    bump_rules_state,
    count_past_offences,
    decisions_for_subject,
    finish_job_run,
    get_int_parameter,
    get_notice,
    get_notices,
    get_parameter,
    get_parameters,
    get_rules_generation,
    get_rules_state,
    job_run_succeeded,
    last_job_run,
    log_decisions,
    next_sr_no,
    next_sr_nos,
    past_offence_counts,
    set_parameter,
    start_job_run,
)


class StatementCounter:
    """Count the SELECT statements an engine runs while active."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            self.count += 1


# -- notices ---------------------------------------------------------------

def test_get_notice(session, add_notices):
    add_notices({"notice_no": "500400058A", "crs_reason_of_suspension": "FP"})
    notice = get_notice(session, "500400058A")
    assert notice is not None and notice.crs_reason_of_suspension == "FP"
    assert get_notice(session, "999999999Z") is None


def test_get_notices_in_input_order_skipping_missing(session, add_notices):
    add_notices(*({"notice_no": f"5004000{i:02d}A"} for i in range(5)))
    found = get_notices(session, ["500400003A", "NOPE", "500400001A", "500400003A"])
    assert list(found) == ["500400003A", "500400001A"]
    assert found["500400001A"].notice_no == "500400001A"


def test_get_notices_chunks_the_in_list(session, add_notices, engine):
    numbers = add_notices(*({"notice_no": f"50{i:07d}A"} for i in range(25)))
    session.expunge_all()
    with StatementCounter(engine) as counter:
        found = get_notices(session, numbers, chunk_size=10)
    assert len(found) == 25
    assert counter.count == 3  # 10 + 10 + 5, never one query per notice


def test_get_notices_empty_input_runs_no_query(session, engine):
    with StatementCounter(engine) as counter:
        assert get_notices(session, []) == {}
    assert counter.count == 0


def test_count_past_offences_window_is_half_open(session, add_notices):
    base = datetime(2026, 1, 15, 10, 0)
    add_notices(
        {"notice_no": "A000000001", "notice_date_and_time": base - timedelta(days=730)},  # == from: in
        {"notice_no": "A000000002", "notice_date_and_time": base - timedelta(days=731)},  # before: out
        {"notice_no": "A000000003", "notice_date_and_time": base - timedelta(days=10)},   # in
        {"notice_no": "A000000004", "notice_date_and_time": base},                        # == to: out
        {"notice_no": "A000000005", "notice_date_and_time": base - timedelta(days=5),
         "vehicle_no": "SOTHER1A"},                                                        # other vehicle
    )
    start = base - timedelta(days=730)
    assert count_past_offences(session, "SBA1234A", start, base) == 2
    assert count_past_offences(session, "SBA1234A", start, base, exclude_notice_no="A000000003") == 1
    assert count_past_offences(session, "SNOBODY1", start, base) == 0


def test_count_past_offences_with_ps_reasons(session, add_notices):
    base = datetime(2026, 1, 15)
    add_notices(
        {"notice_no": "A000000001", "notice_date_and_time": base - timedelta(days=30),
         "suspension_type": "PS", "epr_reason_of_suspension": "ANS"},
        {"notice_no": "A000000002", "notice_date_and_time": base - timedelta(days=20),
         "suspension_type": "PS", "epr_reason_of_suspension": "DBB"},
        {"notice_no": "A000000003", "notice_date_and_time": base - timedelta(days=10)},
    )
    start = base - timedelta(days=730)
    assert count_past_offences(session, "SBA1234A", start, base) == 3
    assert count_past_offences(session, "SBA1234A", start, base, ps_reasons=["ANS"]) == 1
    assert count_past_offences(session, "SBA1234A", start, base, ps_reasons=[]) == 0


def test_past_offence_counts_groups_by_vehicle(session, add_notices):
    base = datetime(2026, 1, 15)
    add_notices(
        {"notice_no": "A000000001", "vehicle_no": "SAA1A", "notice_date_and_time": base - timedelta(days=1)},
        {"notice_no": "A000000002", "vehicle_no": "SAA1A", "notice_date_and_time": base - timedelta(days=2)},
        {"notice_no": "A000000003", "vehicle_no": "SBB2B", "notice_date_and_time": base - timedelta(days=3)},
        {"notice_no": "A000000004", "vehicle_no": "SBB2B", "notice_date_and_time": base + timedelta(days=3)},
    )
    counts = past_offence_counts(session, ["SAA1A", "SBB2B", "SCC3C"], base - timedelta(days=730), base)
    assert counts == {"SAA1A": 2, "SBB2B": 1, "SCC3C": 0}


# -- suspensions -----------------------------------------------------------

def suspension(notice_no: str, sr_no: int, when: datetime) -> dict:
    return {"notice_no": notice_no, "date_of_suspension": when, "sr_no": sr_no,
            "suspension_type": "TS", "reason_of_suspension": "APP"}


def test_next_sr_no(session, add_notices):
    add_notices({"notice_no": "A000000001"}, {"notice_no": "A000000002"})
    assert next_sr_no(session, "A000000001") == 1
    session.execute(insert(SuspendedNotice), [
        suspension("A000000001", 1, datetime(2026, 1, 1)),
        suspension("A000000001", 2, datetime(2026, 1, 2)),
    ])
    assert next_sr_no(session, "A000000001") == 3
    assert next_sr_no(session, "A000000002") == 1
    assert next_sr_nos(session, ["A000000002", "A000000001"]) == {"A000000002": 1, "A000000001": 3}


def test_suspension_key_rejects_duplicates(session, add_notices):
    from sqlalchemy.exc import IntegrityError

    add_notices({"notice_no": "A000000001"})
    row = suspension("A000000001", 1, datetime(2026, 1, 1))
    session.execute(insert(SuspendedNotice), [row])
    with pytest.raises(IntegrityError):
        session.execute(insert(SuspendedNotice), [row])
        session.flush()


# -- decision log ----------------------------------------------------------

def decision(subject: str, outcome: str, at: datetime, **extra) -> dict:
    row = {"subject": subject, "ruleset": "an_qualification", "ruleset_version": "1.2.0",
           "ruleset_hash": "ab" * 32, "outcome": outcome, "decided_at": at,
           "facts": {"offence_notice_type": "O", "past_offences_24m": 2},
           "fired_rules": ["BR-AN-QUAL-002"], "actions": [{"name": "suspend", "params": {"reason": "ANS"}}]}
    row.update(extra)
    return row


def test_log_decisions_and_read_back_newest_first(session):
    t0 = datetime(2026, 1, 15, 9, 0)
    inserted = log_decisions(session, [
        decision("500400058A", "NOT_QUALIFIED", t0),
        decision("500400058A", "QUALIFIED", t0 + timedelta(minutes=5), request_id="req-1", caller="REPCCS"),
        decision("500400059B", "QUALIFIED", t0),
        decision("500400058A", "OK", t0 + timedelta(minutes=1), ruleset="stage_map"),
    ])
    session.commit()
    session.expunge_all()
    assert inserted == 4
    rows = decisions_for_subject(session, "500400058A")
    assert [r.outcome for r in rows] == ["QUALIFIED", "OK", "NOT_QUALIFIED"]
    newest = rows[0]
    assert newest.request_id == "req-1" and newest.dry_run is False
    assert newest.facts == {"offence_notice_type": "O", "past_offences_24m": 2}
    assert newest.fired_rules == ["BR-AN-QUAL-002"]
    assert newest.actions[0]["params"]["reason"] == "ANS"
    only = decisions_for_subject(session, "500400058A", ruleset="stage_map")
    assert [r.outcome for r in only] == ["OK"]
    assert len(decisions_for_subject(session, "500400058A", limit=1)) == 1


def test_log_decisions_defaults_and_validation(session):
    assert log_decisions(session, []) == 0
    log_decisions(session, [{"ruleset": "cas_court_check", "subject": "X1", "dry_run": 1}])
    row = session.query(DecisionLog).one()
    assert row.decided_at is not None and row.dry_run is True and row.facts is None
    with pytest.raises(ValueError, match="unknown decision log field"):
        log_decisions(session, [{"ruleset": "x", "bogus": 1}])
    with pytest.raises(ValueError, match="needs a ruleset"):
        log_decisions(session, [{"subject": "X"}])


# -- parameters ------------------------------------------------------------

def test_parameters_get_set(session):
    assert get_parameter(session, "NEXT_STAGE", "RD1") is None
    assert get_parameter(session, "NEXT_STAGE", "RD1", default="?") == "?"
    set_parameter(session, "NEXT_STAGE", "RD1", "RD2", description="after RD1")
    set_parameter(session, "NEXT_STAGE", "RD2", "RR3")
    set_parameter(session, "STAGEDAYS", "RD1", 21)
    session.commit()
    assert get_parameter(session, "NEXT_STAGE", "RD1") == "RD2"
    assert get_parameters(session, "NEXT_STAGE") == {"RD1": "RD2", "RD2": "RR3"}
    assert get_int_parameter(session, "STAGEDAYS", "RD1") == 21
    assert get_int_parameter(session, "STAGEDAYS", "XXX", default=7) == 7
    row = set_parameter(session, "NEXT_STAGE", "RD1", "RR3", user_id="analyst1")
    assert row.upd_user_id == "analyst1" and row.description == "after RD1"
    assert get_parameter(session, "NEXT_STAGE", "RD1") == "RR3"
    set_parameter(session, "STAGEDAYS", "RD2", "three weeks")
    with pytest.raises(ValueError, match="not an integer"):
        get_int_parameter(session, "STAGEDAYS", "RD2")


# -- batch job runs ---------------------------------------------------------

def test_job_run_start_finish(session):
    run = start_job_run(session, "ts_clv", "2026-01-15")
    assert run.id is not None and run.status == JOB_RUNNING and run.finished_at is None
    assert not job_run_succeeded(session, "ts_clv", "2026-01-15")
    finish_job_run(session, run.id, JOB_SUCCESS, counts={"suspended": 12})
    session.commit()
    session.expunge_all()
    last = last_job_run(session, "ts_clv", "2026-01-15")
    assert last.status == JOB_SUCCESS and last.counts == {"suspended": 12} and last.finished_at is not None
    assert job_run_succeeded(session, "ts_clv", "2026-01-15")
    assert not job_run_succeeded(session, "ts_clv", "2026-01-16")


def test_last_job_run_is_the_latest(session):
    first = start_job_run(session, "an_letters", "2026-01-15")
    finish_job_run(session, first, JOB_FAILED, error_message="SFTP down")
    second = start_job_run(session, "an_letters", "2026-01-15")
    session.flush()
    assert last_job_run(session, "an_letters").id == second.id
    assert last_job_run(session, "nothing") is None
    with pytest.raises(ValueError):
        finish_job_run(session, second, JOB_RUNNING)
    with pytest.raises(LookupError):
        finish_job_run(session, 987654, JOB_SUCCESS)


# -- rules state -----------------------------------------------------------

def test_rules_state_bump(session):
    assert get_rules_state(session) is None
    assert get_rules_generation(session) == 0
    assert bump_rules_state(session, "hash-1", updated_by="analyst") == 1
    session.commit()
    state = get_rules_state(session)
    assert (state.dir_hash, state.generation, state.updated_by) == ("hash-1", 1, "analyst")
    assert bump_rules_state(session, "hash-2") == 2
    session.commit()
    state = get_rules_state(session)
    assert (state.dir_hash, state.generation) == ("hash-2", 2)
    assert get_rules_generation(session) == 2


def test_rules_state_seen_by_other_sessions(session_factory):
    with session_factory() as a:
        bump_rules_state(a, "h1")
        a.commit()
    with session_factory() as b:
        assert bump_rules_state(b, "h2") == 2
        b.commit()
    with session_factory() as c:
        assert get_rules_generation(c) == 2
