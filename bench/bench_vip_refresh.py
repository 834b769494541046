#!/usr/bin/env python
"""CAS API 3 at 100,000 VIP vehicles: the refresh job's steps against the bare SQL replace, in one run.

    python bench/bench_vip_refresh.py [--n 100000] [--repeats 3] [--pg URL]

The CAS simulator (:mod:`simulators.cas`) serves ``n`` generated vehicles on
loopback (its answer is encoded once, so the simulator costs little). For each
database (a temporary SQLite file, and PostgreSQL with ``--pg URL``, whose
schema is DROPPED and migrated: give it a database of its own), every pass times:

* fetch: the HTTP call and the JSON parse (``CasClient.call`` with a parse-only step);
* validate: :func:`api.clients.cas.validate_vip_response` on the parsed answer;
* DB replace: :func:`api.cas.vip_refresh.replace_vip_vehicles` (DELETE + one executemany
  INSERT through SQLAlchemy Core) and the commit;
* the sum of the three (what one job run costs), and the whole job through
  ``run_job`` (adds the batch-run rows and the retry/alert wrapper);
* bare SQL: the same DELETE + executemany INSERT of the same ``n`` rows, already
  built as tuples, on the raw DB-API connection, one transaction.

Printed: the median of ``repeats`` passes (after a warm-up pass) in seconds,
and the ratios against the bare SQL.
"""
from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import ensure_database  # noqa: E402

KEY = "bench-apim-key"


def bare_replace(engine, rows: list[tuple]) -> None:
    """DELETE + executemany INSERT on the driver's connection, one transaction."""
    mark = "%s" if engine.dialect.name == "postgresql" else "?"
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute("DELETE FROM ocms_vip_vehicle")
        cur.executemany("INSERT INTO ocms_vip_vehicle (vehicle_no, vip_vehicle, description, status, cre_date, "
                        f"cre_user_id) VALUES ({', '.join([mark] * 6)})", rows)
        conn.commit()
    finally:
        conn.close()


def bench_database(label: str, url: str, cas, n: int, repeats: int) -> None:
    from api.areas import load_jobs
    from api.clients.cas import REFRESH_VIP_PATH, CasClient, _parse_json, validate_vip_response
    from api.clients.http import RetryPolicy
    from api.database import Database
    from api.jobs import run_job
    from api.cas.vip_refresh import JOB_NAME, replace_vip_vehicles
    from repository.base import SYSTEM_USER, now
    from repository.db import make_engine, make_session_factory
    from repository.migrate import drop_schema, upgrade

    load_jobs()  # the job registry is filled by the areas' start-up list
    engine = make_engine(url)
    drop_schema(engine)
    upgrade(url)
    db = Database(engine, make_session_factory(engine))
    client = CasClient(cas.url, KEY, RetryPolicy(retries=0, backoff=0, timeout=(5, 120)))

    def one_pass() -> dict[str, float]:
        t0 = time.perf_counter()
        body = client.call(REFRESH_VIP_PATH, _parse_json).value
        t1 = time.perf_counter()
        vehicles = validate_vip_response(body)
        t2 = time.perf_counter()
        with db.unit_of_work() as uow:
            replace_vip_vehicles(uow.session, vehicles)
            uow.commit()
        t3 = time.perf_counter()
        outcome = run_job(db, JOB_NAME, "bench", force=True)
        t4 = time.perf_counter()
        assert outcome["status"] == "SUCCESS" and outcome["counts"]["vehicles"] == n, outcome
        stamp = now()
        rows = [(v["vehicleNo"], "Y", v["description"], v["status"], stamp, SYSTEM_USER) for v in vehicles]
        t5 = time.perf_counter()
        bare_replace(engine, rows)
        t6 = time.perf_counter()
        return {"fetch": t1 - t0, "validate": t2 - t1, "replace": t3 - t2, "sum": t3 - t0, "job": t4 - t3,
                "bare": t6 - t5}

    one_pass()  # warm-up
    passes = [one_pass() for _ in range(repeats)]
    med = {k: statistics.median(p[k] for p in passes) for k in passes[0]}
    with engine.connect() as c:
        from sqlalchemy import text
        count = c.execute(text("SELECT count(*) FROM ocms_vip_vehicle")).scalar()
    assert count == n, count
    bare = med["bare"]
    print(f"\n{label}: {n:,} vehicles, median of {repeats} passes (seconds)")
    print(f"  HTTP fetch + JSON parse  {med['fetch']:8.3f}")
    print(f"  validation               {med['validate']:8.3f}")
    print(f"  DB replace (SQLAlchemy)  {med['replace']:8.3f}   {med['replace'] / bare:5.2f}x bare SQL")
    print(f"  total (sum of the three) {med['sum']:8.3f}   {med['sum'] / bare:5.2f}x bare SQL")
    print(f"  whole job (run_job)      {med['job']:8.3f}   {med['job'] / bare:5.2f}x bare SQL")
    print(f"  bare SQL replace         {bare:8.3f}   (DELETE + executemany INSERT on the DB-API connection)")
    client.close()
    engine.dispose()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=100_000, help="VIP vehicles (default 100,000)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--pg", metavar="URL", help="also PostgreSQL (its schema is DROPPED and migrated)")
    args = p.parse_args(argv)
    if args.pg:
        ensure_database(args.pg)
    logging.disable(logging.WARNING)  # werkzeug's request lines and the job's INFO lines

    import os
    from simulators.cas import CasSimulator
    with CasSimulator(apim_key=KEY, vehicles=args.n) as cas, tempfile.TemporaryDirectory() as tmp:
        env = {"OCMS_CAS_URL": cas.url, "OCMS_CAS_APIM_KEY": KEY, "OCMS_HTTP_RETRIES": "0",
               "OCMS_HTTP_TIMEOUT": "5,120"}
        os.environ.update(env)  # the job reads its settings from the environment
        print(f"CAS simulator {cas.url}: {args.n:,} vehicles, answer {len(cas._body) / 1e6:.1f} MB")
        bench_database("SQLite", f"sqlite:///{tmp}/bench_vip.db", cas, args.n, args.repeats)
        if args.pg:
            bench_database("PostgreSQL", args.pg, cas, args.n, args.repeats)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
