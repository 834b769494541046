"""apply_actions against the database: set_notice_fields, suspend (sr_no sequential), the recorded actions."""
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from engine import Action
from repository.models import (
    ESuspendedNotice, EValidOffenceNotice, ManualReviewQueue, Parameter, SuspendedNotice, ValidOffenceNotice,
)

NOTICE = {
    "notice_no": "500400058A", "vehicle_no": "SBA1234A", "notice_date_and_time": datetime(2026, 1, 15, 10, 30),
    "offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
    "composition_amount": Decimal("50.00"), "last_processing_stage": "NPA",
}


@pytest.fixture
def notice(db):
    """One notice (intranet only: the mirror is created on first change) and the revival parameter."""
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), [NOTICE])
        uow.session.execute(insert(Parameter), [{"parameter_id": "REVIVAL_DAYS", "code": "ANS", "value": "30"}])
        uow.commit()
    return NOTICE["notice_no"]


def apply(db, notice_no, *actions):
    from api.decisions.apply import apply_actions
    with db.unit_of_work() as uow:
        result = apply_actions(uow, notice_no, list(actions))
        uow.commit()
    return result


def test_set_notice_fields_updates_notice_and_mirror(db, notice):
    result = apply(db, notice, Action("set_notice_fields", {"an_flag": "Y", "payment_acceptance_allowed": "N"}))
    assert result.applied == [{"action": "set_notice_fields", "fields": ["an_flag", "payment_acceptance_allowed"]}]
    with db.session() as s:
        for model in (ValidOffenceNotice, EValidOffenceNotice):
            row = s.get(model, notice)
            assert (row.an_flag, row.payment_acceptance_allowed) == ("Y", "N"), model
            assert row.upd_user_id == "ocmsiz_app_conn"
        assert s.get(EValidOffenceNotice, notice).vehicle_no == "SBA1234A"


def test_set_notice_fields_refuses_unknown_and_key_columns(db, notice):
    from api.decisions.apply import ApplyError, apply_actions
    for params in ({"no_such_column": 1}, {"notice_no": "X"}):
        with db.unit_of_work() as uow, pytest.raises(ApplyError):
            apply_actions(uow, notice, [Action("set_notice_fields", params)])


def test_suspend_inserts_sequential_suspensions_and_updates_the_notice(db, notice):
    first = apply(db, notice, Action("suspend", {"suspension_type": "PS", "reason": "ANS"}))
    second = apply(db, notice, Action("suspend", {"suspension_type": "TS", "reason": "OLD", "revival_days": 21}))
    assert [first.applied[0]["srNo"], second.applied[0]["srNo"]] == [1, 2]
    with db.session() as s:
        rows = s.scalars(select(SuspendedNotice).order_by(SuspendedNotice.sr_no)).all()
        assert [(r.sr_no, r.suspension_type, r.reason_of_suspension) for r in rows] == [(1, "PS", "ANS"),
                                                                                      (2, "TS", "OLD")]
        ans = rows[0]
        assert ans.due_date_of_revival - ans.date_of_suspension == timedelta(days=30)  # from ocms_parameter
        assert rows[1].due_date_of_revival - rows[1].date_of_suspension == timedelta(days=21)  # from the rule
        mirrored = s.scalars(select(ESuspendedNotice).order_by(ESuspendedNotice.sr_no)).all()
        assert [(r.sr_no, r.reason_of_suspension) for r in mirrored] == [(1, "ANS"), (2, "OLD")]
        for model in (ValidOffenceNotice, EValidOffenceNotice):
            n = s.get(model, notice)
            assert (n.suspension_type, n.epr_reason_of_suspension) == ("TS", "OLD")
            assert n.due_date_of_revival == rows[1].due_date_of_revival


def test_payment_suspension_goes_to_crs_columns(db, notice):
    apply(db, notice, Action("suspend", {"suspension_type": "PS", "reason": "FP"}))
    with db.session() as s:
        n = s.get(ValidOffenceNotice, notice)
        assert n.crs_reason_of_suspension == "FP" and n.epr_reason_of_suspension is None


def _set_revival(db, reason, value):
    with db.unit_of_work() as uow:
        row = uow.session.get(Parameter, ("REVIVAL_DAYS", reason))
        if value is None:
            if row is not None:
                uow.session.delete(row)
        elif row is None:
            uow.session.add(Parameter(parameter_id="REVIVAL_DAYS", code=reason, value=value, cre_user_id="test"))
        else:
            row.value = value
        uow.commit()


@pytest.mark.parametrize("reason", ["ANS", "FP", "DBB", "OLD"])
@pytest.mark.parametrize("value", [None, "", "thirty", "30.5", "-1", "99999999999", " 3 0 "])
def test_missing_or_invalid_revival_period_is_30_days_with_a_warning(db, notice, caplog, reason, value):
    """OCMS 10 §3.7: "use default 30 days, log warning" - never a NULL revival date, never an error."""
    _set_revival(db, reason, value)
    with caplog.at_level("WARNING", logger="api.decisions.apply"):
        effect = apply(db, notice, Action("suspend", {"suspension_type": "PS", "reason": reason})).applied[0]
    with db.session() as s:
        row = s.scalars(select(SuspendedNotice)).one()
        assert row.due_date_of_revival - row.date_of_suspension == timedelta(days=30)
        n = s.get(ValidOffenceNotice, notice)
        assert n.due_date_of_revival == row.due_date_of_revival
        assert s.scalars(select(ESuspendedNotice)).one().due_date_of_revival == row.due_date_of_revival
        assert effect["dueDateOfRevival"] == row.due_date_of_revival.isoformat()
    [warning] = [r for r in caplog.records if r.levelname == "WARNING"]
    assert f"REVIVAL_DAYS/{reason}" in warning.getMessage() and "default revival period of 30 days" in warning.getMessage()


@pytest.mark.parametrize("value, days", [("0", 0), ("45", 45), (" 7 ", 7), ("36500", 36500)])
def test_a_valid_revival_period_is_used_without_warning(db, notice, caplog, value, days):
    _set_revival(db, "ANS", value)
    with caplog.at_level("WARNING", logger="api.decisions.apply"):
        apply(db, notice, Action("suspend", {"suspension_type": "PS", "reason": "ANS"}))
    with db.session() as s:
        row = s.scalars(select(SuspendedNotice)).one()
        assert row.due_date_of_revival - row.date_of_suspension == timedelta(days=days)
    assert [r for r in caplog.records if r.levelname == "WARNING"] == []


def test_an_invalid_rule_revival_days_falls_back_too(db, notice, caplog):
    apply(db, notice, Action("suspend", {"suspension_type": "TS", "reason": "OLD", "revival_days": -5}))
    with db.session() as s:
        row = s.scalars(select(SuspendedNotice)).one()
        assert row.due_date_of_revival - row.date_of_suspension == timedelta(days=30)
    assert any("the rule's revival_days" in r.getMessage() for r in caplog.records)


def test_an_qualification_decision_applied_end_to_end(app, db, notice):
    """The actions of a real decision, applied and logged in one unit of work."""
    from api.decisions.apply import apply_actions
    from api.decisions.log import record_decisions
    from api.decisions.service import get_rules
    facts = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
             "composition_amount": 50.0, "past_offences_24m": 1}
    decision = get_rules(app).registry.evaluate("an_qualification", facts)
    with db.unit_of_work() as uow:
        apply_actions(uow, notice, decision.actions)
        record_decisions(uow.session, [decision], notice, "rid", "repccs")
        uow.commit()
    from repository.models import AnNotification
    with db.session() as s:
        n = s.get(ValidOffenceNotice, notice)
        assert (n.an_flag, n.suspension_type) == ("Y", None)      # PS-ANS waits for the notification (§3.7)
        assert [w.status for w in s.query(AnNotification).filter_by(notice_no=notice)] == ["PENDING"]
    # once an eAN or letter is sent, the route's decision suspends it PS-ANS with the same action vocabulary
    sent = {"vehicle_no": "SBA1234A", "vehicle_registration_type": "S", "owner_result": "FOUND",
            "owner_id_present": True, "suspended": False, "excluded": False, "contact_result": "FOUND",
            "has_mobile": True, "has_email": False, "sms_result": "SUCCESS", "notification_sent": True,
            "ps_ans_applied": False}
    route = get_rules(app).registry.evaluate("an_notification_route", sent)
    assert route.outcome == "APPLY_PS_ANS"
    with db.unit_of_work() as uow:
        apply_actions(uow, notice, route.actions)
        uow.commit()
    with db.session() as s:
        n = s.get(ValidOffenceNotice, notice)
        assert (n.an_flag, n.suspension_type, n.epr_reason_of_suspension) == ("Y", "PS", "ANS")


def test_recorded_actions(db, notice):
    result = apply(db, notice, Action("manual_review", {"reason": "LTA lookup failed"}),
                   Action("skip", {"reason": "dayEnd is not Y"}), Action("reject", {"code": "OCMS-4009"}))
    assert result.manual_review["reason"] == "LTA lookup failed"
    assert result.skipped == {"action": "skip", "reason": "dayEnd is not Y"}
    assert result.rejected["code"] == "OCMS-4009"
    with db.session() as s:
        q = s.scalars(select(ManualReviewQueue)).one()
        assert q.notice_no == notice and q.status == "OPEN"


def test_failure_changes_nothing(db, notice):
    from api.decisions.apply import ApplyError, apply_actions
    with db.unit_of_work() as uow:
        with pytest.raises(ApplyError):
            apply_actions(uow, notice, [Action("set_notice_fields", {"an_flag": "Y"}),
                                        Action("set_notice_fields", {"bogus": 1})])
    with db.session() as s:
        assert s.get(ValidOffenceNotice, notice).an_flag is None
        assert s.get(EValidOffenceNotice, notice) is None


def test_unknown_notice_and_action(db, notice):
    from api.decisions.apply import ApplyError, apply_actions
    with db.unit_of_work() as uow:
        with pytest.raises(ApplyError, match="not found"):
            apply_actions(uow, "NOPE", [])
        with pytest.raises(ApplyError, match="no handler"):
            apply_actions(uow, notice, [Action("teleport", {})])


def test_two_suspensions_of_one_notice_at_once_get_consecutive_sr_nos(make_app, notice):
    """Two workers suspending the same existing notice: never the same MAX + 1.

    PostgreSQL: the second waits for the first's row lock and both succeed (1, 2).
    SQLite (one writer): the second may be refused as locked — never a duplicate.
    """
    import threading

    from api.database import get_db
    apps = [make_app(), make_app()]
    start = threading.Barrier(2)
    outcomes = []

    def worker(app, reason):
        from api.decisions.apply import apply_actions
        db = get_db(app)
        try:
            with db.unit_of_work() as uow:
                start.wait()
                apply_actions(uow, notice, [Action("suspend", {"suspension_type": "TS", "reason": reason,
                                                               "revival_days": 1})])
                uow.commit()
            outcomes.append("ok")
        except Exception as e:  # noqa: BLE001 - the test reports what happened
            outcomes.append(type(e).__name__)

    threads = [threading.Thread(target=worker, args=(app, r)) for app, r in zip(apps, ("OLD", "CLV"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    db = get_db(apps[0])
    with db.session() as s:
        sr_nos = sorted(s.scalars(select(SuspendedNotice.sr_no).filter_by(notice_no=notice)))
        mirror = sorted(s.scalars(select(ESuspendedNotice.sr_no).filter_by(notice_no=notice)))
    assert sr_nos == list(range(1, outcomes.count("ok") + 1)) == mirror
    if db.engine.dialect.name == "postgresql":
        assert outcomes == ["ok", "ok"]
    else:
        assert outcomes.count("ok") >= 1
