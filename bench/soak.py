#!/usr/bin/env python
"""Soak the engine: a million uncached decisions and a hundred reloads, watching memory and threads.

    python bench/soak.py [--decisions 1000000] [--reloads 100] [--threads 0|16] [--rss-bound-mb 20]

Decisions: AN qualification over a seeded fact set (bench/common.py), half as
single `evaluate` calls and half as `evaluate_many` batches of 500, always with
use_cache=False so durable_rules is hit every time. Each decision is checked
against the expected (outcome, rule) — computed first by a serial engine run and
cross-checked with the hand-written rules — and its version against the rules
in service.

Reloads: spread evenly over the decisions, alternating between two copies of
rules/ in a temp dir that differ in content (an_qualification's version is
bumped in the second), so every good reload recompiles and swaps; every fifth
reload is of a broken copy, which must be rejected (RulesLoadError, generation
and version unchanged).

Sampled every --sample-every decisions: RSS (VmRSS of /proc/self/status), the
OS thread count (Threads of /proc/self/status) and threading.active_count().
Fails (exit 1) if RSS grows by more than --rss-bound-mb after warm-up (the
first 10% of decisions), if the thread counts end above their warm-up values,
on any wrong decision, engine error, accepted broken reload or lost reload.

--threads N: the decisions run from N threads at once (each its own mix of
single calls and batches) while a reloader thread performs the reloads as
the decisions progress.
"""
from __future__ import annotations

import argparse
import gc
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RULES_DIR, RULESET, gen_facts, hand_written, of_decision, os_threads, rss_kb  # noqa: E402

from api.decisions.vocabulary import VOCABULARY  # noqa: E402
from engine import RuleRegistry, RulesLoadError, check_directory  # noqa: E402

BATCH = 500


# ---------------------------------------------------------------------------
def make_copies(tmp: Path) -> tuple[Path, Path, Path, str, str]:
    """Two valid copies of rules/ differing in an_qualification's version, and a broken one."""
    a, b, broken = tmp / "rules_a", tmp / "rules_b", tmp / "rules_broken"
    for d in (a, b, broken):
        shutil.copytree(RULES_DIR, d)
    src = (a / f"{RULESET}.yaml").read_text()
    m = re.search(r"^version: *(\S+)", src, re.M)
    va = m.group(1)
    major, minor, patch = (va.split(".") + ["0", "0"])[:3]
    vb = f"{major}.{minor}.{int(patch) + 1}"
    (b / f"{RULESET}.yaml").write_text(src[:m.start(1)] + vb + src[m.end(1):])
    # broken: an unknown operator in the first rule (a located load error, not a YAML syntax error)
    bad = src.replace("{offence_notice_type: {not: O}}", "{offence_notice_type: {nott: O}}", 1)
    assert bad != src, "could not break the copy"
    (broken / f"{RULESET}.yaml").write_text(bad)
    for d in (a, b):
        errs = check_directory(d, VOCABULARY)
        assert not errs, f"{d} should be valid: {errs}"
    assert check_directory(broken, VOCABULARY), f"{broken} should be rejected"
    return a, b, broken, va, vb


class Sampler:
    def __init__(self, reloader: "Reloader"):
        self.rows: list[dict] = []
        self.t0 = time.perf_counter()
        self.reloader = reloader

    def sample(self, done: int, reg: RuleRegistry, note: str = "") -> dict:
        row = {"decisions": done, "t": time.perf_counter() - self.t0, "rss_kb": rss_kb(), "os_threads": os_threads(),
               "py_threads": threading.active_count(), "generation": reg.generation, "note": note,
               "objects": len(gc.get_objects()), "reloads": self.reloader.attempts}
        self.rows.append(row)
        return row


class Reloader:
    """The reload schedule: every fifth attempt is the broken copy, the others alternate a/b."""

    def __init__(self, reg: RuleRegistry, a: Path, b: Path, broken: Path, va: str, vb: str):
        self.reg, self.a, self.b, self.broken = reg, a, b, broken
        self.version = {str(a): va, str(b): vb}
        self.current = str(a)
        self.attempts = self.ok = self.rejected = 0
        self.failures: list[str] = []
        self.good_ms: list[float] = []

    @property
    def current_version(self) -> str:
        return self.version[self.current]

    def step(self) -> None:
        reg = self.reg
        self.attempts += 1
        gen = reg.generation
        t = time.perf_counter()
        if self.attempts % 5 == 0:
            try:
                reg.reload(self.broken)
                self.failures.append(f"reload {self.attempts}: broken copy was accepted")
            except RulesLoadError:
                self.rejected += 1
            if reg.generation != gen or reg.get(RULESET).version != self.current_version:
                self.failures.append(f"reload {self.attempts}: rejected reload changed the rules in service")
        else:
            target = str(self.b) if self.current == str(self.a) else str(self.a)
            changed = reg.reload(target)
            self.good_ms.append((time.perf_counter() - t) * 1e3)
            if not changed or reg.generation != gen + 1:
                self.failures.append(f"reload {self.attempts}: reload to {target} did not swap (changed={changed})")
            self.current = target
            self.ok += 1
            if reg.get(RULESET).version != self.current_version:
                self.failures.append(f"reload {self.attempts}: version {reg.get(RULESET).version} after reload, "
                                     f"expected {self.current_version}")


# ---------------------------------------------------------------------------
def run_serial(reg, facts, expected, reloader, args, sampler, warm_at) -> tuple[int, int, list[str]]:
    n_facts = len(facts)
    reload_every = args.decisions // (args.reloads + 1) if args.reloads else 0
    next_reload = reload_every or args.decisions + 1
    next_sample = args.sample_every
    wrong = errors = 0
    examples: list[str] = []
    done = 0
    pos = 0
    single = True
    sampler.sample(0, reg, "start")
    while done < args.decisions:
        k = min(BATCH, args.decisions - done)
        idx = [(pos + j) % n_facts for j in range(k)]
        pos = (pos + k) % n_facts
        version = reloader.current_version
        try:
            if single:
                ds = [reg.evaluate(RULESET, facts[i], use_cache=False) for i in idx]
            else:
                ds = reg.evaluate_many(RULESET, [facts[i] for i in idx], use_cache=False)
        except Exception as e:  # noqa: BLE001 - counted and reported
            errors += 1
            if len(examples) < 5:
                examples.append(f"error after {done} decisions: {type(e).__name__}: {e}")
            ds = []
        for i, d in zip(idx, ds):
            if of_decision(d) != expected[i] or d.version != version:
                wrong += 1
                if len(examples) < 5:
                    examples.append(f"decision {done}: got {of_decision(d)} v{d.version}, expected {expected[i]} "
                                    f"v{version} for {facts[i]}")
        single = not single
        done += k
        while done >= next_reload and reloader.attempts < args.reloads:
            reloader.step()
            next_reload += reload_every
        if done >= next_sample or done == args.decisions:
            note = "warm-up end" if done >= warm_at and not any(r["note"] == "warm-up end" for r in sampler.rows) else ""
            sampler.sample(done, reg, note)
            next_sample += args.sample_every
    return wrong, errors, examples


def run_threads(reg, facts, expected, reloader, args, sampler, warm_at) -> tuple[int, int, list[str], set]:
    n_facts = len(facts)
    nthreads = args.threads
    lock = threading.Lock()
    state = {"done": 0, "wrong": 0, "errors": 0}
    examples: list[str] = []
    versions_seen: set = set()
    valid_versions = set(reloader.version.values())
    per_thread = [args.decisions // nthreads + (1 if t < args.decisions % nthreads else 0) for t in range(nthreads)]
    stop_reloader = threading.Event()
    reload_every = args.decisions // (args.reloads + 1) if args.reloads else 0
    reloads_during = [0]

    def worker(t: int):
        pos = (t * 7919) % n_facts
        todo = per_thread[t]
        single = t % 2 == 0
        seen = set()
        while todo > 0:
            k = min(BATCH, todo)
            idx = [(pos + j) % n_facts for j in range(k)]
            pos = (pos + k) % n_facts
            w = 0
            try:
                if single:
                    ds = [reg.evaluate(RULESET, facts[i], use_cache=False) for i in idx]
                else:
                    ds = reg.evaluate_many(RULESET, [facts[i] for i in idx], use_cache=False)
            except Exception as e:  # noqa: BLE001
                with lock:
                    state["errors"] += 1
                    if len(examples) < 5:
                        examples.append(f"thread {t}: {type(e).__name__}: {e}")
                ds = []
            for i, d in zip(idx, ds):
                seen.add(d.version)
                if of_decision(d) != expected[i] or d.version not in valid_versions:
                    w += 1
                    if len(examples) < 5:
                        examples.append(f"thread {t}: got {of_decision(d)} v{d.version}, expected {expected[i]}")
            with lock:
                state["done"] += k
                state["wrong"] += w
            todo -= k
            single = not single
        with lock:
            versions_seen.update(seen)

    def reload_loop():
        nxt = reload_every
        while reloader.attempts < args.reloads and not stop_reloader.is_set():
            if state["done"] >= nxt:
                reloader.step()
                if 0 < state["done"] < args.decisions:
                    reloads_during[0] += 1
                nxt += reload_every
            else:
                time.sleep(0.002)

    sampler.sample(0, reg, "start")
    workers = [threading.Thread(target=worker, args=(t,), name=f"soak-{t}") for t in range(nthreads)]
    rl = threading.Thread(target=reload_loop, name="soak-reloader")
    for w in workers:
        w.start()
    rl.start()
    next_sample = args.sample_every
    warm_noted = False
    while any(w.is_alive() for w in workers):
        time.sleep(0.01)
        done = state["done"]
        if done >= next_sample:
            note = ""
            if done >= warm_at and not warm_noted:
                note, warm_noted = "warm-up end", True
            sampler.sample(done, reg, note)
            next_sample = (done // args.sample_every + 1) * args.sample_every
    for w in workers:
        w.join()
    stop_reloader.set()
    rl.join()
    print(f"reloads completed while the {nthreads} threads were deciding: {reloads_during[0]}")
    if reloads_during[0] < 1 and args.reloads:
        examples.append("no reload happened while the threads were running")
        state["errors"] += 1
    return state["wrong"], state["errors"], examples, versions_seen


# ---------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--decisions", type=int, default=1_000_000)
    ap.add_argument("--reloads", type=int, default=100, help="reload attempts; every fifth is a broken copy")
    ap.add_argument("--threads", type=int, default=0, help="decide from this many threads (0: serial)")
    ap.add_argument("--facts", type=int, default=20_000, help="distinct facts, cycled")
    ap.add_argument("--sample-every", type=int, default=50_000)
    ap.add_argument("--rss-bound-mb", type=float, default=20.0, help="max RSS growth after warm-up (MB)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    t_start = time.perf_counter()
    warm_at = args.decisions // 10

    tmp = Path(tempfile.mkdtemp(prefix="ocms-soak-"))
    try:
        a, b, broken, va, vb = make_copies(tmp)
        facts = gen_facts(args.facts, args.seed)
        reg = RuleRegistry(a, VOCABULARY)
        # expected outcomes: a serial engine run, cross-checked with the hand-written rules
        t = time.perf_counter()
        expected = [of_decision(reg.evaluate(RULESET, f, use_cache=False)) for f in facts]
        hw = [hand_written(f) for f in facts]
        diff = sum(x != y for x, y in zip(expected, hw))
        print(f"expected outcomes: serial engine run over {len(facts)} facts in {time.perf_counter() - t:.1f} s; "
              f"{len(facts) - diff}/{len(facts)} agree with the hand-written rules")
        if diff:
            print("engine and hand-written rules disagree — aborting")
            return 1
        reloader = Reloader(reg, a, b, broken, va, vb)
        mode = f"{args.threads} threads" if args.threads else "serial"
        print(f"soak: {args.decisions:,} decisions ({mode}; single calls and batches of {BATCH}, uncached), "
              f"{args.reloads} reloads (every 5th broken), sample every {args.sample_every:,}; "
              f"versions {va} <-> {vb}")
        gc.collect()
        sampler = Sampler(reloader)
        t_run = time.perf_counter()
        if args.threads:
            wrong, errors, examples, seen = run_threads(reg, facts, expected, reloader, args, sampler, warm_at)
            print(f"versions seen by the threads: {sorted(seen)}")
        else:
            wrong, errors, examples = run_serial(reg, facts, expected, reloader, args, sampler, warm_at)
        run_s = time.perf_counter() - t_run
        sampler.sample(args.decisions, reg, "end")
        reg.close()
        gc.collect()
        sampler.sample(args.decisions, reg, "after close+gc")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = sampler.rows
    warm = next((r for r in rows if r["note"] == "warm-up end"), rows[0])
    start = rows[0]
    # print first, around the warm-up end, middle and last samples
    keep = set(range(min(3, len(rows)))) | {rows.index(warm)} | {len(rows) // 2 - 1, len(rows) // 2, len(rows) // 2 + 1}
    keep |= set(range(max(0, len(rows) - 4), len(rows)))
    print(f"\n{'decisions':>10} {'time s':>7} {'RSS MB':>8} {'ΔRSS MB':>8} {'OS thr':>6} {'py thr':>6} {'gen':>4} "
          f"{'objects':>9}  note")
    prev = None
    for i, r in enumerate(rows):
        if i not in keep:
            continue
        if prev is not None and i != prev + 1:
            print(f"{'...':>10}")
        prev = i
        print(f"{r['decisions']:>10,} {r['t']:>7.1f} {r['rss_kb'] / 1024:>8.1f} "
              f"{(r['rss_kb'] - start['rss_kb']) / 1024:>+8.1f} {r['os_threads']:>6} {r['py_threads']:>6} "
              f"{r['generation']:>4} {r['objects']:>9,}  {r['note']}")
    during = [r for r in rows if r["note"] not in ("after close+gc",)]
    after_warm = [r for r in during if r["decisions"] >= warm["decisions"]]
    growth_mb = (max(r["rss_kb"] for r in after_warm) - warm["rss_kb"]) / 1024
    end_growth_mb = (during[-1]["rss_kb"] - warm["rss_kb"]) / 1024
    total_growth_mb = (max(r["rss_kb"] for r in during) - start["rss_kb"]) / 1024
    max_os = max(r["os_threads"] for r in during)
    max_py = max(r["py_threads"] for r in during)
    end = during[-1]

    print(f"\ndecisions: {args.decisions:,} in {run_s:.1f} s ({args.decisions / run_s:,.0f}/s); "
          f"wrong: {wrong}; errors: {errors}")
    gm = statistics.median(reloader.good_ms) if reloader.good_ms else 0
    print(f"reloads: {reloader.attempts} attempted, {reloader.ok} swapped (median {gm:.1f} ms, "
          f"max {max(reloader.good_ms, default=0):.1f} ms), {reloader.rejected} broken ones rejected; "
          f"final generation {end['generation']}")
    print(f"RSS: start {start['rss_kb'] / 1024:.1f} MB, after warm-up {warm['rss_kb'] / 1024:.1f} MB, "
          f"end {end['rss_kb'] / 1024:.1f} MB; max growth after warm-up {growth_mb:+.1f} MB "
          f"(end {end_growth_mb:+.1f} MB), max growth from start {total_growth_mb:+.1f} MB; bound {args.rss_bound_mb} MB")
    d_obj = end["objects"] - warm["objects"]
    d_rl = end["reloads"] - warm["reloads"]
    print(f"gc-tracked objects: {start['objects']:,} at start, {warm['objects']:,} after warm-up, "
          f"{end['objects']:,} at end ({d_obj:+,}" + (f", {d_obj / d_rl:+,.0f} per reload attempt" if d_rl else "")
          + f"), {rows[-1]['objects']:,} after close")
    print(f"threads: OS {start['os_threads']} at start, {warm['os_threads']} after warm-up, max {max_os}, "
          f"end {end['os_threads']}, after close {rows[-1]['os_threads']}; "
          f"threading.active_count {start['py_threads']} / {warm['py_threads']} / max {max_py} / end {end['py_threads']}")

    failures = list(reloader.failures)
    if wrong:
        failures.append(f"{wrong} wrong decisions")
    if errors:
        failures.append(f"{errors} errors")
    failures += examples
    if growth_mb > args.rss_bound_mb:
        failures.append(f"RSS grew {growth_mb:.1f} MB after warm-up (bound {args.rss_bound_mb} MB)")
    for label, ref in (("start", start), ("warm-up", warm)):
        if end["os_threads"] > ref["os_threads"] or end["py_threads"] > ref["py_threads"]:
            failures.append("thread count grew since {}: OS {} -> {}, python {} -> {}".format(
                label, ref["os_threads"], end["os_threads"], ref["py_threads"], end["py_threads"]))
    if not args.threads and (max_os > start["os_threads"] or max_py > start["py_threads"]):
        failures.append(f"serial run started threads: OS max {max_os}, python max {max_py}")
    print(f"elapsed {time.perf_counter() - t_start:.1f} s")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
