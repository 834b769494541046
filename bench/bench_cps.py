#!/usr/bin/env python
"""Change Processing Stage at volume: the endpoints against bare SQL doing the same updates, in one run.

    python bench/bench_cps.py [--toppan 10000] [--submit 500] [--repeats 5] [--pg URL]

For each database (a temporary SQLite file, and PostgreSQL with ``--pg URL``,
whose schema is DROPPED and migrated: give it a database of its own, e.g.
postgresql://root@127.0.0.1:5432/test_cps):

* seeds ``toppan`` notices at ROV (10 % with a manual change today) and
  ``submit`` notices at RD1, each with its internet mirror and current owner;
* Toppan: ``POST /v1/internal/toppan/changeProcessingStage`` ROV → RD1 for all
  ``toppan`` notices (Flask test client) against bare SQL: the SELECT of the
  notices' stages and today's changes, the UPDATE of the automatic and of the
  manual notices, the mirror UPDATE and the audit INSERT, one transaction;
* Staff Portal: ``POST /v1/cps/submit`` RD1 → RD2 for ``submit`` notices against
  bare SQL: the SELECTs (notices, offenders, today's changes), the UPDATE, the
  mirror UPDATE and the audit INSERT, one transaction.

The endpoints do more than the bare SQL by design: auth, validation, row locks,
four rulesets per notice (distinct fact sets only), the decision log (one row
per notice) and, for submit, the Excel report. Between passes the notices are
put back (not timed). Prints the median ms of each and the ratio.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import jwt  # noqa: E402
from sqlalchemy import bindparam, insert, text  # noqa: E402

from api import create_app  # noqa: E402
from api.database import get_db  # noqa: E402
from api.decisions.service import get_rules  # noqa: E402
from repository import business_time  # noqa: E402
from repository.migrate import drop_schema, upgrade  # noqa: E402
from repository.db import make_engine  # noqa: E402
from repository.models import (  # noqa: E402
    ChangeOfProcessing, EValidOffenceNotice, OffenceNoticeOwnerDriver, ValidOffenceNotice,
)

from common import ensure_database  # noqa: E402

SECRET = "bench-secret-0123456789abcdef0123456789"
TOPPAN_KEY = "bench-toppan-key"


def seed(db, toppan: int, submit: int) -> tuple[list[str], list[str]]:
    now = business_time.now()
    t_nos = [f"T{i:09d}" for i in range(toppan)]
    s_nos = [f"S{i:09d}" for i in range(submit)]
    rows = [{"notice_no": n, "vehicle_no": f"SBA{i % 9999:04d}X", "notice_date_and_time": now - dt.timedelta(days=20),
             "offence_notice_type": "O", "computer_rule_code": 10100, "composition_amount": Decimal("70.00"),
             "amount_payable": Decimal("70.00"), "last_processing_stage": stage, "last_processing_date": now,
             "offender_name": f"Offender {i}"}
            for nos, stage in ((t_nos, "ROV"), (s_nos, "RD1")) for i, n in enumerate(nos)]
    with db.unit_of_work() as uow:
        uow.session.execute(insert(ValidOffenceNotice), rows)
        uow.session.execute(insert(EValidOffenceNotice), rows)
        uow.session.execute(insert(OffenceNoticeOwnerDriver), [
            {"notice_no": r["notice_no"], "owner_driver_indicator": "O", "is_current": "Y"} for r in rows])
        uow.commit()
    return t_nos, s_nos


def reset(db, nos: list[str], stage: str, manual: list[str]) -> None:
    """Put the notices back at ``stage`` with today's changes = the manual ones only (not timed)."""
    with db.unit_of_work() as uow:
        s = uow.session
        s.execute(text("DELETE FROM ocms_change_of_processing"))
        s.execute(text("DELETE FROM ocms_decision_log"))
        s.execute(text("DELETE FROM ocms_report_file"))
        for table in ("ocms_valid_offence_notice", "eocms_valid_offence_notice"):
            s.execute(text(f"UPDATE {table} SET last_processing_stage = :st, amount_payable = 70.00 "
                           f"WHERE notice_no IN :nos").bindparams(bindparam("nos", expanding=True)),
                      {"st": stage, "nos": nos})
        if manual:
            s.execute(insert(ChangeOfProcessing), [
                {"notice_no": n, "date_of_change": business_time.today(), "last_processing_stage": "NPA",
                 "new_processing_stage": stage, "source": "OCMS"} for n in manual])
        uow.commit()


IN = lambda name: bindparam(name, expanding=True)  # noqa: E731


def bare_update(conn, nos, new_stage, next_stage, days, amount_sql, when):
    nxt = when + dt.timedelta(days=days)
    conn.execute(text(f"""UPDATE ocms_valid_offence_notice SET prev_processing_stage = last_processing_stage,
        prev_processing_date = last_processing_date, last_processing_stage = :st, last_processing_date = :w,
        next_processing_stage = :nx, next_processing_date = :nd, {amount_sql} upd_date = :w, upd_user_id = 'bench'
        WHERE notice_no IN :nos""").bindparams(IN("nos")),
                 {"st": new_stage, "w": when, "nx": next_stage, "nd": nxt, "nos": nos})
    conn.execute(text(f"""UPDATE eocms_valid_offence_notice SET prev_processing_stage = last_processing_stage,
        prev_processing_date = last_processing_date, last_processing_stage = :st, last_processing_date = :w,
        next_processing_stage = :nx, next_processing_date = :nd, {amount_sql} upd_date = :w, upd_user_id = 'bench'
        WHERE notice_no IN :nos""").bindparams(IN("nos")),
                 {"st": new_stage, "w": when, "nx": next_stage, "nd": nxt, "nos": nos})


def bare_audit(conn, nos, last, new, source, when):
    conn.execute(insert(ChangeOfProcessing), [
        {"notice_no": n, "date_of_change": when.date(), "last_processing_stage": last, "new_processing_stage": new,
         "source": source, "cre_date": when, "cre_user_id": "bench"} for n in nos])


def bare_toppan(engine, nos):
    when = business_time.now()
    with engine.begin() as c:
        found = {n: st for n, st in c.execute(text(
            "SELECT notice_no, last_processing_stage FROM ocms_valid_offence_notice WHERE notice_no IN :nos")
            .bindparams(IN("nos")), {"nos": nos})}
        manual = {n for (n,) in c.execute(text(
            "SELECT DISTINCT notice_no FROM ocms_change_of_processing WHERE notice_no IN :nos "
            "AND date_of_change = :d AND source IN ('OCMS', 'PLUS')").bindparams(IN("nos")),
            {"nos": nos, "d": when.date()})}
        ok = [n for n in nos if found.get(n) == "ROV"]
        auto = [n for n in ok if n not in manual]
        man = [n for n in ok if n in manual]
        bare_update(c, auto, "RD1", "RD2", 21, "amount_payable = composition_amount + 0.00,", when)
        bare_update(c, man, "RD1", "RD2", 21, "", when)
        bare_audit(c, ok, "ROV", "RD1", "SYSTEM", when)


def bare_submit(engine, nos):
    when = business_time.now()
    with engine.begin() as c:
        found = {n: st for n, st in c.execute(text(
            "SELECT notice_no, last_processing_stage FROM ocms_valid_offence_notice WHERE notice_no IN :nos")
            .bindparams(IN("nos")), {"nos": nos})}
        c.execute(text("SELECT notice_no, owner_driver_indicator FROM ocms_offence_notice_owner_driver "
                       "WHERE notice_no IN :nos AND is_current = 'Y'").bindparams(IN("nos")), {"nos": nos}).all()
        c.execute(text("SELECT notice_no, count(*) FROM ocms_change_of_processing WHERE notice_no IN :nos "
                       "AND date_of_change = :d GROUP BY notice_no").bindparams(IN("nos")),
                  {"nos": nos, "d": when.date()}).all()
        ok = [n for n in nos if found.get(n) == "RD1"]
        bare_update(c, ok, "RD2", "RR3", 21, "amount_payable = composition_amount + 10.00,", when)
        bare_audit(c, ok, "RD1", "RD2", "OCMS", when)


def timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def run(url: str, args) -> None:
    engine = make_engine(url)
    drop_schema(engine)
    upgrade(url)
    with tempfile.TemporaryDirectory() as reports:
        app = create_app({"OCMS_DATABASE_URL": url, "OCMS_API_KEYS": {"toppan": TOPPAN_KEY},
                          "OCMS_JWT_SECRET": SECRET, "OCMS_REPORT_DIR": reports, "OCMS_RULES_CHECK_INTERVAL": 60})
        logging.getLogger("api").setLevel(logging.WARNING)
        db = get_db(app)
        client = app.test_client()
        t_nos, s_nos = seed(db, args.toppan, args.submit)
        manual = t_nos[::10]
        jwt_h = {"Authorization": "Bearer " + jwt.encode({"sub": "bench", "roles": ["OIC"], "exp": int(time.time()) + 3600}, SECRET, "HS256")}
        toppan_body = {"currentStage": "ROV", "newStage": "RD1", "noticeNumbers": t_nos}
        submit_body = {"noticeNumbers": s_nos, "newProcessingStage": "RD2", "reasonOfChange": "SUP"}

        def api_toppan():
            r = client.post("/v1/internal/toppan/changeProcessingStage", json=toppan_body,
                            headers={"Ocp-Apim-Subscription-Key": TOPPAN_KEY})
            stats = r.get_json()
            assert r.status_code == 200 and stats["automaticUpdates"] + stats["manualUpdates"] == len(t_nos), stats

        def api_submit():
            r = client.post("/v1/cps/submit", json=submit_body, headers=jwt_h)
            assert r.status_code == 200 and r.get_json()["updated"] == len(s_nos), r.get_json()

        results = {}
        for name, api, bare, nos, stage, man in (
                ("Toppan batch", api_toppan, lambda: bare_toppan(engine, t_nos), t_nos, "ROV", manual),
                ("Staff Portal submit", api_submit, lambda: bare_submit(engine, s_nos), s_nos, "RD1", [])):
            a, b = [], []
            for i in range(args.repeats + 1):  # the first pass warms up (rules compiled, caches filled)
                reset(db, nos, stage, man)
                ta = timed(api)
                reset(db, nos, stage, man)
                tb = timed(bare)
                if i:
                    a.append(ta)
                    b.append(tb)
            results[name] = (len(nos), statistics.median(a), statistics.median(b))
        get_rules(app).close()
        get_db(app).engine.dispose()
    engine.dispose()
    print(f"\n{engine.url.get_backend_name()}  (median of {args.repeats} passes)")
    print(f"{'':22}{'notices':>8}{'endpoint ms':>13}{'bare SQL ms':>13}{'ratio':>8}")
    for name, (n, a, b) in results.items():
        print(f"{name:22}{n:>8}{a:>13.1f}{b:>13.1f}{a / b:>8.2f}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--toppan", type=int, default=10_000)
    p.add_argument("--submit", type=int, default=500)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--pg", help="PostgreSQL URL of a database of its own (its schema is dropped)")
    args = p.parse_args()
    if args.pg:
        ensure_database(args.pg)
    with tempfile.TemporaryDirectory() as d:
        run(f"sqlite:///{d}/bench.db", args)
    if args.pg:
        run(args.pg, args)


if __name__ == "__main__":
    main()
