#!/usr/bin/env python
"""Profile the REPCCS/CES intake in one process: SQL statements and round trips per notice, and cProfile.

    python bench/profile_intake.py [--pg URL] [--count 500] [--top 25] [--show-sql]

Uses bench_intake's database preparation and payload mix, posts the notices
through the app's test client (no HTTP, one thread) and counts, per notice,
the statements the driver executed (SQLAlchemy ``before_cursor_execute``,
an executemany counted once: one round trip) by kind, plus the transactions
(BEGIN/COMMIT, savepoints). Then the same run under cProfile, top functions
by cumulative time. What the figures are for: bench/README.md "intake".
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_intake import DEFAULT_PG, KEYS, Load, prepare  # noqa: E402
from common import cpu_seconds, ensure_database  # noqa: E402


def _kind(sql: str) -> str:
    s = sql.lstrip().split(None, 3)
    head = " ".join(s[:1]).upper()
    m = re.search(r"\b(?:FROM|INTO|UPDATE)\s+(\w+)", sql, re.I)
    table = m.group(1) if m else ""
    if head in ("SAVEPOINT", "RELEASE", "ROLLBACK"):
        return head
    return f"{head} {table}".strip()


def make_app(url: str):
    os.environ["OCMS_DATABASE_URL"] = url
    os.environ["OCMS_API_KEYS"] = ",".join(f"{k}:{v}" for k, v in KEYS.items())
    os.environ.setdefault("OCMS_LOG_LEVEL", "WARNING")
    from api.app import create_app
    from api.decisions.service import get_rules
    app = create_app()
    get_rules(app).ensure_loaded()
    return app


def post_all(client, load: Load, n: int) -> Counter:
    statuses: Counter = Counter()
    for _ in range(n):
        src, path, body = load.next()
        r = client.post(path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[src]})
        statuses[r.status_code] += 1
    return statuses


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=DEFAULT_PG)
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--show-sql", action="store_true", help="print the statements of one notice of each outcome")
    args = ap.parse_args(argv)

    from sqlalchemy import event

    from api.database import get_db
    ensure_database(args.pg)
    prepare(args.pg, args.seed)
    app = make_app(args.pg)
    engine = get_db(app).engine
    kinds: Counter = Counter()
    trips = [0]
    per_notice: list[list[str]] = []
    current: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany):
        trips[0] += 1
        kinds[_kind(statement)] += 1
        current.append(statement.split("\n")[0][:140] + (" [many]" if executemany else ""))

    @event.listens_for(engine, "commit")
    def commit(conn):
        trips[0] += 1
        kinds["COMMIT"] += 1

    @event.listens_for(engine, "begin")
    def begin(conn):
        kinds["BEGIN (implicit, no round trip of its own on psycopg)"] += 1

    client = app.test_client()
    load = Load(args.seed)
    post_all(client, load, 50)  # warm-up: caches, pools, allocator blocks
    # The database's share: the CPU time of every server process on this (the bench's own) database.
    from sqlalchemy import text

    def backends() -> dict[int, float]:
        with engine.connect() as c:
            pids = c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")).scalars()
            return {pid: cpu_seconds(pid) for pid in pids}
    kinds.clear()
    trips[0] = 0
    statuses: Counter = Counter()
    t0, cpu0, db0 = time.perf_counter(), time.process_time(), backends()
    for i in range(args.count):
        current.clear()
        statuses += post_all(client, load, 1)
        per_notice.append(list(current))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    db1 = backends()
    db_cpu = sum(v - db0.get(pid, 0.0) for pid, v in db1.items())
    n = args.count
    print(f"{n} notices in-process (test client, one thread) on {args.pg.rsplit('/', 1)[-1]}: {elapsed / n * 1000:.2f} ms/notice "
          f"wall (load average {os.getloadavg()[0]:.1f}); statuses {dict(statuses)}")
    print(f"CPU per notice: this process {cpu / n * 1000:.2f} ms, its PostgreSQL server processes {db_cpu / n * 1000:.2f} ms "
          f"(from /proc; less sensitive to a busy machine than wall time)")
    print(f"database round trips per notice: {trips[0] / n:.2f}  (statements + commits)")
    for k, c in kinds.most_common():
        print(f"  {c / n:6.2f}  {k}")
    if args.show_sql:
        lens = Counter(len(s) for s in per_notice)
        longest = max(per_notice, key=len)
        print(f"statements per notice: distribution {dict(sorted(lens.items()))}; the longest:")
        for s in longest:
            print("   ", s)

    prof = cProfile.Profile()
    prof.enable()
    post_all(client, load, n)
    prof.disable()
    print(f"\ncProfile of another {n} notices, top {args.top} by cumulative time:")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
