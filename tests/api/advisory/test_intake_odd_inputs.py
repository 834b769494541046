"""Odd and hostile webhook inputs found by a fresh review: each a 4xx naming the field, or a notice - never a 500."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.models import DecisionLog, ValidOffenceNotice

from .test_intake import (  # noqa: F401  (fixtures)
    CES, REPCCS, _set_param, an_app, ces_payload, history, notices, payload, post, session,
)

pytestmark = pytest.mark.usefixtures("notice_day")  # conftest.py: the notices' business day


@pytest.mark.parametrize("path", [REPCCS, CES])
@pytest.mark.parametrize("cre_date", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
def test_cre_date_whose_offset_leaves_the_calendar_is_400_naming_it(post, session, path, cre_date):
    # Converting these to Singapore time overflows datetime (year 10000 / year 0): it was a 500.
    r = post(path, (payload if path == REPCCS else ces_payload)(creDate=cre_date))
    assert r.status_code == 400, r.get_json()
    assert [e["field"] for e in r.get_json()["data"]["errors"]] == ["creDate"]
    assert notices(session) == []


@pytest.mark.parametrize("vehicle_no", ["A" * 15, "SBA1234A" * 3, "A" * 200])
def test_vehicle_number_longer_than_14_is_400_saying_14(post, session, vehicle_no):
    r = post(REPCCS, payload(vehicleNo=vehicle_no))
    assert r.status_code == 400
    assert r.get_json()["data"]["errors"] == [{"field": "vehicleNo", "message": "Longer than maximum length 14."}]
    assert notices(session) == []


def _qualification(session, notice_no):
    return session.scalars(select(DecisionLog).filter_by(subject=notice_no, ruleset="an_qualification")).one()


@pytest.mark.parametrize("code,value", [
    ("PAST_OFFENCE_MONTHS", "abc"), ("PAST_OFFENCE_MONTHS", "99999"), ("PAST_OFFENCE_MONTHS", "-3"),
    ("PAST_OFFENCE_MONTHS", "0"), ("PAST_OFFENCE_MODE", "anny"), ("SAME_DAY_CHECK", "maybe"),
])
def test_an_unusable_ocms_parameter_override_is_ignored(post, session, code, value):
    """An operator's typo in an AN_QUALIFICATION row never fails an intake (it was a 500 for the months) nor
    silently turns qualification off (PAST_OFFENCE_MODE matched no rule): the default stands."""
    history(session, "SBA1234A", "2025-06-01T10:00:00")  # 7 months before: a past offence in the 24-month window
    history(session, "SBA1234A", "2026-01-15T07:00:00", an_flag="Y")  # an AN the same day (same-day check off)
    session.commit()
    _set_param(session, code, value)
    r = post(REPCCS, payload(noticeNo="500400001A"))
    assert r.status_code == 200, r.get_json()
    assert session.get(ValidOffenceNotice, "500400001A").an_flag == "Y"
    d = _qualification(session, "500400001A")
    assert (d.outcome, d.fired_rules, d.facts["past_offences_24m"]) == ("QUALIFIED", ["BR-AN-QUAL-002"], 2)


@pytest.mark.parametrize("code,value,qualified", [
    ("SAME_DAY_CHECK", " y ", False), ("SAME_DAY_CHECK", "no", True), ("PAST_OFFENCE_MODE", " Ps_Reasons ", False),
    ("PAST_OFFENCE_MONTHS", " 6 ", True),
])
def test_usable_overrides_still_apply(post, session, code, value, qualified):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    history(session, "SBA1234A", "2026-01-15T07:00:00", an_flag="Y")
    session.commit()
    _set_param(session, code, value)
    assert post(REPCCS, payload(noticeNo="500400001A")).status_code == 200
    if code == "PAST_OFFENCE_MONTHS":  # 6 months: only the AN of the same day is in the window
        assert _qualification(session, "500400001A").facts["past_offences_24m"] == 1
    assert (session.get(ValidOffenceNotice, "500400001A").an_flag == "Y") is qualified


def test_ps_reasons_are_codes_in_either_case(post, session):
    history(session, "SBA1234A", "2025-07-01T10:00:00", suspension_type="PS", epr_reason_of_suspension="ANS")
    session.commit()
    _set_param(session, "PAST_OFFENCE_MODE", "PS_REASONS")
    _set_param(session, "PS_REASONS", " fp, ans ")
    assert post(REPCCS, payload(noticeNo="500400001A")).status_code == 200
    d = _qualification(session, "500400001A")
    assert (d.outcome, d.facts["past_qualifying_offences_24m"]) == ("QUALIFIED", 1)


def test_a_vip_vehicle_cas_sent_in_lower_case_gets_the_vip_treatment(post, session):
    """CAS API 3's status " active " was stored as sent: the intake (status = 'ACTIVE') took the vehicle for an
    ordinary one - no VIP type, no TS-OLD (OCMS 14 tab 2)."""
    from api.cas.vip_refresh import replace_vip_vehicles
    from api.clients.cas import validate_vip_response
    replace_vip_vehicles(session, validate_vip_response(
        {"data": [{"vehicleNo": "svip 1a", "status": " active "}], "totalCount": 1}))
    session.commit()
    assert post(REPCCS, payload(noticeNo="500400001A", vehicleNo="SVIP1A")).status_code == 200
    n = session.get(ValidOffenceNotice, "500400001A")
    assert (n.vehicle_registration_type, n.suspension_type, n.epr_reason_of_suspension) == ("V", "TS", "OLD")
