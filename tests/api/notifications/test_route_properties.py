"""Whatever state a qualified AN is in, the route never sends a channel twice and PS-ANS only follows a send.

A property over every combination of the route's facts (hypothesis), with the ruleset as shipped: the job relies on
it (a send's result is never cleared by the job itself), so an analyst's edit that broke it would show here.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry

RULES = Path(__file__).resolve().parents[3] / "rules"
SENDS = ["SUCCESS", "FAILED", "IN_DOUBT", None]


@pytest.fixture(scope="module")
def route():
    r = RuleRegistry(RULES, VOCABULARY)
    yield r
    r.close()


facts = st.fixed_dictionaries({
    "vehicle_no": st.sampled_from(["SBA1234A", "UNLICENSED_PARKING", "MID4321"]),
    "vehicle_registration_type": st.sampled_from(["S", "D", "V", "I", "X", None]),
    "owner_result": st.sampled_from(["FOUND", "MILITARY", "NOT_FOUND", "FAILED", None]),
    "owner_id_present": st.booleans(), "suspended": st.booleans(), "excluded": st.booleans(),
    "contact_result": st.sampled_from(["FOUND", "NONE", "FAILED", None]),
    "has_mobile": st.booleans(), "has_email": st.booleans(),
    "sms_result": st.sampled_from(SENDS), "email_result": st.sampled_from(SENDS),
    "address_result": st.sampled_from(["FOUND", "NO_ADDRESS", "NOT_FOUND", "FAILED", None]),
    "letter_result": st.sampled_from(["SUCCESS", "INVALID", "REJECTED", "FAILED", "IN_DOUBT", None]),
    "ps_ans_applied": st.booleans(),
})


@settings(max_examples=400, deadline=None)
@given(facts)
def test_no_second_send_and_ps_ans_only_after_a_send(route, f):
    f = {**f, "notification_sent": "SUCCESS" in (f["sms_result"], f["email_result"], f["letter_result"])}
    d = route.evaluate("an_notification_route", f)
    if d.outcome == "SEND_SMS":
        assert f["sms_result"] is None and f["has_mobile"]
    if d.outcome == "SEND_EMAIL":
        assert f["email_result"] is None and f["has_email"]
    if d.outcome == "SEND_LETTER":
        assert f["letter_result"] is None and f["address_result"] == "FOUND"
    if d.outcome == "APPLY_PS_ANS":
        assert f["notification_sent"] and not f["ps_ans_applied"]
        assert [a.name for a in d.actions] == ["suspend"]
    if d.outcome in ("SEND_SMS", "SEND_EMAIL", "SEND_LETTER"):
        assert not f["ps_ans_applied"] and not (f["suspended"] and not f["notification_sent"])
    if f["ps_ans_applied"]:
        assert d.outcome == "DONE"
    assert d.outcome in ("CALL_LTA", "SET_MILITARY_OWNER", "CALL_DATAHIVE", "SEND_SMS", "SEND_EMAIL", "CALL_MHA",
                         "SEND_LETTER", "APPLY_PS_ANS", "SKIP", "DONE", "MANUAL_REVIEW")
    if d.outcome == "MANUAL_REVIEW":
        assert str(d.outputs.get("review_type", "")).startswith("AN_")
