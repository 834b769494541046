"""Numbers beyond the columns' range name nothing: 404 / 400, never a database error (PostgreSQL INTEGER/BIGINT)."""
import pytest

HUGE = "9" * 30


@pytest.mark.parametrize("method, path, body, status, field", [
    ("get", "/v1/admin/rules/generations/99999999999", None, 404, "generation"),
    ("get", f"/v1/admin/rules/generations/{HUGE}", None, 404, "generation"),
    ("get", "/v1/admin/rules/generations/1?wait=1e309", None, 400, "wait"),
    ("get", f"/v1/rulesets/an_qualification/versions/{HUGE}", None, 404, "generation"),
    ("get", f"/v1/decision-log/replay?id={HUGE}", None, 400, "id.0"),
    ("get", f"/v1/admin/rules/shadow?id={HUGE}", None, 400, "id"),
    ("post", "/v1/admin/rules/reload", {"generation": 10**30}, 400, "generation"),
    ("post", "/v1/admin/rules/reload", {"generation": 2**31}, 400, "generation"),
    ("post", f"/v1/admin/rules/impact?maxDecisions={HUGE}", {"files": {"a.yaml": "ruleset: a"}}, 400, "maxDecisions"),
])
def test_out_of_range_numbers(client, key, method, path, body, status, field):
    client.get("/health/ready")
    r = getattr(client, method)(path, json=body, headers=key("admin"))
    assert r.status_code == status, r.json
    assert r.json["data"]["errors"][0]["field"] == field
