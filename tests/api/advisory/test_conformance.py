"""OCMS 10 conformance (issue 11): one vehicle is one vehicle, double booking finds the match, the spec's
past-offence window, the revival default - each over HTTP against the real intake."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from sqlalchemy import insert, select

from repository.identity import is_vehicle_no, normalise_vehicle_no
from repository.models import DecisionLog, Parameter, SuspendedNotice, ValidOffenceNotice

from tests.api.notifications.conftest import notifier  # noqa: F401  (fixture: the an-notifications job)

from .test_intake import CES, REPCCS, an_app, ces_payload, history, payload, post, session  # noqa: F401

pytestmark = pytest.mark.usefixtures("notice_day")


def _notice(session, no):
    session.expire_all()
    return session.get(ValidOffenceNotice, no)


# ---- one vehicle is one vehicle ------------------------------------------------------------------------------
@pytest.mark.parametrize("first, second", [("SZZ7001A", "szz7001a"), ("szz7001a", " SZZ7001A"),
                                           ("SZZ 7001A", "SZZ7001A"), ("SZZ7001A", "\tszz 7001 a\u00a0")])
def test_double_booking_in_any_case_and_spacing(post, session, first, second):
    assert post(REPCCS, payload(noticeNo="500400001A", vehicleNo=first)).status_code == 200
    assert post(REPCCS, payload(noticeNo="500400002A", vehicleNo=second)).status_code == 200
    a, b = _notice(session, "500400001A"), _notice(session, "500400002A")
    assert a.vehicle_no == b.vehicle_no == "SZZ7001A"
    assert (b.suspension_type, b.epr_reason_of_suspension) == ("PS", "DBB")


def test_past_offence_in_another_spelling_counts(post, session, an_app, notifier):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    assert post(REPCCS, payload(vehicleNo="sba 1234a")).status_code == 200
    n = _notice(session, "500400058A")
    assert (n.vehicle_no, n.an_flag, n.epr_reason_of_suspension) == ("SBA1234A", "Y", None)   # PS-ANS after the send
    notifier(an_app)
    assert _notice(session, "500400058A").epr_reason_of_suspension == "ANS"


@pytest.mark.parametrize("vehicle", ["mid4321", "Mid 4321", " mindef12 "])
def test_military_vehicle_in_lower_case_is_recognised(post, session, vehicle):
    assert post(REPCCS, payload(vehicleNo=vehicle, vehicleRegistrationType=...)).status_code == 200
    n = _notice(session, "500400058A")
    assert n.vehicle_registration_type == "I" and n.vehicle_no == normalise_vehicle_no(vehicle)


@pytest.mark.parametrize("category", ["lb", " hl", "Lb"])
def test_exempt_category_in_any_case(post, session, category):
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    assert post(REPCCS, payload(computerRuleCode=11210, vehicleCategory=category)).status_code == 200
    n = _notice(session, "500400058A")
    assert n.vehicle_category == category.strip().upper() and n.an_flag == "N"
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="an_qualification")).one()
    assert log.fired_rules == ["BR-AN-EXEMPT-002"]


@pytest.mark.parametrize("flag", ["y", " Y "])
def test_ces_eht_anflag_in_lower_case(post, session, flag):
    assert post(CES, ces_payload(anFlag=flag, subsystemLabel="230eht")).status_code == 200
    n = _notice(session, "500400058A")
    assert (n.an_flag, n.subsystem_label, n.epr_reason_of_suspension) == ("Y", "230EHT", "ANS")


def test_codes_and_notice_number_are_stored_upper_case(post, session):
    r = post(REPCCS, payload(noticeNo=" 500400058a ", offenceNoticeType="o", vehicleRegistrationType="s",
                             vehicleCategory="c", ppCode="a0001"))
    assert r.status_code == 200, r.get_json()
    n = _notice(session, "500400058A")
    assert (n.offence_notice_type, n.vehicle_registration_type, n.vehicle_category, n.pp_code) == ("O", "S", "C", "A0001")
    # the same number in another case is the same notice: the spec's duplicate answer
    r = post(REPCCS, payload(noticeNo="500400058a"))
    assert r.status_code == 400 and r.get_json()["data"]["message"] == "Duplicate notice detected"


@pytest.mark.parametrize("field, value", [("noticeNo", "5004-0058A"), ("noticeNo", "50040005\u00e9A"),
                                          ("offenceNoticeType", "x"), ("vehicleNo", "S" * 15)])
def test_malformed_identities_are_refused_naming_the_field(post, session, field, value):
    r = post(REPCCS, payload(**{field: value}))
    assert r.status_code == 400
    assert field in [e["field"] for e in r.get_json()["data"]["errors"]]
    assert session.scalars(select(ValidOffenceNotice)).all() == []


def test_ans_report_filter_finds_a_vehicle_sent_in_lower_case(post, an_app, bearer):
    history_free = post(CES, ces_payload(anFlag="Y", vehicleNo="skl 888z"))
    assert history_free.status_code == 200
    client = an_app.test_client()
    today = dt.date(2026, 1, 15).isoformat()  # the notice_day fixture's business day
    for sent in ("SKL888Z", "skl888z", "skl 888z", " SKL888Z"):
        r = client.get("/v1/an/reports/ans", query_string={"dateFrom": today, "dateTo": today, "vehicleNo": sent},
                       headers=bearer())
        assert r.status_code == 200 and r.headers["X-Total-Records"] == "1", (sent, r.get_data(as_text=True)[:200])


@settings(max_examples=200, deadline=None)
@given(plate=st.from_regex(r"[A-Z]{1,3}[0-9]{1,4}[A-Z]?", fullmatch=True),
       data=st.data())
def test_every_spelling_of_a_plate_normalises_to_it(plate, data):
    spaces = st.sampled_from([" ", "\t", "\u00a0", "\u3000", "\n", ""])
    spelt = "".join(data.draw(spaces) + (c.lower() if data.draw(st.booleans()) else c) for c in plate)
    spelt += data.draw(spaces)
    assert normalise_vehicle_no(spelt) == plate
    assert normalise_vehicle_no(normalise_vehicle_no(spelt)) == plate


# ---- issue 11 review item 4: invisible and full-width characters, refused shapes ------------------------------
INVISIBLE = ["\u200b", "\ufeff", "\u00ad", "\u200d", "\u2060", "\u200e", "\u202e"]   # all Unicode Cf


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@settings(max_examples=300, deadline=None)
@given(plate=st.from_regex(r"[A-Z]{1,3}[0-9]{1,4}[A-Z]?", fullmatch=True), data=st.data())
def test_every_spelling_with_invisible_and_full_width_characters_normalises_to_the_plate(plate, data):
    pieces = []
    for c in plate:
        pieces.append(data.draw(st.sampled_from(["", " ", "\u3000", "\u00a0", *INVISIBLE])))
        c = c.lower() if data.draw(st.booleans()) else c
        pieces.append(_full_width(c) if data.draw(st.booleans()) else c)
    pieces.append(data.draw(st.sampled_from(["", "\ufeff", " ", "\u200b"])))
    spelt = "".join(pieces)
    assert normalise_vehicle_no(spelt) == plate
    assert is_vehicle_no(normalise_vehicle_no(spelt))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_the_vehicle_normaliser_is_stable_and_leaves_nothing_invisible(text):
    once = normalise_vehicle_no(text)
    assert normalise_vehicle_no(once) == once
    assert not any(unicodedata.category(c) == "Cf" or c.isspace() for c in once)
    assert once == once.upper() or not once.isascii()


@pytest.mark.parametrize("sent", ["\u200bSZZ7001A", "SZZ\ufeff7001A", "ＳＺＺ７００１Ａ", "szz\u00ad7001a\u200d"])
def test_intake_stores_one_vehicle_whatever_invisible_or_full_width_characters(post, session, sent):
    assert post(REPCCS, payload(noticeNo="500400001A", vehicleNo="SZZ7001A")).status_code == 200
    assert post(REPCCS, payload(noticeNo="500400002A", vehicleNo=sent)).status_code == 200
    a, b = _notice(session, "500400001A"), _notice(session, "500400002A")
    assert a.vehicle_no == b.vehicle_no == "SZZ7001A"
    assert b.epr_reason_of_suspension == "DBB" or b.suspension_type is not None   # the double booking was seen


@pytest.mark.parametrize("path", [REPCCS, CES])
@pytest.mark.parametrize("sent", ["SZZ-7001A", "SZZ.7001", "SZZ_7001", "ＳＺＺ－７００１", "SBA1234A!", "Ä1234", "\u200b"])
def test_intake_refuses_a_vehicle_number_that_is_not_letters_and_digits(post, session, path, sent):
    body = payload(vehicleNo=sent) if path == REPCCS else ces_payload(vehicleNo=sent)
    r = post(path, body)
    assert 400 <= r.status_code < 500, r.get_json()
    assert "vehicleNo" in {e["field"] for e in r.get_json()["data"]["errors"]}
    session.expire_all()
    assert session.scalars(select(ValidOffenceNotice)).all() == []


def test_the_upl_placeholder_is_still_accepted(post, session):
    r = post(REPCCS, payload(vehicleNo="unlicensed_parking", offenceNoticeType="U", vehicleRegistrationType=...))
    assert r.status_code == 200, r.get_json()
    assert _notice(session, "500400058A").vehicle_no == "UNLICENSED_PARKING"


# ---- double booking finds the match -----------------------------------------------------------------------------
@pytest.mark.parametrize("others", [0, 1, 49, 50, 51, 120])
def test_double_booking_found_however_many_notices_the_vehicle_has(post, session, others):
    """The issue's example: notices at 11:10-11:59 the day before, then two identical at 10:00."""
    rows = [{"notice_no": f"H{i:09d}", "vehicle_no": "SZZ7001A", "offence_notice_type": "O",
             "notice_date_and_time": dt.datetime(2026, 1, 14, 11, 10) + dt.timedelta(seconds=i * (2940 // max(others, 1))),
             "vehicle_registration_type": "S", "computer_rule_code": 10100, "composition_amount": Decimal("50.00")}
            for i in range(others)]
    if rows:
        session.execute(insert(ValidOffenceNotice), rows)
        session.commit()
    same = {"vehicleNo": "SZZ7001A", "noticeDateAndTime": "2026-01-15T10:00:00", "computerRuleCode": 10100}
    assert post(REPCCS, payload(noticeNo="500400001A", **same)).status_code == 200
    assert post(REPCCS, payload(noticeNo="500400002A", **same)).status_code == 200
    first, second = _notice(session, "500400001A"), _notice(session, "500400002A")
    assert first.epr_reason_of_suspension != "DBB"
    assert (second.suspension_type, second.epr_reason_of_suspension) == ("PS", "DBB")


def test_double_booking_window_follows_the_ruleset_parameter(post, session, an_app, key):
    """An analyst who widens max_seconds_apart widens the candidates the application reads."""
    history(session, "SZZ7001A", "2026-01-15T09:55:00", rule_code=10100)
    session.commit()
    same = {"vehicleNo": "SZZ7001A", "noticeDateAndTime": "2026-01-15T10:00:00", "computerRuleCode": 10100}
    assert post(REPCCS, payload(noticeNo="500400001A", **same)).status_code == 200
    assert _notice(session, "500400001A").epr_reason_of_suspension != "DBB"   # 300 s apart: not with 0
    rules = Path(an_app.config["OCMS_RULES_DIR"]) / "double_booking.yaml"
    rules.write_text(re.sub(r"^  max_seconds_apart: 0", "  max_seconds_apart: 300", rules.read_text(), flags=re.M))
    assert an_app.test_client().post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert post(REPCCS, payload(noticeNo="500400002A", **same)).status_code == 200
    assert _notice(session, "500400002A").epr_reason_of_suspension == "DBB"


# ---- §3.1: the past-offence window, the example ---------------------------------------------------------
def _late_notice(post, session, time_machine, notice_no):
    """A notice dated 2026-01-15 arriving on 2026-11-30 (SGT); the vehicle's offence of 2024-03-01."""
    arrival = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    time_machine.move_to(arrival.timestamp(), tick=True)
    r = post(REPCCS, payload(noticeNo=notice_no, noticeDateAndTime="2026-01-15T08:30:00"))
    assert r.status_code == 200
    return _notice(session, notice_no)


def test_late_notice_looks_back_from_the_day_it_arrives(post, session, time_machine):
    history(session, "SBA1234A", "2024-03-01T10:00:00")
    session.commit()
    n = _late_notice(post, session, time_machine, "500400058A")
    assert n.an_flag == "N" and n.suspension_type is None          # 2024-03-01 < 2024-11-30: outside
    log = session.scalars(select(DecisionLog).filter_by(subject="500400058A", ruleset="an_qualification")).one()
    assert log.facts["past_offences_24m"] == 0


def test_notice_date_anchor_is_the_rulesets_switch(post, session, an_app, key, time_machine, notifier):
    rules = Path(an_app.config["OCMS_RULES_DIR"]) / "an_qualification.yaml"
    rules.write_text(re.sub(r"^  past_offence_window_start: current_date", "  past_offence_window_start: notice_date",
                            rules.read_text(), flags=re.M))
    assert an_app.test_client().post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    history(session, "SBA1234A", "2024-03-01T10:00:00")
    session.commit()
    n = _late_notice(post, session, time_machine, "500400058A")
    assert n.an_flag == "Y"   # inside [2024-01-15 08:30, 2026-01-15 08:30)
    notifier(an_app)          # PS-ANS once the notification is sent (OCMS 10 §3.7)
    assert _notice(session, "500400058A").epr_reason_of_suspension == "ANS"


# ---- §3.7: the revival period ---------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [None, "abc", "-3", "1e9"])
def test_qualified_an_with_a_broken_revival_parameter_is_still_suspended_30_days(post, session, value, caplog, an_app,
                                                                                notifier):
    row = session.get(Parameter, ("REVIVAL_DAYS", "ANS"))
    if value is None:
        session.delete(row)
    else:
        row.value = value
    history(session, "SBA1234A", "2025-06-01T10:00:00")
    session.commit()
    r = post(REPCCS, payload())
    assert r.status_code == 200, r.get_json()
    assert notifier(an_app)["psAns"] == 1     # PS-ANS after the notification (OCMS 10 §3.7), as intake applied it
    n = _notice(session, "500400058A")
    assert n.due_date_of_revival - n.epr_date_of_suspension == dt.timedelta(days=30)
    (s,) = session.scalars(select(SuspendedNotice).filter_by(notice_no="500400058A")).all()
    assert s.due_date_of_revival - s.date_of_suspension == dt.timedelta(days=30)
    assert any("REVIVAL_DAYS/ANS" in rec.getMessage() and rec.levelname == "WARNING" for rec in caplog.records)
