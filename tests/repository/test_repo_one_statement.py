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


# ---- row_of writes what the ORM writes -------------------------------------------------------------------------
def _with_explicit_nones(no="500400059A"):
    """New objects given None for columns that have a default (the ORM then writes the default) or a serial key."""
    return [
        ValidOffenceNotice(notice_no=no, vehicle_no="SBA1234A", notice_date_and_time=T, offence_notice_type="O",
                           computer_rule_code=10100, composition_amount=Decimal("70.00"), cre_user_id=None,
                           cre_date=None),
        OffenceNoticeDetail(notice_no=no, cre_user_id=None),
        AnNotification(id=None, notice_no=no, status=None, step=None, ps_ans_applied=None, attempts=None,
                       cre_user_id=None),
        DecisionLog(id=None, ruleset="vehicle_type", subject=no, decided_at=T, dry_run=None, facts=None),
    ]


def _written(s, model, no):
    s.expire_all()
    obj = s.scalars(select(model).filter_by(**({"subject": no} if model is DecisionLog else {"notice_no": no}))).one()
    return {c.key: getattr(obj, c.key) for c in model.__table__.columns if c is not model.__table__.autoincrement_column}


def test_row_of_gives_the_default_where_the_orm_does_for_an_explicit_none(session):
    """An attribute set to None on a column with a default: the ORM leaves it out, so the default applies."""
    s = session
    expected = {}
    for obj in _with_explicit_nones():
        table, row = row_of(obj)
        expected[type(obj)] = (table, row)
        s.add(obj)
        s.flush()  # one by one: the notice first
    s.commit()
    for model, (table, row) in expected.items():
        written = _written(s, model, "500400059A")
        assert table.autoincrement_column is None or table.autoincrement_column.key not in row, model
        got = {k: v for k, v in row.items() if k in written}
        for k in ("cre_date",):  # the clock's value: set, not None
            if k in written:
                assert got.pop(k) is not None and written.pop(k) is not None
        assert got == written, model


def test_explicit_nones_in_one_statement_as_the_orm_writes_them(pg_session):
    s = pg_session
    insert_in_one_statement(s, [row_of(o) for o in _with_explicit_nones()])
    s.commit()
    n = s.get(ValidOffenceNotice, "500400059A")
    assert n.cre_user_id == "ocmsiz_app_conn" and n.cre_date is not None
    (a,) = s.scalars(select(AnNotification)).all()
    assert (a.status, a.step, a.attempts, a.ps_ans_applied, a.cre_user_id) == \
        ("PENDING", "QUALIFIED", 0, "N", "ocmsiz_app_conn")
    (d,) = s.scalars(select(DecisionLog)).all()
    assert d.dry_run is False and d.facts is None


def test_none_for_a_type_that_stores_none_is_written_as_core_writes_it(pg_session):
    """JSON(none_as_null=False): None is JSON null, not SQL NULL (Core and the ORM call its processor with None)."""
    from sqlalchemy import JSON, Column, Integer, MetaData, Table, insert, text
    s = pg_session
    t = Table("tmp_one_statement_json", MetaData(), Column("id", Integer, primary_key=True, autoincrement=False),
              Column("j", JSON(none_as_null=False)), prefixes=["TEMPORARY"])
    t.create(s.connection())
    insert_in_one_statement(s, [(t, {"id": 1, "j": None})])
    s.execute(insert(t), [{"id": 2, "j": None}])  # Core's answer
    assert s.execute(text("SELECT id, j IS NULL, j::text FROM tmp_one_statement_json ORDER BY id")).all() == \
        [(1, False, "null"), (2, False, "null")]
    s.rollback()
