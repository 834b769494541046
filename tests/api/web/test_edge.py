"""The service's edge (issue 10): credentials before parsing on every route, hostile JSON and query text,
values out of a column's range or outside the plausible window, body size, strict JWT. Every refusal is the
envelope with the right status and changes nothing."""
from __future__ import annotations

import json
import time

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from api.web.json import FORBIDDEN_CHARACTERS, JSONInputError, strict_loads
from repository.models import DecisionLog, ValidOffenceNotice, WebhookReceipt

SECRET = "jwt-test-secret-0123456789abcdef0123"
KEYS = {"cas": "cas-test-key", "plus": "plus-test-key", "admin": "admin-test-key", "repccs": "repccs-test-key",
        "ces": "ces-test-key", "toppan": "toppan-test-key"}
#: Routes anyone may call (probes, the API's own description). Everything else must ask for credentials.
PUBLIC = {"static", "api-docs.openapi_json", "api-docs.openapi_swagger_ui", "docs_assets", "health.live", "health.ready",
          "metrics",  # /metrics checks its own token (OCMS_METRICS_TOKEN, api/web/metrics.py)
          # The workbench page and its assets are a static shell holding no data; every call it makes to the
          # API carries the credential the analyst signs in with (tests/browser/test_workbench_page.py).
          "workbench.page", "workbench.asset", "workbench.workbench_redirect"}


@pytest.fixture
def edge_app(make_seeded_app):
    return make_seeded_app(OCMS_API_KEYS=dict(KEYS))


@pytest.fixture
def client(edge_app):
    return edge_app.test_client()


def key(system: str) -> dict:
    return {"Ocp-Apim-Subscription-Key": KEYS[system]}


def token(**claims) -> str:
    body = {"sub": "officer1", "roles": ["OIC"], "exp": int(time.time()) + 3600, **claims}
    return jwt.encode({k: v for k, v in body.items() if v is not ...}, SECRET, algorithm="HS256")


def jwt_header(**claims) -> dict:
    return {"Authorization": "Bearer " + token(**claims)}


def rows(app, model) -> int:
    from api.database import get_db
    with get_db(app).session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _fill(pattern: str, values: dict) -> str:
    import re
    return re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", lambda m: values.get(m.group(1), "x"), pattern)


# ---- credentials before anything is parsed, on every route ----------------------------------------
def test_every_route_is_protected_or_known_public(edge_app):
    from api.web.auth import requirement_of
    unprotected = {r.endpoint for r in edge_app.url_map.iter_rules()
                   if requirement_of(edge_app.view_functions[r.endpoint]) is None}
    assert unprotected == PUBLIC


@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, {"Authorization": "Bearer x.y.z"}],
                         ids=["none", "wrong-key", "bad-jwt"])
def test_every_protected_route_answers_401_before_reading_a_malformed_request(edge_app, client, headers):
    from api.web.auth import requirement_of
    checked = 0
    for rule in edge_app.url_map.iter_rules():
        if requirement_of(edge_app.view_functions[rule.endpoint]) is None:
            continue
        path = _fill(rule.rule, {"report_id": "1", "ruleset": "an_qualification", "name": "an_qualification", "generation": "1", "review_id": "1"})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # A body and a query string that would each be a 400 (or worse) if they were looked at.
            r = client.open(path + "?subject=%00&dateFrom=9999-99-99&limit=abc", method=method,
                            data='{"a": 1, "a": "\\u0000", "b": [[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]',
                            content_type="application/json", headers=headers)
            assert r.status_code == 401, (method, path, r.get_json())
            assert r.get_json() == {"data": {"appCode": "OCMS-4001", "message": "Unauthorized"}}, (method, path)
            checked += 1
    assert checked >= 20


def _role_routes(app):
    """(rule, method) of every route that takes a Staff Portal JWT with particular roles only (not any JWT)."""
    from api.web.auth import ANY, requirement_of
    for rule in app.url_map.iter_rules():
        need = requirement_of(app.view_functions[rule.endpoint])
        if need is not None and need.roles is not None and ANY not in need.roles:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_a_valid_jwt_without_the_role_is_403_before_reading_a_malformed_request(edge_app, client):
    """The officer is known but not allowed: 403 OCMS-4003 naming the role, not 401; no credential at all stays 401."""
    checked = 0
    for rule, method in _role_routes(edge_app):
        path = _fill(rule.rule, {"report_id": "1", "review_id": "1", "application_id": "FA1"})
        for headers, status in ((jwt_header(roles=["VIEWER", "PLM"]), 403), (jwt_header(roles=[]), 403),
                                ({}, 401), (jwt_header(exp=int(time.time()) - 60), 401)):
            r = client.open(path + "?limit=abc", method=method, data='{"a": 1, "a": 2}',
                            content_type="application/json", headers=headers)
            assert r.status_code == status, (method, path, r.get_json())
            if status == 403:
                assert r.get_json() == {"data": {"appCode": "OCMS-4003", "message": "Forbidden", "errors": [
                    {"field": "roles", "message": "this endpoint needs a JWT with role OIC"}]}}, (method, path)
        # With the role the same request is let in (and refused for what it is: its body or query).
        r = client.open(path + "?limit=abc", method=method, data='{"a": 1, "a": 2}', content_type="application/json",
                        headers=jwt_header(roles=["VIEWER", "OIC"]))
        assert r.status_code not in (401, 403), (method, path)
        checked += 1
    assert checked >= 13   # CPS (6), AN review queue (3), furnish review queue (3), VIP revival (1)


def test_the_openapi_document_names_403_on_exactly_the_role_routes(edge_app, client):
    import re
    doc = client.get("/openapi.json").get_json()
    role_ops = {(re.sub(r"<(?:[^:<>]+:)?([a-z_]+)>", r"{\1}", rule.rule), method.lower())
                for rule, method in _role_routes(edge_app)}
    with_403 = {(path, method) for path, item in doc["paths"].items() for method, op in item.items()
                if isinstance(op, dict) and "403" in op.get("responses", {})}
    assert role_ops and with_403 == role_ops
    for path, method in role_ops:
        assert "OCMS-4003" in doc["paths"][path][method]["responses"]["403"]["description"], (path, method)


def test_an_oversized_body_without_credentials_is_401_and_with_them_413(client):
    big = b'{"noticeNumbers": ["' + b"A" * (5 * 1024 * 1024) + b'"]}'
    r = client.post("/v1/ocms/cas-getPaymentStatus", data=big, content_type="application/json")
    assert r.status_code == 401
    r = client.post("/v1/ocms/cas-getPaymentStatus", data=big, content_type="application/json", headers=key("cas"))
    assert r.status_code == 413
    assert r.get_json()["data"]["appCode"] == "OCMS-4013" and r.get_json()["data"]["errors"][0]["field"] == "body"


def test_body_limit_is_configurable(make_app):
    app = make_app(OCMS_API_KEYS=dict(KEYS), OCMS_MAX_CONTENT_LENGTH=2048)
    r = app.test_client().post("/v1/ocms/cas-getPaymentStatus", json={"noticeNumbers": ["A" * 10] * 200},
                               headers=key("cas"))
    assert r.status_code == 413


@pytest.mark.parametrize("path", ["/v1/nothing-here", "/v1/cps/reports/abc", "/v1/an/reports/ans/5827451999",
                                  "/v1/cps/reports/2147483648", "/v1/rulesets/" + "x" * 65, "/v1/rulesets/no_such_ruleset"])
def test_unknown_routes_and_impossible_ids_are_404_in_the_envelope(client, path):
    r = client.get(path, headers=jwt_header())
    assert r.status_code == 404 and r.get_json()["data"]["appCode"] == "OCMS-4004"


# ---- hostile JSON: refused once, in the JSON layer -------------------------------------------------------------
HOSTILE_BODIES = [
    ('{"noticeNumbers": ["\\u0000"]}', "noticeNumbers.0", "NUL"),
    ('{"noticeNumbers": ["500400058\\u0007"]}', "noticeNumbers.0", "control character"),
    ('{"noticeNumbers": ["5004\\f0058A"]}', "noticeNumbers.0", "U+000C"),  # JSON's short escapes: form feed,
    ('{"noticeNumbers": ["5004\\b0058A"]}', "noticeNumbers.0", "U+0008"),  # backspace (found by hypothesis)
    ('{"noticeNumbers": ["\\ud800"]}', "noticeNumbers.0", "surrogate"),
    ('{"noticeNumbers": ["a\\udfffb"]}', "noticeNumbers.0", "surrogate"),
    ('{"noticeNumbers": ["A"], "noticeNumbers": ["B"]}', "noticeNumbers", "more than once"),
    ('{"noticeNumbers": ' + "[" * 1000 + "]" * 1000 + "}", None, "nested deeper"),
    ('{"noticeNumbers": ' + "[" * 25 + "]" * 25 + "}", None, "nested deeper"),
    ('{"noticeNumbers": [1e999]}', None, "too large"),
    ('{"noticeNumbers": [NaN]}', None, "NaN"),
    ('{"noticeNumbers": [' + "9" * 5000 + "]}", None, "not valid JSON"),
    ('{"noticeNumbers": ["\\u0000"]', None, "not valid JSON"),
]


@pytest.mark.parametrize("body, field, message", HOSTILE_BODIES)
@pytest.mark.parametrize("path, system", [("/v1/ocms/cas-getPaymentStatus", "cas"), ("/v1/plus-queryNoticeInfo", "plus"),
                                          ("/v1/cps/search", None), ("/v1/repccsWebhook", "repccs"),
                                          ("/v1/cesWebhook-create-notice", "ces"), ("/v1/decisions/an_qualification", "cas")])
def test_hostile_json_is_400_naming_where(edge_app, client, path, system, body, field, message):
    before = rows(edge_app, ValidOffenceNotice), rows(edge_app, DecisionLog)
    r = client.post(path, data=body.encode("utf-8", "surrogatepass"), content_type="application/json",
                    headers=key(system) if system else jwt_header())
    assert r.status_code == 400, r.get_json()
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and message in data["errors"][0]["message"]
    if field:
        assert data["errors"][0]["field"] == field
    assert (rows(edge_app, ValidOffenceNotice), rows(edge_app, DecisionLog)) == before


def test_raw_utf8_encoded_surrogates_are_refused(client):
    r = client.post("/v1/ocms/cas-getPaymentStatus", data=b'{"noticeNumbers": ["\xed\xa0\x80"]}',
                    content_type="application/json", headers=key("cas"))
    assert r.status_code == 400 and "UTF-8" in r.get_json()["data"]["errors"][0]["message"]


def test_duplicate_key_in_a_cas_api2_item_is_not_last_wins(edge_app, client):
    item = ('{"noticeNo": "500400058A", "noticeNo": "500400059B", "suspensionType": null, "lastProcessingStage": "CRT",'
            ' "prevProcessingStage": null, "nextProcessingStage": null, "lastProcessingDate": "2024-01-15",'
            ' "prevProcessingDate": null, "nextProcessingDate": null, "atomsFlag": null, "amountPayable": null,'
            ' "paymentAcceptanceAllowed": null, "eprReasonOfSuspension": null, "eprDateOfSuspension": null}')
    r = client.post("/v1/ocms/cas-updateCourtNotices", data='{"notices": [' + item + "]}",
                    content_type="application/json", headers=key("cas"))
    assert r.status_code == 400
    assert r.get_json()["data"]["errors"] == [{"field": "notices.0.noticeNo",
                                               "message": "the key 'noticeNo' appears more than once"}]


@pytest.mark.parametrize("query, field", [
    ({"subject": "\x00"}, "subject"), ({"subject": "500400058A\x1b"}, "subject"),
    ({"subject": "500400058A", "ruleset": "a\x00"}, "ruleset"), ({"subject": "x" * 1001}, "subject"),
])
def test_hostile_query_text_is_400_naming_the_parameter(client, query, field):
    r = client.get("/v1/decision-log", query_string=query, headers=key("admin"))
    assert r.status_code == 400 and r.get_json()["data"]["errors"][0]["field"] == field


def test_hostile_path_text_is_400(client):
    r = client.get("/v1/rulesets/an%00qualification", headers=key("cas"))
    assert r.status_code == 400 and r.get_json()["data"]["errors"][0]["field"] == "name"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=1, max_size=12).filter(
    # What arrives: JSON joins an escaped high+low surrogate pair into one (valid) character.
    lambda s: FORBIDDEN_CHARACTERS.search(json.loads(json.dumps(s))) is not None))
def test_any_text_with_a_forbidden_character_is_refused_in_any_field(client, text):
    for path, system, extra in (("/v1/ocms/cas-getPaymentStatus", "cas", {}),
                                ("/v1/plus-queryNoticeInfo", "plus", {"paymentDueDate": "2024-01-15"})):
        body = json.dumps({"noticeNumbers": [text], **extra}, ensure_ascii=True)
        r = client.post(path, data=body, content_type="application/json", headers=key(system))
        assert r.status_code == 400 and r.get_json()["data"]["errors"][0]["field"] == "noticeNumbers.0", (path, repr(text))


clean_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r"),
                     max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**15, 10**15) | st.floats(allow_nan=False, allow_infinity=False)
    | clean_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(clean_text, inner, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_strict_loads_accepts_what_json_writes(value):
    """Clean documents (no duplicates possible: dumps writes each key once) parse to what was written."""
    text = json.dumps(value)
    assert strict_loads(text) == json.loads(text)
    assert strict_loads(text.encode()) == json.loads(text)


def test_strict_loads_refuses_each_kind():
    for doc in ('{"a": 1, "a": 1}', '[{"x": [{"k": 1, "k": 2}]}]', "[" * 21 + "]" * 21, '"\\u0000"', '{"\\u0001": 1}',
                "[Infinity]", "[-Infinity]", '["\\f"]', '{"a": "\\b"}'):
        with pytest.raises(JSONInputError):
            strict_loads(doc)
    assert strict_loads("[" * 20 + "]" * 20) is not None  # the limit itself is fine


# ---- numbers beyond a column's range, implausible dates --------------------------------------------------------
def _repccs(**changes) -> dict:
    p = {"transactionId": "EDGE-1", "subsystemLabel": "001", "vehicleNo": "SBA1234A", "computerRuleCode": 10100,
         "compositionAmount": 70.00, "noticeDateAndTime": "2026-01-15T08:30:00", "offenceNoticeType": "O",
         "vehicleRegistrationType": "S", "ppCode": "A0001", "ppName": "Car Park"}
    p.update(changes)
    return p


@pytest.mark.parametrize("changes, field", [
    ({"computerRuleCode": 1000000000000}, "computerRuleCode"),
    ({"computerRuleCode": 2147483648}, "computerRuleCode"),
    ({"computerRuleCode": -1}, "computerRuleCode"),
    ({"compositionAmount": 100000000}, "compositionAmount"),
    ({"noticeDateAndTime": "9999-12-31T23:59:59"}, "noticeDateAndTime"),
    ({"noticeDateAndTime": "1989-12-31T23:59:59"}, "noticeDateAndTime"),
    ({"noticeDateAndTime": "0001-01-01T00:00:00"}, "noticeDateAndTime"),
    ({"creDate": "9999-12-31T23:59:59"}, "creDate"),
    ({"ppName": "x" * 101}, "ppName"),
    ({"transactionId": "x" * 51}, "transactionId"),
])
@pytest.mark.parametrize("path, system", [("/v1/repccsWebhook", "repccs"), ("/v1/cesWebhook-create-notice", "ces")])
def test_webhook_values_out_of_range_are_400_and_write_nothing(edge_app, client, path, system, changes, field):
    body = _repccs(**changes, **({"subsystemLabel": "230EHT"} if system == "ces" else {}))
    r = client.post(path, json=body, headers=key(system))
    assert r.status_code == 400, r.get_json()
    assert field in [e["field"] for e in r.get_json()["data"]["errors"]]
    assert rows(edge_app, ValidOffenceNotice) == 0 and rows(edge_app, WebhookReceipt) == 0


def test_offence_time_window_is_configurable(make_app):
    import datetime as dt
    app = make_app(OCMS_API_KEYS=dict(KEYS), OCMS_EARLIEST_DATE=dt.date(2026, 6, 1))
    r = app.test_client().post("/v1/repccsWebhook", json=_repccs(), headers=key("repccs"))
    assert r.status_code == 400 and "2026-06-01" in r.get_json()["data"]["errors"][0]["message"]


def test_offence_a_little_ahead_of_now_is_accepted_more_than_a_day_is_not(edge_app, client):
    import datetime as dt

    from repository import business_time
    now = business_time.now()  # offence times are business (SGT) local times
    soon = (now + dt.timedelta(hours=2)).isoformat()
    later = (now + dt.timedelta(hours=25)).isoformat()
    assert client.post("/v1/repccsWebhook", json=_repccs(noticeDateAndTime=later), headers=key("repccs")).status_code == 400
    assert client.post("/v1/repccsWebhook", json=_repccs(noticeDateAndTime=soon, transactionId="EDGE-2"),
                       headers=key("repccs")).status_code == 200


@pytest.mark.parametrize("query, field", [
    ({"dateFrom": "9999-12-01", "dateTo": "9999-12-31"}, "dateFrom"),
    ({"dateFrom": "2026-01-01", "dateTo": "9999-12-31"}, "dateTo"),
    ({"dateFrom": "1900-01-01", "dateTo": "1900-01-02"}, "dateFrom"),
])
def test_report_ranges_outside_the_window_are_400(client, query, field):
    r = client.get("/v1/an/reports/ans", query_string=query, headers=jwt_header())
    assert r.status_code == 400 and field in [e["field"] for e in r.get_json()["data"]["errors"]]
    r = client.get("/v1/cps/reports", query_string={"startDate": query["dateFrom"], "endDate": query["dateTo"]},
                   headers=jwt_header())
    assert r.status_code == 400


@pytest.mark.parametrize("body, field", [
    ({"notices": [{"noticeNo": "500400058A", "suspensionType": None, "lastProcessingStage": "CRT",
                   "prevProcessingStage": None, "nextProcessingStage": None, "lastProcessingDate": "9999-12-31",
                   "prevProcessingDate": None, "nextProcessingDate": None, "atomsFlag": None, "amountPayable": 1e12,
                   "paymentAcceptanceAllowed": None, "eprReasonOfSuspension": None, "eprDateOfSuspension": None}]},
     "notices.0.lastProcessingDate"),
])
def test_cas_api2_dates_and_amounts_out_of_range_are_400(client, body, field):
    r = client.post("/v1/ocms/cas-updateCourtNotices", json=body, headers=key("cas"))
    fields = [e["field"] for e in r.get_json()["data"]["errors"]]
    assert r.status_code == 400 and field in fields and "notices.0.amountPayable" in fields


def test_every_request_schema_bounds_its_strings_numbers_and_dates(edge_app):
    """Each string of a request schema has a maximum length (or a closed set), each integer a range, each date
    the window: a value that passes a schema fits its column."""
    from marshmallow import fields, validate
    from api.web.fields import EventDateTime, StrictDate, WindowDateTime
    loose = []

    def check(schema, where):
        for name, f in schema.fields.items():
            here = f"{where}.{name}"
            inner = f.inner if isinstance(f, fields.List) else f
            if isinstance(inner, fields.Nested):
                check(inner.schema, here)
                continue
            kinds = {type(v) for v in inner.validators}
            if isinstance(inner, fields.String):
                bounded = getattr(inner, "pattern", None) is not None or any(  # NoticeNo: 1-10 letters and digits
                    isinstance(v, validate.Length) and v.max is not None or
                    isinstance(v, (validate.OneOf, validate.Regexp)) for v in inner.validators)
                if not bounded and not inner.dump_only:
                    loose.append(here)
            elif isinstance(inner, fields.Integer) and validate.Range not in kinds:
                loose.append(here)
            elif isinstance(inner, fields.Decimal) and validate.Range not in kinds:
                loose.append(here)
            elif isinstance(inner, fields.DateTime) and not isinstance(inner, (EventDateTime, WindowDateTime)):
                loose.append(here)
            elif isinstance(inner, fields.Date) and not isinstance(inner, StrictDate):
                loose.append(here)
    from api.advisory.payloads import CesPayloadSchema, RepccsPayloadSchema
    schemas = [RepccsPayloadSchema(), CesPayloadSchema()]
    for view in edge_app.view_functions.values():
        for arg in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
            schemas.append(arg["schema"] if not isinstance(arg["schema"], type) else arg["schema"]())
    assert len(schemas) > 10
    for schema in schemas:
        check(schema, type(schema).__name__)
    # Checked by a ruleset instead (its message is the spec's), before anything is stored:
    by_rules = {"CesPayloadSchema.subsystemLabel": "rules/ces_subsystem.yaml: 3-8 characters"}
    assert [x for x in loose if x not in by_rules] == [], loose


# ---- strict JWT ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("claims", [
    {"roles": 5}, {"roles": {"OIC": False}}, {"roles": "OIC"}, {"roles": [5]}, {"roles": ["OIC", None]},
    {"roles": ...}, {"roles": ["O" * 51]}, {"roles": ["OIC\u0000"]}, {"sub": "x" * 51}, {"sub": 12345},
    {"sub": ""}, {"sub": "   "}, {"sub": ["officer1"]}, {"sub": "of\u0000ficer"}, {"sub": ...}, {"exp": ...},
    {"exp": int(time.time()) - 10}, {"exp": "tomorrow"}, {"nbf": int(time.time()) + 3600},
], ids=lambda c: json.dumps(c, default=str)[:40])
@pytest.mark.parametrize("path, method", [("/v1/cps/search", "POST"), ("/v1/an/reports/ans", "GET"),
                                          ("/v1/decision-log", "GET"), ("/v1/rulesets", "GET")])
def test_malformed_tokens_are_401_never_500(client, claims, path, method):
    r = client.open(path, method=method, json={"noticeNo": "500400058A"} if method == "POST" else None,
                    query_string={"subject": "500400058A", "dateFrom": "2026-01-01", "dateTo": "2026-01-02"},
                    headers=jwt_header(**claims))
    assert r.status_code == 401 and r.get_json()["data"]["appCode"] == "OCMS-4001"


def test_a_50_character_officer_is_accepted_and_logged(edge_app, client):
    r = client.post("/v1/cps/validate", json={"noticeNumbers": ["N000000001"], "newProcessingStage": "RD2",
                                              "reasonOfChange": "OTH", "remarks": "r"},
                    headers=jwt_header(sub="o" * 50))
    assert r.status_code == 200
    from api.database import get_db
    with get_db(edge_app).session() as s:
        assert s.scalar(select(func.count()).select_from(DecisionLog)) == 0  # validate writes nothing


def test_issuer_and_audience_are_checked_when_configured(make_app):
    app = make_app(OCMS_JWT_ISSUER="staff-portal", OCMS_JWT_AUDIENCE="ocms")
    c = app.test_client()
    assert c.get("/v1/rulesets", headers=jwt_header()).status_code == 401
    assert c.get("/v1/rulesets", headers=jwt_header(iss="other", aud="ocms")).status_code == 401
    assert c.get("/v1/rulesets", headers=jwt_header(iss="staff-portal", aud="else")).status_code == 401
    assert c.get("/v1/rulesets", headers=jwt_header(iss="staff-portal", aud="ocms")).status_code == 200
