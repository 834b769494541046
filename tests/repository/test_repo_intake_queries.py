"""The intake's repository helpers: receipt, duplicate check and VIP list in one statement, notices created by a
transaction (no lock, suspensions counted in the session), the internet mirror by two upserts."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import event, insert, select

from repository.models import (
    ESuspendedNotice, EValidOffenceNotice, SuspendedNotice, ValidOffenceNotice, VipVehicle, WebhookReceipt,
)
from repository.queries import (
    copy_notice_to_mirror, intake_lookup, mark_notice_created, next_sr_no, notice_created_here,
)


@pytest.fixture
def statements(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE")):
            seen.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


def _receipt(**kw):
    row = {"source": "REPCCS", "transaction_id": "T1", "notice_no": "500400058A", "notice_no_generated": "N",
           "response_status": 200, "response_body": {"data": {"appCode": "OCMS-2000"}}, "cre_date": datetime(2026, 1, 15),
           "cre_user_id": "t"}
    row.update(kw)
    return row


@pytest.mark.parametrize("transaction_id, notice_no, want", [
    ("T1", "500400058A", (True, True)), ("T1", "500400099Z", (True, False)), ("T2", "500400058A", (False, True)),
    ("T2", "500400099Z", (False, False)), (None, "500400058A", (False, True)), (None, None, (False, False)),
    ("T1", None, (True, False)), ("T2", None, (False, False)),
])
@pytest.mark.parametrize("vehicle_no, vip", [("SVIP1A", "ACTIVE"), ("SVIP2B", "INACTIVE"), ("SBA1234A", None),
                                             ("S" * 40, None)])
def test_intake_lookup_in_one_statement(session, notice_row, statements, transaction_id, notice_no, want,
                                        vehicle_no, vip):
    session.execute(insert(ValidOffenceNotice), [notice_row("500400058A")])
    session.execute(insert(WebhookReceipt), [_receipt()])
    session.execute(insert(VipVehicle), [{"vehicle_no": "SVIP1A", "status": "ACTIVE"},
                                          {"vehicle_no": "SVIP2B", "status": "INACTIVE"}])
    session.commit()
    statements.clear()
    found = intake_lookup(session, "REPCCS", transaction_id, notice_no, vehicle_no)
    assert (found.receipt is not None, found.notice_taken) == want
    assert (found.vip_status, found.in_vip_list) == (vip, vip == "ACTIVE")
    assert len(statements) == 1
    if found.receipt is not None:
        assert (found.receipt.notice_no, found.receipt.response_status) == ("500400058A", 200)
    other = intake_lookup(session, "CES", transaction_id, notice_no, vehicle_no)  # another source's transaction ids
    assert other.receipt is None


def _suspension(notice_no, sr_no, reason="ANS"):
    return SuspendedNotice(notice_no=notice_no, date_of_suspension=datetime(2026, 1, 15, 9, sr_no), sr_no=sr_no,
                           suspension_type="PS", reason_of_suspension=reason)


def test_a_created_notice_numbers_its_suspensions_without_a_statement(session, notice_row, statements):
    session.add(ValidOffenceNotice(**notice_row("500400058A")))
    session.flush()
    mark_notice_created(session, "500400058A")
    assert notice_created_here(session, "500400058A") and not notice_created_here(session, "500400059B")
    statements.clear()
    assert next_sr_no(session, "500400058A") == 1
    session.add(_suspension("500400058A", 1))  # no reference kept: the session's identity map may drop it
    assert next_sr_no(session, "500400058A") == 2
    session.add(_suspension("500400058A", 2))
    session.flush()
    assert [s for s in statements if "ocms_suspended_notice" in s and s.lstrip().upper().startswith("SELECT")] == []
    assert not [s for s in statements if s.lstrip().upper().startswith("UPDATE")]  # no row lock either
    session.commit()
    assert not notice_created_here(session, "500400058A")  # only for the transaction that created it
    assert next_sr_no(session, "500400058A") == 3  # now from the database, as for any notice
    session.rollback()


def test_mirror_by_two_upserts_creates_then_follows_the_notice(session, notice_row, statements):
    session.execute(insert(ValidOffenceNotice), [notice_row("500400058A"), notice_row("500400059B")])
    session.add(_suspension("500400058A", 1))
    session.commit()
    statements.clear()
    assert copy_notice_to_mirror(session, "500400058A") == (1, 1)
    assert len(statements) == 2
    session.commit()
    m = session.get(EValidOffenceNotice, "500400058A")
    assert (m.vehicle_no, m.last_processing_stage) == ("SBA1234A", "RD1")
    assert [s.sr_no for s in session.scalars(select(ESuspendedNotice))] == [1]
    assert session.get(EValidOffenceNotice, "500400059B") is None  # only the notice asked for

    n = session.get(ValidOffenceNotice, "500400058A")
    n.last_processing_stage, n.an_flag = "RD2", "Y"
    session.get(SuspendedNotice, ("500400058A", datetime(2026, 1, 15, 9, 1), 1)).reason_of_suspension = "DBB"
    session.add(_suspension("500400058A", 2, "OLD"))
    session.commit()
    assert copy_notice_to_mirror(session, "500400058A") == (1, 2)  # a stale copy: updated, the missing one added
    session.commit()
    session.expire_all()
    m = session.get(EValidOffenceNotice, "500400058A")
    assert (m.last_processing_stage, m.an_flag) == ("RD2", "Y")
    assert [(s.sr_no, s.reason_of_suspension) for s in
            session.scalars(select(ESuspendedNotice).order_by(ESuspendedNotice.sr_no))] == [(1, "DBB"), (2, "OLD")]
    assert copy_notice_to_mirror(session, "500400058A") == (1, 2)  # again: same rows, nothing new
    assert session.scalar(select(ESuspendedNotice.sr_no).where(ESuspendedNotice.sr_no > 2)) is None


def test_mirror_of_no_such_notice_writes_nothing(session):
    assert copy_notice_to_mirror(session, "NOSUCH0001") == (0, 0)
    assert session.scalar(select(EValidOffenceNotice.notice_no)) is None
