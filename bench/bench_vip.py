#!/usr/bin/env python
"""VIP crons and stage progression over 1,000,000 notices on PostgreSQL, each against its bare SQL, in one run.

    python bench/bench_vip.py [--pg URL] [--notices 1000000] [--repeats 3]

The database (default postgresql://root@127.0.0.1:5432/test_vip_bench) has its schema DROPPED and migrated:
give it one of its own. Seeding is set-based (INSERT ... SELECT generate_series): ``--notices`` notices with
their internet copies, 5 % VIP (type V), spread over the stages NPA ... CPC and over 30 days of next
processing dates (about 1/30 due today); VIP notices at NPA are under TS-OLD and those at CPC under TS-CLV,
with revival dates spread over 21 / 30 days; 2 % of the others are under TS-APP and 3 % paid (PS-FP).

Timed, each inside a transaction that is rolled back afterwards (so every pass sees the same data):

* ``vip-ts-clv`` (EOD) — :func:`api.vip.ts_clv.suspend_ts_clv` vs the spec's UPDATE + suspension INSERTs +
  mirror UPDATE + audit INSERT;
* ``vip-ts-clv-reapply`` (00:00) — :func:`api.vip.ts_clv.reapply_ts_clv` vs revival UPDATEs + new suspension
  INSERTs + notice and mirror UPDATEs;
* ``ts-old-revival`` — :func:`api.vip.revival.revive_due_ts_old` vs revival UPDATEs + notice (next stage from
  the stage map) and mirror UPDATEs;
* ``stage-progression`` without external calls (a copy of the rules whose stages need no LTA/MHA/DataHive
  check and no letter) — :func:`api.stages.progression.progress_stages` vs one UPDATE moving every due notice
  (next stage and days by CASE), the mirror UPDATE and the audit INSERT.

The jobs do more than the bare SQL by design: the engine (once per distinct group), a decision-log row per
notice, failure isolation (savepoints), amounts payable by stage. The rules are loaded once before timing
(as in a long-running worker). After one untimed warm-up pass of each, prints per cron the rows touched, the median seconds of both and the ratio,
next to ``uptime``'s load.
"""
from __future__ import annotations

import argparse
import datetime as dt
import re
import shutil
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
from sqlalchemy import text  # noqa: E402

from api.database import Database  # noqa: E402
from api.decisions.vocabulary import VOCABULARY  # noqa: E402
from engine import RuleRegistry  # noqa: E402
from repository.db import make_engine, make_session_factory  # noqa: E402
from repository.migrate import drop_schema, upgrade  # noqa: E402
from repository.models import now  # noqa: E402
from repository.seed import seed_reference  # noqa: E402

STAGES = ["NPA", "ROV", "RD1", "RD2", "RR3", "DN1", "DN2", "DR3", "CPC"]
NEXT = {"NPA": "ROV", "ROV": "RD1", "RD1": "RD2", "RD2": "RR3", "RR3": "CPC", "DN1": "DN2", "DN2": "DR3",
        "DR3": "CPC", "CPC": "CSD"}
PREV = {"NPA": None, "ROV": "NPA", "RD1": "ROV", "RD2": "RD1", "RR3": "RD2", "DN1": "RD1", "DN2": "DN1",
        "DR3": "DN2", "CPC": "RR3"}


def _case(expr: str, mapping: dict, default="NULL") -> str:
    arms = " ".join(f"WHEN {k} THEN {'NULL' if v is None else repr(v)}" for k, v in mapping.items())
    return f"CASE {expr} {arms} ELSE {default} END"


def seed(engine, n: int) -> None:
    """``n`` notices and their internet copies, VIP suspensions and others', set-based."""
    stage = f"(ARRAY{STAGES!r})[((i / 7) % {len(STAGES)}) + 1]"
    nxt = _case("st", {repr(k): v for k, v in NEXT.items()})
    prev = _case("st", {repr(k): v for k, v in PREV.items()})
    sql = f"""
    INSERT INTO ocms_valid_offence_notice (notice_no, vehicle_no, notice_date_and_time, offence_notice_type,
        vehicle_registration_type, computer_rule_code, composition_amount, amount_payable, payment_acceptance_allowed,
        pp_code, pp_name, prev_processing_stage, prev_processing_date, last_processing_stage, last_processing_date,
        next_processing_stage, next_processing_date, suspension_type, epr_reason_of_suspension, epr_date_of_suspension,
        crs_reason_of_suspension, crs_date_of_suspension, due_date_of_revival, an_flag, cre_date, cre_user_id)
    SELECT 'B' || lpad(i::text, 9, '0'), CASE WHEN vip THEN 'VIP' ELSE 'SB' END || lpad((i % 200000)::text, 6, '0') || 'A',
        :now - interval '40 days', 'O', CASE WHEN vip THEN 'V' ELSE 'S' END, 10100, 70.00, 70.00, 'Y', 'A0001', 'AMK',
        {prev}, :now - interval '30 days', st, :now - interval '10 days', {nxt},
        :today + ((i / 3) % 30) * interval '1 day' + interval '9 hours',
        CASE WHEN vip AND st IN ('NPA', 'CPC') THEN 'TS' WHEN NOT vip AND i % 50 = 1 THEN 'TS'
             WHEN NOT vip AND i % 33 = 2 THEN 'PS' END,
        CASE WHEN vip AND st = 'NPA' THEN 'OLD' WHEN vip AND st = 'CPC' THEN 'CLV' WHEN NOT vip AND i % 50 = 1 THEN 'APP' END,
        CASE WHEN (vip AND st IN ('NPA', 'CPC')) OR (NOT vip AND i % 50 = 1) THEN :now - interval '20 days' END,
        CASE WHEN NOT vip AND i % 50 <> 1 AND i % 33 = 2 THEN 'FP' END,
        CASE WHEN NOT vip AND i % 50 <> 1 AND i % 33 = 2 THEN :now - interval '5 days' END,
        CASE WHEN vip AND st = 'NPA' THEN :today + ((i / 11) % 21) * interval '1 day' + interval '8 hours'
             WHEN vip AND st = 'CPC' THEN :today + ((i / 13) % 30) * interval '1 day' + interval '8 hours' END,
        'N', :now - interval '40 days', 'bench'
    FROM (SELECT i, i % 20 = 0 AS vip, {stage} AS st FROM generate_series(1, :n) AS i) g
    """
    with engine.begin() as c:
        t = now()
        c.execute(text(sql), {"now": t, "today": t.replace(hour=0, minute=0, second=0), "n": n})
        c.execute(text("UPDATE ocms_valid_offence_notice SET next_processing_date = NULL "
                       "WHERE last_processing_stage = 'CPC' AND vehicle_registration_type = 'V'"))
        c.execute(text("INSERT INTO eocms_valid_offence_notice SELECT * FROM ocms_valid_offence_notice"))
        for table in ("ocms_suspended_notice", "eocms_suspended_notice"):
            c.execute(text(f"""INSERT INTO {table} (notice_no, date_of_suspension, sr_no, suspension_type,
                reason_of_suspension, due_date_of_revival, cre_date, cre_user_id)
                SELECT notice_no, COALESCE(epr_date_of_suspension, crs_date_of_suspension), 1, suspension_type,
                       COALESCE(epr_reason_of_suspension, crs_reason_of_suspension), due_date_of_revival, :now, 'bench'
                FROM ocms_valid_offence_notice WHERE suspension_type IS NOT NULL"""), {"now": t})
        c.execute(text("ANALYZE"))


# ---- the bare SQL of each cron (the same writes, hand-written, one transaction) -----------------------------------
def bare_ts_clv(c, today, when):
    nos = [r[0] for r in c.execute(text("""SELECT notice_no FROM ocms_valid_offence_notice
        WHERE vehicle_registration_type = 'V' AND last_processing_stage IN ('RR3', 'DR3') AND next_processing_stage = 'CPC'
          AND next_processing_date < :due AND (suspension_type IS NULL OR suspension_type = 'TS')
          AND crs_reason_of_suspension IS NULL"""), {"due": today + dt.timedelta(days=1)})]
    p = {"nos": nos, "when": when, "revival": when + dt.timedelta(days=30), "today": today}
    c.execute(text("""UPDATE ocms_valid_offence_notice SET prev_processing_stage = last_processing_stage,
        prev_processing_date = last_processing_date, last_processing_stage = 'CPC', last_processing_date = :when,
        next_processing_stage = 'CSD', next_processing_date = NULL, suspension_type = 'TS',
        epr_reason_of_suspension = 'CLV', epr_date_of_suspension = :when, due_date_of_revival = :revival,
        upd_date = :when WHERE notice_no = ANY(:nos)"""), p)
    for t in ("ocms_suspended_notice", "eocms_suspended_notice"):
        c.execute(text(f"""INSERT INTO {t} (notice_no, date_of_suspension, sr_no, suspension_type, reason_of_suspension,
            due_date_of_revival, cre_date, cre_user_id) SELECT v.notice_no, :when,
            (SELECT COALESCE(MAX(sr_no), 0) + 1 FROM {t} s WHERE s.notice_no = v.notice_no), 'TS', 'CLV', :revival,
            :when, 'x' FROM ocms_valid_offence_notice v WHERE v.notice_no = ANY(:nos)"""), p)
    _bare_mirror(c, p)
    c.execute(text("""INSERT INTO ocms_change_of_processing (notice_no, date_of_change, last_processing_stage,
        new_processing_stage, source, cre_date, cre_user_id) SELECT notice_no, :today, prev_processing_stage, 'CPC',
        'SYSTEM', :when, 'x' FROM ocms_valid_offence_notice WHERE notice_no = ANY(:nos)"""), p)
    return len(nos)


def _bare_mirror(c, p):
    c.execute(text("""UPDATE eocms_valid_offence_notice e SET prev_processing_stage = v.prev_processing_stage,
        prev_processing_date = v.prev_processing_date, last_processing_stage = v.last_processing_stage,
        last_processing_date = v.last_processing_date, next_processing_stage = v.next_processing_stage,
        next_processing_date = v.next_processing_date, suspension_type = v.suspension_type,
        epr_reason_of_suspension = v.epr_reason_of_suspension, epr_date_of_suspension = v.epr_date_of_suspension,
        due_date_of_revival = v.due_date_of_revival, upd_date = v.upd_date
        FROM ocms_valid_offence_notice v WHERE e.notice_no = v.notice_no AND v.notice_no = ANY(:nos)"""), p)


def bare_reapply(c, today, when):
    nos = [r[0] for r in c.execute(text("""SELECT notice_no FROM ocms_valid_offence_notice
        WHERE vehicle_registration_type = 'V' AND last_processing_stage = 'CPC' AND suspension_type = 'TS'
          AND epr_reason_of_suspension = 'CLV' AND due_date_of_revival < :due"""), {"due": today + dt.timedelta(days=1)})]
    p = {"nos": nos, "when": when, "revival": when + dt.timedelta(days=30)}
    for t in ("ocms_suspended_notice", "eocms_suspended_notice"):
        c.execute(text(f"""UPDATE {t} SET date_of_revival = :when, revival_reason = 'AUT', officer_authorising_revival = 'x'
            WHERE notice_no = ANY(:nos) AND reason_of_suspension = 'CLV' AND date_of_revival IS NULL"""), p)
        c.execute(text(f"""INSERT INTO {t} (notice_no, date_of_suspension, sr_no, suspension_type, reason_of_suspension,
            due_date_of_revival, cre_date, cre_user_id) SELECT v.notice_no, :when,
            (SELECT COALESCE(MAX(sr_no), 0) + 1 FROM {t} s WHERE s.notice_no = v.notice_no), 'TS', 'CLV', :revival,
            :when, 'x' FROM ocms_valid_offence_notice v WHERE v.notice_no = ANY(:nos)"""), p)
    c.execute(text("""UPDATE ocms_valid_offence_notice SET epr_date_of_suspension = :when, due_date_of_revival = :revival,
        upd_date = :when WHERE notice_no = ANY(:nos)"""), p)
    _bare_mirror(c, p)
    return len(nos)


def bare_ts_old(c, today, when):
    nos = [r[0] for r in c.execute(text("""SELECT notice_no FROM ocms_valid_offence_notice
        WHERE suspension_type = 'TS' AND epr_reason_of_suspension = 'OLD' AND due_date_of_revival < :due"""),
        {"due": today + dt.timedelta(days=1)})]
    p = {"nos": nos, "when": when, "next": when + dt.timedelta(days=2)}
    for t in ("ocms_suspended_notice", "eocms_suspended_notice"):
        c.execute(text(f"""UPDATE {t} SET date_of_revival = :when, revival_reason = 'AUT', officer_authorising_revival = 'x'
            WHERE notice_no = ANY(:nos) AND reason_of_suspension = 'OLD' AND date_of_revival IS NULL"""), p)
    c.execute(text("""UPDATE ocms_valid_offence_notice SET suspension_type = NULL, epr_reason_of_suspension = NULL,
        epr_date_of_suspension = NULL, due_date_of_revival = NULL, next_processing_stage = 'ROV',
        next_processing_date = :next, upd_date = :when WHERE notice_no = ANY(:nos)"""), p)
    _bare_mirror(c, p)
    return len(nos)


def bare_progression(c, today, when):
    moving = "('NPA','ROV','RD1','RD2','DN1','DN2','RR3','DR3')"
    nos = [r[0] for r in c.execute(text(f"""SELECT notice_no FROM ocms_valid_offence_notice
        WHERE next_processing_date < :due AND suspension_type IS NULL AND an_flag <> 'Y'
          AND next_processing_stage IS NOT NULL AND last_processing_stage IN {moving}
          AND NOT (vehicle_registration_type = 'V' AND last_processing_stage IN ('RR3', 'DR3'))"""),
        {"due": today + dt.timedelta(days=1)})]
    days = {"ROV": 3, "RD1": 21, "RD2": 21, "RR3": 21, "DN2": 21, "DR3": 21, "CPC": 14}
    p = {"nos": nos, "when": when, "today": today}
    c.execute(text(f"""UPDATE ocms_valid_offence_notice SET prev_processing_stage = last_processing_stage,
        prev_processing_date = last_processing_date, last_processing_stage = next_processing_stage,
        last_processing_date = :when, next_processing_stage = {_case('next_processing_stage', {repr(k): v for k, v in NEXT.items()})},
        next_processing_date = :when + {_case('next_processing_stage', {repr(k): v for k, v in days.items()}, 0)} * interval '1 day',
        upd_date = :when WHERE notice_no = ANY(:nos)"""), p)
    _bare_mirror(c, p)
    c.execute(text("""INSERT INTO ocms_change_of_processing (notice_no, date_of_change, last_processing_stage,
        new_processing_stage, source, cre_date, cre_user_id) SELECT notice_no, :today, prev_processing_stage,
        last_processing_stage, 'SYSTEM', :when, 'x' FROM ocms_valid_offence_notice WHERE notice_no = ANY(:nos)"""), p)
    return len(nos)


def no_external_rules(src: Path) -> Path:
    """A copy of the rules whose stages need no external check and no letter (stage progression without calls)."""
    d = Path(tempfile.mkdtemp(prefix="bench-vip-rules-"))
    shutil.copytree(src, d / "rules")
    f = d / "rules" / "stage_progression.yaml"
    f.write_text(re.sub(r"MOVE, (true|false), (true|false), [^,]+,", "MOVE, false, false, null,", f.read_text()))
    return d / "rules"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/test_vip_bench")
    ap.add_argument("--notices", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    if not args.pg.startswith("postgresql"):
        ap.error("--pg must be a PostgreSQL URL")
    ensure_database(args.pg)

    from api.stages.progression import progress_stages
    from api.vip.revival import revive_due_ts_old
    from api.vip.ts_clv import reapply_ts_clv, suspend_ts_clv

    engine = make_engine(args.pg)
    drop_schema(engine)
    upgrade(args.pg)
    engine.dispose()
    engine = make_engine(args.pg)
    db = Database(engine, make_session_factory(engine))
    with db.unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    t0 = time.perf_counter()
    seed(db.engine, args.notices)
    print(f"seeded {args.notices:,} notices (+ internet copies, suspensions) in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    rules = RuleRegistry(ROOT / "rules", actions=VOCABULARY)
    plain = RuleRegistry(no_external_rules(ROOT / "rules"), actions=VOCABULARY)
    print(f"rules loaded once in {time.perf_counter() - t0:.2f} s (not timed below)")
    today = now().date()

    jobs = {
        "vip-ts-clv": (lambda uow: suspend_ts_clv(uow, rules, today)["suspended"], bare_ts_clv),
        "vip-ts-clv-reapply": (lambda uow: reapply_ts_clv(uow, rules, today)["reapplied"], bare_reapply),
        "ts-old-revival": (lambda uow: revive_due_ts_old(uow, rules, today)["revived"], bare_ts_old),
        "stage-progression": (lambda uow: progress_stages(_NoCommit(uow), plain, today)["moved"], bare_progression),
    }
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"{'cron':<20} {'rows':>8} {'job s':>8} {'bare s':>8} {'ratio':>6}")
    worst = 0.0
    for name, (job, bare) in jobs.items():
        job_times, bare_times, rows = [], [], (None, None)
        for attempt in range(args.repeats + 1):   # the first pass of each only warms the caches (not timed)
            with db.unit_of_work() as uow:
                t = time.perf_counter()
                moved = job(uow)
                job_times.append(time.perf_counter() - t)
                uow.session.rollback()
            with db.engine.connect() as c:
                tx = c.begin()
                t = time.perf_counter()
                bare_rows = bare(c, today, now())
                bare_times.append(time.perf_counter() - t)
                tx.rollback()
            rows = (moved, bare_rows)
            if attempt == 0:
                job_times.clear()
                bare_times.clear()
        j, b = statistics.median(job_times), statistics.median(bare_times)
        worst = max(worst, j / b if b else 0)
        note = "" if rows[0] == rows[1] else f"  (bare SQL touched {rows[1]:,})"
        print(f"{name:<20} {rows[0]:>8,} {j:>8.3f} {b:>8.3f} {j / b if b else float('nan'):>6.2f}{note}")
    print(f"load: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    rules.close()
    plain.close()
    return 0


class _NoCommit:
    """The job's unit of work whose commits are no-ops, so the bench can roll the whole run back."""

    def __init__(self, uow):
        self.session = uow.session

    def commit(self):
        self.session.flush()


if __name__ == "__main__":
    sys.exit(main())
