"""insert_in_one_statement (PostgreSQL): the rows of a new notice, its decision log and its mirror in ONE statement."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from repository.models import (
    AnNotification, DecisionLog, ESuspendedNotice, EValidOffenceNotice, OffenceNoticeDetail, SuspendedNotice,
    ValidOffenceNotice,
)
from repository.queries import decision_log_values, insert_in_one_statement, row_of

T = datetime(2026, 1, 15, 10, 30)


@pytest.fixture
def pg_session(session):
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("insert_in_one_statement is PostgreSQL's (data-modifying CTEs); SQLite's intake flushes instead")
    return session


def _objects(no="500400058A"):
    notice = ValidOffenceNotice(notice_no=no, vehicle_no="SBA1234A", notice_date_and_time=T, offence_notice_type="O",
                                computer_rule_code=10100, composition_amount=Decimal("70.00"),
                                amount_payable=Decimal("70.00"), last_processing_stage="NPA", an_flag="Y")
    return [notice, OffenceNoticeDetail(notice_no=no, cre_user_id="t"),
            SuspendedNotice(notice_no=no, date_of_suspension=T, sr_no=1, suspension_type="PS",
                            reason_of_suspension="DBB"),
            SuspendedNotice(notice_no=no, date_of_suspension=T, sr_no=2, suspension_type="TS",
                            reason_of_suspension="OLD"),
            AnNotification(notice_no=no, cre_user_id="t")]


def test_every_row_in_one_statement_children_beside_their_notice(pg_session, engine):
    s = pg_session
    objects = _objects()
    rows = [row_of(o) for o in objects]  # the notice first, but the statement's parts run in no set order
    logs = decision_log_values([{"ruleset": r, "subject": "500400058A", "facts": {"n": i}, "fired_rules": [r]}
                                for i, r in enumerate(["vehicle_type", "stage_map", "double_booking"])])
    rows += [(DecisionLog.__table__, r) for r in logs]
    mirrors = [(EValidOffenceNotice.__table__, {c.key: rows[0][1][c.key] for c in EValidOffenceNotice.__table__.columns})]
    mirrors += [(ESuspendedNotice.__table__, r) for t, r in rows if t is SuspendedNotice.__table__]
    seen = []

    def count(*args):
        seen.append(1)
    event.listen(engine, "before_cursor_execute", count)
    try:
        insert_in_one_statement(s, rows, mirrors)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(seen) == 1
    s.commit()
    n, m = s.get(ValidOffenceNotice, "500400058A"), s.get(EValidOffenceNotice, "500400058A")
    cols = EValidOffenceNotice.__table__.columns.keys()
    assert {c: getattr(m, c) for c in cols} == {c: getattr(n, c) for c in cols}
    assert (n.an_flag, n.payment_acceptance_allowed, n.cre_user_id) == ("Y", None, "ocmsiz_app_conn")  # defaults
    assert [x.reason_of_suspension for x in s.scalars(select(ESuspendedNotice).order_by(ESuspendedNotice.sr_no))] == \
        ["DBB", "OLD"]
    (a,) = s.scalars(select(AnNotification)).all()
    assert (a.status, a.step, a.attempts, a.ps_ans_applied) == ("PENDING", "QUALIFIED", 0, "N")  # column defaults
    logged = s.scalars(select(DecisionLog).order_by(DecisionLog.id)).all()
    assert [(d.ruleset, d.facts, d.dry_run) for d in logged] == [
        ("vehicle_type", {"n": 0}, False), ("stage_map", {"n": 1}, False), ("double_booking", {"n": 2}, False)]
    assert s.get(OffenceNoticeDetail, "500400058A") is not None


def test_a_key_clash_writes_nothing(pg_session):
    s = pg_session
    insert_in_one_statement(s, [row_of(_objects()[0])])
    s.commit()
    rows = [row_of(o) for o in _objects()[1:]] + [row_of(_objects()[0])]  # the notice again: its key clashes
    with pytest.raises(IntegrityError):
        insert_in_one_statement(s, rows)
    s.rollback()
    assert s.scalars(select(OffenceNoticeDetail)).all() == [] and s.scalars(select(SuspendedNotice)).all() == []
