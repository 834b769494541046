"""No input gives a 500, on every route (issues 11/13 review item 3): long JWT ``sub``, NUL characters, huge ids.

The routes are read from the app's URL map, so a route added later is probed too. Every path part is filled
with each hostile value of its kind (integers far beyond any key, text longer than any column, NUL and other
control characters percent-encoded), every request carries a Staff Portal JWT whose ``sub`` is the longest a
token may carry (and, apart, every system's key), and the bodies carry NUL characters (raw and escaped). The
answer must be a 4xx (or a 2xx where the request is fine), never a 5xx — on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import re
import time

import jwt
import pytest

from api.web.auth import MAX_SUB_LENGTH
from tests.conftest import JWT_SECRET

KEY = "probe-key-0123456789"
SUB = "o" * MAX_SUB_LENGTH
ROLES = ["OIC", "ADMIN", "SUPERVISOR", "OFFICER", "PLM", "CPS", "VIP"]
HUGE_INTS = ["99999999999999999999999", "2147483648", "9223372036854775808"]
TEXTS = ["A" * 999, "%00", "500400058A%00", "x%01y", "\u200b", "%E2%80%8B" * 3, "ab%0Acd"]
_CONVERTER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


@pytest.fixture
def probe_app(make_seeded_app, tmp_path):
    from api.config import SYSTEMS
    return make_seeded_app(OCMS_API_KEYS={s: KEY for s in SYSTEMS}, OCMS_REPORT_DIR=str(tmp_path / "reports"),
                           OCMS_TOPPAN_DIR=str(tmp_path / "toppan"))


def _token(sub: str = SUB) -> str:
    return jwt.encode({"sub": sub, "roles": ROLES, "exp": int(time.time()) + 3600}, JWT_SECRET, algorithm="HS256")


def _routes(app):
    skip = ("static", "api-docs", "workbench")
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in skip or rule.rule.startswith(("/docs", "/metrics", "/workbench")):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule.rule


def _fill(rule: str, value_for) -> str:
    return _CONVERTER.sub(lambda m: value_for(m.group(1) or "string"), rule)


def _paths(rule: str) -> list[str]:
    if "<" not in rule:
        return [rule]
    out = []
    for i in range(max(len(HUGE_INTS), len(TEXTS))):
        out.append(_fill(rule, lambda kind: HUGE_INTS[i % len(HUGE_INTS)] if kind == "int" else TEXTS[i % len(TEXTS)]))
    return out


NUL_BODIES = [
    {"noticeNumbers": ["500400058A\u0000"], "noticeNo": "500400058A\u0000", "vehicleNo": "SBA\u00001234A",
     "remarks": "x\u0000", "revivalReason": "INV", "newProcessingStage": "RD2", "reasonOfChange": "SUP"},
    {"noticeNumbers": ["A" * 5000], "noticeNo": "A" * 5000, "vehicleNo": "\u200b" * 5, "remarks": "r" * 100000,
     "startDate": "2026-01-01", "endDate": "2026-01-02", "reportId": 10 ** 30, "generation": 10 ** 30},
]


def test_every_route_answers_hostile_paths_with_a_4xx(probe_app):
    client = probe_app.test_client()
    failures = []
    for headers in ({"Authorization": f"Bearer {_token()}"}, {"Ocp-Apim-Subscription-Key": KEY}):
        for method, rule in _routes(probe_app):
            for path in _paths(rule):
                r = client.open(path, method=method, headers=headers, json={} if method != "GET" else None)
                if r.status_code >= 500:
                    failures.append((method, path[:80], sorted(headers), r.status_code, r.get_data(as_text=True)[:200]))
    assert failures == []


def test_every_route_answers_nul_bodies_and_the_longest_sub_without_a_500(probe_app):
    client = probe_app.test_client()
    failures = []
    raw = b'{"noticeNo": "500400058A\\u0000", "remarks": "a\x00b"}'
    for headers in ({"Authorization": f"Bearer {_token()}"}, {"Ocp-Apim-Subscription-Key": KEY}):
        for method, rule in _routes(probe_app):
            path = _fill(rule, lambda kind: "1" if kind == "int" else "500400058A")
            if method == "GET":
                bodies = [dict(query_string={"noticeNo": "500400058A\x00", "vehicleNo": "\x00", "dateFrom": "2026-01-01",
                                             "dateTo": "2026-01-02", "startDate": "2026-01-01", "endDate": "2026-01-02",
                                             "status": "P\x00"})]
            else:
                bodies = [dict(json=b) for b in NUL_BODIES] + [dict(data=raw, content_type="application/json")]
            for kw in bodies:
                r = client.open(path, method=method, headers=headers, **kw)
                if r.status_code >= 500:
                    failures.append((method, path, sorted(headers), r.status_code, r.get_data(as_text=True)[:200]))
    assert failures == []


@pytest.mark.parametrize("sub", [SUB, "é" * MAX_SUB_LENGTH, "o" * (MAX_SUB_LENGTH + 1)])
def test_the_longest_officer_id_is_stored_wherever_a_caller_is_recorded(probe_app, sub):
    """The admin endpoints record their caller ("jwt:" + sub) as the rules' publisher, shadow starter and so on."""
    client = probe_app.test_client()
    headers = {"Authorization": f"Bearer {_token(sub)}"}
    for method, path in [("POST", "/v1/admin/rules/reload"), ("POST", "/v1/admin/rules/shadow"),
                         ("DELETE", "/v1/admin/rules/shadow"), ("GET", "/v1/admin/rules/shadow")]:
        r = client.open(path, method=method, headers=headers, json={})
        assert r.status_code < 500, (method, path, r.get_data(as_text=True)[:300])
        if len(sub) > MAX_SUB_LENGTH:
            assert r.status_code == 401

