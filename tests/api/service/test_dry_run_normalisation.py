"""The dry run / explain normalise facts as intake does (issue 11 review item 8): declared per fact in the rulesets.

``POST /v1/decisions/<ruleset>`` takes what a caller would send to intake; codes (``"lb"``, ``"o"``) and vehicle
numbers (``"mid 4321"``, full-width, zero-width spaces) decide exactly as their normal forms do, and the decision
reports the normalised facts.
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from repository.identity import normalise_vehicle_no
from tests.conftest import key

URL = "/v1/decisions/{}"
AN = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 11210,
      "composition_amount": 70.00, "vehicle_category": "LB", "past_offences_24m": 2}


def decide(client, ruleset, facts, explain=False):
    r = client.post(URL.format(ruleset), json={"facts": facts, "explain": explain}, headers=key("admin"))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.mark.parametrize("explain", [False, True])
@pytest.mark.parametrize("changes", [{"vehicle_category": "lb"}, {"vehicle_category": " Lb "},
                                     {"offence_notice_type": "o", "vehicle_registration_type": "s"},
                                     {"vehicle_category": "ＬＢ"}])
def test_codes_in_any_case_decide_as_their_normal_form(client, changes, explain):
    expected = decide(client, "an_qualification", AN)
    got = decide(client, "an_qualification", {**AN, **changes}, explain)
    assert expected["outcome"] == "NOT_QUALIFIED" and expected["firedRules"] == ["BR-AN-EXEMPT-002"]
    assert (got["outcome"], got["firedRules"]) == (expected["outcome"], expected["firedRules"])
    assert got["facts"]["vehicle_category"] == "LB" and got["facts"]["offence_notice_type"] == "O"


@pytest.mark.parametrize("vehicle_no", ["mid 4321", "MID4321", "\u200bmid4321\ufeff", "ｍｉｄ４３２１"])
def test_a_military_vehicle_number_however_written(client, vehicle_no):
    got = decide(client, "vehicle_type", {"vehicle_no": vehicle_no, "vehicle_registration_type": "s"})
    assert got["outcome"] == "MILITARY" and got["outputs"]["vehicle_registration_type"] == "I"
    assert got["facts"]["vehicle_no"] == "MID4321"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from("mMiIdD4321 \u200b\ufeff\u00ad\u3000ＭＩＤ１"), min_size=1, max_size=12))
def test_the_dry_run_and_intakes_normaliser_agree(client, raw):
    got = decide(client, "vehicle_type", {"vehicle_no": raw})
    assert got["facts"]["vehicle_no"] == normalise_vehicle_no(raw)
    again = decide(client, "vehicle_type", {"vehicle_no": normalise_vehicle_no(raw)})
    assert (got["outcome"], got["firedRules"]) == (again["outcome"], again["firedRules"])
