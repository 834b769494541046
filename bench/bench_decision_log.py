"""Decision-log growth (issue 16): ``GET /v1/decision-log`` on a large table, and insert cost, before vs after.

    .venv/bin/python bench/bench_decision_log.py                      # 2,000,000 rows over 24 months
    .venv/bin/python bench/bench_decision_log.py --rows 500000 --quick

Two scratch PostgreSQL databases on the same server, filled with the same rows
(``test_ops_bench_before``: the schema of migration 0001 — one plain table,
subject index ``(subject, decided_at)``; ``test_ops_bench_after``: head — monthly
partitions, subject index ``(subject, decided_at, id)``). Rows are made by one
``INSERT … SELECT generate_series`` each: five per notice (as the intake
writes), ``decided_at`` spread over ``--months`` months in id order, facts of a
realistic size. Then, in one run, round-robin between the two:

* the decision-log read exactly as the endpoint runs it
  (``decisions_for_subject``: ``WHERE subject = ? ORDER BY decided_at DESC, id DESC
  LIMIT 100``) for random notices — median and p99 ms, and its plan;
* ``log_decisions`` of 500 rows (one CAS/PLUS batch) per transaction — µs per row.

The machine's load (``uptime``) is printed next to the figures; compare the
ratios, measured in the same run, rather than the absolute times.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import ensure_database  # noqa: E402
from sqlalchemy import text  # noqa: E402

from repository import partitions  # noqa: E402
from repository.db import make_engine, make_session_factory  # noqa: E402
from repository.migrate import drop_schema, upgrade  # noqa: E402
from repository.queries import decisions_for_subject, log_decisions  # noqa: E402

SERVER = "postgresql://root@127.0.0.1:5432"
FACTS = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
         "composition_amount": 70.0, "past_offences_24m": 0, "vehicle_no": "SBA1234A", "subsystem_label": "001",
         "notice_date_and_time": "2026-01-15T08:30:00", "an_flag": "N", "same_day_an": False}
RULESETS = ("vehicle_type", "double_booking", "an_qualification", "ces_eht_flag", "stage_catalogue")


def load() -> str:
    return open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"


def fresh(name: str, revision: str):
    url = f"{SERVER}/{name}"
    ensure_database(url)
    eng = make_engine(url)
    drop_schema(eng)
    with eng.begin() as c:  # partitions left by an earlier run
        for t in c.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE 'ocms_decision_log%'")).scalars():
            c.execute(text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    upgrade(url, revision)
    return url, eng


def fill(eng, rows: int, months: int) -> float:
    start = dt.datetime.combine(partitions.add_months(partitions.month_start(dt.date.today()), -months + 1), dt.time())
    seconds = (dt.datetime.now() - start).total_seconds()
    facts = json.dumps(FACTS)
    t0 = time.perf_counter()
    with eng.begin() as c:
        if partitions.is_partitioned(c):
            partitions.ensure_month_partitions(c, dt.date.today(), ahead=1, since=start.date())
        c.execute(text(
            "INSERT INTO ocms_decision_log (decided_at, request_id, caller, ruleset, ruleset_version, ruleset_hash, "
            "subject, facts, outcome, outputs, actions, fired_rules, dry_run) "
            "SELECT :start + make_interval(secs => g * :step), md5(g::text), 'repccs', "
            "(ARRAY['vehicle_type','double_booking','an_qualification','ces_eht_flag','stage_catalogue'])[g % 5 + 1], "
            "'1.2.1', md5('rules'), 'N' || lpad((g / 5)::text, 9, '0'), CAST(:facts AS json), 'QUALIFIED', "
            "CAST('{\"message\": \"Qualified\"}' AS json), CAST('[{\"name\": \"suspend\", \"params\": {\"type\": \"PS\"}}]' AS json), "
            "CAST('[\"BR-AN-QUAL-002\"]' AS json), false FROM generate_series(0, :n - 1) g"),
            {"start": start, "step": seconds / rows, "facts": facts, "n": rows})
    with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(text("VACUUM ANALYZE ocms_decision_log"))
    return time.perf_counter() - t0


def plan(eng, subject: str) -> str:
    factory = make_session_factory(eng)
    with factory() as s:
        captured = {}
        from sqlalchemy import event

        def grab(conn, cursor, statement, parameters, context, executemany):
            captured.update(sql=statement, params=parameters)
        event.listen(eng, "before_cursor_execute", grab)
        decisions_for_subject(s, subject)
        event.remove(eng, "before_cursor_execute", grab)
        lines = s.connection().exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS, TIMING OFF) " + captured["sql"],
                                               captured["params"]).scalars().all()
    return "\n".join("    " + ln for ln in lines[:14]) + ("\n    …" if len(lines) > 14 else "")


def query_times(factories: dict, subjects: list[str]) -> dict[str, list[float]]:
    times = {k: [] for k in factories}
    for subject in subjects:
        for name, factory in factories.items():  # round-robin: the same load for both
            with factory() as s:
                t0 = time.perf_counter()
                found = decisions_for_subject(s, subject)
                times[name].append((time.perf_counter() - t0) * 1000)
                assert len(found) == 5, (name, subject, len(found))
    return times


def insert_times(factories: dict, batches: int, size: int = 500) -> dict[str, list[float]]:
    times = {k: [] for k in factories}
    stamp = dt.datetime.now().replace(microsecond=0)
    for b in range(batches):
        batch = [{"decided_at": stamp, "request_id": f"bench-{b}", "caller": "cas", "ruleset": RULESETS[i % 5],
                  "ruleset_version": "1.2.1", "ruleset_hash": "h" * 64, "subject": f"B{b:04d}{i:05d}", "facts": FACTS,
                  "outcome": "QUALIFIED", "outputs": {"message": "Qualified"},
                  "actions": [{"name": "suspend", "params": {"type": "PS"}}], "fired_rules": ["BR-AN-QUAL-002"],
                  "dry_run": False} for i in range(size)]
        for name, factory in (factories.items() if b % 2 else reversed(list(factories.items()))):
            with factory() as s:
                t0 = time.perf_counter()
                log_decisions(s, batch)
                s.commit()
                times[name].append((time.perf_counter() - t0) / size * 1e6)
    return times


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2_000_000, help="rows in each database (5 per notice)")
    ap.add_argument("--months", type=int, default=24)
    ap.add_argument("--queries", type=int, default=400)
    ap.add_argument("--insert-batches", type=int, default=40)
    ap.add_argument("--quick", action="store_true", help="100 queries, 10 insert batches")
    ap.add_argument("--seed", type=int, default=16)
    args = ap.parse_args()
    if args.quick:
        args.queries, args.insert_batches = 100, 10
    print(f"load {load()} at start; {args.rows:,} rows over {args.months} months in each database")
    layouts = {"before (0001: plain)": ("test_ops_bench_before", "0001"),
               "after (head: partitioned)": ("test_ops_bench_after", "head")}
    engines = {}
    for label, (db, rev) in layouts.items():
        url, eng = fresh(db, rev)
        took = fill(eng, args.rows, args.months)
        with eng.connect() as c:
            size = c.execute(text("SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) FROM pg_class c "
                                  "WHERE c.relname LIKE 'ocms_decision_log%' AND c.relkind IN ('r','p')")).scalar()
            parts = len(partitions.list_partitions(c)) if partitions.is_partitioned(c) else 0
        print(f"{label:28s} filled in {took:6.1f} s; {size}; {parts} partitions")
        engines[label] = eng
    rng = random.Random(args.seed)
    subjects = [f"N{rng.randrange(args.rows // 5):09d}" for _ in range(args.queries)]
    factories = {k: make_session_factory(e) for k, e in engines.items()}
    query_times(factories, subjects[:20])  # warm the caches of both alike
    q = query_times(factories, subjects)
    ins = insert_times(factories, args.insert_batches)
    print(f"\nload {load()} after timing\n")
    print(f"{'layout':28s} {'read p50 ms':>12s} {'read p99 ms':>12s} {'insert µs/row (median)':>24s}")
    for k in engines:
        print(f"{k:28s} {statistics.median(q[k]):12.3f} {pct(q[k], 0.99):12.3f} {statistics.median(ins[k]):24.1f}")
    b, a = list(engines)
    print(f"\nafter / before: read p50 {statistics.median(q[a]) / statistics.median(q[b]):.2f}x, "
          f"insert {statistics.median(ins[a]) / statistics.median(ins[b]):.2f}x")
    for k, eng in engines.items():
        print(f"\nplan, {k}:\n{plan(eng, subjects[0])}")
    for eng in engines.values():
        eng.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
