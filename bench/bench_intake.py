#!/usr/bin/env python
"""Sustained REPCCS/CES webhook intake against ``ocms serve`` (gunicorn) on PostgreSQL.

    python bench/bench_intake.py [--pg URL] [--workers 2] [--threads 8] [--count 3000] [--duration 60] [--compare REF]

``--compare REF`` runs everything below twice, first serving the code of git REF (extracted under
/tmp), then this tree, and prints the two side by side: before/after figures from one session.

1. Prepares the database (``--pg``, default postgresql://root@127.0.0.1:5432/test_an): migrate,
   empty every OCMS table, seed the reference data and a history of past notices so that
   about half the new notices qualify as ANs (PS-ANS) and a few are double bookings (PS-DBB).
2. Starts ``ocms serve --workers N`` on a free loopback port (this script's child; stopped at the end).
3. Load generator: ``--threads`` threads, each with its own ``requests.Session``, post webhooks
   back to back until ``--count`` notices are sent or ``--duration`` seconds pass. The mix:
   half REPCCS, half CES (a tenth of them EHT anFlag Y), a third without noticeNo (numbers
   generated), one in twenty a re-send of an earlier offence (double booking).
4. Reports notices/second, latency p50/p90/p99/max as the client saw it, status codes, and the
   per-notice cost split measured in the worker with timers (``Server-Timing`` of each answer):
   validation (payload schema), engine (rule evaluations), database (the transaction: queries,
   inserts, apply_actions, decision log, mirror, commit). The rest of the latency is HTTP,
   gunicorn, Flask and the client itself - which shares the machine's CPUs with the server.
5. Checks every notice answered 200 in the database (:func:`check_rows`: its receipt, its row
   against the payload, its detail, decision-log rows, mirror, suspensions and their mirrors,
   PS-DBB for re-sent offences, PS-ANS for EHT notices). Exit 1 on a problem.
6. Writes the same rows of the same notices again as bare SQL (:func:`bare_sql`: psycopg, one
   transaction per notice, ``--threads`` connections, into copies of the tables) and prints the
   ratio of the intake's time per notice to it: what the service costs above the writes themselves.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import cpu_seconds, ensure_database, process_tree  # noqa: E402
from repository import business_time  # noqa: E402

DEFAULT_PG = "postgresql://root@127.0.0.1:5432/test_an"
KEYS = {"repccs": "bench-repccs-key", "ces": "bench-ces-key"}
VEHICLES = 5000
RULE_CODES = (10100, 10200, 10300, 10500, 11210, 20412, 20500)
TIMING = re.compile(r"(\w+);dur=([0-9.]+)")


def prepare(url: str, seed: int) -> None:
    """Migrate, empty, seed reference data and a history for half the vehicles."""
    from sqlalchemy import insert

    from repository.db import make_engine, make_session_factory
    from repository.migrate import delete_all_rows, upgrade
    from repository.models import ValidOffenceNotice
    from repository.seed import seed_reference
    ensure_database(url)
    upgrade(url)
    engine = make_engine(url)
    delete_all_rows(engine)
    with make_session_factory(engine)() as s:
        seed_reference(s)
        s.commit()
    rng = random.Random(seed)
    rows = []
    for v in range(0, VEHICLES, 2):
        rows.append({"notice_no": f"4{v:08d}H", "vehicle_no": f"SBN{v:05d}A", "offence_notice_type": "O",
                     "notice_date_and_time": datetime(2025, 1, 1) + timedelta(minutes=rng.randrange(500_000)),
                     "vehicle_registration_type": "S", "computer_rule_code": 10100, "composition_amount": 50,
                     "cre_date": business_time.now(), "cre_user_id": "bench"})
    with engine.begin() as c:
        c.execute(insert(ValidOffenceNotice), rows)
    engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(url: str, port: int, workers: int, log_path: Path, root: Path = ROOT,
                 server_threads: int | None = None) -> subprocess.Popen:
    env = {**os.environ, "OCMS_DATABASE_URL": url, "OCMS_API_KEYS": ",".join(f"{k}:{v}" for k, v in KEYS.items()),
           "OCMS_LOG_LEVEL": "WARNING", "MALLOC_ARENA_MAX": "2"}
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers),
                             *(["--threads", str(server_threads)] if server_threads else [])],
                            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                return proc
        except requests.RequestException:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"ocms serve exited: see {log_path}")
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit(f"ocms serve not ready in 60 s: see {log_path}")


class Load:
    """Payload generator shared by the threads (thread-safe)."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.sent: list[dict] = []
        self.done: list[dict] = []
        self.n = 0

    def answered(self, body: dict, status: int) -> None:
        """``body`` (a new offence) was answered ``status``: from now on it may be re-sent."""
        if status == 200 and not str(body.get("noticeNo", "")).startswith("7"):
            with self.lock:
                self.done.append(body)

    def next(self) -> tuple[str, str, dict]:
        with self.lock:
            self.n += 1
            rng, n = self.rng, self.n
            ces = rng.random() < 0.5
            if self.done and rng.random() < 0.05:   # re-send an earlier offence under a new number: PS-DBB
                body = dict(rng.choice(self.done))  # one already answered (in flight, it could come second)
                body["noticeNo"] = f"7{n:08d}D"
                body["anFlag"] = "N"
                body["transactionId"] = f"BENCH-{n}"  # a new transaction (the same id would be a repeat)
            else:
                v = rng.randrange(VEHICLES)
                code = rng.choice(RULE_CODES)
                body = {
                    "transactionId": f"BENCH-{n}", "subsystemLabel": "230EHT" if ces else "001",
                    "anFlag": "Y" if ces and rng.random() < 0.1 else "N",
                    "noticeNo": None if rng.random() < 0.33 else f"6{n:08d}B",
                    "vehicleNo": f"SBN{v:05d}A", "computerRuleCode": code,
                    "compositionAmount": 80.00 if code == 20412 else 70.00,
                    "noticeDateAndTime": (datetime(2026, 1, 15) + timedelta(seconds=rng.randrange(86400 * 30))).isoformat(),
                    "offenceNoticeType": "O", "vehicleCategory": "C", "vehicleRegistrationType": "S",
                    "ppCode": "A0001", "ppName": "Ang Mo Kio Ave 3 Car Park", "creUserId": "bench",
                    "creDate": "2026-01-15T08:31:00",
                }
                if body["noticeNo"] is None:
                    del body["noticeNo"]
                self.sent.append(body)
            src = "ces" if body["subsystemLabel"] != "001" else "repccs"
        path = "/v1/cesWebhook-create-notice" if src == "ces" else "/v1/repccsWebhook"
        return src, path, body


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] if values else float("nan")


def run_load(base: str, threads: int, count: int, duration: float, load: Load) -> dict:
    lat: list[float] = []
    statuses: Counter = Counter()
    res_answers: list[tuple[int, dict]] = []
    phases: dict[str, list[float]] = {"validation": [], "engine": [], "database": []}
    attempts: Counter = Counter()
    lock = threading.Lock()
    remaining = [count]
    stop_at = time.perf_counter() + duration

    def worker():
        s = requests.Session()
        answered = res_answers
        while True:
            with lock:
                if remaining[0] <= 0 or time.perf_counter() > stop_at:
                    return
                remaining[0] -= 1
            src, path, body = load.next()
            t0 = time.perf_counter()
            r = s.post(base + path, json=body, headers={"Ocp-Apim-Subscription-Key": KEYS[src]}, timeout=30)
            dt = time.perf_counter() - t0
            load.answered(body, r.status_code)
            st = r.headers.get("Server-Timing", "")
            with lock:
                answered.append((r.status_code, body))
                lat.append(dt)
                statuses[r.status_code] += 1
                got = dict(TIMING.findall(st))
                for k in phases:
                    if k in got:
                        phases[k].append(float(got[k]) / 1000)
                m = re.search(r'attempts;desc="(\d+)"', st)
                if m:
                    attempts[int(m.group(1))] += 1

    t0 = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return {"elapsed": time.perf_counter() - t0, "lat": lat, "statuses": statuses, "phases": phases, "attempts": attempts,
            "answers": res_answers}


def check_rows(url: str, answers: list[tuple[int, dict]]) -> list[str]:
    """Every notice answered 200 is in the database as it should be; list what is not.

    Per transaction answered 200: its receipt names a notice whose row holds the payload's values, with
    one detail row, decision-log rows (vehicle_type, stage_map, ...), an internet mirror equal to the row
    in every mirrored column, one e-suspension per suspension; re-sent offences (noticeNo 7...) are PS-DBB,
    EHT notices (CES anFlag Y) PS-ANS with an_flag Y; every other AN (an_flag Y) pending notification (one
    PENDING ``ocms_an_notification`` row, no PS-ANS yet); no other notice pending or PS-ANS.
    """
    from sqlalchemy import inspect as sa_inspect
    from sqlalchemy import text

    from repository.db import make_engine
    from repository.models import EValidOffenceNotice
    eng = make_engine(url)
    problems: list[str] = []
    ok = {b["transactionId"]: b for st, b in answers if st == 200}
    mirrored = [c.name for c in sa_inspect(EValidOffenceNotice).columns]
    differs = " OR ".join(f"e.{c} IS DISTINCT FROM n.{c}" for c in mirrored if c != "notice_no")
    with eng.connect() as c:
        q = lambda sql, **kw: c.execute(text(sql), kw).scalar()  # noqa: E731
        rows = {r.transaction_id: r for r in c.execute(text(
            "SELECT r.transaction_id, r.source, n.notice_no, n.vehicle_no, n.computer_rule_code, n.composition_amount, "
            "n.notice_date_and_time, n.pp_code, n.an_flag, n.suspension_type, n.epr_reason_of_suspension, "
            "(SELECT count(*) FROM ocms_offence_notice_detail d WHERE d.notice_no = n.notice_no) AS details, "
            "(SELECT count(*) FROM ocms_decision_log l WHERE l.subject = n.notice_no) AS logged, "
            "(SELECT string_agg(s.reason_of_suspension, ',' ORDER BY s.sr_no) FROM ocms_suspended_notice s "
            " WHERE s.notice_no = n.notice_no) AS reasons, "
            "(SELECT count(*) FROM ocms_an_notification a WHERE a.notice_no = n.notice_no AND a.status = 'PENDING') "
            " AS pending "
            "FROM ocms_webhook_receipt r JOIN ocms_valid_offence_notice n ON n.notice_no = r.notice_no"))}
        new = q("SELECT count(*) FROM ocms_valid_offence_notice WHERE notice_no NOT LIKE '4%'")
        if new != len(ok):
            problems.append(f"{len(ok)} notices answered 200 but {new} rows exist")
        wrong: Counter = Counter()
        for tid, b in ok.items():
            r = rows.get(tid)
            if r is None:
                wrong["answered 200, no receipt/notice"] += 1
                continue
            if b.get("noticeNo") and r.notice_no != b["noticeNo"]:
                wrong["notice number not the caller's"] += 1
            if (r.vehicle_no, r.computer_rule_code, float(r.composition_amount), r.notice_date_and_time.isoformat(),
                    r.pp_code) != (b["vehicleNo"], b["computerRuleCode"], float(b["compositionAmount"]),
                                   b["noticeDateAndTime"], b["ppCode"]):
                wrong["fields differ from the payload"] += 1
            if r.details != 1:
                wrong["not exactly one detail row"] += 1
            if r.logged < 3:
                wrong["fewer than 3 decision-log rows"] += 1
            reasons = (r.reasons or "").split(",") if r.reasons else []
            if str(b.get("noticeNo", "")).startswith("7") and "DBB" not in reasons:
                wrong["re-sent offence not PS-DBB"] += 1
            eht = r.source == "CES" and b["subsystemLabel"] != "001" and b.get("anFlag") == "Y"
            if eht and not (r.an_flag == "Y" and "ANS" in reasons):
                wrong["EHT notice not an AN with PS-ANS"] += 1
            # A qualified AN waits for its notification (OCMS 10 §3.4-3.7): an_flag Y, one PENDING
            # ocms_an_notification row, no PS-ANS until the an-notifications job has sent it.
            if not eht and r.an_flag == "Y" and (r.pending != 1 or "ANS" in reasons):
                wrong["qualified AN not pending notification (or PS-ANS at intake)"] += 1
            if r.an_flag != "Y" and (r.pending or "ANS" in reasons):
                wrong["not an AN, yet pending notification or PS-ANS"] += 1
            if reasons and (r.suspension_type, r.epr_reason_of_suspension) != ("PS", reasons[-1]):
                wrong["notice's suspension fields disagree with its suspension rows"] += 1
        problems += [f"{k}: {v} notices" for k, v in wrong.items()]
        if q("SELECT count(*) FROM (SELECT notice_no, sr_no FROM ocms_suspended_notice GROUP BY notice_no, sr_no "
             "HAVING count(*) > 1) d"):
            problems.append("duplicate (notice_no, sr_no)")
        unmirrored = q("SELECT count(*) FROM ocms_valid_offence_notice n LEFT JOIN eocms_valid_offence_notice e "
                       "ON e.notice_no = n.notice_no WHERE e.notice_no IS NULL AND n.notice_no NOT LIKE '4%'")
        queued = q("SELECT count(*) FROM ocms_manual_review_queue WHERE review_type = 'MIRROR_SYNC'")
        if unmirrored != queued:
            problems.append(f"{unmirrored} notices without mirror, {queued} queued")
        stale = q(f"SELECT count(*) FROM ocms_valid_offence_notice n JOIN eocms_valid_offence_notice e "
                  f"ON e.notice_no = n.notice_no WHERE {differs}")
        if stale:
            problems.append(f"{stale} mirrors differ from their notices")
        if q("SELECT count(*) FROM ocms_suspended_notice s FULL JOIN eocms_suspended_notice e ON (e.notice_no, "
             "e.date_of_suspension, e.sr_no) = (s.notice_no, s.date_of_suspension, s.sr_no) "
             "WHERE e.notice_no IS NULL OR s.notice_no IS NULL OR e.reason_of_suspension <> s.reason_of_suspension"):
            problems.append("suspensions and their mirrors differ")
        summary = dict(c.execute(text("SELECT reason_of_suspension, count(*) FROM ocms_suspended_notice "
                                      "GROUP BY reason_of_suspension")).all())
        ans = q("SELECT count(*) FROM ocms_valid_offence_notice WHERE an_flag = 'Y'")
        logged = q("SELECT count(*) FROM ocms_decision_log")
    eng.dispose()
    print(f"rows: suspensions by reason {summary}, ANs {ans}, decision-log rows {logged}; "
          f"{len(ok)} notices checked one by one")
    return problems


#: The tables one intake writes, and the column whose value ties a row to its notice.
WRITTEN = (("ocms_valid_offence_notice", "notice_no"), ("ocms_offence_notice_detail", "notice_no"),
           ("ocms_webhook_receipt", "notice_no"), ("ocms_suspended_notice", "notice_no"),
           ("ocms_an_notification", "notice_no"), ("eocms_valid_offence_notice", "notice_no"), ("eocms_suspended_notice", "notice_no"),
           ("ocms_decision_log", "subject"))
BARE_SCHEMA = "bench_bare"


def bare_sql(url: str, threads: int) -> dict:
    """Write the rows the intake wrote for the new notices again, as bare SQL, into copies of the tables.

    The copies are ``bench_bare.<table>`` (``LIKE ... INCLUDING ALL``: same columns, keys and indexes; the
    decision log partitioned by month as in public). ``threads`` connections (psycopg, no SQLAlchemy), one
    transaction per notice: one INSERT per table (an executemany where a notice has several rows), COMMIT.
    Returns notices/s and the mean time per notice: the floor any intake writing these rows has here.
    """
    import psycopg
    from psycopg.types.json import Json
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {BARE_SCHEMA} CASCADE")
        c.execute(f"CREATE SCHEMA {BARE_SCHEMA}")
        for table, _ in WRITTEN:
            if table == "ocms_decision_log":
                c.execute(f"CREATE TABLE {BARE_SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL) PARTITION BY RANGE (decided_at)")
                c.execute(f"CREATE TABLE {BARE_SCHEMA}.{table}_rest PARTITION OF {BARE_SCHEMA}.{table} DEFAULT")
            else:
                c.execute(f"CREATE TABLE {BARE_SCHEMA}.{table} (LIKE public.{table} INCLUDING ALL)")
        per_notice: dict[str, list[tuple[str, list[str], list[tuple]]]] = {}
        for table, key in WRITTEN:
            cur = c.execute(f"SELECT * FROM public.{table} WHERE {key} IS NOT NULL AND {key} NOT LIKE '4%%'")
            cols = [d.name for d in cur.description]
            by: dict[str, list[tuple]] = {}
            ki = cols.index(key)
            for row in cur:
                by.setdefault(row[ki], []).append(tuple(Json(v) if isinstance(v, (dict, list)) else v for v in row))
            for no, rows in by.items():
                per_notice.setdefault(no, []).append((table, cols, rows))
    notices = list(per_notice.items())
    lock = threading.Lock()
    times: list[float] = []
    nxt = [0]

    def run():
        with psycopg.connect(conninfo) as conn:
            while True:
                with lock:
                    if nxt[0] >= len(notices):
                        return
                    _, writes = notices[nxt[0]]
                    nxt[0] += 1
                t0 = time.perf_counter()
                with conn.cursor() as cur:
                    for table, cols, rows in writes:
                        sql = (f"INSERT INTO {BARE_SCHEMA}.{table} ({', '.join(cols)}) "
                               f"VALUES ({', '.join(['%s'] * len(cols))})")
                        if len(rows) == 1:
                            cur.execute(sql, rows[0])
                        else:
                            cur.executemany(sql, rows)
                conn.commit()
                dt = time.perf_counter() - t0
                with lock:
                    times.append(dt)

    t0 = time.perf_counter()
    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - t0
    with psycopg.connect(conninfo, autocommit=True) as c:
        c.execute(f"DROP SCHEMA IF EXISTS {BARE_SCHEMA} CASCADE")
    rows = sum(len(r) for _, w in notices for _, _, r in w)
    return {"notices": len(notices), "rows": rows, "elapsed": elapsed, "rate": len(notices) / elapsed,
            "mean": statistics.mean(times) if times else float("nan"),
            "statements": sum(len(w) for _, w in notices) / max(1, len(notices))}


def checkout(ref: str) -> Path:
    """The tree of git ``ref`` of this repository, extracted under /tmp (for ``--compare``)."""
    dest = Path(tempfile.mkdtemp(prefix="bench_intake_"))
    archive = subprocess.run(["git", "archive", ref], cwd=ROOT, check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def _cpu_split(url: str, server_pid: int) -> dict[str, float]:
    """CPU seconds so far of the server (``ocms serve`` and its workers), the database's server processes
    (every backend on ``url``'s database) and this load generator."""
    import psycopg
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as c:
        backends = [r[0] for r in c.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                                            "AND pid <> pg_backend_pid()")]
    return {"server": sum(cpu_seconds(p) for p in process_tree(server_pid)),
            "postgres": sum(cpu_seconds(p) for p in backends), "client": time.process_time()}


def run_once(args, label: str, root: Path) -> dict:
    """Prepare the database, serve ``root``'s code, send the load, check every notice, time the bare SQL."""
    print(f"[{label}] preparing {args.pg}; serving {root} ...", flush=True)
    prepare(args.pg, args.seed)
    port = free_port()
    log_path = Path("/tmp") / f"bench_intake_serve_{port}.log"
    proc = start_server(args.pg, port, args.workers, log_path, root, args.server_threads)
    base = f"http://127.0.0.1:{port}"
    try:
        load = Load(args.seed)
        warm = run_load(base, args.threads, args.warmup, 60, load)
        cpu0 = _cpu_split(args.pg, proc.pid)
        res = run_load(base, args.threads, args.count, args.duration, load)
        cpu = {k: v - cpu0.get(k, 0.0) for k, v in _cpu_split(args.pg, proc.pid).items()}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    lat, n = res["lat"], len(res["lat"])
    ms = lambda x: x * 1000  # noqa: E731
    print(f"\n[{label}] ocms serve --workers {args.workers} on PostgreSQL; client {args.threads} threads on loopback, "
          f"same {os.cpu_count()}-CPU machine; load average {os.getloadavg()[0]:.1f}")
    print(f"sent {n} notices in {res['elapsed']:.1f} s (after {len(warm['lat'])} warm-up): "
          f"{n / res['elapsed']:.0f} notices/s; statuses {dict(res['statuses'])}; transaction attempts {dict(res['attempts'])}")
    print(f"latency ms: p50 {ms(pct(lat, 50)):.1f}  p90 {ms(pct(lat, 90)):.1f}  p99 {ms(pct(lat, 99)):.1f}  max {ms(max(lat)):.1f}")
    print("per-notice cost in the worker (Server-Timing), ms:     mean    p50    p99")
    total = 0.0
    for k, v in res["phases"].items():
        total += statistics.mean(v)
        print(f"  {k:<52} {ms(statistics.mean(v)):6.2f} {ms(pct(v, 50)):6.2f} {ms(pct(v, 99)):6.2f}")
    print(f"  {'HTTP + gunicorn + Flask + auth + client (the rest)':<52} {ms(statistics.mean(lat) - total):6.2f}")
    spent = sum(cpu.values())
    print(f"CPU per notice (from /proc): server {ms(cpu['server'] / n):.2f} ms, PostgreSQL {ms(cpu['postgres'] / n):.2f} ms, "
          f"load generator {ms(cpu['client'] / n):.2f} ms; {ms(spent / n):.2f} ms in all = at most "
          f"{os.cpu_count() / (spent / n):.0f} notices/s on {os.cpu_count()} CPUs")
    problems = check_rows(args.pg, warm["answers"] + res["answers"])
    bare = bare_sql(args.pg, args.threads)
    rate = n / res["elapsed"]
    print(f"bare SQL, same rows of the same {bare['notices']} notices ({bare['rows']} rows, {bare['statements']:.1f} "
          f"INSERTs + COMMIT per notice), {args.threads} psycopg connections: {bare['rate']:.0f} notices/s, "
          f"{ms(bare['mean']):.2f} ms/notice")
    print(f"intake / bare SQL: {bare['rate'] / rate:.2f}x the time per notice (throughput ratio, same run)")
    bad = {s: c for s, c in res["statuses"].items() if s != 200}
    if bad:
        problems.append(f"non-200 answers {bad}; see {log_path}")
    for p in problems:
        print("PROBLEM:", p)
    return {"label": label, "rate": rate, "p50": pct(lat, 50), "p99": pct(lat, 99),
            "db": statistics.mean(res["phases"]["database"]) if res["phases"]["database"] else float("nan"),
            "bare": bare["rate"] / rate, "problems": problems}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default=DEFAULT_PG, help=f"PostgreSQL URL (its OCMS tables are emptied; default {DEFAULT_PG})")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2, the machine's cores)")
    ap.add_argument("--server-threads", type=int, default=None,
                    help="threads per gunicorn worker (default: ocms serve's own, 4)")
    ap.add_argument("--threads", type=int, default=8, help="load-generator threads (default 8)")
    ap.add_argument("--count", type=int, default=3000, help="notices to send at most (default 3000)")
    ap.add_argument("--duration", type=float, default=60, help="seconds to send at most (default 60)")
    ap.add_argument("--warmup", type=int, default=100, help="notices sent first and not measured (default 100)")
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--compare", metavar="REF", help="first run the code of git REF (e.g. the commit before a change), "
                                                      "then this tree, and print both side by side")
    ap.add_argument("--rounds", type=int, default=1, help="with --compare: alternate the two this many times (medians)")
    args = ap.parse_args(argv)
    if not args.pg.startswith("postgres"):
        ap.error("--pg must be a postgresql:// URL")
    runs = [("before " + args.compare, checkout(args.compare))] if args.compare else []
    runs.append(("this tree", ROOT))
    results = [run_once(args, label, root) for _ in range(args.rounds) for label, root in runs]
    if len(results) > 1:
        print("\nsummary                  notices/s   p50 ms   p99 ms   db ms/notice   intake/bare SQL")
        for r in results:
            print(f"  {r['label'][:22]:<22} {r['rate']:9.0f} {r['p50'] * 1000:8.1f} {r['p99'] * 1000:8.1f} "
                  f"{r['db'] * 1000:14.2f} {r['bare']:16.2f}x")
    if args.compare:
        med = {label: {k: statistics.median(r[k] for r in results if r["label"] == label)
                       for k in ("rate", "p50", "p99", "db", "bare")} for label, _ in runs}
        b, a = (med[label] for label, _ in runs)
        print(f"  median of {args.rounds} round(s), after/before: notices/s {a['rate'] / b['rate']:.2f}x, "
              f"p50 {a['p50'] / b['p50']:.2f}x, p99 {a['p99'] / b['p99']:.2f}x, database time {a['db'] / b['db']:.2f}x, "
              f"intake/bare SQL {b['bare']:.2f}x -> {a['bare']:.2f}x")
    for root in (r for _, r in runs if r != ROOT):
        shutil.rmtree(root, ignore_errors=True)
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
