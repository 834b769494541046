"""OCMS 14 tab 2 steps 1-7, tab 3 steps 6-7: a type V notice posted to the webhooks."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, update

from repository.models import (
    DecisionLog, ESuspendedNotice, EValidOffenceNotice, Parameter, SuspendedNotice, ValidOffenceNotice,
)

from .conftest import KEYS, all_rows, get

REPCCS, CES = "/v1/repccsWebhook", "/v1/cesWebhook-create-notice"


def payload(**changes) -> dict:
    p = {"transactionId": "TXN-V-1", "subsystemLabel": "001", "anFlag": "N", "noticeNo": "500400058A",
         "vehicleNo": "VIP1234A", "computerRuleCode": 10100, "compositionAmount": 70.00,
         "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleCategory": "C",
         "vehicleRegistrationType": "V", "ppCode": "A0001", "ppName": "Ang Mo Kio Ave 3 Car Park",
         "creUserId": "repccs_user", "creDate": "2026-01-15T08:31:00"}
    p.update(changes)
    return p


@pytest.fixture
def post(vip_app):
    client = vip_app.test_client()

    def send(path, body):
        system = "repccs" if path == REPCCS else "ces"
        return client.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[system]})
    return send


def past_offence(db, vehicle_no="VIP1234A"):
    """A past offence of the vehicle within 24 months: the new notice qualifies as an AN (BR-AN-QUAL-002)."""
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), [{
            "notice_no": "H000000001", "vehicle_no": vehicle_no, "notice_date_and_time": dt.datetime(2025, 6, 1, 10),
            "offence_notice_type": "O", "vehicle_registration_type": "V", "computer_rule_code": 10200,
            "composition_amount": Decimal("50.00")}])
        uow.commit()


def test_vip_an_takes_the_vip_an_subflow_without_a_suspension(post, vdb):
    past_offence(vdb)
    assert post(REPCCS, payload()).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert (n.an_flag, n.payment_acceptance_allowed, n.vehicle_registration_type) == ("Y", "N", "V")
    assert (n.last_processing_stage, n.next_processing_stage) == ("NPA", "ROV")  # tab 3 step 9's query finds it
    assert n.suspension_type is None and n.epr_reason_of_suspension is None
    assert all_rows(vdb, SuspendedNotice, notice_no="500400058A") == []
    m = get(vdb, EValidOffenceNotice, "500400058A")
    assert (m.an_flag, m.suspension_type) == ("Y", None)
    logged = {d.ruleset: d for d in all_rows(vdb, DecisionLog, subject="500400058A")}
    assert logged["an_qualification"].outcome == "QUALIFIED"  # qualification decided ...
    assert logged["vip_notice"].outcome == "VIP_AN" and logged["vip_notice"].fired_rules == ["VIP-CREATE-AN"]


@pytest.mark.parametrize("changes", [{}, {"offenceNoticeType": "E"}], ids=["type O, not an AN", "type E"])
def test_other_vip_notices_get_ts_old_for_21_days(post, vdb, changes):
    assert post(REPCCS, payload(**changes)).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert (n.suspension_type, n.epr_reason_of_suspension, n.an_flag) == ("TS", "OLD", "N")
    assert n.due_date_of_revival - n.epr_date_of_suspension == dt.timedelta(days=21)
    (s,) = all_rows(vdb, SuspendedNotice, notice_no="500400058A")
    assert (s.sr_no, s.suspension_type, s.reason_of_suspension, s.date_of_revival) == (1, "TS", "OLD", None)
    assert s.due_date_of_revival == n.due_date_of_revival
    (es,) = all_rows(vdb, ESuspendedNotice, notice_no="500400058A")
    assert (es.suspension_type, es.reason_of_suspension) == ("TS", "OLD")
    m = get(vdb, EValidOffenceNotice, "500400058A")
    assert (m.suspension_type, m.epr_reason_of_suspension, m.due_date_of_revival) == ("TS", "OLD", n.due_date_of_revival)


def test_the_ts_old_period_is_the_analysts_parameter(post, vdb):
    with vdb.unit_of_work() as uow:
        uow.session.execute(update(Parameter).where(Parameter.parameter_id == "REVIVAL_DAYS", Parameter.code == "OLD")
                            .values(value="10"))
        uow.commit()
    assert post(REPCCS, payload()).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert n.due_date_of_revival - n.epr_date_of_suspension == dt.timedelta(days=10)


@pytest.mark.parametrize("value", [None, "abc", "-4"], ids=["missing", "not a number", "negative"])
def test_ts_old_falls_back_to_the_specs_21_days_when_its_parameter_is_missing_or_invalid(post, vdb, value):
    """Issue 13 review: the fallback of REVIVAL_DAYS/OLD is the rule's default_revival_days (21), not 30."""
    from sqlalchemy import delete
    with vdb.unit_of_work() as uow:
        where = (Parameter.parameter_id == "REVIVAL_DAYS", Parameter.code == "OLD")
        if value is None:
            uow.session.execute(delete(Parameter).where(*where))
        else:
            uow.session.execute(update(Parameter).where(*where).values(value=value))
        uow.commit()
    assert post(REPCCS, payload()).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert n.due_date_of_revival - n.epr_date_of_suspension == dt.timedelta(days=21)


def test_ces_vip_notice_gets_ts_old_too(post, vdb):
    assert post(CES, payload(subsystemLabel="031", creUserId="ces_user")).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert (n.suspension_type, n.epr_reason_of_suspension) == ("TS", "OLD")


def test_type_u_keeps_the_standard_flow(post, vdb):
    assert post(REPCCS, payload(offenceNoticeType="U")).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert n.suspension_type is None and n.an_flag == "N"
    assert all_rows(vdb, SuspendedNotice) == []


def test_a_local_vehicle_an_still_gets_the_standard_an(post, vdb):
    past_offence(vdb, "SBA1234A")
    assert post(REPCCS, payload(vehicleNo="SBA1234A", vehicleRegistrationType="S")).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert n.an_flag == "Y"
    assert n.epr_reason_of_suspension in ("ANS", None)  # PS-ANS at intake today; after the eAN/letter once notified


def test_double_booking_comes_first_no_ts_old(post, vdb):
    assert post(REPCCS, payload()).status_code == 200
    assert post(REPCCS, payload(noticeNo="500400059B", transactionId="TXN-V-2")).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400059B")
    assert (n.suspension_type, n.epr_reason_of_suspension) == ("PS", "DBB")
    with vdb.session() as s:
        reasons = s.scalars(select(SuspendedNotice.reason_of_suspension).filter_by(notice_no="500400059B")).all()
    assert reasons == ["DBB"]


# ---- issue 13 review item 12: the VIP list detects type V at intake (tab 2 step 3) ------------------------------
def _vip_list(db, vehicle_no, status="ACTIVE"):
    from repository.models import VipVehicle
    with db.unit_of_work() as uow:
        uow.session.add(VipVehicle(vehicle_no=vehicle_no, vip_vehicle="Y", status=status, cre_user_id="t"))
        uow.commit()


@pytest.mark.parametrize("sent_type", ["S", "s", ...], ids=["sent S", "sent s", "no type"])
def test_a_vehicle_on_the_vip_list_is_type_v_and_gets_ts_old(post, vdb, sent_type):
    _vip_list(vdb, "SVIP001A")
    body = payload(vehicleNo="svip 001a", vehicleRegistrationType=sent_type)
    if sent_type is ...:
        del body["vehicleRegistrationType"]
    assert post(REPCCS, body).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert (n.vehicle_registration_type, n.suspension_type, n.epr_reason_of_suspension) == ("V", "TS", "OLD")
    logged = {d.ruleset: d for d in all_rows(vdb, DecisionLog, subject="500400058A")}
    assert logged["vehicle_type"].fired_rules == ["VT-VIP"] and logged["vehicle_type"].facts["in_vip_list"] is True


def test_an_inactive_vip_list_entry_keeps_the_type_sent(post, vdb):
    _vip_list(vdb, "SVIP001A", status="INACTIVE")
    assert post(REPCCS, payload(vehicleNo="SVIP001A", vehicleRegistrationType="S")).status_code == 200
    n = get(vdb, ValidOffenceNotice, "500400058A")
    assert (n.vehicle_registration_type, n.suspension_type) == ("S", None)
