"""A JSON route given a body under another Content-Type answers 415 naming Content-Type (review finding: text/plain
with a JSON body answered "noticeNumbers Missing data", the body ignored), on every JSON route of the document; and
every route that takes a body documents 415."""
from __future__ import annotations

import json
import re
import time

import jwt
import pytest

from tests.conftest import JWT_SECRET

KEY = "ct-key-0123456789"


@pytest.fixture
def ct_app(make_app):
    from api.config import SYSTEMS
    return make_app(OCMS_API_KEYS={s: KEY for s in SYSTEMS})


def _headers(content_type: str | None) -> dict:
    token = jwt.encode({"sub": "officer-ct", "roles": ["OIC"], "exp": int(time.time()) + 3600}, JWT_SECRET,
                       algorithm="HS256")
    h = {"Ocp-Apim-Subscription-Key": KEY, "Authorization": f"Bearer {token}"}
    if content_type:
        h["Content-Type"] = content_type
    return h


def _json_operations(doc: dict) -> list[tuple[str, str]]:
    out = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            content = ((op.get("requestBody") or {}).get("content") or {}) if isinstance(op, dict) else {}
            if method in ("post", "put", "patch") and isinstance(op, dict) and list(content) == ["application/json"]:
                out.append((method, path))
    return out


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_every_json_route_refuses_a_body_of_another_content_type(ct_app, content_type):
    client = ct_app.test_client()
    doc = client.get("/openapi.json").get_json()
    operations = _json_operations(doc)
    assert len(operations) >= 10, operations
    wrong = {}
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", "1", path)
        r = client.open(url, method=method.upper(), data=json.dumps({"noticeNumbers": ["A"]}),
                        headers=_headers(content_type))
        body = r.get_json(silent=True) or {}
        fields = [e.get("field") for e in (body.get("data") or {}).get("errors") or []]
        if r.status_code != 415 or fields != ["Content-Type"] or body["data"]["appCode"] != "OCMS-4015":
            wrong[f"{method} {path}"] = (r.status_code, body)
    # Routes that answer before reading the body (a path id unknown: 404) are fine; none may name a body field.
    assert not {k: v for k, v in wrong.items() if v[0] != 404}, wrong


def test_the_reviewers_example_names_content_type(ct_app):
    r = ct_app.test_client().post("/v1/ocms/cas-getPaymentStatus", data='{"noticeNumbers": ["500500303J"]}',
                                  headers=_headers("text/plain"))
    assert r.status_code == 415
    assert r.get_json()["data"]["errors"] == [
        {"field": "Content-Type", "message": "send the body as application/json (got 'text/plain')"}]


def test_json_with_charset_is_still_json(ct_app):
    r = ct_app.test_client().post("/v1/ocms/cas-getPaymentStatus", data='{"noticeNumbers": []}',
                                  headers=_headers("application/json; charset=utf-8"))
    assert r.status_code != 415


def test_every_route_taking_a_body_documents_415(ct_app):
    doc = ct_app.test_client().get("/openapi.json").get_json()
    missing = [f"{m} {p}" for p, item in doc["paths"].items() for m, op in item.items() if isinstance(op, dict)
               and m in ("post", "put", "patch") and "415" not in op["responses"]]
    assert not missing, missing
    assert "UNSUPPORTED_MEDIA_TYPE" in doc["components"]["responses"]
