#!/usr/bin/env python
"""The Classified Vehicle Notices Report (OCMS 14 tab 6) over 1,000,000 notices and 5,000 VIP vehicles, on
PostgreSQL, against its bare SQL, in one run.

    python bench/bench_classified_report.py --pg postgresql://root@127.0.0.1:5432/test_furnish_bench \
        [--notices 1000000] [--vehicles 5000] [--repeats 3]

The database's schema is DROPPED and migrated: give it a database of its own.
Data (loaded once with generate_series, set-based): ``notices`` notices, 5% of
them on the ``vehicles`` VIP vehicles the CAS simulator serves (one in ten of
which INACTIVE), two in five paid (PS-FP), car parks for most, 20,000 TS-CLV suspensions of
which half are revived and a quarter of those notices amended to type S.

Each pass times, after a warm-up pass:

* bare SQL: the spec's three queries (tab 6 "Query Conditions": active VIP
  vehicles, notice details with pp_name, amended V→S) and its two counts, on
  the raw psycopg connection, every row fetched;
* service queries: :mod:`api.vip.classified_report.query` (summary + both row
  streams), every row turned into its dataclass;
* workbook: rendering those rows into the three-sheet .xlsx;
* whole job: ``run_job(classified-vehicle-report, --force)`` - CAS API 3 over
  loopback and the VIP list replaced, the queries, the workbook, the report
  store, the email with the attachment to the SMTP simulator, the run rows.

Printed: the median of ``repeats`` passes in seconds, the ratios against the
bare SQL, and ``uptime`` (the machine is shared: read the ratios).
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import ensure_database  # noqa: E402

LOAD = """
INSERT INTO ocms_carpark (pp_code, pp_name, cre_date, cre_user_id)
SELECT 'P' || lpad(i::text, 4, '0'), 'Car Park ' || i, now(), 'bench' FROM generate_series(1, 900) i;

INSERT INTO ocms_valid_offence_notice (notice_no, vehicle_no, notice_date_and_time, offence_notice_type,
    vehicle_registration_type, computer_rule_code, composition_amount, amount_payable, pp_code, pp_name,
    suspension_type, crs_reason_of_suspension, epr_reason_of_suspension, last_processing_stage, cre_date, cre_user_id)
SELECT lpad(i::text, 9, '0') || 'A',
       CASE WHEN i % 20 = 0 THEN 'VIP' || lpad((((i / 20) % :vehicles) + 1)::text, 7, '0') || 'A'
            ELSE 'S' || chr(65 + i % 26) || chr(65 + (i / 26) % 26) || ((i % 9999) + 1)::text || 'Z' END,
       timestamp '2025-01-01' + (i % 400) * interval '1 day' + (i % 86400) * interval '1 second',
       'O', CASE WHEN i % 20 = 0 THEN 'V' ELSE 'S' END, 10100 + i % 50, 70.00, 70.00 + (i % 3) * 10,
       CASE WHEN i % 10 = 0 THEN 'X0000' ELSE 'P' || lpad(((i % 900) + 1)::text, 4, '0') END, 'on the notice',
       CASE WHEN (i / 3) % 5 < 2 THEN 'PS' WHEN i % 7 = 0 THEN 'TS' END,
       CASE WHEN (i / 3) % 5 < 2 THEN 'FP' END,
       CASE WHEN (i / 3) % 5 >= 2 AND i % 7 = 0 THEN 'CLV' END,
       'RD1', timestamp '2025-01-01', 'bench'
FROM generate_series(1, :notices) i;

INSERT INTO ocms_suspended_notice (notice_no, date_of_suspension, sr_no, suspension_type, reason_of_suspension,
    date_of_revival, cre_date, cre_user_id)
SELECT lpad((j * 20)::text, 9, '0') || 'A', timestamp '2025-06-01' + (j % 100) * interval '1 day', 1, 'TS', 'CLV',
       CASE WHEN j % 2 = 0 THEN timestamp '2025-06-01' + (j % 100 + 30) * interval '1 day' END,
       timestamp '2025-06-01', 'bench'
FROM generate_series(1, 20000) j WHERE j * 20 <= :notices;

UPDATE ocms_valid_offence_notice SET vehicle_registration_type = 'S'
WHERE notice_no IN (SELECT notice_no FROM ocms_suspended_notice WHERE date_of_revival IS NOT NULL) AND
      substr(notice_no, 1, 9)::int % 80 = 0;
ANALYZE;
"""

BARE = [
    "SELECT vehicle_no, vip_label_status, label_expiry_date FROM ocms_vip_vehicle WHERE status = 'ACTIVE'",
    "SELECT von.notice_no, von.vehicle_no, von.notice_date_and_time, von.computer_rule_code, pp.pp_name, "
    "von.composition_amount, von.amount_payable, von.crs_reason_of_suspension, von.suspension_type, "
    "von.epr_reason_of_suspension FROM ocms_valid_offence_notice von "
    "LEFT JOIN ocms_carpark pp ON von.pp_code = pp.pp_code "
    "WHERE von.vehicle_no IN (SELECT vehicle_no FROM ocms_vip_vehicle WHERE status = 'ACTIVE')",
    "SELECT count(*), count(*) FILTER (WHERE crs_reason_of_suspension IS NULL) FROM ocms_valid_offence_notice "
    "WHERE vehicle_no IN (SELECT vehicle_no FROM ocms_vip_vehicle WHERE status = 'ACTIVE')",
    "SELECT von.notice_no, von.vehicle_no, von.notice_date_and_time, sn.date_of_suspension, sn.date_of_revival, "
    "pp.pp_name, von.composition_amount, von.amount_payable FROM ocms_valid_offence_notice von "
    "JOIN ocms_suspended_notice sn ON von.notice_no = sn.notice_no LEFT JOIN ocms_carpark pp ON von.pp_code = pp.pp_code "
    "WHERE sn.reason_of_suspension = 'CLV' AND sn.date_of_revival IS NOT NULL AND von.vehicle_registration_type = 'S'",
]


def bare_sql(engine) -> tuple[float, list[int]]:
    conn = engine.raw_connection()
    try:
        t0 = time.perf_counter()
        cur = conn.cursor()
        sizes = []
        for q in BARE:
            cur.execute(q)
            sizes.append(len(cur.fetchall()))
        conn.rollback()
        return time.perf_counter() - t0, sizes
    finally:
        conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pg", required=True, help="PostgreSQL URL of a database of the bench's own (schema dropped)")
    ap.add_argument("--notices", type=int, default=1_000_000)
    ap.add_argument("--vehicles", type=int, default=5_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    ensure_database(args.pg)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)

    from sqlalchemy import text

    from repository.db import make_engine
    from repository.migrate import drop_schema, upgrade
    from simulators.cas import CasSimulator
    from simulators.smtp import SmtpSimulator

    reports = tempfile.mkdtemp(prefix="ocms-bench-reports-")
    engine = make_engine(args.pg)
    drop_schema(engine)
    upgrade(args.pg)
    t0 = time.perf_counter()
    with engine.begin() as c:
        for statement in filter(str.strip, LOAD.split(";\n")):
            c.execute(text(statement), {"notices": args.notices, "vehicles": args.vehicles}
                      if ":notices" in statement or ":vehicles" in statement else {})
    print(f"loaded {args.notices:,} notices in {time.perf_counter() - t0:.1f} s")

    with CasSimulator(vehicles=args.vehicles) as cas, SmtpSimulator() as smtp:
        os.environ.update({"OCMS_DATABASE_URL": args.pg, "OCMS_CAS_URL": cas.url, "OCMS_SMTP_HOST": smtp.host,
                           "OCMS_SMTP_PORT": str(smtp.port), "OCMS_CLASSIFIED_REPORT_TO": "oic@example.com",
                           "OCMS_REPORT_DIR": reports, "OCMS_HTTP_RETRIES": "0"})
        from api.areas import load_jobs
        from api.database import Database
        from api.jobs import run_job
        from api.vip.classified_report import query
        from api.vip.classified_report.workbook import render_report
        from repository.db import make_session_factory
        load_jobs()
        db = Database(engine, make_session_factory(engine))
        first = run_job(db, "classified-vehicle-report", "2026-01-15", force=True)   # warm-up; loads the VIP list
        assert first["status"] == "SUCCESS", first
        c = first["counts"]
        print(f"report: {c['activeVipVehicles']:,} active VIP vehicles, {c['total']:,} Type V notices "
              f"({c['outstanding']:,} outstanding, {c['settled']:,} settled), {c['amended']:,} amended V→S")
        timings = {k: [] for k in ("bare SQL", "service queries", "workbook", "whole job")}
        for _ in range(args.repeats):
            seconds, sizes = bare_sql(engine)
            timings["bare SQL"].append(seconds)
            with db.session() as s:
                t = time.perf_counter()
                summary = query.summary(s)
                notices, amended = list(query.type_v_notices(s)), list(query.amended_notices(s))
                timings["service queries"].append(time.perf_counter() - t)
            assert (len(notices), summary.total) == (sizes[1], sizes[1]), (len(notices), sizes)
            t = time.perf_counter()
            render_report(dt.date(2026, 1, 15), summary, notices, amended)
            timings["workbook"].append(time.perf_counter() - t)
            t = time.perf_counter()
            out = run_job(db, "classified-vehicle-report", "2026-01-15", force=True)
            timings["whole job"].append(time.perf_counter() - t)
            assert out["status"] == "SUCCESS", out
    engine.dispose()
    bare = statistics.median(timings["bare SQL"])
    print(f"\nPostgreSQL, {args.notices:,} notices, {args.vehicles:,} VIP vehicles; median of {args.repeats} passes")
    print(f"{'step':<18}{'seconds':>10}{'vs bare SQL':>14}")
    for k, v in timings.items():
        m = statistics.median(v)
        print(f"{k:<18}{m:>10.3f}{m / bare:>13.2f}x")
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
