"""End to end, issue 9 item 6: ``ocms serve --workers 3`` on the test database (PostgreSQL in the PostgreSQL run).

* right after ``POST /v1/admin/rules/reload`` answers 200, every request (whichever worker takes it)
  gets the new version, and no request that started after the 200 got the old one;
* a refused reload shows the same ``lastRejected`` from every worker;
* a shadow run started through one worker reaches all of them without a restart, and every live
  decision (REPCCS intakes spread over the workers) is also decided by the shadow;
* a worker killed with SIGKILL after the files changed on disk (no reload) comes back
  serving the published version, not the files on disk.
"""
import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.serve_helpers import decide, ocms_serve, set_version, wait_for

DATA = Path(__file__).parent / "data"
CAS = {"Ocp-Apim-Subscription-Key": "e2e-cas-key"}
ADMIN = {"Ocp-Apim-Subscription-Key": "e2e-admin-key"}
REPCCS = {"Ocp-Apim-Subscription-Key": "e2e-repccs-key"}
WORKERS = 3


def children(pid: int) -> set[int]:
    return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.fixture
def server(tmp_path, rules_dir, clean_db, database_url):
    """``ocms serve --workers 3`` on a free port, on the (emptied, reference-seeded) test database.

    The heartbeat timeout is generous (15 s): on a loaded CI machine a worker may miss a few 0.2 s heartbeats,
    and a worker dropped from the live set would make the reload "complete" without it.
    """
    from sqlalchemy.orm import Session

    from repository.seed import seed_reference
    with Session(clean_db) as s:
        seed_reference(s)
        s.commit()
    env = {"OCMS_DATABASE_URL": database_url, "OCMS_RULES_DIR": str(rules_dir),
           "OCMS_API_KEYS": "cas:e2e-cas-key,admin:e2e-admin-key,repccs:e2e-repccs-key", "OCMS_RULES_CHECK_INTERVAL": "0.2",
           "OCMS_RULES_HEARTBEAT_TIMEOUT": "15", "OCMS_RULES_RELOAD_WAIT": "20", "OCMS_LOG_LEVEL": "INFO"}
    with ocms_serve(tmp_path / "serve.log", env, "--workers", str(WORKERS)) as served:
        def all_workers_current():
            r = served.get("/v1/admin/rules/generations/1", headers=ADMIN, timeout=5)
            return r is not None and r.status_code == 200 and len(r.json()["workers"]) == WORKERS
        wait_for(all_workers_current, what=f"{WORKERS} workers serving generation 1")
        yield served.base, served.proc, rules_dir, served.log_path


def test_one_version_in_service_across_workers(server):
    base, proc, rules_dir, log_path = server
    status, old = decide(base, CAS)
    assert status == 200

    # -- reload under traffic: nothing that started after the 200 gets the old version
    answers, stop = [], threading.Event()

    def traffic():
        while not stop.is_set():
            started = time.monotonic()
            answers.append((started, decide(base, CAS)))

    threads = [threading.Thread(target=traffic) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.3)
        set_version(rules_dir, "7.7.7")
        r = requests.post(base + "/v1/admin/rules/reload", headers=ADMIN, timeout=60)
        answered = time.monotonic()
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["complete"] is True and body["generation"] == 2
        assert len(body["workers"]) == WORKERS and all(w["generation"] == 2 for w in body["workers"])
        right_after = [decide(base, CAS) for _ in range(45)]  # new connections: spread over the workers
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert set(right_after) == {(200, "7.7.7")}, (body["workers"], log_path.read_text()[-6000:])
    late = [a for started, a in answers if started > answered]
    assert late and set(late) == {(200, "7.7.7")}, late[:3]
    assert {a for _, a in answers} <= {(200, old), (200, "7.7.7")}

    # -- a refused reload: every worker shows the same lastRejected (stored once)
    (rules_dir / "broken_example.yaml").write_text((DATA / "broken_ruleset.bad.yaml").read_text())
    r = requests.post(base + "/v1/admin/rules/reload", headers=ADMIN, timeout=60)
    assert r.status_code == 422
    seen = {json.dumps(requests.get(base + "/v1/rulesets", headers=CAS, timeout=10).json()["lastRejected"],
                       sort_keys=True) for _ in range(30)}
    assert len(seen) == 1 and json.loads(seen.pop())["errors"]

    # -- a shadow run reaches every worker, and sees every live decision whichever worker makes it
    files = {p.name: p.read_text() for p in rules_dir.glob("*.yaml") if p.name != "broken_example.yaml"}
    files["an_qualification.yaml"] = files["an_qualification.yaml"].replace("local_vehicle_types: [S, D, V, I]",
                                                                            "local_vehicle_types: [D, V, I]")
    r = requests.post(base + "/v1/admin/rules/shadow", json={"files": files}, headers=ADMIN, timeout=60)
    assert r.status_code == 200, r.text
    shadow_id = r.json()["shadowId"]
    assert len(r.json()["workers"]) == WORKERS and all(w["shadowId"] == shadow_id for w in r.json()["workers"])
    for i in range(30):
        n = f"5004{i:05d}A"
        body = {"transactionId": f"E2E-{i}", "subsystemLabel": "001", "anFlag": "N", "noticeNo": n,
                "vehicleNo": f"SBA{i:04d}E", "computerRuleCode": 10100, "compositionAmount": 70.00,
                "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O", "vehicleCategory": "C",
                "vehicleRegistrationType": "S", "ppCode": "A0001", "ppName": "Car Park", "creUserId": "e2e",
                "creDate": "2026-01-15T08:31:00"}
        assert requests.post(base + "/v1/repccsWebhook", json=body, headers=REPCCS, timeout=30).status_code == 200

    def all_compared():  # each worker writes its results every check interval
        got = requests.get(base + "/v1/admin/rules/shadow", headers=ADMIN, timeout=10).json()
        return got["perRuleset"].get("an_qualification", {}).get("compared") == 30 and got
    wait_for(all_compared, timeout=30, what="the shadow results of every worker")
    summary = all_compared()
    assert summary["perRuleset"]["an_qualification"]["differed"] == 30
    assert summary["pairs"] == [{"ruleset": "an_qualification", "live": "NOT_QUALIFIED", "shadow": "NOT_QUALIFIED",
                                 "count": 30}]
    r = requests.delete(base + "/v1/admin/rules/shadow", headers=ADMIN, timeout=60)
    assert r.status_code == 200 and all(w["shadowId"] is None for w in r.json()["workers"])

    # -- files change on disk without a reload; a worker dies and comes back on the published version
    set_version(rules_dir, "5.5.5")  # (the broken file stays there too: a restart must not read either)
    before = children(proc.pid)
    assert len(before) == WORKERS
    victim = sorted(before)[0]
    os.kill(victim, signal.SIGKILL)
    wait_for(lambda: len(children(proc.pid)) == WORKERS and victim not in children(proc.pid),
             what="gunicorn to replace the killed worker")
    newcomer = (children(proc.pid) - before).pop()

    def newcomer_serving():
        r = requests.get(base + "/v1/admin/rules/generations/2", headers=ADMIN, timeout=10)
        return any(w["pid"] == newcomer and w["current"] for w in r.json()["workers"])
    wait_for(newcomer_serving, what="the new worker's heartbeat")
    assert {decide(base, CAS) for _ in range(45)} == {(200, "7.7.7")}
    text = log_path.read_text()
    assert f"[{newcomer}]" in text or "published generation 2" in text
    assert "e2e-cas-key" not in text and "e2e-admin-key" not in text
