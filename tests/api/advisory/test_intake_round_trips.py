"""Database round trips of one intake (issue 16, intake throughput): what the persistence layer saves stays saved.

Counted with SQLAlchemy's ``before_cursor_execute`` on the app's engine (an executemany counts once), the
rules' own bookkeeping (``ocms_rules_*``) aside. The figures and the profile: bench/README.md.
"""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from repository.models import ESuspendedNotice, EValidOffenceNotice, SuspendedNotice, ValidOffenceNotice

from .test_intake import CES, REPCCS, an_app, ces_payload, history, payload, post, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("notice_day")

#: Statements of a qualified AN (pending notification, issue 12): the vehicle lock (PostgreSQL's advisory lock,
#: SQLite's write lock), one look-up (receipt, duplicate number, VIP list), one read of the vehicle's history (DBB
#: candidates and past-offence counts), then the writes. PostgreSQL: ONE statement (data-modifying CTEs: the notice
#: with its final values, detail, receipt, ocms_an_notification row, decision log, mirror upsert). SQLite: one flush
#: (notice, detail, receipt, AN notification row), the decision log, the mirror upsert. No savepoint.
#: It was 34 with PS-ANS at intake, 19 before the read-decide-write order.
MOST_FOR_AN = {"postgresql": 4, "sqlite": 9}


@pytest.fixture
def statements(an_app):
    from api.database import get_db
    from repository import reference_cache
    reference_cache.set_ttl(3600)  # a slow machine must not see the TTL run out between two posts
    engine = get_db(an_app).engine
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if "ocms_rules_" not in statement:
            seen.append(" ".join(statement.split()))
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)
    reference_cache.set_ttl(reference_cache.DEFAULT_TTL)


def _reads_of(seen: list[str], table: str) -> list[str]:
    return [s for s in seen if s.upper().startswith("SELECT") and f"FROM {table} " in s + " "]


def test_a_qualified_an_takes_few_statements(post, session, statements, an_app):
    from api.database import get_db
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    post(REPCCS, payload(noticeNo="500400001A", vehicleNo="SBZ9999Z"))  # warm: reference data cached
    statements.clear()
    r = post(REPCCS, payload())
    assert r.status_code == 200, r.get_json()
    dialect = get_db(an_app).engine.dialect.name
    assert len(statements) <= MOST_FOR_AN[dialect], "\n".join(statements)
    for table in ("ocms_parameter", "ocms_offence_rule_code", "eocms_valid_offence_notice", "eocms_suspended_notice",
                  "ocms_suspended_notice"):
        assert _reads_of(statements, table) == [], table  # cached, or not needed for a notice made here
    assert _reads_of(statements, "ocms_an_notification") == []  # the notice was made here: no row to look for
    # ... and the rows are what they should be: qualified, pending notification, no PS-ANS yet (it follows a
    # send, OCMS 10 §3.7), the mirror equal to the notice.
    from repository.models import AnNotification
    session.expire_all()
    n, m = session.get(ValidOffenceNotice, "500400058A"), session.get(EValidOffenceNotice, "500400058A")
    assert (n.an_flag, n.payment_acceptance_allowed, n.suspension_type) == ("Y", "N", None)
    assert {c: getattr(m, c) for c in m.__table__.columns.keys()} == {c: getattr(n, c) for c in m.__table__.columns.keys()}
    assert session.scalars(select(SuspendedNotice).filter_by(notice_no="500400058A")).all() == []
    assert session.scalars(select(ESuspendedNotice).filter_by(notice_no="500400058A")).all() == []
    (q,) = session.scalars(select(AnNotification).filter_by(notice_no="500400058A")).all()
    assert (q.status, q.step) == ("PENDING", "QUALIFIED")


def test_a_ces_rule_code_is_checked_from_the_cache(post, session, statements):
    post(CES, ces_payload(noticeNo="500400001A", vehicleNo="SBZ9999Z"))  # warm
    statements.clear()
    r = post(CES, ces_payload(computerRuleCode=99999))
    assert r.status_code == 226 and r.get_json()["data"]["message"] == "Invalid Offence Rule Code"
    assert _reads_of(statements, "ocms_offence_rule_code") == []


def test_a_rule_code_added_is_accepted_at_once(post, session, statements):
    from repository.models import OffenceRuleCode
    post(CES, ces_payload(noticeNo="500400001A", vehicleNo="SBZ9999Z"))  # warm: the codes cached
    session.add(OffenceRuleCode(computer_rule_code=99999, rule_description="new", cre_user_id="test"))
    session.commit()  # another engine of this process: the cache is emptied all the same
    r = post(CES, ces_payload(computerRuleCode=99999))
    assert r.status_code == 200, r.get_json()
