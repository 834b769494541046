#!/usr/bin/env python
"""AN-qualification decisions per second: the engine against three alternatives.

    python bench/bench_engine.py [--n N] [--repeats R] [--quick] [--seed S]

Implementations, all given the same seeded fact set (bench/common.py):
  (a) engine, single calls, uncached      RuleRegistry.evaluate(..., use_cache=False)
  (b) engine, batches of 500, uncached    RuleRegistry.evaluate_many(..., use_cache=False)
  (c) engine with its decision cache      evaluate / evaluate_many with use_cache=True (warm)
  (d) hand-written Python                 bench.common.hand_written
  (e) rule_engine (zeroSteiner)           one rule_engine.Rule per rule, tried in order, first match wins
  (f) zen-engine (GoRules)                one JDM decision table, hit policy "first":
                                          single ZenDecision.evaluate, evaluate_batch (500), async_evaluate (500)
and, to split the engine's cost, the durable_rules part alone (EngineRuleset.fire
on pre-checked events) and the fact checking alone (the registry's fact checker).

First every implementation is checked against the engine (single, uncached) on
the fact set under the default switches and, on a smaller set, under every
other combination of the switches, so every rule fires; any disagreement aborts.
Then each implementation is timed with time.perf_counter over whole passes of
the fact set (round-robin over implementations, several repeats, median).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import statistics
import sys
import time
from collections import Counter
from importlib import metadata
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ALL_RULES, DEFAULT_PARAMETERS, OUTCOMES, PARAMETER_SETS, RULES_DIR, RULESET, gen_facts, hand_written, of_decision,
)

import rule_engine  # noqa: E402
import zen  # noqa: E402

from api.decisions.vocabulary import VOCABULARY  # noqa: E402
from engine import RuleRegistry  # noqa: E402

BATCH = 500

# ---------------------------------------------------------------------------
# (e) rule_engine: the rules as rule-engine expressions, in order, first match wins.
# Null handling as in the engine: a missing/null optional fact never compares > 0
# (rule_engine raises "data type mismatch" on null > 0, hence the explicit != null).
RULE_ENGINE_RULES = [
    ("BR-AN-GATE-001", 'offence_notice_type != "O"'),
    ("BR-AN-GATE-002", 'vehicle_registration_type not in ["S", "D", "V", "I"]'),
    ("BR-AN-EXEMPT-001", "computer_rule_code == 20412 and composition_amount == 80.00"),
    ("BR-AN-EXEMPT-002", 'computer_rule_code == 11210 and vehicle_category in ["LB", "HL"]'),
    ("BR-AN-SAMEDAY-001", "same_day_check == true and same_day_an_count != null and same_day_an_count > 0"),
    ("BR-AN-QUAL-002", 'past_offence_mode == "any" and past_offences_24m > 0'),
    ("BR-AN-QUAL-002-PS",
     'past_offence_mode == "ps_reasons" and past_qualifying_offences_24m != null and past_qualifying_offences_24m > 0'),
]


class RuleEngineImpl:
    def __init__(self):
        ctx = rule_engine.Context(default_value=None)
        self.rules = [(rid, OUTCOMES[rid], rule_engine.Rule(expr, context=ctx)) for rid, expr in RULE_ENGINE_RULES]

    def decide(self, facts: dict, params: dict):
        thing = {**params, **facts}
        for rid, outcome, rule in self.rules:
            if rule.matches(thing):
                return outcome, rid
        return OUTCOMES[None], None


# ---------------------------------------------------------------------------
# (f) zen-engine: a JDM graph input -> decision table (first hit) -> output.
_ZEN_COLUMNS = [
    "offence_notice_type", "vehicle_registration_type", "computer_rule_code", "composition_amount",
    "vehicle_category", "same_day_check", "same_day_an_count", "past_offence_mode", "past_offences_24m",
    "past_qualifying_offences_24m",
]
_ZEN_ROWS = [  # unary cells ('' = any); $ is the column's value
    ("BR-AN-GATE-001", {"offence_notice_type": "!= 'O'"}),
    ("BR-AN-GATE-002", {"vehicle_registration_type": "not in ['S', 'D', 'V', 'I']"}),
    ("BR-AN-EXEMPT-001", {"computer_rule_code": "20412", "composition_amount": "80.00"}),
    ("BR-AN-EXEMPT-002", {"computer_rule_code": "11210", "vehicle_category": "'LB', 'HL'"}),
    ("BR-AN-SAMEDAY-001", {"same_day_check": "true", "same_day_an_count": "$ != null and $ > 0"}),
    ("BR-AN-QUAL-002", {"past_offence_mode": "'any'", "past_offences_24m": "> 0"}),
    ("BR-AN-QUAL-002-PS", {"past_offence_mode": "'ps_reasons'", "past_qualifying_offences_24m": "$ != null and $ > 0"}),
    ("default", {}),
]


def zen_jdm() -> dict:
    inputs = [{"id": f"i{k}", "name": c, "field": c} for k, c in enumerate(_ZEN_COLUMNS)]
    outputs = [{"id": "o_rule", "name": "rule", "field": "rule"}, {"id": "o_outcome", "name": "outcome", "field": "outcome"}]
    rows = []
    for n, (rid, cells) in enumerate(_ZEN_ROWS):
        row = {"_id": f"r{n}"}
        for k, c in enumerate(_ZEN_COLUMNS):
            row[f"i{k}"] = cells.get(c, "")
        row["o_rule"] = json.dumps(rid).replace('"', "'")
        row["o_outcome"] = "'" + OUTCOMES[None if rid == "default" else rid] + "'"
        rows.append(row)
    pos = {"x": 0, "y": 0}
    return {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "Request", "position": pos},
            {"id": "table", "type": "decisionTableNode", "name": RULESET, "position": pos,
             "content": {"hitPolicy": "first", "inputs": inputs, "outputs": outputs, "rules": rows}},
            {"id": "out", "type": "outputNode", "name": "Response", "position": pos},
        ],
        "edges": [
            {"id": "e1", "sourceId": "in", "targetId": "table", "type": "edge"},
            {"id": "e2", "sourceId": "table", "targetId": "out", "type": "edge"},
        ],
    }


class ZenImpl:
    def __init__(self):
        content = json.dumps(zen_jdm())
        self.engine = zen.ZenEngine({"loader": lambda key: content})
        self.decision = self.engine.create_decision(content)
        self.decision.validate()

    @staticmethod
    def _out(result: dict):
        r = result["result"]
        rid = r["rule"]
        return r["outcome"], (None if rid == "default" else rid)

    def decide(self, facts: dict, params: dict):
        return self._out(self.decision.evaluate({**params, **facts}))

    def decide_batch(self, facts_list: list[dict], params: dict):
        res = self.engine.evaluate_batch([{"key": RULESET, "context": {**params, **f}} for f in facts_list])
        out = []
        for r in res:
            if not r.get("success"):
                raise RuntimeError(f"zen evaluate_batch failed: {r.get('error')}")
            out.append(self._out(r["data"]))
        return out

    def decide_async(self, facts_list: list[dict], params: dict, loop: asyncio.AbstractEventLoop):
        d = self.decision

        async def go():
            return await asyncio.gather(*[d.async_evaluate({**params, **f}) for f in facts_list])

        return [self._out(r) for r in loop.run_until_complete(go())]


def chunks(xs: list, n: int):
    return [xs[i:i + n] for i in range(0, len(xs), n)]


# ---------------------------------------------------------------------------
def verify(reg: RuleRegistry, re_impl: RuleEngineImpl, zen_impl: ZenImpl, sets: list[tuple[str, list, dict]],
           loop) -> None:
    """Every implementation against the engine (single, uncached); exit 2 on any difference."""
    print("== agreement with the engine (evaluate, uncached) ==")
    impls = ["engine batch 500", "engine cached", "engine cached batch 500", "hand-written", "rule_engine",
             "zen single", "zen evaluate_batch", "zen async_evaluate"]
    agree = Counter()
    total = 0
    fired = Counter()
    bad: list[str] = []
    for _label, fs, pset in sets:
        params = {**DEFAULT_PARAMETERS, **pset}
        p = pset or None
        expected = [of_decision(reg.evaluate(RULESET, f, parameters=p, use_cache=False)) for f in fs]
        fired.update(rid for _, rid in expected)
        got = {
            "engine batch 500": [of_decision(d) for c in chunks(fs, BATCH)
                                 for d in reg.evaluate_many(RULESET, c, parameters=p, use_cache=False)],
            # twice: the second pass is answered from the cache
            "engine cached": [of_decision(reg.evaluate(RULESET, f, parameters=p)) for f in fs + fs][len(fs):],
            "engine cached batch 500": [of_decision(d) for c in chunks(fs, BATCH)
                                        for d in reg.evaluate_many(RULESET, c, parameters=p)],
            "hand-written": [hand_written(f, **params) for f in fs],
            "rule_engine": [re_impl.decide(f, params) for f in fs],
            "zen single": [zen_impl.decide(f, params) for f in fs],
            "zen evaluate_batch": [x for c in chunks(fs, BATCH) for x in zen_impl.decide_batch(c, params)],
            "zen async_evaluate": [x for c in chunks(fs, BATCH) for x in zen_impl.decide_async(c, params, loop)],
        }
        total += len(fs)
        for name in impls:
            for i, (e, g) in enumerate(zip(expected, got[name])):
                if e == g:
                    agree[name] += 1
                elif len(bad) < 10:
                    bad.append(f"  {name} params={pset}: engine {e}, got {g} for {fs[i]}")
    print("fact sets: " + " + ".join(f"{lab} ({len(fs)})" for lab, fs, _ in sets)
          + f" = {total} decisions per implementation")
    for name in impls:
        print(f"  {name:<26} {agree[name]:>7} / {total} agree")
    print("  rules fired (engine): " + ", ".join(f"{r or 'default'} {fired[r]}" for r in ALL_RULES + [None]))
    missing = [r for r in ALL_RULES if not fired[r]] + ([] if fired[None] else ["default"])
    if bad or any(agree[n] != total for n in impls):
        print("DISAGREEMENT — aborting:\n" + "\n".join(bad))
        sys.exit(2)
    if missing:
        print(f"fact set does not cover {missing} — aborting")
        sys.exit(2)
    print("all implementations agree on every decision; every rule and the default fired\n")


def measure(cases: list[tuple[str, callable]], n: int, repeats: int, target: float) -> dict[str, list[float]]:
    """Per implementation, `repeats` timings (seconds per decision); round-robin across implementations."""
    inner = {}
    for name, fn in cases:  # calibrate: passes of the fact set per timing, about `target` seconds
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        inner[name] = max(1, math.ceil(target / max(dt, 1e-9))) if dt < target else 1
    res: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(repeats):
        for name, fn in cases:
            k = inner[name]
            t = time.perf_counter()
            for _ in range(k):
                fn()
            res[name].append((time.perf_counter() - t) / (k * n))
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=10_000, help="facts in the generated set (default 10000)")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats per implementation, median reported (5)")
    ap.add_argument("--quick", action="store_true", help="n=2000, 3 repeats, shorter timings (smoke test)")
    ap.add_argument("--seed", type=int, default=20240601)
    args = ap.parse_args()
    if args.quick:
        args.n, args.repeats = min(args.n, 2000), 3
    target = 0.1 if args.quick else 0.25
    t_start = time.perf_counter()

    vers = {p: metadata.version(p) for p in ("durable_rules", "rule-engine", "zen-engine")}
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    print(f"Python {platform.python_version()}, " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    print(f"CPU: {cpu}, {len(open('/proc/cpuinfo').read().split('processor')) - 1} logical CPUs")
    print(f"fact set: {args.n} facts, seed {args.seed}; batch size {BATCH}; {args.repeats} repeats\n")

    facts = gen_facts(args.n, args.seed)
    small = gen_facts(min(args.n, 2000), args.seed + 1)
    lowcard = gen_facts(args.n, args.seed + 2, low_cardinality=True)
    sets = [("main set, default switches", facts, {})]
    sets += [(f"small set, {p}", small, p) for p in PARAMETER_SETS if p]
    sets += [("low-cardinality set, default switches", lowcard, {})]
    reg = RuleRegistry(RULES_DIR, VOCABULARY)
    re_impl = RuleEngineImpl()
    zen_impl = ZenImpl()
    loop = asyncio.new_event_loop()

    verify(reg, re_impl, zen_impl, sets, loop)

    # fresh registry for the timings, so the cache starts empty and its stats are for this fact set only
    reg.close()
    reg = RuleRegistry(RULES_DIR, VOCABULARY)
    comp = reg._compiled(RULESET)  # private: only for the cost-split rows
    rs, eng = comp.ruleset, comp.engine
    params = dict(DEFAULT_PARAMETERS)
    batches = chunks(facts, BATCH)
    checked = [comp.checker.check(f) for f in facts]
    events = [ev for _, ev, _ in checked]
    event_batches = chunks(events, BATCH)
    keys = {comp.cache_key(values) for values, _, _ in checked}

    def engine_single():
        for f in facts:
            reg.evaluate(RULESET, f, use_cache=False)

    def engine_batch():
        for b in batches:
            reg.evaluate_many(RULESET, b, use_cache=False)

    def engine_cached():
        for f in facts:
            reg.evaluate(RULESET, f)

    def engine_cached_batch():
        for b in batches:
            reg.evaluate_many(RULESET, b)

    def hand():
        for f in facts:
            hand_written(f)

    def rule_eng():
        for f in facts:
            re_impl.decide(f, params)

    def zen_single():
        for f in facts:
            zen_impl.decide(f, params)

    def zen_batch():
        for b in batches:
            zen_impl.decide_batch(b, params)

    def zen_async():
        for b in batches:
            zen_impl.decide_async(b, params, loop)

    def dr_single():
        for ev in events:
            eng.fire([ev])

    def dr_batch():
        for b in event_batches:
            eng.fire(b)

    def checking():
        check = comp.checker.check
        for f in facts:
            check(f)

    # (c) on the low-cardinality mix: its own registry, so the two caches do not evict each other
    reg_lc = RuleRegistry(RULES_DIR, VOCABULARY)
    comp_lc = reg_lc._compiled(RULESET)
    keys_lc = {comp_lc.cache_key(values) for values in (comp_lc.checker.check(f)[0] for f in lowcard)}
    batches_lc = chunks(lowcard, BATCH)

    def engine_cached_lc():
        for f in lowcard:
            reg_lc.evaluate(RULESET, f)

    def engine_cached_batch_lc():
        for b in batches_lc:
            reg_lc.evaluate_many(RULESET, b)

    engine_cached()  # warm the caches: one pass, its hit rate is the cold-start one
    engine_cached_lc()
    s0 = reg.cache_stats()[RULESET]
    s0_lc = reg_lc.cache_stats()[RULESET]
    cases = [
        ("(a) engine single, uncached", engine_single),
        ("(b) engine batch 500, uncached", engine_batch),
        ("(c) engine single, cached", engine_cached),
        ("(c) engine batch 500, cached", engine_cached_batch),
        ("(c) engine single, cached, low-card mix", engine_cached_lc),
        ("(c) engine batch 500, cached, low-card mix", engine_cached_batch_lc),
        ("(d) hand-written Python", hand),
        ("(e) rule_engine, in order", rule_eng),
        ("(f) zen-engine single", zen_single),
        ("(f) zen-engine evaluate_batch 500", zen_batch),
        ("(f) zen-engine async_evaluate 500", zen_async),
        ("split: durable_rules fire() single", dr_single),
        ("split: durable_rules fire() batch 500", dr_batch),
        ("split: check_facts only", checking),
    ]
    print("== timing ==")
    res = measure(cases, args.n, args.repeats, target)
    s1 = reg.cache_stats()[RULESET]
    s1_lc = reg_lc.cache_stats()[RULESET]
    med = {k: statistics.median(v) for k, v in res.items()}
    hand_t = med["(d) hand-written Python"]
    eng_t = med["(a) engine single, uncached"]
    w = max(len(k) for k in med)
    print(f"{'implementation':<{w}}  {'decisions/s':>12}  {'µs/decision':>11}  {'spread µs':>15}  "
          f"{'vs hand':>9}  {'vs engine-single':>16}")
    print("-" * (w + 72))
    for name, _ in cases:
        t = med[name]
        lo, hi = min(res[name]) * 1e6, max(res[name]) * 1e6
        print(f"{name:<{w}}  {1 / t:>12,.0f}  {t * 1e6:>11.2f}  {f'{lo:.2f}-{hi:.2f}':>15}  "
              f"{t / hand_t:>8.1f}x  {t / eng_t:>15.2f}x")
    print("\n'vs hand' / 'vs engine-single': time per decision relative to (d) / (a) (higher = slower).")
    print(f"decision cache (LRU, {reg.cache_size} entries; key = the truth of each of the ruleset's "
          f"{len(comp.cache_key(checked[0][0]))} distinct conditions):")
    for label, k, a, b in (("main set", keys, s0, s1), ("low-card mix", keys_lc, s0_lc, s1_lc)):
        hits, misses = b["hits"] - a["hits"], b["misses"] - a["misses"]
        print(f"  {label:<13} {len(k):>6} distinct keys in {args.n} facts; first (cold) pass hit rate "
              f"{a['hits'] / max(1, a['hits'] + a['misses']):.1%}; timed (warm) hit rate "
              f"{hits / max(1, hits + misses):.1%} ({hits} hits, {misses} misses); size {b['size']}")
    print(f"total run time {time.perf_counter() - t_start:.1f} s")
    reg.close()
    reg_lc.close()


if __name__ == "__main__":
    main()
