"""REPCCS and CES webhooks (OCMS 10 §3.2, §3.3): every response code and the rows after each."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from repository.models import (
    AnNotification, DecisionLog, ESuspendedNotice, EValidOffenceNotice, OffenceNoticeDetail, Parameter, SuspendedNotice,
    ValidOffenceNotice,
)

from tests.api.notifications.conftest import notifier  # noqa: F401  (fixture: the an-notifications job)

pytestmark = pytest.mark.usefixtures("notice_day")  # conftest.py: the notices' business day

KEYS = {"repccs": "repccs-test-key", "ces": "ces-test-key", "cas": "cas-test-key", "admin": "admin-test-key"}
REPCCS, CES = "/v1/repccsWebhook", "/v1/cesWebhook-create-notice"


_TRANSACTIONS = itertools.count(1)


def payload(**changes) -> dict:
    """A complete payload with the spec's fields, in the spec's order; each call a new transactionId.

    (A repeated transactionId is answered from the first notice; tests of that pass one explicitly.)
    """
    p = {
        "transactionId": f"TXN-{next(_TRANSACTIONS):06d}", "subsystemLabel": "001", "anFlag": "N", "noticeNo": "500400058A",
        "vehicleNo": "SBA1234A", "computerRuleCode": 10100, "compositionAmount": 70.00,
        "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleCategory": "C",
        "vehicleRegistrationType": "S", "ppCode": "A0001", "ppName": "Ang Mo Kio Ave 3 Car Park",
        "creUserId": "repccs_user", "creDate": "2026-01-15T08:31:00",
    }
    for k, v in changes.items():
        if v is ...:
            p.pop(k, None)
        else:
            p[k] = v
    return p


def ces_payload(**changes) -> dict:
    return payload(**{"subsystemLabel": "230EHT", "creUserId": "ces_user", **changes})


def history(session, vehicle_no: str, *dates: str, rule_code: int = 10200, **cols) -> None:
    """Past notices of a vehicle (one per date), committed by the caller."""
    for i, d in enumerate(dates):
        session.add(ValidOffenceNotice(
            notice_no=f"H{abs(hash((vehicle_no, d))) % 10**8:08d}{i}", vehicle_no=vehicle_no,
            notice_date_and_time=dt.datetime.fromisoformat(d), offence_notice_type="O",
            vehicle_registration_type="S", computer_rule_code=rule_code, composition_amount=Decimal("50.00"),
            **cols))


@pytest.fixture
def an_app(make_seeded_app):
    """The app with REPCCS/CES keys on a database with the reference data seeded."""
    return make_seeded_app(OCMS_API_KEYS=dict(KEYS))


@pytest.fixture
def post(an_app):
    client = an_app.test_client()

    def send(path, body, system=None, **kw):
        system = system or ("repccs" if path == REPCCS else "ces")
        return client.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[system]}, **kw)
    return send


@pytest.fixture
def session(an_app):
    from api.database import get_db
    with get_db(an_app).session() as s:
        yield s


def notices(session, **where):
    session.expire_all()
    return list(session.scalars(select(ValidOffenceNotice).filter_by(**where).order_by(ValidOffenceNotice.notice_no)))


def suspensions(session, notice_no, model=SuspendedNotice):
    session.expire_all()
    return list(session.scalars(select(model).filter_by(notice_no=notice_no).order_by(model.sr_no)))


def count(session, model) -> int:
    return session.scalar(select(text("count(*)")).select_from(model))


# ---- success -----------------------------------------------------------------------------------------------
def test_repccs_creates_notice_detail_and_mirror(post, session):
    r = post(REPCCS, payload(transactionId="TXN-0001"))
    assert r.status_code == 200
    assert r.get_json() == {"data": {"appCode": "OCMS-2000", "message": "OK"}}
    (n,) = notices(session)
    assert (n.notice_no, n.vehicle_no, n.computer_rule_code, n.composition_amount) == \
        ("500400058A", "SBA1234A", 10100, Decimal("70.00"))
    assert n.notice_date_and_time == dt.datetime(2026, 1, 15, 8, 30)
    assert (n.subsystem_label, n.transaction_id, n.pp_code, n.cre_user_id) == ("001", "TXN-0001", "A0001", "repccs_user")
    assert (n.an_flag, n.payment_acceptance_allowed, n.unqualified_list_sent_flag) == ("N", "Y", "N")
    assert (n.last_processing_stage, n.next_processing_stage) == ("NPA", "ROV")
    assert n.suspension_type is None
    assert session.get(OffenceNoticeDetail, "500400058A") is not None
    mirror = session.get(EValidOffenceNotice, "500400058A")
    assert mirror is not None and mirror.vehicle_no == "SBA1234A" and mirror.an_flag == "N"
    logged = session.scalars(select(DecisionLog).filter_by(subject="500400058A").order_by(DecisionLog.id)).all()
    assert [d.ruleset for d in logged] == ["vehicle_type", "stage_map", "double_booking", "an_qualification", "vip_notice"]
    assert logged[-2].outcome == "NOT_QUALIFIED" and logged[-1].outcome == "STANDARD"


def test_repccs_anflag_is_ignored(post, session):
    assert post(REPCCS, payload(anFlag="Y")).status_code == 200
    (n,) = notices(session)
    assert n.an_flag == "N" and suspensions(session, n.notice_no) == []


def test_ces_success_body(post, session):
    r = post(CES, ces_payload())
    assert r.status_code == 200
    assert r.get_json() == {"data": {"appCode": "OCMS-2000", "message": "Resource created successfully"}}
    assert notices(session)[0].subsystem_label == "230EHT"


def test_server_timing_header(post):
    r = post(REPCCS, payload())
    assert "validation;dur=" in r.headers["Server-Timing"] and "database;dur=" in r.headers["Server-Timing"]


# ---- notice numbers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("absent", [..., None, ""])
def test_notice_number_generated_when_absent(post, session, absent):
    from api.advisory.notice_numbers import is_generated_format
    assert post(REPCCS, payload(noticeNo=absent)).status_code == 200
    (n,) = notices(session)
    assert is_generated_format(n.notice_no) and n.notice_no.startswith("9")


def test_generated_number_skips_a_number_a_caller_used(post, session, an_app):
    from api.advisory.notice_numbers import format_notice_no
    from api.advisory.routes import intake_deps
    with an_app.app_context():
        deps = intake_deps()
    taken = format_notice_no(900000001)
    assert post(REPCCS, payload(noticeNo=taken)).status_code == 200
    assert post(REPCCS, payload(noticeNo=..., noticeDateAndTime="2026-01-16T08:30:00")).status_code == 200
    assert [n.notice_no for n in notices(session)] == [taken, format_notice_no(900000002)]
    assert deps.allocator.block >= 1


# ---- validation: OCMS-4000 ---------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["subsystemLabel", "vehicleNo", "computerRuleCode", "compositionAmount",
                                   "noticeDateAndTime", "offenceNoticeType"])
@pytest.mark.parametrize("path", [REPCCS, CES])
def test_missing_mandatory_field_is_4000_naming_it(post, session, path, field):
    for missing in (..., None, "  "):
        if missing == "  " and field in ("computerRuleCode", "compositionAmount"):
            continue
        body = (payload if path == REPCCS else ces_payload)(**{field: missing})
        r = post(path, body)
        assert r.status_code == 400, body
        data = r.get_json()["data"]
        assert data["appCode"] == "OCMS-4000" and data["message"] == "Missing mandatory fields"
        assert data["errors"] == [{"field": field, "message": "Missing mandatory field"}]
    assert notices(session) == []


@pytest.mark.parametrize("field,value", [
    ("noticeNo", "50040005812"), ("subsystemLabel", "001234567"), ("anFlag", "YY"), ("vehicleNo", "S" * 15),
    ("vehicleCategory", "LBX"), ("vehicleRegistrationType", "SS"), ("ppCode", "A00012"), ("ppName", "x" * 101),
    ("computerRuleCode", "10100"), ("computerRuleCode", 101.5), ("compositionAmount", "abc"),
    ("compositionAmount", 70.123), ("compositionAmount", -1), ("noticeDateAndTime", "15/01/2026"),
    ("noticeDateAndTime", "2026-01-15T08:30:00+08:00"), ("offenceNoticeType", "X"), ("creDate", "yesterday"),
])
def test_invalid_field_is_4000_naming_it(post, session, field, value):
    r = post(REPCCS, payload(**{field: value}))
    assert r.status_code == 400
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and data["message"] == "Invalid input format or failed validation"
    assert [e["field"] for e in data["errors"]] == [field]
    assert notices(session) == []


def test_upl_placeholder_is_longer_than_14_and_accepted(post, session):
    assert post(REPCCS, payload(vehicleNo="UNLICENSED_PARKING", vehicleRegistrationType=...)).status_code == 200
    assert notices(session)[0].vehicle_registration_type == "X"


def test_malformed_json_and_non_object(post, an_app):
    c = an_app.test_client()
    r = c.post(REPCCS, data="{", headers={"Ocp-Apim-Subscription-Key": KEYS["repccs"], "Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["data"]["appCode"] == "OCMS-4000"
    assert post(CES, [1, 2]).status_code == 400


@pytest.mark.parametrize("label,message", [
    ("03", "subsystemLabel must be 3 to 8 characters"),
    ("030ABCDEF", "subsystemLabel must be 3 to 8 characters"),
    ("029", "subsystemLabel must start with three digits from 030 to 999"),
    ("001", "subsystemLabel must start with three digits from 030 to 999"),
    ("EHT", "subsystemLabel must start with three digits from 030 to 999"),
])
def test_ces_subsystem_label_is_4000_with_the_rule_message(post, session, label, message):
    r = post(CES, ces_payload(subsystemLabel=label))
    assert r.status_code == 400
    assert r.get_json()["data"] == {"appCode": "OCMS-4000", "message": message,
                                    "errors": [{"field": "subsystemLabel", "message": message}]}
    assert notices(session) == []


def test_vehicle_type_missing_for_an_ordinary_car_is_4000(post, session):
    r = post(REPCCS, payload(vehicleRegistrationType=...))
    assert r.status_code == 400
    assert r.get_json()["data"]["errors"] == [{"field": "vehicleRegistrationType",
                                               "message": "vehicleRegistrationType is mandatory"}]
    assert notices(session) == []


# ---- auth ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path,system", [(REPCCS, "ces"), (CES, "repccs"), (REPCCS, "cas")])
def test_another_systems_key_is_4001(post, path, system):
    r = post(path, payload(), system=system)
    assert r.status_code == 401 and r.get_json()["data"]["appCode"] == "OCMS-4001"


def test_no_key_is_4001(an_app):
    r = an_app.test_client().post(REPCCS, json=payload())
    assert r.status_code == 401


# ---- duplicates and rule codes -------------------------------------------------------------------------------
def test_repccs_duplicate_is_400(post, session):
    assert post(REPCCS, payload()).status_code == 200
    r = post(REPCCS, payload(vehicleNo="SBB2222B"))
    assert r.status_code == 400
    assert r.get_json()["data"]["appCode"] == "OCMS-4000"
    assert r.get_json()["data"]["message"] == "Duplicate notice detected"
    assert [n.vehicle_no for n in notices(session)] == ["SBA1234A"]


def test_ces_duplicate_is_226(post, session):
    assert post(CES, ces_payload()).status_code == 200
    before = count(session, DecisionLog)
    r = post(CES, ces_payload())
    assert r.status_code == 226
    assert r.get_json()["data"]["appCode"] == "OCMS-2026"
    assert r.get_json()["data"]["message"] == "Notice no Already exists"
    assert count(session, DecisionLog) == before


def test_ces_unknown_rule_code_is_226_and_writes_nothing(post, session):
    r = post(CES, ces_payload(computerRuleCode=99999))
    assert r.status_code == 226
    assert r.get_json()["data"]["message"] == "Invalid Offence Rule Code"
    assert notices(session) == [] and count(session, DecisionLog) == 0


def test_repccs_does_not_check_rule_codes(post, session):
    assert post(REPCCS, payload(computerRuleCode=99999)).status_code == 200


# ---- special vehicles -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("vehicle,sent,stored", [
    ("MID2345", "S", "I"), ("MINDEF01", None, "I"), ("UNLICENSED_PARKING", "S", "X"), ("SBA1234A", "D", "D"),
])
def test_special_vehicle_detection(post, session, vehicle, sent, stored):
    assert post(REPCCS, payload(vehicleNo=vehicle, vehicleRegistrationType=sent)).status_code == 200
    assert notices(session)[0].vehicle_registration_type == stored


def test_detected_type_is_what_qualification_sees(post, session):
    history(session, "MID2345", "2025-06-01T10:00:00")
    session.commit()
    # Sent as F (foreign, never an AN) but detected military (I, a local type): it qualifies.
    assert post(REPCCS, payload(vehicleNo="MID2345", vehicleRegistrationType="F")).status_code == 200
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.vehicle_registration_type, n.an_flag) == ("I", "Y")
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="an_qualification")).one()
    assert log.facts["vehicle_registration_type"] == "I" and log.fired_rules == ["BR-AN-QUAL-002"]


# ---- AN qualification ---------------------------------------------------------------------------------------------
def test_past_offence_in_window_qualifies_and_suspends_ps_ans(post, session, an_app, notifier):
    history(session, "SBA1234A", "2024-01-15T00:00:00")  # currentDate - 24 months exactly: inside the window
    session.commit()
    assert post(REPCCS, payload()).status_code == 200
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.an_flag, n.payment_acceptance_allowed) == ("Y", "N")
    # OCMS 10 §3.7: no PS-ANS at intake; the AN waits for its notification (eAN or letter) ...
    assert n.suspension_type is None and suspensions(session, "500400058A") == []
    (w,) = session.scalars(select(AnNotification).filter_by(notice_no="500400058A"))
    assert (w.status, w.step) == ("PENDING", "QUALIFIED")
    # ... and gets it once the an-notifications job has sent one
    assert notifier(an_app)["psAns"] == 1
    session.expire_all()
    n = session.get(ValidOffenceNotice, "500400058A")
    assert "Y" in (n.ean_sent_flag, n.letter_sent_flag)
    assert (n.suspension_type, n.epr_reason_of_suspension) == ("PS", "ANS")
    assert n.due_date_of_revival - n.epr_date_of_suspension == dt.timedelta(days=30)
    (s,) = suspensions(session, "500400058A")
    assert (s.sr_no, s.suspension_type, s.reason_of_suspension) == (1, "PS", "ANS")
    assert (s.suspension_source, s.officer_authorising_suspension, s.cre_user_id) == \
        ("ocmsiz_app_conn", "ocmsizmgr_conn", "ocmsiz_app_conn")
    assert s.due_date_of_revival - s.date_of_suspension == dt.timedelta(days=30)
    (es,) = suspensions(session, "500400058A", ESuspendedNotice)
    assert (es.sr_no, es.reason_of_suspension) == (1, "ANS")
    m = session.get(EValidOffenceNotice, "500400058A")
    assert (m.an_flag, m.payment_acceptance_allowed, m.suspension_type, m.epr_reason_of_suspension) == ("Y", "N", "PS", "ANS")
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="an_qualification")).one()
    assert (log.outcome, log.fired_rules, log.facts["past_offences_24m"]) == ("QUALIFIED", ["BR-AN-QUAL-002"], 1)


@pytest.mark.parametrize("past", ["2024-01-14T23:59:59", "2026-01-15T08:30:00", "2026-01-15T09:00:00"])
def test_offences_outside_the_window_do_not_count(post, session, past):
    history(session, "SBA1234A", past, rule_code=10500)
    session.commit()
    assert post(REPCCS, payload()).status_code == 200
    assert session.get(ValidOffenceNotice, "500400058A").an_flag == "N"


def test_another_vehicles_history_does_not_count(post, session):
    history(session, "SBB9999Z", "2025-06-01T10:00:00")
    session.commit()
    post(REPCCS, payload())
    assert session.get(ValidOffenceNotice, "500400058A").an_flag == "N"


@pytest.mark.parametrize("changes,fired", [
    ({"offenceNoticeType": "E"}, "BR-AN-GATE-001"),
    ({"vehicleRegistrationType": "F"}, "BR-AN-GATE-002"),
    ({"computerRuleCode": 20412, "compositionAmount": 80.00}, "BR-AN-EXEMPT-001"),
    ({"computerRuleCode": 11210, "vehicleCategory": "LB"}, "BR-AN-EXEMPT-002"),
])
def test_gates_and_exemptions_keep_a_standard_notice(post, session, changes, fired):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    assert post(REPCCS, payload(**changes)).status_code == 200
    n = session.get(ValidOffenceNotice, "500400058A")
    assert n.an_flag == "N" and n.suspension_type is None and suspensions(session, n.notice_no) == []
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="an_qualification")).one()
    assert log.fired_rules == [fired]


def _set_param(session, code, value):
    """An operator's override row (the switches themselves are not seeded: they live in the YAML)."""
    row = session.get(Parameter, ("AN_QUALIFICATION", code))
    if row is None:
        session.add(Parameter(parameter_id="AN_QUALIFICATION", code=code, value=value, cre_user_id="test"))
    else:
        row.value = value
    session.commit()


def test_same_day_switch_from_ocms_parameter(post, session):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    history(session, "SBA1234A", "2026-01-15T07:00:00", an_flag="Y")  # an AN earlier the same day
    session.commit()
    post(REPCCS, payload(noticeNo="500400001A"))
    assert session.get(ValidOffenceNotice, "500400001A").an_flag == "Y"  # switch off (FD v1.2)
    _set_param(session, "SAME_DAY_CHECK", "Y")
    post(REPCCS, payload(noticeNo="500400002A", noticeDateAndTime="2026-01-15T10:30:00"))
    assert session.get(ValidOffenceNotice, "500400002A").an_flag == "N"
    log = session.scalars(select(DecisionLog).filter_by(subject="500400002A", ruleset="an_qualification")).one()
    assert log.fired_rules == ["BR-AN-SAMEDAY-001"] and log.facts["same_day_an_count"] == 2


def test_same_day_switch_from_the_yaml(post, session, an_app, key):
    """With no operator override row, the analyst's switch in the ruleset decides."""
    import re
    from pathlib import Path
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    history(session, "SBA1234A", "2026-01-15T07:00:00", an_flag="Y")
    session.commit()
    rules = Path(an_app.config["OCMS_RULES_DIR"]) / "an_qualification.yaml"
    rules.write_text(re.sub(r"^  same_day_check: false", "  same_day_check: true", rules.read_text(), flags=re.M))
    assert an_app.test_client().post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    post(REPCCS, payload(noticeNo="500400003A", noticeDateAndTime="2026-01-15T10:30:00"))
    assert session.get(ValidOffenceNotice, "500400003A").an_flag == "N"
    log = session.scalars(select(DecisionLog).filter_by(subject="500400003A", ruleset="an_qualification")).one()
    assert log.fired_rules == ["BR-AN-SAMEDAY-001"]


def test_ps_reasons_mode_from_ocms_parameter(post, session):
    history(session, "SBA1234A", "2025-06-01T10:00:00")  # a past offence, but not under PS-ANS
    session.commit()
    _set_param(session, "PAST_OFFENCE_MODE", "PS_REASONS")
    post(REPCCS, payload(noticeNo="500400001A"))
    assert session.get(ValidOffenceNotice, "500400001A").an_flag == "N"
    history(session, "SBA1234A", "2025-07-01T10:00:00", suspension_type="PS", epr_reason_of_suspension="ANS")
    session.commit()
    post(REPCCS, payload(noticeNo="500400002A", noticeDateAndTime="2026-01-16T08:30:00"))
    assert session.get(ValidOffenceNotice, "500400002A").an_flag == "Y"


# ---- CES EHT ---------------------------------------------------------------------------------------------------------
def test_ces_eht_anflag_y_suspends_ps_ans_without_qualification(post, session):
    assert post(CES, ces_payload(anFlag="Y")).status_code == 200
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.an_flag, n.payment_acceptance_allowed, n.suspension_type, n.epr_reason_of_suspension) == ("Y", "N", "PS", "ANS")
    (s,) = suspensions(session, "500400058A")
    assert s.reason_of_suspension == "ANS" and s.suspension_remarks.startswith("Advisory Notice detected")
    rulesets = [d.ruleset for d in session.scalars(select(DecisionLog).filter_by(subject="500400058A").order_by(DecisionLog.id))]
    assert rulesets == ["ces_subsystem", "vehicle_type", "stage_map", "ces_eht_flag"]  # no DBB, no qualification


def test_ces_anflag_n_goes_through_qualification(post, session):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    assert post(CES, ces_payload(anFlag="N")).status_code == 200
    assert session.get(ValidOffenceNotice, "500400058A").an_flag == "Y"
    rulesets = [d.ruleset for d in session.scalars(select(DecisionLog).filter_by(subject="500400058A").order_by(DecisionLog.id))]
    assert rulesets == ["ces_subsystem", "vehicle_type", "stage_map", "ces_eht_flag", "double_booking", "an_qualification",
                        "vip_notice"]


# ---- double booking -------------------------------------------------------------------------------------------------
def test_double_booking_suspends_ps_dbb_and_skips_qualification(post, session):
    history(session, "SBA1234A", "2025-06-01T10:00:00")  # would qualify
    history(session, "SBA1234A", "2026-01-15T08:30:00", rule_code=10100)  # the same offence
    session.commit()
    assert post(REPCCS, payload()).status_code == 200
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.suspension_type, n.epr_reason_of_suspension, n.an_flag) == ("PS", "DBB", "N")
    (s,) = suspensions(session, "500400058A")
    assert (s.suspension_type, s.reason_of_suspension, s.suspension_remarks) == ("PS", "DBB", "Double booking detected")
    assert suspensions(session, "500400058A", ESuspendedNotice)[0].reason_of_suspension == "DBB"
    logs = session.scalars(select(DecisionLog).filter_by(subject="500400058A").order_by(DecisionLog.id)).all()
    assert [d.ruleset for d in logs] == ["vehicle_type", "stage_map", "double_booking"]
    assert logs[-1].outcome == "DOUBLE_BOOKED"


@pytest.mark.parametrize("changes", [{"computerRuleCode": 10200}, {"noticeDateAndTime": "2026-01-15T08:30:01"},
                                     {"vehicleNo": "SBB2222B"}])
def test_not_double_booked_when_a_criterion_differs(post, session, changes):
    history(session, "SBA1234A", "2026-01-15T08:30:00", rule_code=10100)
    session.commit()
    post(REPCCS, payload(**changes))
    assert session.get(ValidOffenceNotice, "500400058A").epr_reason_of_suspension != "DBB"


def test_dbb_query_failing_three_times_gives_ts_old(post, session, an_app):
    from api.advisory.routes import intake_deps
    calls = []

    def failing(session_, notice, within):
        calls.append(notice.notice_no)
        session_.execute(text("SELECT * FROM no_such_table"))  # a real failing SQL statement
    with an_app.app_context():
        intake_deps().dbb_query = failing
    assert post(REPCCS, payload()).status_code == 200
    assert calls == ["500400058A"] * 3
    n = session.get(ValidOffenceNotice, "500400058A")
    assert (n.suspension_type, n.epr_reason_of_suspension) == ("TS", "OLD")
    (s,) = suspensions(session, "500400058A")
    assert (s.reason_of_suspension, s.suspension_remarks) == ("OLD", "DBB check failed - fallback")
    assert s.due_date_of_revival - s.date_of_suspension == dt.timedelta(days=21)
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="double_booking")).one()
    assert log.fired_rules == ["BR-AN-DUP-002-FALLBACK"]


def test_dbb_query_failing_twice_then_working(post, session, an_app):
    from api.advisory.double_booking import find_candidates
    from api.advisory.routes import intake_deps
    calls = []

    def flaky(session_, notice, within):
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("connection reset")
        return find_candidates(session_, notice, within)
    with an_app.app_context():
        intake_deps().dbb_query = flaky
    history(session, "SBA1234A", "2026-01-15T08:30:00", rule_code=10100)
    session.commit()
    post(REPCCS, payload())
    assert session.get(ValidOffenceNotice, "500400058A").epr_reason_of_suspension == "DBB"


# ---- database failure -----------------------------------------------------------------------------------------------
def test_database_failure_is_5000_and_writes_nothing(post, session, an_app):
    from api.advisory.routes import intake_deps

    def broken_mirror(session_, notice_no):
        raise AssertionError("not reached")
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    before = {m: count(session, m) for m in (ValidOffenceNotice, OffenceNoticeDetail, SuspendedNotice, DecisionLog)}

    def bad_query(session_, notice, within):
        return []
    with an_app.app_context():
        deps = intake_deps()
    deps.dbb_query = bad_query
    # Break the decision log insert: a subject longer than its column is refused by PostgreSQL;
    # on both databases a statement on a missing table fails. Inject it after the notice insert.
    import api.advisory.intake as intake
    original = intake.record_decisions

    def failing_record(session_, *a, **k):
        session_.execute(text("INSERT INTO no_such_table VALUES (1)"))
    intake.record_decisions = failing_record
    try:
        r = post(REPCCS, payload())
    finally:
        intake.record_decisions = original
    assert r.status_code == 500
    assert r.get_json()["data"]["appCode"] == "OCMS-5000"
    session.expire_all()
    assert {m: count(session, m) for m in before} == before
    assert count(session, EValidOffenceNotice) == 0
