"""No API answer names a path of the server's filesystem (issue 11: GET /v1/rulesets showed the rules directory)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from api.config import PROJECT_ROOT

DATA = Path(__file__).resolve().parents[1] / "data"


def _secret_paths(app) -> list[str]:
    paths = [app.config["OCMS_RULES_DIR"], app.config["OCMS_FIXTURES_DIR"], app.config["OCMS_REPORT_DIR"],
             app.instance_path, str(PROJECT_ROOT), "/tmp/", "/work/", "/root/"]
    return [p for p in paths if p]


def _assert_clean(app, response, what):
    text = response.get_data(as_text=True)
    for p in _secret_paths(app):
        assert p not in text, f"{what} shows {p!r}: {text[:300]}"
    return text


@pytest.fixture
def broken_app(make_app, rules_dir, tmp_path):
    app = make_app(OCMS_REPORT_DIR=str(tmp_path / "reports"))
    return app


def test_rules_endpoints_and_rule_errors_name_files_inside_the_rules_directory(broken_app, key, bearer, rules_dir):
    app = broken_app
    client = app.test_client()
    r = client.get("/v1/rulesets", headers=key("cas"))
    assert r.status_code == 200 and "directory" not in r.get_json()["active"]
    _assert_clean(app, r, "GET /v1/rulesets")
    r = client.get("/v1/rulesets/an_qualification", headers=bearer())
    assert r.get_json()["file"] == "an_qualification.yaml"
    _assert_clean(app, r, "GET /v1/rulesets/<name>")

    shutil.copy(DATA / "broken_ruleset.bad.yaml", Path(rules_dir) / "broken_example.yaml")
    r = client.post("/v1/admin/rules/reload", headers=key("admin"))
    assert r.status_code == 422
    text = _assert_clean(app, r, "422 reload refused")
    errors = json.loads(text)["data"]["errors"]
    assert errors and all(e["file"] == "broken_example.yaml" and e["field"].startswith("broken_example.yaml:")
                          for e in errors)
    r = client.get("/v1/rulesets", headers=key("cas"))
    rejected = r.get_json()["lastRejected"]
    assert rejected and "directory" not in rejected and rejected["errors"][0]["file"] == "broken_example.yaml"
    _assert_clean(app, r, "lastRejected")


def test_rules_not_loaded_503_names_no_path(make_app, rules_dir, key):
    shutil.copy(DATA / "broken_ruleset.bad.yaml", Path(rules_dir) / "broken_example.yaml")
    app = make_app()
    client = app.test_client()
    for method, path in (("GET", "/v1/rulesets"), ("POST", "/v1/decisions/an_qualification")):
        r = client.open(path, method=method, headers=key("cas"), json={"facts": {}})
        assert r.status_code == 503
        _assert_clean(app, r, f"{method} {path} with broken rules")
    r = client.get("/health/ready")
    assert r.status_code == 503
    _assert_clean(app, r, "/health/ready")


def test_reload_answer_and_other_endpoints_name_no_path(broken_app, key, bearer):
    app = broken_app
    client = app.test_client()
    checks = [
        ("POST", "/v1/admin/rules/reload", key("admin"), None),
        ("POST", "/v1/decisions/an_qualification", key("cas"), {"facts": {"offence_notice_type": "X"}}),
        ("POST", "/v1/decisions/no_such_ruleset", key("cas"), {"facts": {}}),
        ("GET", "/v1/decision-log?subject=500400058A", key("admin"), None),
        ("GET", "/v1/cps/reports/999", bearer(), None),
        ("GET", "/v1/an/reports/ans/999", bearer(), None),
        ("GET", "/v1/an/reports/ans?dateFrom=2026-01-01&dateTo=2026-01-02", bearer(), None),
        ("POST", "/v1/cps/reports", bearer(), {"startDate": "2026-01-01", "endDate": "2026-01-02"}),
        ("GET", "/no/such/path", {}, None),
        ("GET", "/openapi.json", {}, None),
    ]
    for method, path, headers, body in checks:
        r = client.open(path, method=method, headers=headers, json=body)
        assert r.status_code < 500, (path, r.status_code)
        _assert_clean(app, r, f"{method} {path}")
