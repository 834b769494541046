"""Cost of shadow mode on the live path: decisions and the intake endpoint with the shadow off and on.

    .venv/bin/python bench/bench_shadow.py                    # SQLite in a temporary folder, ~1 min
    .venv/bin/python bench/bench_shadow.py --database-url postgresql://root@127.0.0.1:5432/test_workbench_shadow

In one process, alternating off/on passes (median of ``--repeats``):

* decide: ``get_rules().registry.evaluate`` (what use cases call) over the bench_engine fact mix, cached,
  one at a time, and ``evaluate_many`` in batches of 500 — with no shadow, then with a shadow run whose
  candidate moves the AN past-offence threshold (so about a quarter of the decisions differ and are recorded);
* intake: ``POST /v1/repccsWebhook`` through the WSGI app (its whole transaction: validation, four rulesets,
  notice, decision log) — median latency per request, shadow off and on.
The shadow's differences are written by the follower thread off the request path; the timings include
deciding, comparing and buffering them.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from common import ensure_database, gen_facts  # noqa: E402

KEYS = {"repccs": "bench-repccs", "admin": "bench-admin"}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def candidate_files(rules_dir: Path) -> dict:
    files = {p.name: p.read_text() for p in sorted(rules_dir.glob("*.yaml"))}
    files["an_qualification.yaml"] = files["an_qualification.yaml"].replace("past_offences_24m: {gt: 0}",
                                                                            "past_offences_24m: {gt: 2}")
    return files


def per_call(fn, items, repeat_to: float = 0.3) -> float:
    """Seconds per item of ``fn(item)`` over ``items``, repeated to at least ``repeat_to`` s."""
    n, t0 = 0, time.perf_counter()
    while True:
        for it in items:
            fn(it)
        n += len(items)
        el = time.perf_counter() - t0
        if el >= repeat_to:
            return el / n


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--database-url", help="default: SQLite in a temporary folder")
    ap.add_argument("--facts", type=int, default=5000)
    ap.add_argument("--requests", type=int, default=150, help="intake requests per pass")
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite:///{tmp / 'shadow.db'}"
    ensure_database(url)
    from repository.migrate import delete_all_rows, upgrade
    upgrade(url)
    from api import create_app
    from api.database import get_db
    from api.decisions.service import get_rules
    from repository.seed import seed_reference
    rules_dir = tmp / "rules"
    shutil.copytree(ROOT / "rules", rules_dir)
    app = create_app({"OCMS_DATABASE_URL": url, "OCMS_RULES_DIR": str(rules_dir), "OCMS_API_KEYS": dict(KEYS),
                      "OCMS_LOG_LEVEL": "WARNING", "OCMS_RULES_CHECK_INTERVAL": 3600})
    db = get_db(app)
    delete_all_rows(db.engine)
    with db.unit_of_work() as uow:
        seed_reference(uow.session)
        uow.commit()
    rules = get_rules(app)
    served = rules.registry
    client = app.test_client()
    admin = {"Ocp-Apim-Subscription-Key": KEYS["admin"]}
    facts = gen_facts(args.facts, seed=3)
    batches = [facts[i:i + 500] for i in range(0, len(facts), 500)]
    counter = [0]

    def intake(_):
        counter[0] += 1
        n = counter[0]
        body = {"transactionId": f"B-{n}", "subsystemLabel": "001", "anFlag": "N", "noticeNo": f"9{n:08d}X",
                "vehicleNo": f"SBA{n % 500:04d}A", "computerRuleCode": 10100, "compositionAmount": 70.00,
                "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleCategory": "C",
                "vehicleRegistrationType": "S", "ppCode": "A0001", "ppName": "Car Park", "creUserId": "bench",
                "creDate": "2026-01-15T08:31:00"}
        t0 = time.perf_counter()
        r = client.post("/v1/repccsWebhook", json=body, headers={"Ocp-Apim-Subscription-Key": KEYS["repccs"]})
        assert r.status_code == 200, r.json
        return time.perf_counter() - t0

    def shadow(on: bool):
        if on:
            r = client.post("/v1/admin/rules/shadow", json={"files": candidate_files(rules_dir)}, headers=admin)
        else:
            r = client.delete("/v1/admin/rules/shadow", headers=admin)
        assert r.status_code == 200, r.json

    for f in facts:  # warm both caches
        served.evaluate("an_qualification", f)
    results: dict[str, dict[bool, list[float]]] = {k: {False: [], True: []} for k in ("single", "batch", "intake")}
    print(f"load before: {load()}")
    for _ in range(args.repeats):
        for on in (False, True):
            shadow(on)
            for f in facts:  # warm the (new) shadow's decision cache too: the steady state is timed
                served.evaluate("an_qualification", f)
            results["single"][on].append(per_call(lambda f: served.evaluate("an_qualification", f), facts))
            results["batch"][on].append(per_call(lambda b: served.evaluate_many("an_qualification", b), batches)
                                        / 500)
            results["intake"][on].append(statistics.median(intake(i) for i in range(args.requests)))
            rules.flush_shadow()
    shadow(False)
    print(f"load after:  {load()}")
    summary = client.get("/v1/admin/rules/shadow", headers=admin).json
    rules.close()
    db.engine.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"database: {url.split('://')[0]}; {args.facts} facts, {args.requests} intakes per pass, "
          f"median of {args.repeats} passes")
    for name, unit, scale in (("single", "µs/decision", 1e6), ("batch", "µs/decision", 1e6),
                              ("intake", "ms/request", 1e3)):
        off, on = statistics.median(results[name][False]), statistics.median(results[name][True])
        print(f"  {name:7s} shadow off {off * scale:9.2f} {unit}   on {on * scale:9.2f} {unit}   "
              f"on/off {on / off:5.2f}x   (+{(on - off) * scale:.2f} {unit})")
    print(f"  the last shadow run compared {summary['compared']:,} decisions, {summary['differed']:,} differed "
          f"({summary['dropped']} not kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
