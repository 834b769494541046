"""Issue 9: one answer for every input, or a clear refusal — never a wrong answer kept.

Each example of the issue is a named test here; test_differential.py covers
their kinds by generation.
"""
import json
import logging
import subprocess
import sys

import pytest

from api.decisions.vocabulary import VOCABULARY
from engine import EngineDisagreement, FactError, RuleRegistry, check_directory
from engine.runtime import EngineRuleset, try_register

from .conftest import ROOT, RULES, TESTDATA

BASE = dict(offence_notice_type="O", vehicle_registration_type="S", computer_rule_code=10001,
            composition_amount=70.0, past_offences_24m=1)


@pytest.fixture
def fresh():
    r = RuleRegistry(RULES, VOCABULARY)
    yield r
    r.close()


@pytest.fixture
def operators():
    r = RuleRegistry(TESTDATA / "operators", VOCABULARY)
    yield r
    r.close()


# ---- strings and patterns --------------------------------------------------------------------
@pytest.mark.parametrize("label,outcome,fired", [
    ("030é", "VALID", ["BR-AN-CES-001"]),             # 4 characters (durable_rules saw 9: 030\u00e9)
    ("030😀😀", "VALID", ["BR-AN-CES-001"]),           # astral characters are one character each
    ('030"\\', "VALID", ["BR-AN-CES-001"]),            # quote and backslash (escaped in JSON)
    ("030\u2028", "VALID", ["BR-AN-CES-001"]),
    ("030\x00", "VALID", ["BR-AN-CES-001"]),
    ("030\n1", "INVALID", []),                        # "." does not match a newline (a trailing one is trimmed: normalise code)
    ("02é", "INVALID", ["BR-AN-CES-001-RANGE"]),
    ("é" * 9, "INVALID", []),                          # 9 characters: too long
    ("", "INVALID", []),
])
def test_ces_subsystem_labels_of_every_character_kind(fresh, label, outcome, fired):
    for use_cache in (False, True, True):
        d = fresh.evaluate("ces_subsystem", {"subsystem_label": label}, use_cache=use_cache)
        assert (d.outcome, d.fired) == (outcome, fired)


def test_a_lone_surrogate_is_not_text(fresh):
    with pytest.raises(FactError) as exc:
        fresh.evaluate("ces_subsystem", {"subsystem_label": json.loads('"030\\ud800"')})
    assert exc.value.fields == ["subsystem_label"] and "surrogate" in exc.value.problems[0].message


def test_a_non_ascii_label_does_not_poison_the_cache_for_valid_labels(fresh):
    assert fresh.evaluate("ces_subsystem", {"subsystem_label": "030é"}).outcome == "VALID"
    for label in ("030AB", "230EHT", "045A", "999"):
        assert fresh.evaluate("ces_subsystem", {"subsystem_label": label}).outcome == "VALID"
    assert fresh.evaluate("ces_subsystem", {"subsystem_label": "029"}).outcome == "INVALID"


def test_durable_rules_is_posted_no_string_float_or_pattern(fresh):
    for name in fresh.names():
        c = fresh._compiled(name)
        text = json.dumps(c.engine.definition)
        assert "$mt" not in text and "$nex" not in text
        _, event, _ = c.checker.check(_some_facts(c.ruleset))
        assert all(v is None or type(v) in (int, bool) for v in event.values()), (name, event)


def _some_facts(rs):
    sample = {"string": "X", "integer": 1, "decimal": "1.5", "boolean": True, "date": "2026-01-15",
              "datetime": "2026-01-15T08:30:00"}
    return {n: (f.enum[0] if f.enum else sample[f.type]) for n, f in rs.facts.items()}


# ---- numbers ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("amount,exempt", [
    (80.0, True), ("80.00", True), (80, True), ("80.0000000000000001", False), ("79.9999999999999999", False),
    (80.00000000000001, False), ("8E+1", True),
])
def test_decimals_compare_exactly(fresh, amount, exempt):
    facts = dict(BASE, computer_rule_code=20412, composition_amount=amount)
    for use_cache in (False, True):
        d = fresh.evaluate("an_qualification", facts, use_cache=use_cache)
        assert (d.fired == ["BR-AN-EXEMPT-001"]) is exempt


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan"), "Infinity", "NaN", "1e999x", "1_000", " 80"])
def test_non_finite_and_loose_decimals_are_fact_errors(fresh, value):
    with pytest.raises(FactError) as exc:
        fresh.evaluate("an_qualification", dict(BASE, composition_amount=value))
    assert exc.value.fields == ["composition_amount"]


def test_integers_beyond_floats_and_64_bits_are_exact(operators):
    assert "N-EQ-2P53-1" in operators.evaluate("op_numbers", {"n": 2 ** 53 + 1}).fired
    assert "N-EQ-2P53-1" not in operators.evaluate("op_numbers", {"n": 2 ** 53}).fired
    assert "N-GTE-2P63" in operators.evaluate("op_numbers", {"n": 2 ** 63}).fired
    assert "N-GTE-2P63" not in operators.evaluate("op_numbers", {"n": 2 ** 63 - 1}).fired
    assert "N-LT-MIN64" in operators.evaluate("op_numbers", {"n": -2 ** 63 - 2}).fired


@pytest.mark.parametrize("fact,value", [("computer_rule_code", True), ("computer_rule_code", 20412.0),
                                        ("computer_rule_code", "20412"), ("past_offences_24m", False)])
def test_booleans_and_floats_are_not_integers(fresh, fact, value):
    with pytest.raises(FactError) as exc:
        fresh.evaluate("an_qualification", dict(BASE, **{fact: value}))
    assert exc.value.fields == [fact]


@pytest.mark.parametrize("value", [1, 0, "true", "Y"])
def test_numbers_and_text_are_not_booleans(fresh, value):
    with pytest.raises(FactError) as exc:
        fresh.evaluate("cps_classification", {"court_stage": value})
    assert exc.value.fields == ["court_stage"]


def test_a_collect_rule_fires_once_when_several_branches_hold(operators):
    d = operators.evaluate("op_numbers", {"n": 9, "d": 1}, explain=True)
    assert d.fired.count("ND-ANY") == 1


# ---- dates and datetimes --------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["2026-01-15garbage", "2026-01-15 ", "2026-1-15", "2026-02-30", "20260115",
                                   "2026-01-15T08:00:00"])
def test_dates_are_parsed_strictly(operators, value):
    with pytest.raises(FactError) as exc:
        operators.evaluate("op_dates", {"day": value})
    assert exc.value.fields == ["day"]


@pytest.mark.parametrize("value,at_0830", [
    ("2026-01-15T08:30:00", True), ("2026-01-15T00:30:00Z", True), ("2026-01-15T00:30:00+00:00", True),
    ("2026-01-14T19:30:00-05:00", True), ("2026-01-15T08:30:00+08:00", True), ("2026-01-15T08:30:00.000001", False),
    ("2026-01-15T08:30:00Z", False),
])
def test_datetimes_with_an_offset_are_business_time(operators, value, at_0830):
    d = operators.evaluate("op_dates", {"at": value})
    assert ("AT-EQ" in d.fired) is at_0830 and ("AT-EQ-UTC" in d.fired) is at_0830
    assert d.facts["at"].startswith("2026-01-15T08:30:00") is (at_0830 or value.endswith(".000001"))


def test_the_business_time_zone_is_a_registry_setting():
    utc = RuleRegistry(TESTDATA / "operators", VOCABULARY, timezone="UTC")
    try:
        # in UTC, the literal 2026-01-15T00:30:00Z is 00:30 and the naive literal 08:30 stays 08:30
        d = utc.evaluate("op_dates", {"at": "2026-01-15T00:30:00Z"})
        assert "AT-EQ-UTC" in d.fired and "AT-EQ" not in d.fired
    finally:
        utc.close()
    with pytest.raises(ValueError, match="time zone"):
        RuleRegistry(TESTDATA / "operators", VOCABULARY, timezone="Mars/Olympus")


# ---- nulls and absent optionals ------------------------------------------------------------------
def test_every_operator_on_an_absent_optional_agrees(operators):
    for facts in ({"e": "A"}, {"e": "A", "s": None, "t": None}):
        d = operators.evaluate("op_strings", facts, explain=True)
        assert d.fired == ["ABSENT", "NULL"]
    d = operators.evaluate("op_numbers", {}, explain=True)
    assert d.fired == ["D-ABSENT"]


# ---- never a wrong answer kept --------------------------------------------------------------------
def _break_engine(reg, name):
    """Serve a ruleset from a wrongly compiled definition (its first two rules' conditions swapped).

    Not a mock: a real durable_rules ruleset that disagrees with the rules as
    written, as a compiler bug would.
    """
    c = reg._compiled(name)
    bad = json.loads(json.dumps(c.engine.definition))
    bad["r0000"]["all"], bad["r0001"]["all"] = bad["r0001"]["all"], bad["r0000"]["all"]
    old = c.engine
    c.engine = EngineRuleset(c.ruleset, bad)
    old.retire()


def test_a_disagreement_is_refused_logged_counted_and_never_cached(fresh, caplog):
    _break_engine(fresh, "an_qualification")
    facts = dict(BASE, offence_notice_type="E")
    with caplog.at_level(logging.ERROR, logger="engine"):
        for _ in range(3):
            with pytest.raises(EngineDisagreement) as exc:
                fresh.evaluate("an_qualification", facts)
    assert exc.value.ruleset == "an_qualification" and exc.value.expected == ["BR-AN-GATE-001"]
    assert exc.value.facts["offence_notice_type"] == "E"
    stats = fresh.cache_stats()["an_qualification"]
    assert stats["size"] == 0 and stats["disagreements"] == 3
    assert fresh.status()["disagreements"] == {"an_qualification": 3}
    assert len([r for r in caplog.records if "engine disagreement" in r.getMessage()]) == 3
    assert "offence_notice_type" in caplog.records[0].getMessage()
    # a batch with one disagreeing subject is refused as a whole; the agreeing one is still served right
    with pytest.raises(EngineDisagreement):
        fresh.evaluate_many("an_qualification", [BASE, facts])
    assert fresh.evaluate("an_qualification", dict(BASE, past_offences_24m=0)).fired == []
    assert fresh.disagreements == 4


def test_dry_runs_and_explain_never_write_the_cache(fresh):
    before = fresh.cache_stats()["an_qualification"]
    fresh.evaluate("an_qualification", BASE, use_cache=False)
    fresh.evaluate("an_qualification", BASE, explain=True)
    fresh.evaluate_many("an_qualification", [BASE, dict(BASE, past_offences_24m=0)], use_cache=False)
    assert fresh.cache_stats()["an_qualification"] == before
    fresh.evaluate("an_qualification", BASE)
    assert fresh.cache_stats()["an_qualification"]["size"] == before["size"] + 1


_LEAK_PROBE = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
from engine import FactError, RuleRegistry
from api.decisions.vocabulary import VOCABULARY
def rss():
    return int([l for l in open('/proc/self/status') if l.startswith('VmRSS')][0].split()[1]) // 1024
r = RuleRegistry({rules!r}, VOCABULARY)
c = r._compiled('an_qualification')
base = {base!r}
for i in range(200):  # warm up
    r.evaluate('an_qualification', dict(base, past_offences_24m=i), use_cache=False)
start, handle = rss(), c.engine._handle
refused = failed = 0
for i in range({n}):
    try:  # refused as a fact error before anything is posted
        r.evaluate('an_qualification', dict(base, composition_amount=float('inf')))
    except FactError:
        refused += 1
    try:  # durable_rules itself refuses the payload (error 202): the handle must stay and leak nothing
        c.engine.fire([{{'x': float('inf')}}])
    except Exception:
        failed += 1
    c.engine._renew()  # what a failure after the assert does: a new handle, the old one freed
print(json.dumps({{'refused': refused, 'failed': failed, 'growth_mb': rss() - start,
                  'same_handle': c.engine._handle is handle, 'renewals': c.engine.renewals,
                  'ok': r.evaluate('an_qualification', base, use_cache=False).outcome}}))
"""


def test_refused_requests_and_failing_asserts_leak_no_engine_handle():
    n = 2000
    code = _LEAK_PROBE.format(rules=str(RULES), base=BASE, n=n)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["refused"] == n and got["failed"] == n and got["ok"] == "QUALIFIED"
    assert got["renewals"] == n and not got["same_handle"]
    # each handle left behind was ~62 KB: 2,000 renewals leaked ~125 MB before; flat now (generous bound)
    assert got["growth_mb"] < 25, got


def test_a_refused_payload_keeps_the_handle(fresh):
    c = fresh._compiled("an_qualification")
    handle = c.engine._handle
    for _ in range(50):
        with pytest.raises(Exception, match="202"):
            c.engine.fire([{"x": float("inf")}])
    assert c.engine._handle == handle and c.engine.renewals == 0
    assert fresh.evaluate("an_qualification", BASE, use_cache=False).outcome == "QUALIFIED"


# ---- check accepts only what the engine loads ---------------------------------------------------
def test_check_registers_every_ruleset_in_durable_rules():
    assert check_directory(RULES, VOCABULARY) == []
    assert try_register(_Named("x"), {"r": {"all": "nonsense"}}) is not None


class _Named:
    def __init__(self, name):
        self.name = name


def test_an_in_list_past_the_engine_limit_is_refused_at_once(tmp_path):
    values = ", ".join(f"V{i}" for i in range(600))
    (tmp_path / "big.yaml").write_text(
        f"ruleset: big\nversion: 1.0.0\nfacts:\n  s: {{type: string}}\nrules:\n  - id: R-1\n"
        f"    when: {{s: {{in: [{values}]}}}}\n    then: {{outcome: A}}\ndefault: {{outcome: C}}\n")
    (e,) = check_directory(tmp_path, VOCABULARY)
    assert (e.code, e.line, e.rule) == ("engine_limit", 6, "R-1")


def test_a_ruleset_past_the_engine_limit_is_refused_not_hung(tmp_path):
    # 171 rules of 3 alternatives: durable_rules' create_ruleset never returns (DESIGN.md §4)
    rules = "".join(f"  - id: R-{i}\n    when: {{s: {{in: [A{i}, B{i}, C{i}]}}}}\n    then: {{outcome: A}}\n" for i in range(171))
    (tmp_path / "big.yaml").write_text(f"ruleset: big\nversion: 1.0.0\nfacts:\n  s: {{type: string}}\nrules:\n{rules}"
                                       "default: {outcome: C}\n")
    (e,) = check_directory(tmp_path, VOCABULARY)
    assert e.code == "engine_rejected" and "512 alternatives" in e.hint
    with pytest.raises(Exception) as exc:
        RuleRegistry(tmp_path, VOCABULARY)
    assert "engine_rejected" in str(exc.value)


def test_an_event_durable_rules_drops_is_an_error_not_a_default(fresh):
    # durable_rules accepts a batch whose second event it cannot parse and answers only the first;
    # read as "no rule fired" that would be the default decision. The engine never posts such a
    # value (ranks, booleans, null), and fire() refuses to return a batch with an event missing.
    from engine import EngineError
    c = fresh._compiled("an_qualification")
    with pytest.raises(EngineError, match=r"answered no rule for event\(s\) \[1\]"):
        c.engine.fire([{"x": 1}, {"x": float("inf")}])
    assert fresh.evaluate("an_qualification", BASE, use_cache=False).outcome == "QUALIFIED"
