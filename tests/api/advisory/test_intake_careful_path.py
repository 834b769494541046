"""The intake's usual path has no savepoint; when its one-statement reads or its mirror write fail, the
transaction is rolled back and the intake runs again the careful way (api/advisory/intake.py, _History).

The faults are real failing SQL statements on the database under test, put where the usual path runs them;
the careful path's own statements are left working, so what it writes can be checked whole.
"""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import select, text

import api.advisory.intake as intake
from repository.models import (
    AnNotification, DecisionLog, EValidOffenceNotice, ManualReviewQueue, OffenceNoticeDetail, ValidOffenceNotice,
)

from tests.api.notifications.conftest import notifier  # noqa: F401  (fixture: the an-notifications job)

from .test_intake import REPCCS, an_app, count, history, payload, post, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("notice_day")


def _failing(*args, **kwargs):
    session_ = args[0]
    session_.execute(text("SELECT * FROM no_such_table"))  # aborts the transaction on PostgreSQL


@pytest.fixture
def calls(monkeypatch):
    seen: list[str] = []

    def broken(name):
        def run(*args, **kwargs):
            seen.append(name)
            return _failing(*args, **kwargs)
        return run
    return seen, lambda name: monkeypatch.setattr(intake, name, broken(name))


def _write_step(an_app) -> str:
    """The usual path's last write: on PostgreSQL all rows and the mirror in one statement, else the mirror upsert."""
    from api.database import get_db
    return ("insert_in_one_statement" if get_db(an_app).engine.dialect.name == "postgresql"
            else "copy_notice_to_mirror")


def _whole(session, notice_no):
    """The notice, its detail and mirror (equal), its decisions - each once."""
    session.expire_all()
    n = session.get(ValidOffenceNotice, notice_no)
    m = session.get(EValidOffenceNotice, notice_no)
    assert n is not None and session.get(OffenceNoticeDetail, notice_no) is not None
    cols = m.__table__.columns.keys()
    assert {c: getattr(m, c) for c in cols} == {c: getattr(n, c) for c in cols}
    logs = session.scalars(select(DecisionLog).filter_by(subject=notice_no).order_by(DecisionLog.id)).all()
    assert [d.ruleset for d in logs] == ["vehicle_type", "stage_map", "double_booking", "an_qualification",
                                        "vip_notice"]
    return n, logs


def test_history_read_failing_runs_the_careful_path(post, session, calls, caplog):
    seen, break_ = calls
    break_("vehicle_history")
    history(session, "SBA1234A", "2025-06-01T10:00:00")  # one past offence: qualifies (BR-AN-QUAL-002)
    session.commit()
    with caplog.at_level(logging.WARNING, logger="api.advisory.intake"):
        r = post(REPCCS, payload(transactionId="TXN-CAREFUL-1"))
    assert r.status_code == 200, r.get_json()
    assert seen == ["vehicle_history"]  # the usual path once; the careful path queries on its own
    assert any("careful path" in m for m in caplog.messages)
    n, logs = _whole(session, "500400058A")
    assert n.an_flag == "Y" and logs[3].facts["past_offences_24m"] == 1 and logs[3].outcome == "QUALIFIED"
    assert count(session, AnNotification) == 1 and count(session, ValidOffenceNotice) == 2  # history + this one
    # The repeat finds the careful path's receipt: nothing more is written.
    assert post(REPCCS, payload(transactionId="TXN-CAREFUL-1")).status_code == 400
    assert count(session, ValidOffenceNotice) == 2


def test_mirror_write_failing_runs_the_careful_path(post, session, calls, an_app):
    seen, break_ = calls
    break_(_write_step(an_app))
    r = post(REPCCS, payload())
    assert r.status_code == 200, r.get_json()
    assert seen == [_write_step(an_app)]
    _whole(session, "500400058A")  # the careful path's mirror writer copied it
    assert session.scalars(select(ManualReviewQueue)).all() == []
    assert count(session, DecisionLog) == 5  # the rolled-back try left nothing


def test_a_mirror_down_for_both_paths_is_queued_and_the_notice_still_created(post, session, calls, monkeypatch,
                                                                            an_app):
    import api.advisory.mirror as mirror
    seen, break_ = calls
    break_(_write_step(an_app))
    monkeypatch.setattr(mirror, "copy_notice_to_mirror", lambda *a, **k: (seen.append("careful"), _failing(*a))[1])
    r = post(REPCCS, payload())
    assert r.status_code == 200, r.get_json()
    assert seen == [_write_step(an_app), "careful"]
    session.expire_all()
    assert session.get(ValidOffenceNotice, "500400058A") is not None
    assert session.get(EValidOffenceNotice, "500400058A") is None
    (q,) = session.scalars(select(ManualReviewQueue)).all()
    assert (q.notice_no, q.review_type, q.status) == ("500400058A", "MIRROR_SYNC", "OPEN")
    assert count(session, DecisionLog) == 5


def test_the_failed_history_read_counts_as_the_first_dbb_try(post, session, calls, monkeypatch, an_app):
    """A database that keeps failing costs three DBB tries in all (BR-AN-DUP-002), not three more after the read."""
    import api.advisory.double_booking as double_booking
    from api.advisory.routes import intake_deps
    seen, break_ = calls
    break_("vehicle_history")
    tries = []

    def failing_query(session_, notice, within):
        tries.append(notice.notice_no)
        session_.execute(text("SELECT * FROM no_such_table"))
    # The standard query, failing: the usual path is still taken (it needs the standard query).
    monkeypatch.setattr(double_booking, "find_candidates", failing_query)
    with an_app.app_context():
        monkeypatch.setattr(intake_deps(), "dbb_query", failing_query)
    r = post(REPCCS, payload())
    assert r.status_code == 200, r.get_json()
    assert seen == ["vehicle_history"] and tries == ["500400058A"] * 2  # 1 + 2 = ATTEMPTS
    session.expire_all()
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.suspension_type, n.epr_reason_of_suspension) == ("TS", "OLD")  # the fallback, as after three failures
