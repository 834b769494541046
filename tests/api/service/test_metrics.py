"""``GET /metrics``: who may scrape, and the counters moving with traffic, reloads, jobs and external calls.

Scrapes before and after; every assertion is on a difference, so other tests
in the same process (sharing prometheus-client's registry) do not matter.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.jobs import run_job
from simulators.cas import CasSimulator
from tests.api.jobs.slow_job import JOB

DATA = Path(__file__).resolve().parents[1] / "data"
QUALIFIED = json.loads((DATA / "an_facts_qualified.json").read_text())
TOKEN = "metrics-scrape-token-5d1e9a"


def scrape(client, headers) -> dict[tuple, float]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.data
    assert r.content_type.startswith("text/plain")
    out = {}
    for family in text_string_to_metric_families(r.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def mclient(make_app):
    return make_app(OCMS_METRICS_TOKEN=TOKEN).test_client()


BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong-token"}, {"Authorization": TOKEN},
                                     {"Ocp-Apim-Subscription-Key": "cas-test-key"}])
def test_metrics_need_the_token_or_the_admin_key(mclient, headers):
    r = mclient.get("/metrics", headers=headers)
    assert r.status_code == 401
    assert r.get_json()["data"]["appCode"] == "OCMS-4001"


def test_the_admin_key_may_scrape(mclient, key):
    assert mclient.get("/metrics", headers=key("admin")).status_code == 200


def test_requests_and_decisions_are_counted(mclient, key):
    before = scrape(mclient, BEARER)
    for _ in range(3):
        r = mclient.post("/v1/decisions/an_qualification", json={"facts": QUALIFIED, "explain": False},
                         headers=key("cas"))
        assert r.status_code == 200
    outcome = r.get_json()["outcome"]
    bad = mclient.post("/v1/decisions/an_qualification", json={"facts": {"nope": 1}}, headers=key("cas"))
    assert bad.status_code == 400
    mclient.get("/no/such/path")
    after = scrape(mclient, BEARER)
    ep = dict(endpoint="/v1/decisions/<ruleset>", method="POST")
    assert value(after, "ocms_http_requests_total", **ep, status="200", app_code="OCMS-2000") - \
        value(before, "ocms_http_requests_total", **ep, status="200", app_code="OCMS-2000") == 3
    assert value(after, "ocms_http_requests_total", **ep, status="400", app_code="OCMS-4000") - \
        value(before, "ocms_http_requests_total", **ep, status="400", app_code="OCMS-4000") == 1
    assert value(after, "ocms_http_requests_total", endpoint="unmatched", method="GET", status="404",
                 app_code="OCMS-4004") >= 1
    assert value(after, "ocms_http_request_duration_seconds_count", **ep) - \
        value(before, "ocms_http_request_duration_seconds_count", **ep) == 4
    assert value(after, "ocms_decisions_total", ruleset="an_qualification", outcome=outcome) - \
        value(before, "ocms_decisions_total", ruleset="an_qualification", outcome=outcome) == 3
    assert value(after, "ocms_engine_latency_seconds_count", ruleset="an_qualification") - \
        value(before, "ocms_engine_latency_seconds_count", ruleset="an_qualification") == 3
    # dry runs never read or write the decision cache (issue 9)
    for name in ("ocms_decision_cache_hits_total", "ocms_decision_cache_misses_total"):
        assert value(after, name, ruleset="an_qualification") == value(before, name, ruleset="an_qualification")


def test_decision_cache_hits_and_misses_are_counted(mclient):
    from api.decisions.service import get_rules
    registry = get_rules(mclient.application).registry
    before = scrape(mclient, BEARER)
    for _ in range(3):   # the live path (use cases call the registry like this)
        registry.evaluate("an_qualification", QUALIFIED)
    after = scrape(mclient, BEARER)
    # the same facts three times: the engine fired once, the cache answered twice
    assert value(after, "ocms_decision_cache_hits_total", ruleset="an_qualification") - \
        value(before, "ocms_decision_cache_hits_total", ruleset="an_qualification") == 2
    assert value(after, "ocms_decision_cache_misses_total", ruleset="an_qualification") - \
        value(before, "ocms_decision_cache_misses_total", ruleset="an_qualification") == 1


def test_reloads_move_the_rules_metrics(mclient, key, rules_dir):
    mclient.post("/v1/decisions/an_qualification", json={"facts": QUALIFIED}, headers=key("cas"))
    before = scrape(mclient, BEARER)
    shutil.copy(DATA / "broken_ruleset.bad.yaml", rules_dir / "broken_example.yaml")
    assert mclient.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 422
    broken = scrape(mclient, BEARER)
    assert value(broken, "ocms_rules_last_reload_successful") == 0
    assert value(broken, "ocms_rules_reloads_total", result="rejected") - \
        value(before, "ocms_rules_reloads_total", result="rejected") == 1
    (rules_dir / "broken_example.yaml").unlink()
    path = rules_dir / "an_qualification.yaml"
    path.write_text(path.read_text().replace("version: ", "version: 9", 1))
    r = mclient.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 200
    fixed = scrape(mclient, BEARER)
    assert value(fixed, "ocms_rules_last_reload_successful") == 1
    assert value(fixed, "ocms_rules_generation") == r.get_json()["generation"]
    assert value(fixed, "ocms_rules_last_reload_success_timestamp_seconds") >= \
        value(before, "ocms_rules_last_reload_success_timestamp_seconds")
    assert value(fixed, "ocms_rules_reloads_total", result="ok") - \
        value(before, "ocms_rules_reloads_total", result="ok") == 1


def test_job_runs_are_counted_and_their_age_read_from_the_database(mclient, db, monkeypatch):
    monkeypatch.setenv("OCMS_TEST_SLEEP", "0")
    before = scrape(mclient, BEARER)
    assert value(before, "ocms_job_last_success_age_seconds", job=JOB) == 0
    assert run_job(db, JOB, "M-1")["status"] == "SUCCESS"
    after = scrape(mclient, BEARER)
    assert value(after, "ocms_job_runs_total", job=JOB, status="SUCCESS") - \
        value(before, "ocms_job_runs_total", job=JOB, status="SUCCESS") == 1
    assert value(after, "ocms_job_duration_seconds_count", job=JOB, status="SUCCESS") - \
        value(before, "ocms_job_duration_seconds_count", job=JOB, status="SUCCESS") == 1
    assert (("ocms_job_last_success_age_seconds", (("job", JOB),)) in after)


def test_external_calls_are_counted_by_system_and_result(mclient, db, monkeypatch):
    monkeypatch.setenv("OCMS_HTTP_BACKOFF", "0")
    monkeypatch.setenv("OCMS_HTTP_RETRIES", "1")
    with CasSimulator(apim_key="k-cas-0001", vehicles=3) as cas:
        monkeypatch.setenv("OCMS_CAS_URL", cas.url)
        monkeypatch.setenv("OCMS_CAS_APIM_KEY", "k-cas-0001")
        before = scrape(mclient, BEARER)
        assert run_job(db, "refresh-vip-vehicles", "EXT-1")["status"] == "SUCCESS"
        monkeypatch.setenv("OCMS_CAS_APIM_KEY", "wrong-key-0002")   # CAS answers 401: final at once
        assert run_job(db, "refresh-vip-vehicles", "EXT-2")["status"] == "FAILED"
        after = scrape(mclient, BEARER)
    for result in ("ok", "refused"):
        assert value(after, "ocms_external_calls_total", system="CAS", result=result) - \
            value(before, "ocms_external_calls_total", system="CAS", result=result) == 1, result
    assert value(after, "ocms_external_call_duration_seconds_count", system="CAS") - \
        value(before, "ocms_external_call_duration_seconds_count", system="CAS") == 2
