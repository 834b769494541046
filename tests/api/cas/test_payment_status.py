"""CAS API 1, POST /v1/ocms/cas-getPaymentStatus (technical spec v1.1 §1)."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text

from repository.models import Parameter, ValidOffenceNotice

PATH = "/v1/ocms/cas-getPaymentStatus"
SPEC_PAYLOAD = {"noticeNumbers": ["500400058A", "500400059B"]}
SPEC_RESPONSE = {"notices": [{"noticeNo": "500400058A", "suspensionType": "TS", "crsReasonOfSuspension": "APP",
                              "eprReasonOfSuspension": None, "paymentStatus": None, "amountPayable": 300.00,
                              "amountPaid": 0.00, "paymentAcceptanceAllowed": "Y"}]}


def notice(no, **cols):
    row = {"notice_no": no, "vehicle_no": "SBA1234A", "notice_date_and_time": dt.datetime(2024, 1, 10, 9),
           "offence_notice_type": "O", "computer_rule_code": 10001, "composition_amount": Decimal("70.00"),
           "last_processing_stage": "CPC"}
    row.update(cols)
    return row


def insert_notices(db, rows):
    with db.engine.begin() as c:
        for row in rows:  # one by one: an executemany takes its columns from the first row
            c.execute(insert(ValidOffenceNotice), row)


def all_notices(db):
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(select(ValidOffenceNotice.__table__).order_by(text("notice_no")))]


@pytest.fixture
def spec_notice(db):
    insert_notices(db, [notice("500400058A", suspension_type="TS", crs_reason_of_suspension="APP",
                               amount_payable=Decimal("300"), amount_paid=Decimal("0"),
                               payment_acceptance_allowed="Y")])


def test_spec_example(client, key, spec_notice):
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    assert r.status_code == 200
    assert r.json == SPEC_RESPONSE


def test_spec_example_raw_body_field_order_and_two_decimals(client, key, spec_notice):
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    assert r.get_data(as_text=True).rstrip("\n") == (
        '{"notices":[{"noticeNo":"500400058A","suspensionType":"TS","crsReasonOfSuspension":"APP",'
        '"eprReasonOfSuspension":null,"paymentStatus":null,"amountPayable":300.00,"amountPaid":0.00,'
        '"paymentAcceptanceAllowed":"Y"}]}')


def test_none_found_is_an_empty_list(client, key):
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    assert r.status_code == 200 and r.get_data(as_text=True).rstrip("\n") == '{"notices":[]}'


def test_request_order_kept_duplicates_answered_once_amounts_formatted(client, key, db):
    insert_notices(db, [notice("A1", amount_payable=Decimal("12.5"), amount_paid=Decimal("7.25")),
                        notice("A2", amount_payable=None, amount_paid=None, payment_status="FP",
                               suspension_type="PS", epr_reason_of_suspension="FP")])
    r = client.post(PATH, json={"noticeNumbers": ["A2", "ZZ", "A1", "A2"]}, headers=key("cas"))
    assert [n["noticeNo"] for n in r.json["notices"]] == ["A2", "A1"]
    body = r.get_data(as_text=True)
    assert '"amountPayable":12.50,"amountPaid":7.25' in body
    assert '"paymentStatus":"FP","amountPayable":null,"amountPaid":null' in body


def test_query_only(client, key, db, spec_notice):
    before = all_notices(db)
    client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    assert all_notices(db) == before
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM ocms_decision_log")).scalar() == 0


def test_500_ok_501_payload_too_large(client, key, db):
    insert_notices(db, [notice(f"N{i:05d}") for i in range(501)])
    numbers = [f"N{i:05d}" for i in range(501)]
    r = client.post(PATH, json={"noticeNumbers": numbers[:500]}, headers=key("cas"))
    assert r.status_code == 200 and len(r.json["notices"]) == 500
    r = client.post(PATH, json={"noticeNumbers": numbers}, headers=key("cas"))
    assert r.status_code == 413
    assert r.json["data"]["appCode"] == "OCMS-4013" and r.json["data"]["message"] == "Payload Too Large"
    assert r.json["data"]["errors"][0]["field"] == "noticeNumbers"


def test_batch_limit_read_from_ocms_parameter(client, key, db):
    with db.engine.begin() as c:
        c.execute(insert(Parameter), [{"parameter_id": "BATCH_LIMIT", "code": "CAS", "value": "3"}])
    assert client.post(PATH, json={"noticeNumbers": ["A", "B", "C"]}, headers=key("cas")).status_code == 200
    assert client.post(PATH, json={"noticeNumbers": ["A", "B", "C", "D"]}, headers=key("cas")).status_code == 413


@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, "plus", "admin"],
                         ids=["missing", "wrong", "plus-key", "admin-key"])
def test_only_the_cas_key(client, key, headers):
    headers = key(headers) if isinstance(headers, str) else headers
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=headers)
    assert r.status_code == 401
    assert r.json == {"data": {"appCode": "OCMS-4001", "message": "Unauthorized"}}


def test_401_before_the_body_is_looked_at(client):
    r = client.post(PATH, data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 401


@pytest.mark.parametrize("payload, field", [
    ({}, "noticeNumbers"),
    ({"noticeNumbers": []}, "noticeNumbers"),
    ({"noticeNumbers": "500400058A"}, "noticeNumbers"),
    ({"noticeNumbers": None}, "noticeNumbers"),
    ({"noticeNumbers": ["500400058A", "500400059B", "5", "500400058AX"]}, "noticeNumbers.3"),
    ({"noticeNumbers": ["500400058A", ""]}, "noticeNumbers.1"),
    ({"noticeNumbers": ["500400058A", 500400059]}, "noticeNumbers.1"),
    ({"noticeNumbers": [None]}, "noticeNumbers.0"),
    ({"noticeNumbers": ["500400058A"], "extra": 1}, "extra"),
    ([], "body"),
], ids=["missing", "empty", "string", "null", "too-long", "empty-string", "number", "null-item", "unknown-field",
        "not-an-object"])
def test_bad_request_names_the_field(client, key, payload, field):
    r = client.post(PATH, json=payload, headers=key("cas"))
    assert r.status_code == 400
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4000" and data["message"] == "Bad Request"
    assert field in [e["field"] for e in data["errors"]], data


def test_malformed_json(client, key):
    r = client.post(PATH, data='{"noticeNumbers": ["500400058A",', headers={**key("cas"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["data"]["appCode"] == "OCMS-4000"


def test_documented_in_openapi(client):
    doc = client.get("/openapi.json").json
    op = doc["paths"]["/v1/ocms/cas-getPaymentStatus"]["post"]
    assert op["security"] == [{"subscriptionKey": []}]
    assert {"200", "400", "401", "413"} <= set(op["responses"])
