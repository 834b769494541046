"""End to end under ``ocms serve`` (gunicorn, 2 workers): metrics added up over workers, JSON logs without secrets.

* ``/metrics`` on ``--metrics-bind`` is open and sums every worker's samples
  (prometheus-client multiprocess mode); that address answers nothing else;
  ``/metrics`` on the service's address needs credentials.
* The log output of the whole run (master and workers) is JSON lines, one per
  request with its request id, caller, endpoint, status, app code and duration,
  and holds none of the keys, tokens or personal particulars the requests carried.
"""
from __future__ import annotations

import json
import time
import uuid

import jwt
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from repository.migrate import upgrade
from tests.serve_helpers import QUALIFIED, free_port, ocms_serve, wait_for

CAS_KEY, ADMIN_KEY, REPCCS_KEY = "e2e-cas-key-3f9a1c", "e2e-admin-key-8b2d4e", "e2e-repccs-key-77aa01"
JWT_SECRET = "e2e-jwt-secret-0123456789abcdef-xyz"
OFFICER = "tan.ah.kow@example.gov.sg"
PARTICULARS = {"name": "Tan Ah Kow", "nric": "S1234567D", "email": "ah.kow.tan@example.com",
               "phone": "91234567", "address": "Blk 123 Ang Mo Kio Ave 3 #05-67 Singapore 560123"}


@pytest.fixture
def server(tmp_path, rules_dir):
    url = f"sqlite:///{tmp_path / 'e2e.db'}"
    upgrade(url)
    mport = free_port()
    env = {"OCMS_DATABASE_URL": url, "OCMS_RULES_DIR": str(rules_dir),
           "OCMS_API_KEYS": f"cas:{CAS_KEY},admin:{ADMIN_KEY},repccs:{REPCCS_KEY}", "OCMS_JWT_SECRET": JWT_SECRET,
           "OCMS_RULES_CHECK_INTERVAL": "0.2", "OCMS_LOG_LEVEL": "INFO", "OCMS_LOG_FORMAT": "json",
           "PROMETHEUS_MULTIPROC_DIR": None}  # ocms serve makes its own
    with ocms_serve(tmp_path / "serve.log", env, "--workers", "2", "--metrics-bind", f"127.0.0.1:{mport}") as served:
        wait_for(lambda: served.answers("/health/ready"), timeout=90, what="/health/ready")
        wait_for(lambda: served.workers_loaded(2), timeout=90, what="two workers")
        yield served.base, f"http://127.0.0.1:{mport}", served.log_path


def samples(text: str) -> dict[tuple, float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


def test_metrics_add_up_over_workers_and_logs_keep_no_secret(server):
    base, mbase, log_path = server
    token = jwt.encode({"sub": OFFICER, "roles": ["OIC"], "exp": int(time.time()) + 3600}, JWT_SECRET, algorithm="HS256")
    session = requests.Session()
    ids = []
    n = 24
    for i in range(n):  # spread over both workers (new connection each time)
        rid = uuid.uuid4().hex
        ids.append(rid)
        r = requests.post(base + "/v1/decisions/an_qualification", json={"facts": QUALIFIED},
                          headers={"Ocp-Apim-Subscription-Key": CAS_KEY, "X-Request-ID": rid}, timeout=10)
        assert r.status_code == 200
    # Requests carrying a JWT, keys and particulars in every place a caller can put them.
    r = session.get(base + "/v1/decision-log", params={"subject": PARTICULARS["nric"]},
                    headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200
    r = session.post(base + "/v1/repccsWebhook", headers={"Ocp-Apim-Subscription-Key": REPCCS_KEY},
                     json={"transactionId": "T1", "vehicleNo": "SBA1234A", "ownerName": PARTICULARS["name"],
                           "ownerNric": PARTICULARS["nric"], "email": PARTICULARS["email"],
                           "phone": PARTICULARS["phone"], "address": PARTICULARS["address"]}, timeout=10)
    assert r.status_code == 400
    r = session.post(base + "/v1/decisions/an_qualification", headers={"Ocp-Apim-Subscription-Key": "wrong-key-123"},
                     json={"facts": {"owner": PARTICULARS["name"]}}, timeout=10)
    assert r.status_code == 401
    r = session.get(base + "/v1/an/reports/ans", headers={"Authorization": "Bearer not.a.valid-token-abcdef"},
                    params={"dateFrom": "2026-01-01", "dateTo": "2026-01-02", "vehicleNo": PARTICULARS["nric"]},
                    timeout=10)
    assert r.status_code == 401

    # metrics: open on the metrics address, added up over both workers
    assert requests.get(base + "/metrics", timeout=10).status_code == 401
    assert requests.get(base + "/metrics", headers={"Ocp-Apim-Subscription-Key": ADMIN_KEY}, timeout=10).ok
    assert requests.get(mbase + "/v1/rulesets", headers={"Ocp-Apim-Subscription-Key": CAS_KEY},
                        timeout=10).status_code == 404
    m = requests.get(mbase + "/metrics", timeout=10)
    assert m.status_code == 200
    got = samples(m.text)
    key = ("ocms_http_requests_total", (("app_code", "OCMS-2000"), ("endpoint", "/v1/decisions/<ruleset>"),
                                        ("method", "POST"), ("status", "200")))
    assert got[key] == n
    assert got[("ocms_decisions_total", (("outcome", "QUALIFIED"), ("ruleset", "an_qualification")))] >= n
    workers = {dict(k[1]).get("pid") for k in got if k[0] == "ocms_rules_generation"}
    assert len(workers) == 2, workers            # one gauge per live worker
    assert got[("ocms_rules_last_reload_successful", ())] == 1

    time.sleep(0.5)  # let the workers flush their last lines
    text = log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert lines and all(isinstance(x, dict) for x in lines)
    assert not [line for line in text.splitlines() if line.strip() and not line.startswith("{")]
    requests_logged = [x for x in lines if x.get("event") == "request"]
    by_id = {x["request_id"]: x for x in requests_logged}
    assert set(ids) <= set(by_id)
    one = by_id[ids[0]]
    assert (one["caller"], one["endpoint"], one["method"], one["status"], one["app_code"]) == \
        ("cas", "/v1/decisions/<ruleset>", "POST", 200, "OCMS-2000")
    assert one["duration_ms"] > 0 and one["level"] == "INFO" and one["time"]
    assert {"staff-portal"} <= {x["caller"] for x in requests_logged}
    assert {400, 401} <= {x["status"] for x in requests_logged}
    for secret in (CAS_KEY, ADMIN_KEY, REPCCS_KEY, "wrong-key-123", JWT_SECRET, token, token.split(".")[1],
                   "not.a.valid-token-abcdef", OFFICER, *PARTICULARS.values()):
        assert secret not in text, secret
