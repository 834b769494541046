"""The explain trace shows conditions as written in the YAML (issue 15), the compiled form beside them."""
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.decisions.vocabulary import VOCABULARY
from engine import RuleRegistry
from engine.explain import condition_text, written_failure
from engine.model import All, Any_, Not
from engine.model import Test as WrittenTest

RULES = """\
ruleset: written_form
version: 1.0.0
hit_policy: collect
facts:
  vehicle_registration_type: {type: string}
  composition_amount: {type: decimal}
  past_offences_24m: {type: integer}
  vehicle_category: {type: string, required: false}
  kind: {type: string, enum: [O, E, U]}
lists:
  local_vehicle_types: [S, D, V, I]
parameters:
  an_amount_limit: 80.00
rules:
  - id: NOT-LOCAL
    when: {vehicle_registration_type: {not_in: local_vehicle_types}}
    then: {outcome: A}
  - id: OVER-LIMIT
    when: {kind: O, composition_amount: {gt: {param: an_amount_limit}}}
    then: {outcome: B}
  - id: FEW
    when: {past_offences_24m: {between: [1, 3]}}
    then: {outcome: C}
  - id: ANY
    when:
      any:
        - {vehicle_category: {in: [LB, HL]}}
        - {past_offences_24m: {gte: 10}}
    then: {outcome: D}
  - id: NOT
    when: {not: {kind: {in: [E, U]}}}
    then: {outcome: E}
  - id: ABSENT
    when: {vehicle_category: {absent: true}}
    then: {outcome: F}
default: {outcome: Z}
"""

FACTS = {"vehicle_registration_type": "S", "composition_amount": "70.00", "past_offences_24m": 0,
         "vehicle_category": "XX", "kind": "E"}


@pytest.fixture(scope="module")
def reg(tmp_path_factory):
    d = tmp_path_factory.mktemp("rules")
    (d / "written_form.yaml").write_text(RULES, encoding="utf-8")
    r = RuleRegistry(d, VOCABULARY)
    yield r
    r.close()


def steps(reg, facts):
    return {t.rule: t.to_dict() for t in reg.evaluate("written_form", facts, explain=True).trace}


def line_of(text):
    return RULES.splitlines().index(text) + 1


def test_trace_names_the_list_and_operator_as_written_with_the_actual_value(reg):
    s = steps(reg, FACTS)
    assert s["NOT-LOCAL"]["failedCondition"] == "vehicle_registration_type not_in local_vehicle_types"
    assert s["NOT-LOCAL"]["actual"] == "S"
    assert s["NOT-LOCAL"]["compiledCondition"] == "vehicle_registration_type != 'S'"  # kept, secondary
    assert s["NOT-LOCAL"]["line"] == line_of("    when: {vehicle_registration_type: {not_in: local_vehicle_types}}")


def test_first_failing_item_in_the_order_written_and_parameters_by_name(reg):
    s = steps(reg, FACTS)
    assert s["OVER-LIMIT"]["failedCondition"] == "kind equals O" and s["OVER-LIMIT"]["actual"] == "E"
    s = steps(reg, dict(FACTS, kind="O"))
    assert s["OVER-LIMIT"]["failedCondition"] == "composition_amount gt an_amount_limit (80.00)"
    assert s["OVER-LIMIT"]["actual"] == 70.0
    assert s["OVER-LIMIT"]["compiledCondition"] == "composition_amount > 80.00"


def test_between_any_not_and_absent_as_written(reg):
    s = steps(reg, FACTS)
    assert s["FEW"]["failedCondition"] == "past_offences_24m between 1 and 3" and s["FEW"]["actual"] == 0
    assert s["FEW"]["compiledCondition"] == "past_offences_24m >= 1"
    assert s["ANY"]["failedCondition"] == "vehicle_category in [LB, HL] or past_offences_24m gte 10"
    assert s["ANY"]["actual"] == {"vehicle_category": "XX", "past_offences_24m": 0}
    assert s["NOT"]["failedCondition"] == "not (kind in [E, U])" and s["NOT"]["actual"] == "E"
    assert s["ABSENT"]["failedCondition"] == "vehicle_category absent"
    assert steps(reg, dict(FACTS, vehicle_category=None))["ABSENT"]["matched"] is True


def test_the_project_rules_trace_their_own_words(registry):
    """The issue's example: BR-AN-GATE-002 reads as written, not as vehicle_registration_type != 'S'."""
    facts = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 11210,
             "composition_amount": 70, "vehicle_category": "XX", "past_offences_24m": 0}
    s = {t.rule: t for t in registry.evaluate("an_qualification", facts, explain=True).trace}
    assert s["BR-AN-GATE-002"].failed_condition == "vehicle_registration_type not_in local_vehicle_types"
    assert s["BR-AN-GATE-002"].actual == "S"
    assert s["BR-AN-EXEMPT-002"].failed_condition == "vehicle_category in exempt_categories_11210"
    assert s["BR-AN-EXEMPT-002"].actual == "XX"


def _written_nodes(cond):
    yield cond
    if isinstance(cond, Not):
        yield from _written_nodes(cond.item)
    elif isinstance(cond, (All, Any_)):
        for c in cond.items:
            yield from _written_nodes(c)


_amounts = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(vt=st.sampled_from(["S", "D", "X", "F"]), amount=_amounts, past=st.integers(-2, 12),
       cat=st.sampled_from([None, "LB", "HL", "XX"]), kind=st.sampled_from(["O", "E", "U"]))
def test_every_failed_condition_is_a_condition_of_the_rule_as_written_and_fails(reg, vt, amount, past, cat, kind):
    """For any facts: each rule that did not match names one of its own written conditions, which fails for
    those facts, in the analyst's words (no compiled operators); the rules that matched name none."""
    facts = {"vehicle_registration_type": vt, "composition_amount": str(amount), "past_offences_24m": past,
             "vehicle_category": cat, "kind": kind}
    d = reg.evaluate("written_form", facts, explain=True)
    rs = reg.get("written_form")
    values = {**facts, "composition_amount": Decimal(str(amount)), "an_amount_limit": Decimal("80.00")}
    for rule, step in zip(rs.rules, d.trace):
        if step.matched:
            assert step.failed_condition is None and rule.id in d.fired
            continue
        nodes = {condition_text(n): n for n in _written_nodes(rule.when)}
        assert step.failed_condition in nodes
        assert written_failure(nodes[step.failed_condition], values) is not None
        assert not any(sym in step.failed_condition for sym in ("==", "!=", "'", ">", "<"))
        assert step.compiled_condition  # the engine's form is still there


def test_condition_text_of_each_operator():
    t = lambda op, v, **kw: condition_text(WrittenTest("f", op, v, **kw))  # noqa: E731
    assert t("equals", "O") == "f equals O"
    assert t("not", True) == "f not true"
    assert t("in", ("A", "B"), list_name="codes") == "f in codes"
    assert t("not_in", ("A", "B")) == "f not_in [A, B]"
    assert t("lte", Decimal("80.00"), param="limit") == "f lte limit (80.00)"
    assert t("between", (1, 5), param=(None, "top")) == "f between 1 and top (5)"
    assert t("matches", "MID[0-9]+") == "f matches MID[0-9]+"
    assert t("present", None) == "f present"
    assert condition_text(None) == "always"


def test_a_failing_fixture_says_why_the_expected_rule_did_not_fire_in_the_rules_words(registry):
    from engine.fixtures import Case, run_case
    facts = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 11210,
             "composition_amount": 70, "vehicle_category": "EV", "past_offences_24m": 1}
    r = run_case(registry, Case("an_qualification", "x", facts, {"fired": ["BR-AN-EXEMPT-002"]}, "f.yaml", 1))
    assert r.problems[0] == "fired: expected ['BR-AN-EXEMPT-002'], got ['BR-AN-QUAL-002']"
    assert r.problems[1].startswith("  BR-AN-EXEMPT-002 did not match: vehicle_category in exempt_categories_11210 "
                                    "is false for 'EV', line ")
    r = run_case(registry, Case("an_qualification", "y", dict(facts, offence_notice_type="E"),
                                {"fired": ["BR-AN-GATE-002"]}, "f.yaml", 1))
    assert r.problems[1] == "  BR-AN-GATE-002 was not tried: BR-AN-GATE-001 matched first"
