#!/usr/bin/env python
"""CAS APIs 1 and 2 at 500 notices: the endpoints against the bare SQL they need, in one run.

    python bench/bench_cas.py [--n 500] [--repeats 30] [--pg URL] [--http] [--quick]

For each database (a temporary SQLite file, and PostgreSQL with ``--pg URL``,
whose schema is DROPPED and migrated: give it a database of its own):

* seeds ``n + 100`` notices (and their internet mirror rows), 90 % at court
  stages (CPC, CSD, CRT, ...), 10 % before court (NPA, ROV, ...);
* API 1: ``POST /v1/ocms/cas-getPaymentStatus`` with ``n`` numbers through the Flask
  test client, against the spec's one SELECT ... IN (...) of the same ``n`` rows
  (SQLAlchemy Core, fetched to tuples);
* API 2: ``POST /v1/ocms/cas-updateCourtNotices`` with ``n`` notices (the spec's
  fields), against the bare SQL: the SELECT of their stages and the spec's
  executemany UPDATE of the court notices (thirteen columns), one transaction;
* with ``--http``, the same two requests over HTTP against ``ocms serve`` (1 worker).

The endpoints do more than the bare SQL, by design: key check, validation of
every field, the batch limit read from ocms_parameter, the engine's decision per
notice, the internet mirror UPDATE, the decision log (n rows) and one
application-log line per applied notice (written to /dev/null here).

Timings are medians (and bests) of ``repeats`` round-robin passes (after a
warm-up); printed as ms per request and as the ratio endpoint / bare SQL.
Targets, on the medians: API 1 within 3x, API 2 within 5x. On a shared machine
the best-of ratio is the steadier figure.
"""
from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import ensure_database  # noqa: E402
from sqlalchemy import bindparam, insert, select, update  # noqa: E402

CAS_KEY = "bench-cas-key"
COURT = ["CPC", "CFC", "CSD", "CSR", "CRT", "CRC", "CFI"]
BEFORE_COURT = ["NPA", "ROV", "ENA", "RD1", "RD2", "RR3", "DN1", "DN2", "DR3"]
TARGETS = {"API 1": 3.0, "API 2": 5.0}


def seed(engine, count: int, rnd: random.Random) -> list[dict]:
    """Insert ``count`` notices (and mirrors); return them."""
    from repository.models import EValidOffenceNotice, ValidOffenceNotice
    rows = []
    for i in range(count):
        stage = rnd.choice(BEFORE_COURT) if rnd.random() < 0.1 else rnd.choice(COURT)
        rows.append({
            "notice_no": f"5{i:08d}B", "vehicle_no": f"SBA{i:04d}A",
            "notice_date_and_time": dt.datetime(2024, 1, 1, 9) + dt.timedelta(minutes=i),
            "offence_notice_type": "O", "computer_rule_code": 10001, "composition_amount": Decimal("70.00"),
            "amount_payable": Decimal("300.00"), "amount_paid": Decimal("0.00"), "payment_acceptance_allowed": "Y",
            "suspension_type": rnd.choice([None, "TS", "PS"]), "crs_reason_of_suspension": None,
            "epr_reason_of_suspension": rnd.choice([None, "APP"]), "last_processing_stage": stage,
            "last_processing_date": dt.datetime(2024, 1, 10),
        })
    with engine.begin() as c:
        c.execute(insert(ValidOffenceNotice), rows)
        c.execute(insert(EValidOffenceNotice), rows)
    return rows


def api2_payload(notices: list[dict], day: int) -> dict:
    return {"notices": [{
        "noticeNo": n["notice_no"], "suspensionType": "TS", "lastProcessingStage": "CSD", "prevProcessingStage": "CPC",
        "nextProcessingStage": "CSR", "lastProcessingDate": f"2024-01-{day:02d}", "prevProcessingDate": "2024-01-10",
        "nextProcessingDate": "2024-01-20", "atomsFlag": "Y", "amountPayable": 300.00, "paymentAcceptanceAllowed": "Y",
        "eprReasonOfSuspension": "APP", "eprDateOfSuspension": "2024-01-15"} for n in notices]}


def bare_api1(engine, numbers):
    """The spec's SELECT, fetched."""
    from repository.models import ValidOffenceNotice
    t = ValidOffenceNotice.__table__.c
    stmt = select(t.notice_no, t.suspension_type, t.crs_reason_of_suspension, t.epr_reason_of_suspension,
                  t.payment_status, t.amount_payable, t.amount_paid, t.payment_acceptance_allowed)
    with engine.connect() as c:
        return c.execute(stmt.where(t.notice_no.in_(bindparam("nos", expanding=True))), {"nos": numbers}).all()


def bare_api2(engine, payload):
    """SELECT the stages, executemany the spec's UPDATE for the court notices, one transaction."""
    from repository.models import ValidOffenceNotice
    table = ValidOffenceNotice.__table__
    t = table.c
    stmt = update(table).where(t.notice_no == bindparam("k")).values(
        last_processing_stage=bindparam("a"), prev_processing_stage=bindparam("b"), next_processing_stage=bindparam("c"),
        last_processing_date=bindparam("d"), prev_processing_date=bindparam("e"), next_processing_date=bindparam("f"),
        atoms_flag=bindparam("g"), amount_payable=bindparam("h"), payment_acceptance_allowed=bindparam("i"),
        epr_reason_of_suspension=bindparam("j"), epr_date_of_suspension=bindparam("l"), suspension_type=bindparam("m"))
    notices = payload["notices"]
    day = dt.date.fromisoformat
    with engine.begin() as c:
        stages = dict(c.execute(select(t.notice_no, t.last_processing_stage)
                                .where(t.notice_no.in_(bindparam("nos", expanding=True))),
                                {"nos": [n["noticeNo"] for n in notices]}).all())
        court = set(BEFORE_COURT)
        params = [{"k": n["noticeNo"], "a": n["lastProcessingStage"], "b": n["prevProcessingStage"],
                   "c": n["nextProcessingStage"], "d": day(n["lastProcessingDate"]), "e": day(n["prevProcessingDate"]),
                   "f": day(n["nextProcessingDate"]), "g": n["atomsFlag"], "h": Decimal(str(n["amountPayable"])),
                   "i": n["paymentAcceptanceAllowed"], "j": n["eprReasonOfSuspension"],
                   "l": day(n["eprDateOfSuspension"]), "m": n["suspensionType"]}
                  for n in notices if stages.get(n["noticeNo"]) is not None and stages[n["noticeNo"]] not in court]
        c.execute(stmt, params)
    return len(params)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "OCMS_DATABASE_URL": url, "OCMS_API_KEYS": f"cas:{CAS_KEY}", "OCMS_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--port", str(port), "--workers", "1"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    import requests
    for _ in range(200):
        try:
            if requests.get(base + "/health/ready", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("ocms serve did not become ready")


def run(label: str, url: str, args) -> list[tuple]:
    from api import create_app
    from api.database import get_db
    from api.decisions.service import get_rules
    from repository.migrate import drop_schema, upgrade
    from repository.db import make_engine
    from repository.seed import seed_reference

    eng = make_engine(url)
    drop_schema(eng)
    upgrade(url)
    rnd = random.Random(args.seed)
    notices = seed(eng, args.n + 100, rnd)
    from repository.db import make_session_factory
    with make_session_factory(eng)() as s:
        seed_reference(s)
        s.commit()

    app = create_app({"TESTING": True, "OCMS_DATABASE_URL": url, "OCMS_API_KEYS": {"cas": CAS_KEY},
                      "OCMS_RULES_CHECK_INTERVAL": 3600})
    client = app.test_client()
    headers = {"Ocp-Apim-Subscription-Key": CAS_KEY}
    batch = rnd.sample(notices, args.n)
    numbers = [n["notice_no"] for n in batch]
    body1 = {"noticeNumbers": numbers}
    payloads = [api2_payload(batch, d) for d in (15, 16)]
    engine = get_db(app).engine

    def api1():
        r = client.post("/v1/ocms/cas-getPaymentStatus", json=body1, headers=headers)
        assert r.status_code == 200 and len(r.json["notices"]) == args.n, r.get_data(as_text=True)[:300]

    calls = {"n": 0}

    def api2():
        calls["n"] += 1
        r = client.post("/v1/ocms/cas-updateCourtNotices", json=payloads[calls["n"] % 2], headers=headers)
        assert r.status_code == 200 and r.json["updatedCount"] > 0, r.get_data(as_text=True)[:300]

    def sql1():
        assert len(bare_api1(engine, numbers)) == args.n

    def sql2():
        calls["n"] += 1
        assert bare_api2(engine, payloads[calls["n"] % 2]) > 0

    cases = {"API 1 endpoint": api1, "API 1 bare SQL": sql1, "API 2 endpoint": api2, "API 2 bare SQL": sql2}
    server = None
    if args.http:
        import requests
        server, base = start_server(url)
        session = requests.Session()
        session.headers.update(headers)

        def http1():
            r = session.post(base + "/v1/ocms/cas-getPaymentStatus", json=body1)
            assert r.status_code == 200, r.text[:300]

        def http2():
            calls["n"] += 1
            r = session.post(base + "/v1/ocms/cas-updateCourtNotices", json=payloads[calls["n"] % 2])
            assert r.status_code == 200, r.text[:300]
        cases.update({"API 1 over HTTP": http1, "API 2 over HTTP": http2})
    try:
        for f in cases.values():  # warm-up: statement caches, rules loaded, decision cache
            for _ in range(3):
                f()
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.repeats):
            for name, f in cases.items():
                t0 = time.perf_counter()
                f()
                times[name].append(time.perf_counter() - t0)
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)
        get_rules(app).close()
        engine.dispose()
        eng.dispose()
    med = {k: statistics.median(v) * 1000 for k, v in times.items()}
    best = {k: min(v) * 1000 for k, v in times.items()}
    out = []
    for api in ("API 1", "API 2"):
        for kind in ("endpoint", "over HTTP"):
            k = f"{api} {kind}"
            if k in med:
                bare = f"{api} bare SQL"
                out.append((label, api, kind, med[k], med[bare], best[k], best[bare]))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="notices per request (default 500)")
    ap.add_argument("--repeats", type=int, default=30, help="timed passes, median reported (30)")
    ap.add_argument("--pg", metavar="URL", help="also on this PostgreSQL database (its schema is dropped!)")
    ap.add_argument("--http", action="store_true", help="also over HTTP against `ocms serve` (1 worker)")
    ap.add_argument("--quick", action="store_true", help="5 repeats")
    ap.add_argument("--seed", type=int, default=20250115)
    args = ap.parse_args(argv)
    if args.quick:
        args.repeats = 5
    if args.pg:
        ensure_database(args.pg)
    # The application log (one line per applied notice) is formatted and written, to /dev/null.
    devnull = open(os.devnull, "w")
    logging.basicConfig(stream=devnull, format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")

    results = []
    with tempfile.TemporaryDirectory() as d:
        results += run("sqlite", f"sqlite:///{d}/bench.db", args)
    if args.pg:
        results += run("postgresql", args.pg, args)

    print(f"CAS APIs at {args.n} notices, {args.repeats} round-robin passes: median and best, "
          f"ms per request; ratio = endpoint / bare SQL")
    print(f"{'database':<11} {'api':<6} {'path':<10} {'median':>8} {'bare':>7} {'ratio':>6} | "
          f"{'best':>7} {'bare':>7} {'ratio':>6} | target (on the median)")
    ok = True
    for label, api, kind, ms, bare, ms_best, bare_best in results:
        ratio = ms / bare
        met = ratio <= TARGETS[api]
        ok &= met or kind != "endpoint"
        print(f"{label:<11} {api:<6} {kind:<10} {ms:8.2f} {bare:7.2f} {ratio:6.2f} | "
              f"{ms_best:7.2f} {bare_best:7.2f} {ms_best / bare_best:6.2f} | "
              f"<= {TARGETS[api]:.0f}x {'met' if met else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
