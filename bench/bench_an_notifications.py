#!/usr/bin/env python
"""The an-notifications job over 10,000 qualified ANs on PostgreSQL against the simulators, and the same calls bare.

    python bench/bench_an_notifications.py [--pg URL] [--notices 10000]

The database (default postgresql://root@127.0.0.1:5432/ocms_notif_bench) has its schema DROPPED and migrated:
give it one of its own. ``--notices`` qualified ANs (notice, internet copy, PENDING ``ocms_an_notification``)
are inserted; the six systems (LTA, DataHive, MHA, SMS gateway, email service, SLIFT) run as simulators in
their own processes (``python -m simulators run <system>``) on loopback. DataHive's generated contacts give a
quarter of the owners both channels, a quarter SMS only, a quarter email only and a quarter none (those get the
AN letter through MHA and SLIFT).

1. **service**: one ``run_an_notifications`` (the job's function, the published rules, this process), timed;
   RSS of this process sampled every 0.2 s during the run.
2. **bare**: the same external calls the run made (the same systems, the same number of calls each, the same
   concurrency and client code, a letter PDF rendered once), without the database, the engine or the letters'
   rendering around them, timed.

Prints notices/s of both, their ratio (service time / bare time), the calls per system, the RSS at the start,
the largest and at the end of the run, and ``uptime``'s load (the machine is shared).
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from common import ensure_database  # noqa: E402

SYSTEMS = ("lta", "datahive", "mha", "sms", "email", "slift")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self):
        while not self.stop.is_set():
            self.samples.append(rss_mb())
            self.stop.wait(0.2)


def start_simulators() -> tuple[list[subprocess.Popen], dict[str, str]]:
    from simulators.runner import free_port
    procs, env = [], {}
    for name in SYSTEMS:
        port = free_port()
        procs.append(subprocess.Popen([sys.executable, "-m", "simulators", "run", name, "--port", str(port)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT))
        env[f"OCMS_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
    import requests
    deadline = time.monotonic() + 30
    for url in env.values():
        while True:
            try:
                requests.get(url + "/_calls", timeout=1)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
    return procs, env


def seed(database, n: int) -> None:
    from sqlalchemy import insert

    from repository.models import AnNotification, EValidOffenceNotice, ValidOffenceNotice
    from repository.seed import seed_reference
    when = dt.datetime(2026, 1, 14, 8, 30)
    with database.unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    for start in range(0, n, 2000):
        rows = [{"notice_no": f"8{i:09d}", "vehicle_no": f"SBN{i}A", "notice_date_and_time": when,
                 "offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
                 "composition_amount": Decimal("70.00"), "amount_payable": Decimal("70.00"), "an_flag": "Y",
                 "payment_acceptance_allowed": "N", "pp_code": "A0001", "pp_name": "Ang Mo Kio Ave 3 Car Park",
                 "last_processing_stage": "NPA", "cre_user_id": "bench", "cre_date": when}
                for i in range(start, min(start + 2000, n))]
        with database.unit_of_work() as uow:
            uow.session.execute(insert(ValidOffenceNotice), rows)
            uow.session.execute(insert(EValidOffenceNotice), rows)
            uow.session.execute(insert(AnNotification), [
                {"notice_no": r["notice_no"], "status": "PENDING", "step": "QUALIFIED", "ps_ans_applied": "N",
                 "attempts": 0, "cre_user_id": "bench", "cre_date": when} for r in rows])
            uow.commit()


def bare(env: dict, parameters: dict, calls: dict[str, list], workers: int) -> float:
    """The same calls, the same client code and concurrency, nothing around them; seconds."""
    from api.notifications import channels as ch
    from api.notifications import messages
    channels = ch.Channels.from_config(env, parameters, pool_size=workers)
    ctx = messages.context({"notice_no": "800000000A", "vehicle_no": "SBN0A", "computer_rule_code": 10100,
                            "notice_date_and_time": dt.datetime(2026, 1, 14, 8, 30),
                            "composition_amount": Decimal("70.00"), "pp_name": "Ang Mo Kio"}, parameters)
    pdf = messages.letter(ctx, "TAN AH KOW", {"street_name": "1 AMK AVE", "postal_code": "560001"},
                          dt.date(2026, 1, 15)).pdf
    jobs = {
        "LTA": lambda a: ch.call_lta(channels, a),
        "DATAHIVE": lambda a: ch.call_datahive(channels, a),
        "MHA": lambda a: ch.call_mha(channels, a),
        "SMS": lambda a: ch.call_sms(channels, a, "Advisory Notice 800000000A", "URA_OCMS"),
        "EMAIL": lambda a: ch.call_email(channels, a, "Advisory Notice", "Dear Vehicle Owner", "noreply@ura.gov.sg"),
        "SLIFT": lambda a: ch.call_slift(channels, a, "SBN0A", pdf, "TAN AH KOW", "1 AMK AVE, SINGAPORE 560001"),
    }
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for system in ("LTA", "DATAHIVE", "SMS", "EMAIL", "MHA", "SLIFT"):   # in steps, as the job does
            for batch_start in range(0, len(calls[system]), 100):
                list(pool.map(jobs[system], calls[system][batch_start:batch_start + 100]))
    elapsed = time.perf_counter() - t0
    channels.close()
    return elapsed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pg", default="postgresql://root@127.0.0.1:5432/ocms_notif_bench")
    ap.add_argument("--notices", type=int, default=10_000)
    args = ap.parse_args(argv)
    ensure_database(args.pg)
    letters = tempfile.mkdtemp(prefix="an-letters-")
    os.environ.update({"OCMS_DATABASE_URL": args.pg, "OCMS_LOG_LEVEL": "WARNING", "OCMS_AN_LETTER_DIR": letters})

    from sqlalchemy import func, select

    from api.config import load_config
    from api.database import Database
    from api.decisions.service import published_registry
    from api.notifications import run_an_notifications
    from repository.db import make_engine, make_session_factory
    from repository.migrate import drop_schema, upgrade
    from repository.models import AnNotification, EanNotificationLog, ManualReviewQueue, SuspendedNotice
    engine = make_engine(args.pg)
    drop_schema(engine)
    upgrade(args.pg)
    database = Database(engine, make_session_factory(engine))
    seed(database, args.notices)
    procs, env = start_simulators()
    try:
        config = {**load_config(), **env, "OCMS_AN_LETTER_DIR": letters}
        with database.unit_of_work() as uow:
            registry = published_registry(uow.session, str(ROOT / "rules"))
        parameters = dict(registry.get("an_notification_route").parameters)
        sampler = RssSampler()
        rss_start = rss_mb()
        sampler.start()
        t0 = time.perf_counter()
        with database.unit_of_work() as uow:
            counts = run_an_notifications(uow, registry, config, "bench")
        service = time.perf_counter() - t0
        sampler.stop.set()
        sampler.join()
        rss_end = rss_mb()
        registry.close()
        with database.session() as s:
            done = s.scalar(select(func.count()).select_from(AnNotification).where(AnNotification.status == "DONE"))
            review = s.scalar(select(func.count()).select_from(ManualReviewQueue))
            suspended = s.scalar(select(func.count()).select_from(SuspendedNotice))
            ean = s.scalar(select(func.count()).select_from(EanNotificationLog))
            # the calls the run made, for the bare pass: per system, the argument of each call
            from repository.models import OffenceNoticeOwnerDriver as O
            owners = {r.notice_no: r for r in s.scalars(select(O))}
            work = list(s.scalars(select(AnNotification)))
            calls: dict[str, list] = {k: [] for k in ("LTA", "DATAHIVE", "MHA", "SMS", "EMAIL", "SLIFT")}
            for w in work:
                o = owners.get(w.notice_no)
                calls["LTA"].append(f"SBN{int(w.notice_no[1:])}A")
                if w.contact_result:
                    calls["DATAHIVE"].append(o.id_no)
                if w.sms_result:
                    calls["SMS"].append(o.mobile_no)
                if w.email_result:
                    calls["EMAIL"].append(o.email_addr)
                if w.address_result:
                    calls["MHA"].append(o.id_no)
                if w.letter_result:
                    calls["SLIFT"].append(w.notice_no)
        workers = int(parameters.get("concurrent_calls", 16))
        bare_s = bare(env, parameters, calls, workers)
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)
    n = args.notices
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    total_calls = sum(len(v) for v in calls.values())
    print(f"an-notifications over {n} qualified ANs on PostgreSQL, 6 simulators in their own processes")
    print(f"  service: {service:8.2f} s  {n / service:8.1f} notices/s   (done {done}, review {review}, PS-ANS {suspended}, "
          f"eAN log rows {ean})")
    print(f"  bare   : {bare_s:8.2f} s  {n / bare_s:8.1f} notices/s   (the same {total_calls} calls: "
          + ", ".join(f"{k} {len(v)}" for k, v in calls.items()) + ")")
    print(f"  ratio service/bare: {service / bare_s:.2f}")
    print(f"  RSS: start {rss_start:.0f} MB, max {max(sampler.samples or [rss_end]):.0f} MB, end {rss_end:.0f} MB "
          f"({len(sampler.samples)} samples)")
    print(f"  counts: batches {counts['batches']}, calls {counts['calls']}")
    print(f"  load: {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
