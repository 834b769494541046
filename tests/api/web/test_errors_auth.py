"""The error envelope, request ids and authentication failures."""
import pytest

DRY_RUN = "/v1/decisions/an_qualification"
FACTS = {"offence_notice_type": "O", "vehicle_registration_type": "S", "computer_rule_code": 10100,
         "composition_amount": 50.0, "past_offences_24m": 2}


@pytest.mark.parametrize("headers", [
    {},
    {"Ocp-Apim-Subscription-Key": "wrong"},
    {"Ocp-Apim-Subscription-Key": ""},
    {"Authorization": "Bearer not-a-jwt"},
    {"Authorization": "Basic Zm9vOmJhcg=="},
], ids=["missing", "wrong-key", "empty-key", "bad-jwt", "basic-auth"])
def test_missing_or_wrong_credentials_are_4001(client, headers):
    r = client.post(DRY_RUN, json={"facts": FACTS}, headers=headers)
    assert r.status_code == 401
    assert r.json == {"data": {"appCode": "OCMS-4001", "message": "Unauthorized"}}


def test_jwt_signed_with_another_secret_is_refused(client, bearer):
    r = client.post(DRY_RUN, json={"facts": FACTS}, headers=bearer(secret="another-secret-0123456789abcdef-xyz"))
    assert r.status_code == 401


def test_admin_endpoint_refuses_a_calling_systems_key(client, key):
    r = client.post("/v1/admin/rules/reload", headers=key("cas"))
    assert r.status_code == 401 and r.json["data"]["appCode"] == "OCMS-4001"


def test_admin_endpoint_refuses_a_staff_jwt(client, bearer):
    r = client.post("/v1/admin/rules/reload", headers=bearer(roles=["ADMIN"]))
    assert r.status_code == 401


def test_key_never_echoed_or_logged(client, caplog):
    caplog.set_level("DEBUG")
    r = client.post(DRY_RUN, json={"facts": FACTS}, headers={"Ocp-Apim-Subscription-Key": "s3cret-guess"})
    assert r.status_code == 401
    assert b"s3cret-guess" not in r.data
    assert "s3cret-guess" not in caplog.text


def test_request_id_taken_from_header(client):
    r = client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert r.headers["X-Request-ID"] == "abc-123"


def test_request_id_generated_when_absent_or_unsafe(client):
    a = client.get("/health/live").headers["X-Request-ID"]
    b = client.get("/health/live", headers={"X-Request-ID": "bad id with spaces <script>"}).headers["X-Request-ID"]
    assert a and b and a != b and " " not in b


def test_request_id_on_error_responses(client):
    r = client.post(DRY_RUN, json={"facts": FACTS}, headers={"X-Request-ID": "rid-401"})
    assert r.status_code == 401 and r.headers["X-Request-ID"] == "rid-401"


def test_malformed_json_is_4000(client, key):
    r = client.post(DRY_RUN, data="{not json", content_type="application/json", headers=key("cas"))
    assert r.status_code == 400
    assert r.json["data"]["appCode"] == "OCMS-4000"


@pytest.mark.parametrize("body, field", [
    ({}, "facts"),
    ({"facts": "O"}, "facts"),
    ({"facts": {}, "explain": "maybe"}, "explain"),
    ({"facts": {}, "unexpected": 1}, "unexpected"),
])
def test_schema_violations_are_400_naming_the_field(client, key, body, field):
    r = client.post(DRY_RUN, json=body, headers=key("cas"))
    assert r.status_code == 400
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4000"
    assert field in [e["field"] for e in data["errors"]]


def test_unknown_url_is_enveloped_404(client):
    r = client.get("/v1/nothing-here")
    assert r.status_code == 404 and r.json["data"]["appCode"] == "OCMS-4004"


def test_wrong_method_is_enveloped_405(client):
    r = client.get(DRY_RUN)
    assert r.status_code == 405 and r.json["data"]["appCode"] == "OCMS-4005"


def test_unexpected_error_is_5000_without_internals(app, key, monkeypatch):
    from api.decisions.service import RulesService

    def boom(self):
        raise RuntimeError("secret internal detail /etc/passwd")
    monkeypatch.setattr(RulesService, "in_service", property(boom))
    r = app.test_client().post(DRY_RUN, json={"facts": FACTS}, headers={**key("cas"), "X-Request-ID": "rid-500"})
    assert r.status_code == 500
    assert r.json == {"data": {"appCode": "OCMS-5000", "message": "Internal Server Error"}}
    assert r.headers["X-Request-ID"] == "rid-500"


def test_batch_limit_helper_is_4013():
    from api.web.errors import ApiError, check_batch_limit
    check_batch_limit(list(range(500)), 500, "noticeNumbers")
    with pytest.raises(ApiError) as e:
        check_batch_limit(list(range(501)), 500, "noticeNumbers")
    assert e.value.status == 413
    assert e.value.to_dict()["data"]["appCode"] == "OCMS-4013"
    assert e.value.to_dict()["data"]["errors"][0]["field"] == "noticeNumbers"


@pytest.mark.parametrize("status, code", [(400, "OCMS-4000"), (401, "OCMS-4001"), (404, "OCMS-4004"),
                                          (413, "OCMS-4013"), (422, "OCMS-4022"), (500, "OCMS-5000"),
                                          (226, "OCMS-2026")])
def test_app_code_echoes_the_status(status, code):
    from api.web.errors import app_code_for
    assert app_code_for(status) == code


@pytest.mark.parametrize("sub", ["officer\u202e1", "\u200bofficer1", "off\u2028icer", "officer\ufeff", "off\ue000icer"])
def test_a_jwt_sub_with_invisible_or_format_characters_is_401(client, bearer, sub):
    """A bidi override (U+202E), zero-width or other Cf/control characters would disguise the officer id."""
    r = client.get("/v1/decision-log", query_string={"subject": "X1"}, headers=bearer(sub=sub))
    assert r.status_code == 401 and r.get_json()["data"]["appCode"] == "OCMS-4001"
    assert client.get("/v1/decision-log", query_string={"subject": "X1"}, headers=bearer(sub="officer 1")).status_code == 200
