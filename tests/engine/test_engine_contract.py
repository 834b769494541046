"""The engine contract of DESIGN.md §4: stateless, thread-safe, batchable, atomic reload."""
import json
import random
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import durable_rules_engine as dre
import pytest

from api.decisions.vocabulary import VOCABULARY
from engine import FactError, RuleRegistry, RulesLoadError, UnknownRulesetError

from .conftest import ROOT, RULES

BASE = dict(offence_notice_type="O", vehicle_registration_type="S", computer_rule_code=10001,
            composition_amount=70.0, past_offences_24m=1)


def fact_mix(n, seed=7):
    """Facts that exercise every AN-qualification rule."""
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        out.append(dict(
            offence_notice_type=rnd.choice("OOOOEU"),
            vehicle_registration_type=rnd.choice("SDVIFX"),
            computer_rule_code=rnd.choice([20412, 11210, 10001, 20411]),
            composition_amount=rnd.choice([80.0, 80.01, 79.99, 70.0]),
            vehicle_category=rnd.choice([None, "LB", "HL", "CP"]),
            past_offences_24m=rnd.randint(0, 3),
        ))
    return out


def test_decision_carries_version_hash_and_fired(registry):
    d = registry.evaluate("an_qualification", BASE)
    rs = registry.get("an_qualification")
    assert (d.ruleset, d.version, d.hash) == ("an_qualification", rs.version, rs.hash)
    assert d.outcome == "QUALIFIED" and d.fired == ["BR-AN-QUAL-002"]
    assert [a.name for a in d.actions] == ["set_notice_fields", "queue_an_notification"]   # PS-ANS after the send
    assert len(d.hash) == 64


def test_no_session_state_survives_a_call(registry):
    c = registry._compiled("an_qualification")
    registry.evaluate("an_qualification", dict(BASE, past_offences_24m=91), use_cache=False)
    last_sid = str(next(c.engine._sids) - 1)
    with pytest.raises(Exception, match="309"):  # durable_rules: no such session
        dre.get_state(c.engine._handle, last_sid)


def test_more_calls_than_the_live_session_limit(registry):
    # durable_rules raises MemoryError past 1,024 live sessions per ruleset; every call deletes its own.
    for i in range(3000):
        registry.evaluate("an_qualification", dict(BASE, past_offences_24m=i), use_cache=False)


def test_compiled_rules_never_use_nex_and_always_have_a_catch_all(registry):
    for name in registry.names():
        definition = registry._compiled(name).engine.definition
        text = json.dumps(definition)
        assert "$nex" not in text and "$ex" not in text
        assert definition["default"] == {"all": [{"m": {"_ocms": 1}}], "pri": len(registry.get(name).rules) + 1_000_000}


def test_an_event_that_only_the_default_matches_returns(tmp_path):
    # The trap: delete_state after an unmatched event spins forever. Guarded by the catch-all rule;
    # run in a child with a memory cap and a timeout so a regression cannot take the machine down.
    code = (
        "import resource; resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from engine import RuleRegistry; from api.decisions.vocabulary import VOCABULARY\n"
        f"r = RuleRegistry({str(RULES)!r}, VOCABULARY)\n"
        f"d = r.evaluate('an_qualification', dict({BASE!r}, past_offences_24m=0), use_cache=False)\n"
        "print(d.outcome, d.default_applied)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "NOT_QUALIFIED True"


def test_missing_optional_fact_is_null_not_absent(registry):
    d = registry.evaluate("an_qualification", dict(BASE, computer_rule_code=11210), explain=True)
    assert d.facts["vehicle_category"] is None
    assert d.outcome == "QUALIFIED"


def test_engine_starts_no_threads():
    before = threading.active_count()
    r = RuleRegistry(RULES, VOCABULARY)
    for f in fact_mix(200):
        r.evaluate("an_qualification", f, use_cache=False)
    assert threading.active_count() == before
    r.close()


def test_sixteen_threads_agree_with_a_serial_run(registry):
    facts = fact_mix(400)
    serial = [(d.outcome, tuple(d.fired)) for d in (registry.evaluate("an_qualification", f, use_cache=False) for f in facts)]

    def run(offset):
        rotated = facts[offset:] + facts[:offset]
        got = [(d.outcome, tuple(d.fired)) for d in (registry.evaluate("an_qualification", f, use_cache=False) for f in rotated)]
        return got[-offset:] + got[:-offset] if offset else got

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(run, range(0, 160, 10)))
    assert all(r == serial for r in results)


def test_batch_equals_single_calls(registry):
    facts = fact_mix(500, seed=11)
    single = [registry.evaluate("an_qualification", f, use_cache=False) for f in facts]
    batch = registry.evaluate_many("an_qualification", facts, use_cache=False)
    assert [(d.outcome, d.fired, d.actions) for d in batch] == [(d.outcome, d.fired, d.actions) for d in single]
    assert {d.outcome for d in batch} == {"QUALIFIED", "NOT_QUALIFIED"}


def test_cache_gives_the_same_decisions(registry):
    facts = fact_mix(300, seed=3)
    plain = [registry.evaluate("an_qualification", f, use_cache=False) for f in facts]
    cached = [registry.evaluate("an_qualification", f) for f in facts + facts]
    assert [(d.outcome, d.fired) for d in cached] == [(d.outcome, d.fired) for d in plain + plain]
    assert registry.cache_stats()["an_qualification"]["hits"] >= 300


def test_explain_traces_every_rule(registry):
    d = registry.evaluate("an_qualification", dict(BASE, computer_rule_code=20412, composition_amount=80.0), explain=True)
    steps = {t.rule: t for t in d.trace}
    assert steps["BR-AN-GATE-001"].failed_condition == "offence_notice_type not O"  # as written (issue 15)
    assert steps["BR-AN-GATE-001"].compiled_condition == "offence_notice_type != 'O'"
    assert steps["BR-AN-EXEMPT-001"].matched
    assert not steps["BR-AN-QUAL-002"].tried


def test_bad_facts_are_refused_naming_each(registry):
    with pytest.raises(FactError) as exc:
        registry.evaluate("an_qualification", dict(BASE, computer_rule_code="20412x", composition_amount=True, colour="red"))
    assert set(exc.value.fields) == {"computer_rule_code", "composition_amount", "colour"}


def test_unknown_ruleset(registry):
    with pytest.raises(UnknownRulesetError, match="an_qualification"):
        registry.evaluate("an_qualificaton", BASE)


def _bump_version(rules_dir, version):
    p = rules_dir / "an_qualification.yaml"
    text = p.read_text()
    import re
    p.write_text(re.sub(r"^version: .*$", f"version: {version}", text, count=1, flags=re.M))


def test_reload_swaps_and_rejects_atomically(rules_copy):
    r = RuleRegistry(rules_copy, VOCABULARY)
    assert r.reload() is False  # unchanged
    _bump_version(rules_copy, "9.9.9")
    assert r.reload() is True
    assert r.evaluate("an_qualification", BASE).version == "9.9.9"
    gen = r.generation
    (rules_copy / "broken.yaml").write_text("ruleset: broken\nversion: 1\nfacts: {a: {type: strng}}\nrules: []\ndefault: {}\n")
    _bump_version(rules_copy, "10.0.0")
    with pytest.raises(RulesLoadError):
        r.reload()
    assert r.evaluate("an_qualification", BASE).version == "9.9.9"
    assert r.generation == gen
    assert r.status()["lastRejected"]["errors"][0]["code"] == "bad_type"
    r.close()


def test_reload_while_sixteen_threads_decide(rules_copy):
    r = RuleRegistry(rules_copy, VOCABULARY)
    facts = fact_mix(200, seed=5)
    expected = [(d.outcome, d.fired) for d in (r.evaluate("an_qualification", f) for f in facts)]
    stop = threading.Event()
    errors = []

    def decide():
        while not stop.is_set():
            for f, e in zip(facts, expected):
                d = r.evaluate("an_qualification", f, use_cache=False)
                if (d.outcome, d.fired) != e:
                    errors.append((f, d.fired, e))

    threads = [threading.Thread(target=decide) for _ in range(16)]
    for t in threads:
        t.start()
    try:
        for i in range(20):
            _bump_version(rules_copy, f"2.0.{i}")
            assert r.reload() is True
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert errors == []
    assert r.get("an_qualification").version == "2.0.19"
    r.close()


PATTERN_RULES = """
ruleset: vehicles
version: 1.0.0
facts:
  vehicle_no: {type: string}
  amount: {type: decimal, required: false}
  seen: {type: date, required: false}
rules:
  - id: MIL
    when: {vehicle_no: {matches: "MID[0-9]+|MINDEF.*"}}
    then: {outcome: MILITARY}
  - id: UPL
    when: {vehicle_no: UNLICENSED_PARKING}
    then: {outcome: UPL}
  - id: BIG
    when: {any: [{amount: {between: [100, 200]}}, {not: {seen: {lt: 2026-01-01}}}]}
    then: {outcome: BIG}
default: {outcome: OTHER}
"""


@pytest.mark.parametrize("vehicle_no,amount,seen,outcome", [
    ("MID123", None, None, "MILITARY"), ("MID", None, None, "OTHER"), ("XMID12", None, None, "OTHER"),
    ("MINDEF", None, None, "MILITARY"), ("MINDEF7A", None, None, "MILITARY"), ("UNLICENSED_PARKING", None, None, "UPL"),
    ("SBA1", 100, None, "BIG"), ("SBA1", 200.0, None, "BIG"), ("SBA1", 200.01, None, "OTHER"),
    ("SBA1", None, "2026-01-01", "BIG"), ("SBA1", None, "2025-12-31", "OTHER"), ("SBA1", None, None, "OTHER"),
])
def test_patterns_ranges_dates_and_negation_agree_with_python(tmp_path, vehicle_no, amount, seen, outcome):
    (tmp_path / "vehicles.yaml").write_text(PATTERN_RULES)
    r = RuleRegistry(tmp_path, VOCABULARY)
    d = r.evaluate("vehicles", {"vehicle_no": vehicle_no, "amount": amount, "seen": seen}, explain=True)
    assert d.outcome == outcome
    r.close()


def test_loading_keeps_no_yaml_nodes_alive(rules_copy):
    import gc

    from engine import check_directory, loader
    check_directory(rules_copy, VOCABULARY)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(30):
        check_directory(rules_copy, VOCABULARY)
    gc.collect()
    assert loader._local.constructor.constructed_objects == {}
    assert len(gc.get_objects()) - before < 500  # one load builds ~thousands of nodes; none may survive


def test_a_failure_inside_the_engine_moves_to_a_fresh_handle(rules_copy, monkeypatch):
    from engine import runtime
    r = RuleRegistry(rules_copy, VOCABULARY)
    eng = r._compiled("an_qualification").engine
    name_before = eng.engine_name
    real = runtime._dre.start_action_for_state
    calls = []

    def fail_once(h, state):
        if not calls:
            calls.append(1)
            raise runtime._dre.error("injected")
        return real(h, state)

    monkeypatch.setattr(runtime._dre, "start_action_for_state", fail_once)
    with pytest.raises(Exception, match="injected"):
        r.evaluate("an_qualification", BASE, use_cache=False)
    # no delete_state on the half-started session (that crashes the process); a new handle serves on
    assert eng.engine_name != name_before
    assert r.evaluate("an_qualification", BASE, use_cache=False).outcome == "QUALIFIED"
    r.close()


def test_cache_key_is_the_truth_of_each_condition(registry):
    c = registry._compiled("an_qualification")
    ev = lambda **kw: c.checker.check(dict(BASE, **kw))[0]  # typed values  # noqa: E731
    # different counts, same truth of "past_offences_24m > 0": one cache entry serves both
    assert c.cache_key(ev(past_offences_24m=1)) == c.cache_key(ev(past_offences_24m=57))
    assert c.cache_key(ev(past_offences_24m=0)) != c.cache_key(ev(past_offences_24m=1))
    assert c.cache_key(ev(composition_amount=80.0)) != c.cache_key(ev(composition_amount=80.01))
