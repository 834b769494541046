"""Value coverage (issue 15): each list value, enum value and boundary side a rule names, exercised or not."""
import itertools
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.decisions.vocabulary import VOCABULARY
from engine import load_fixtures, run_fixtures
from engine.compiler import compile_ruleset
from engine.coverage import exercised_by, measure, targets_of
from engine.explain import holds
from engine.facts import FactChecker
from engine.loader import load_file

from .conftest import FIXTURES

SMALL = """\
ruleset: cov_small
version: 1.0.0
hit_policy: first
facts:
  kind: {type: string, enum: [A, B, C]}
  category: {type: string, required: false}
  amount: {type: decimal}
  count: {type: integer}
  flag: {type: boolean}
lists:
  exempt: [LB, HL, EV]
parameters:
  limit: 80.00
rules:
  - id: R-KIND
    when: {kind: {not: A}}
    then: {outcome: NO}
  - id: R-EXEMPT
    when: {count: 11210, category: {in: exempt}}
    then: {outcome: EXEMPT}
  - id: R-AMOUNT
    when: {amount: {gt: {param: limit}}, flag: true}
    then: {outcome: HIGH}
  - id: R-RANGE
    when: {count: {between: [1, 5]}}
    then: {outcome: FEW}
default: {outcome: OK}
"""


def load(tmp_path, text, name="t.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    rs, errors = load_file(p, VOCABULARY)
    assert errors == [], errors
    assert compile_ruleset(rs)[1] == []
    return rs


def decide(rs, facts):
    """(typed values, tried, fired) by the rules as written (the reference evaluator)."""
    values = FactChecker(rs).check(facts)[0]
    tried, fired = set(), set()
    for r in rs.rules:
        tried.add(r.id)
        if holds(r.normal, values):
            fired.add(r.id)
            if rs.hit_policy == "first":
                break
    return values, tried, fired


def labels(targets):
    return [t.text for t in targets]


def run(rs, facts_list):
    """How many of ``facts_list`` exercised each target: {text per rule: count}."""
    targets = targets_of(rs)
    counts = {t: 0 for ts in targets.values() for t in ts}
    for facts in facts_list:
        values, tried, fired = decide(rs, facts)
        for t in exercised_by(rs, targets, values, tried, fired):
            counts[t] += 1
    return {(t.rule, t.text): n for t, n in counts.items()}, targets


BASE = {"kind": "A", "category": None, "amount": "10.00", "count": 0, "flag": False}


def test_targets_name_every_value_and_both_sides_of_each_boundary(tmp_path):
    t = targets_of(load(tmp_path, SMALL))
    assert labels(t["R-KIND"]) == ["fired", "kind not A: A", "kind not A: B", "kind not A: C"]  # an enum: each value
    assert labels(t["R-EXEMPT"]) == [
        "fired", "count equals 11210: 11210", "count equals 11210: another value",
        "category in exempt: LB", "category in exempt: HL", "category in exempt: EV",  # each member of the list
        "category in exempt: another value"]
    assert labels(t["R-AMOUNT"]) == [  # a parameter shows by name and value; the boundary on both sides
        "fired", "amount gt limit (80.00): at 80.00", "amount gt limit (80.00): above 80.00",
        "flag equals true: true", "flag equals true: false"]
    assert labels(t["R-RANGE"]) == ["fired", "count between 1 and 5: below 1", "count between 1 and 5: at 1",
                                    "count between 1 and 5: at 5", "count between 1 and 5: above 5"]
    assert {x.kind for x in t["R-EXEMPT"]} == {"rule", "value", "list value"}
    line = SMALL.splitlines().index("    when: {count: 11210, category: {in: exempt}}") + 1
    assert t["R-EXEMPT"][3].line == line  # the test's line, to find it in the file


@pytest.mark.parametrize("op,side", [("gt", "above"), ("gte", "below"), ("lt", "below"), ("lte", "above")])
def test_the_other_side_is_where_the_test_turns(tmp_path, op, side):
    rs = load(tmp_path, SMALL.replace("{gt: {param: limit}}", f"{{{op}: 80}}"))
    assert [x.label for x in targets_of(rs)["R-AMOUNT"][1:3]] == ["at 80", f"{side} 80"]


def test_a_value_added_to_a_list_without_a_fixture_is_not_exercised(tmp_path):
    rs = load(tmp_path, SMALL)
    facts = [dict(BASE, count=11210, category=c) for c in ("LB", "HL", "XX")]
    counts, _ = run(rs, facts)
    assert counts[("R-EXEMPT", "category in exempt: LB")] == 1
    assert counts[("R-EXEMPT", "category in exempt: another value")] == 1
    assert counts[("R-EXEMPT", "category in exempt: EV")] == 0  # added to the list, no fixture: shows


def test_a_value_counts_only_where_the_test_is_reached(tmp_path):
    rs = load(tmp_path, SMALL)
    # EV with count 1: 'count equals 11210' fails first, so EV decided nothing; kind B never reaches R-EXEMPT
    counts, _ = run(rs, [dict(BASE, count=1, category="EV"), dict(BASE, kind="B", count=11210, category="EV")])
    assert counts[("R-EXEMPT", "category in exempt: EV")] == 0
    assert counts[("R-EXEMPT", "count equals 11210: another value")] == 1
    assert counts[("R-KIND", "kind not A: B")] == 1
    counts, _ = run(rs, [dict(BASE, count=11210, category="EV")])
    assert counts[("R-EXEMPT", "category in exempt: EV")] == 1 and counts[("R-EXEMPT", "fired")] == 1


def test_boundaries_count_exactly_at_and_beyond(tmp_path):
    rs = load(tmp_path, SMALL)
    counts, _ = run(rs, [dict(BASE, amount="80.00"), dict(BASE, amount="80.01"), dict(BASE, amount="79")])
    assert counts[("R-AMOUNT", "amount gt limit (80.00): at 80.00")] == 1  # 80 as 80.00: the same decimal
    assert counts[("R-AMOUNT", "amount gt limit (80.00): above 80.00")] == 1
    counts, _ = run(rs, [dict(BASE, count=c) for c in (0, 1, 5, 6, 3)])
    sides = ("below 1", "at 1", "at 5", "above 5")
    assert [counts[("R-RANGE", f"count between 1 and 5: {x}")] for x in sides] == [1, 1, 1, 1]


def test_a_target_no_case_can_reach_is_shown_with_the_reason_and_not_counted(tmp_path):
    rs = load(tmp_path, """\
ruleset: cov_dispatch
version: 1.0.0
hit_policy: first
facts:
  question: {type: string, enum: [one, two, three]}
  stage: {type: string, required: false}
rules:
  - id: ONE-SPECIAL
    when: {question: one, stage: X}
    then: {outcome: A}
  - id: ONE
    when: {question: one}
    then: {outcome: B}
  - id: TWO
    when: {question: two, stage: {in: [X, Y]}}
    then: {outcome: C}
default: {outcome: D}
""")
    t = {x.text: x for x in targets_of(rs)["TWO"]}
    assert t["question equals two: one"].unreachable == "every case with question one is decided by ONE first"
    assert t["question equals two: three"].unreachable is None and t["question equals two: two"].unreachable is None
    assert t["stage in [X, Y]: X"].unreachable is None
    # reached only with question two (the equality written before it): ONE / ONE-SPECIAL never take those
    assert not any(x.unreachable for x in targets_of(rs)["ONE"])


def test_the_repository_rules_are_fully_covered_by_their_fixtures(registry):
    """What .ci/run asks (--min-coverage 100): every reachable target of every ruleset exercised."""
    cases, errors = load_fixtures(FIXTURES)
    cov = measure(registry, run_fixtures(registry, cases, errors))
    assert set(cov.rulesets) == set(registry.names())
    missing = {n: [t.text for t in rc.missing()] for n, rc in cov.rulesets.items() if rc.missing()}
    assert missing == {}
    assert cov.below(100) == [] and cov.percent == 100.0


# ---- classes of inputs --------------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(op=st.sampled_from(["gt", "gte", "lt", "lte"]), bound=st.integers(-50, 50),
       xs=st.lists(st.integers(-60, 60), max_size=6))
def test_boundary_sides_are_the_two_truths_of_the_test(tmp_path, op, bound, xs):
    """'at B' holds B only; the other side is exactly the values whose truth differs from B's; counts agree."""
    rs = load(tmp_path, SMALL.replace("{gt: {param: limit}}", f"{{{op}: {bound}}}"))
    at, other = targets_of(rs)["R-AMOUNT"][1:3]
    truth = {"gt": lambda x: x > bound, "gte": lambda x: x >= bound,
             "lt": lambda x: x < bound, "lte": lambda x: x <= bound}[op]
    for x in range(bound - 3, bound + 4):
        v = Decimal(x)
        assert at.accepts(v) == (x == bound)
        assert other.accepts(v) == (truth(x) != truth(bound))
    counts, _ = run(rs, [dict(BASE, amount=str(x), flag=True) for x in xs])
    assert counts[("R-AMOUNT", at.text)] == sum(x == bound for x in xs)
    assert counts[("R-AMOUNT", other.text)] == sum(truth(x) != truth(bound) for x in xs)


_VALUES = ["x", "y", "z"]
_test = st.one_of(
    st.builds(lambda v: v, st.sampled_from(_VALUES)),
    st.builds(lambda v: f"{{not: {v}}}", st.sampled_from(_VALUES)),
    st.builds(lambda op, vs: f"{{{op}: [{', '.join(vs)}]}}", st.sampled_from(["in", "not_in"]),
              st.lists(st.sampled_from(_VALUES), min_size=1, max_size=3, unique=True)))
_cond = st.dictionaries(st.sampled_from(["a", "b"]), _test, min_size=1, max_size=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(conds=st.lists(_cond, min_size=1, max_size=5), policy=st.sampled_from(["first", "collect"]))
def test_a_target_called_unreachable_is_never_exercised(tmp_path, conds, policy):
    """Over every input of two three-valued enums, a target marked unreachable is exercised by none
    (the finding is sound; it may miss some, which then show as missing)."""
    rules = "\n".join(f"  - id: R{i}\n    when: {{{', '.join(f'{k}: {v}' for k, v in c.items())}}}\n"
                      f"    then: {{outcome: O{i}}}" for i, c in enumerate(conds))
    rs = load(tmp_path, "ruleset: gen\nversion: 1.0.0\nhit_policy: " + policy +
              "\nfacts:\n  a: {type: string, enum: [x, y, z]}\n  b: {type: string, enum: [x, y, z]}\n"
              "rules:\n" + rules + "\ndefault: {outcome: D}\n")
    counts, targets = run(rs, [{"a": a, "b": b} for a, b in itertools.product(_VALUES, repeat=2)])
    for ts in targets.values():
        for t in ts:
            if t.unreachable:
                assert counts[(t.rule, t.text)] == 0, (t, t.unreachable)
