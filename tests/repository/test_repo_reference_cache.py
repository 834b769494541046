"""The per-process cache of ocms_parameter and the offence rule codes (repository/reference_cache.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import event, insert, text

from repository import reference_cache
from repository.models import OffenceRuleCode, Parameter
from repository.queries import set_parameter


@pytest.fixture
def seeded(session_factory, engine):
    with session_factory() as s:
        s.execute(insert(Parameter), [{"parameter_id": "REVIVAL_DAYS", "code": "ANS", "value": "30"},
                                      {"parameter_id": "REVIVAL_DAYS", "code": "DBB", "value": "21"},
                                      {"parameter_id": "SUSPENSION", "code": "SOURCE", "value": "ocmsizmgr"}])
        s.execute(insert(OffenceRuleCode), [{"computer_rule_code": 10100, "rule_description": "x"}])
        s.commit()
    reference_cache.set_ttl(reference_cache.DEFAULT_TTL)
    yield session_factory
    reference_cache.set_ttl(reference_cache.DEFAULT_TTL)


@pytest.fixture
def selects(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    yield seen
    event.remove(engine, "before_cursor_execute", count)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_read_once_then_served_from_the_cache(seeded, selects):
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "30"
        filled = len(selects)
        assert filled == 2  # the parameters and the rule codes, once
    with seeded() as s:  # another session, another transaction: still no statement
        assert reference_cache.get_parameters(s, "REVIVAL_DAYS") == {"ANS": "30", "DBB": "21"}
        assert reference_cache.get_parameter(s, "NO_SUCH", "X", "dflt") == "dflt"
        assert reference_cache.rule_code_exists(s, 10100) and not reference_cache.rule_code_exists(s, 99999)
    assert len(selects) == filled


def test_a_write_in_this_process_is_seen_at_once(seeded):
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "30"
        set_parameter(s, "REVIVAL_DAYS", "ANS", "45")  # ORM flush
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "45"  # own transaction sees it
        s.commit()
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "45"
        s.execute(text("DELETE FROM ocms_offence_rule_code"))  # plain SQL too
        s.commit()
        assert not reference_cache.rule_code_exists(s, 10100)


def test_a_write_rolled_back_is_not_kept(seeded):
    with seeded() as s:
        set_parameter(s, "REVIVAL_DAYS", "ANS", "99")
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "99"  # cached from inside the transaction
        s.rollback()
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "30"


def test_another_process_change_is_seen_after_the_ttl(seeded, engine, monkeypatch):
    clock = Clock()
    monkeypatch.setattr(reference_cache, "time", clock)
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "30"
    raw = engine.raw_connection()  # the DBAPI connection itself: no SQLAlchemy event sees this write
    try:
        cur = raw.cursor()
        cur.execute("UPDATE ocms_parameter SET value = '60' WHERE parameter_id = 'REVIVAL_DAYS' AND code = 'ANS'")
        raw.commit()
    finally:
        raw.close()
    clock.now += reference_cache.DEFAULT_TTL - 0.5
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "30"  # within the TTL: cached
    clock.now += 1.0
    with seeded() as s:
        assert reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS") == "60"


def test_ttl_zero_never_caches(seeded, selects):
    reference_cache.set_ttl(0)
    with seeded() as s:
        reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS")
        reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS")
    assert len(selects) == 4


def test_a_statement_marked_with_a_leading_comment_keeps_the_cache(seeded):
    with seeded() as s:
        reference_cache.get_parameter(s, "REVIVAL_DAYS", "ANS")
        before = reference_cache.stats()["invalidations"]
        s.execute(text("/* notice-number counter */ UPDATE ocms_parameter SET value = value WHERE 1 = 0"))
        s.commit()
        assert reference_cache.stats()["invalidations"] == before
        s.execute(text("UPDATE ocms_parameter SET value = value WHERE 1 = 0"))
        s.commit()
        assert reference_cache.stats()["invalidations"] > before


@pytest.mark.parametrize("statement, writes", [
    ("INSERT INTO ocms_parameter (parameter_id) VALUES (1)", True),
    ("update OCMS_OFFENCE_RULE_CODE set x = 1", True),
    ("DELETE FROM ocms_parameter", True),
    ("TRUNCATE ocms_parameter", True),
    ("SELECT * FROM ocms_parameter", False),
    ("UPDATE ocms_valid_offence_notice SET x = 1", False),
    ("/* notice-number counter */ UPDATE ocms_parameter SET value = 1", False),
])
def test_which_statements_empty_the_cache(statement, writes):
    assert reference_cache._writes_reference(statement) is writes
