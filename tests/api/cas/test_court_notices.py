"""CAS API 2, POST /v1/ocms/cas-updateCourtNotices (technical spec v1.1 §2, DESIGN.md §10)."""
import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import insert, select, text

from repository.models import EValidOffenceNotice, ValidOffenceNotice

PATH = "/v1/ocms/cas-updateCourtNotices"
SPEC_PAYLOAD = {"notices": [{"noticeNo": "500400058A", "suspensionType": "TS", "lastProcessingStage": "CSD",
                             "prevProcessingStage": "CPC", "nextProcessingStage": "CSR",
                             "lastProcessingDate": "2024-01-15", "prevProcessingDate": "2024-01-10",
                             "nextProcessingDate": "2024-01-20", "atomsFlag": "Y", "amountPayable": 300.00,
                             "paymentAcceptanceAllowed": "Y", "eprReasonOfSuspension": "APP",
                             "eprDateOfSuspension": "2024-01-15"}]}
UPDATED = ("last_processing_stage", "prev_processing_stage", "next_processing_stage", "last_processing_date",
           "prev_processing_date", "next_processing_date", "atoms_flag", "amount_payable",
           "payment_acceptance_allowed", "epr_reason_of_suspension", "epr_date_of_suspension", "suspension_type")
SPEC_VALUES = {"last_processing_stage": "CSD", "prev_processing_stage": "CPC", "next_processing_stage": "CSR",
               "last_processing_date": dt.datetime(2024, 1, 15), "prev_processing_date": dt.datetime(2024, 1, 10),
               "next_processing_date": dt.datetime(2024, 1, 20), "atoms_flag": "Y", "amount_payable": Decimal("300.00"),
               "payment_acceptance_allowed": "Y", "epr_reason_of_suspension": "APP",
               "epr_date_of_suspension": dt.datetime(2024, 1, 15), "suspension_type": "TS"}


def notice(no, stage, **cols):
    row = {"notice_no": no, "vehicle_no": "SBA1234A", "notice_date_and_time": dt.datetime(2024, 1, 5, 9),
           "offence_notice_type": "O", "computer_rule_code": 10001, "composition_amount": Decimal("70.00"),
           "amount_payable": Decimal("70.00"), "payment_acceptance_allowed": "Y", "last_processing_stage": stage,
           "last_processing_date": dt.datetime(2024, 1, 5), "atoms_flag": "N"}
    row.update(cols)
    return row


def item(no, **fields):
    d = dict(SPEC_PAYLOAD["notices"][0], noticeNo=no)
    d.update(fields)
    return d


def insert_rows(db, model, rows):
    with db.engine.begin() as c:
        for row in rows:
            c.execute(insert(model), row)


def rows_of(db, table):
    with db.engine.connect() as c:
        return {r.notice_no: dict(r._mapping) for r in c.execute(text(f"SELECT * FROM {table} ORDER BY notice_no"))}


def updated_columns(db, table, no):
    with db.engine.connect() as c:
        t = (ValidOffenceNotice if table == "ocms_valid_offence_notice" else EValidOffenceNotice).__table__
        row = c.execute(select(*[t.c[k] for k in UPDATED]).where(t.c.notice_no == no)).one()
        return dict(row._mapping)


def decision_log(db):
    with db.engine.connect() as c:
        return c.execute(text("SELECT subject, caller, request_id, ruleset, outcome, fired_rules, facts "
                              "FROM ocms_decision_log ORDER BY subject")).all()


@pytest.fixture
def court_notice(db):
    insert_rows(db, ValidOffenceNotice, [notice("500400058A", "CPC")])
    insert_rows(db, EValidOffenceNotice, [notice("500400058A", "CPC")])


def test_spec_example(client, key, db, court_notice):
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    assert r.status_code == 200
    assert r.json == {"updatedCount": 1, "failedCount": 0, "skippedCount": 0,
                      "notices": [{"noticeNo": "500400058A", "appCode": "OCMS-2000", "status": "OK"}]}
    assert list(r.json) == ["updatedCount", "failedCount", "skippedCount", "notices"]
    assert updated_columns(db, "ocms_valid_offence_notice", "500400058A") == SPEC_VALUES
    # The internet mirror follows, for the same columns.
    assert updated_columns(db, "eocms_valid_offence_notice", "500400058A") == SPEC_VALUES
    row = rows_of(db, "ocms_valid_offence_notice")["500400058A"]
    assert row["upd_user_id"] == "ocmsiz_app_conn" and row["upd_date"] is not None
    assert row["vehicle_no"] == "SBA1234A"  # columns outside the spec's UPDATE untouched


def test_mixed_batch(client, key, db):
    insert_rows(db, ValidOffenceNotice, [
        notice("C0000001A", "CPC"), notice("C0000002B", "CRT"), notice("N0000001A", "RD1"),
        notice("N0000002B", "DN2"), notice("D0000001A", "CSD"), notice("S0000001A", None)])
    insert_rows(db, EValidOffenceNotice, [notice("C0000001A", "CPC"), notice("N0000001A", "RD1")])
    before = rows_of(db, "ocms_valid_offence_notice")
    payload = {"notices": [
        item("C0000001A"),                                  # court notice, mirror row exists
        item("N0000001A"),                                  # before court: RD1
        item("X0000001A"),                                  # unknown
        item("D0000001A", dayEnd="N"),                      # not day-end: skipped even though a court notice
        item("C0000002B", dayEnd="Y", amountPayable=12.5),  # court notice, no mirror row
        item("N0000002B", dayEnd="Y"),                      # before court: DN2
        item("S0000001A"),                                  # no stage at all
    ]}
    r = client.post(PATH, json=payload, headers={**key("cas"), "X-Request-ID": "cas-batch-1"})
    assert r.status_code == 200
    assert r.json == {"updatedCount": 2, "failedCount": 4, "skippedCount": 1, "notices": [
        {"noticeNo": "C0000001A", "appCode": "OCMS-2000", "status": "OK"},
        {"noticeNo": "N0000001A", "appCode": "OCMS-4009", "status": "NOT_COURT_NOTICE"},
        {"noticeNo": "X0000001A", "appCode": "OCMS-4004", "status": "NOT_FOUND"},
        {"noticeNo": "D0000001A", "appCode": "OCMS-2004", "status": "SKIPPED"},
        {"noticeNo": "C0000002B", "appCode": "OCMS-2000", "status": "OK"},
        {"noticeNo": "N0000002B", "appCode": "OCMS-4009", "status": "NOT_COURT_NOTICE"},
        {"noticeNo": "S0000001A", "appCode": "OCMS-4009", "status": "NOT_COURT_NOTICE"},
    ]}
    after = rows_of(db, "ocms_valid_offence_notice")
    assert set(after) == set(before)  # nothing inserted
    for no in ("N0000001A", "N0000002B", "D0000001A", "S0000001A"):
        assert after[no] == before[no], no
    assert updated_columns(db, "ocms_valid_offence_notice", "C0000001A") == SPEC_VALUES
    assert updated_columns(db, "ocms_valid_offence_notice", "C0000002B") == {**SPEC_VALUES,
                                                                          "amount_payable": Decimal("12.50")}
    with db.engine.connect() as c:
        assert c.execute(text("SELECT last_processing_stage, amount_payable FROM ocms_valid_offence_notice "
                              "WHERE notice_no = 'C0000002B'")).one() == ("CSD", Decimal("12.50"))
    mirror = rows_of(db, "eocms_valid_offence_notice")
    assert set(mirror) == {"C0000001A", "N0000001A"}  # no mirror row created
    assert mirror["C0000001A"]["last_processing_stage"] == "CSD"
    assert mirror["N0000001A"]["last_processing_stage"] == "RD1"

    # Every engine decision is in the decision log, with the caller and the request id.
    log = decision_log(db)
    assert [(s, caller, rid, rs, outcome) for s, caller, rid, rs, outcome, _, _ in log] == [
        ("C0000001A", "cas", "cas-batch-1", "stage_catalogue", "COURT_NOTICE"),
        ("C0000002B", "cas", "cas-batch-1", "stage_catalogue", "COURT_NOTICE"),
        ("N0000001A", "cas", "cas-batch-1", "stage_catalogue", "NOT_COURT_NOTICE"),
        ("N0000002B", "cas", "cas-batch-1", "stage_catalogue", "NOT_COURT_NOTICE"),
        ("S0000001A", "cas", "cas-batch-1", "stage_catalogue", "NOT_COURT_NOTICE"),  # CAS-COURT-000: no stage
    ]
    by_subject = {row[0]: row for row in log}
    import json
    fired = by_subject["N0000001A"][5]
    assert (json.loads(fired) if isinstance(fired, str) else fired) == ["CAS-COURT-001"]
    facts = by_subject["N0000001A"][6]
    assert (json.loads(facts) if isinstance(facts, str) else facts) == {
        "question": "cas_court_notice", "processing_stage": "RD1", "offender_role": None}


def test_decision_log_answers_why(client, key, court_notice):
    client.post(PATH, json=SPEC_PAYLOAD, headers=key("cas"))
    r = client.get("/v1/decision-log", query_string={"subject": "500400058A"}, headers=key("admin"))
    [d] = r.json["decisions"]
    assert d["outcome"] == "COURT_NOTICE" and d["firedRules"] == ["CAS-COURT-002"] and d["caller"] == "cas"


def test_applied_notices_in_the_application_log(client, key, court_notice, caplog):
    caplog.set_level("INFO", logger="api.cas.court_notices")
    client.post(PATH, json=SPEC_PAYLOAD, headers={**key("cas"), "X-Request-ID": "rid-log"})
    lines = [r.getMessage() for r in caplog.records if r.name == "api.cas.court_notices"]
    assert len(lines) == 1 and "500400058A" in lines[0] and "rid-log" in lines[0] and "CSD" in lines[0]


def test_all_skipped_touches_nothing(client, key, db, court_notice):
    before = rows_of(db, "ocms_valid_offence_notice")
    r = client.post(PATH, json={"notices": [item("500400058A", dayEnd="N")]}, headers=key("cas"))
    assert r.json == {"updatedCount": 0, "failedCount": 0, "skippedCount": 1, "notices": [
        {"noticeNo": "500400058A", "appCode": "OCMS-2004", "status": "SKIPPED"}]}
    assert rows_of(db, "ocms_valid_offence_notice") == before and decision_log(db) == []


def test_nulls_clear_columns(client, key, db, court_notice):
    payload = {"notices": [item("500400058A", suspensionType=None, eprReasonOfSuspension=None,
                                eprDateOfSuspension=None, nextProcessingStage=None, nextProcessingDate=None,
                                amountPayable=None)]}
    assert client.post(PATH, json=payload, headers=key("cas")).json["updatedCount"] == 1
    cols = updated_columns(db, "ocms_valid_offence_notice", "500400058A")
    assert cols["suspension_type"] is None and cols["amount_payable"] is None and cols["next_processing_date"] is None


def test_500_ok_501_payload_too_large(client, key, db):
    insert_rows(db, ValidOffenceNotice, [notice(f"N{i:05d}", "CPC" if i % 2 else "ROV") for i in range(501)])
    notices = [item(f"N{i:05d}") for i in range(501)]
    before = rows_of(db, "ocms_valid_offence_notice")
    r = client.post(PATH, json={"notices": notices}, headers=key("cas"))
    assert r.status_code == 413 and r.json["data"]["appCode"] == "OCMS-4013"
    assert r.json["data"]["errors"][0]["field"] == "notices"
    assert rows_of(db, "ocms_valid_offence_notice") == before
    r = client.post(PATH, json={"notices": notices[:500]}, headers=key("cas"))
    assert r.status_code == 200
    assert (r.json["updatedCount"], r.json["failedCount"], r.json["skippedCount"]) == (250, 250, 0)
    assert len(r.json["notices"]) == 500
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM ocms_valid_offence_notice "
                              "WHERE last_processing_stage = 'CSD'")).scalar() == 250
        assert c.execute(text("SELECT count(*) FROM ocms_decision_log")).scalar() == 500


@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, "plus"],
                         ids=["missing", "wrong", "plus-key"])
def test_only_the_cas_key(client, key, db, court_notice, headers):
    headers = key(headers) if isinstance(headers, str) else headers
    before = rows_of(db, "ocms_valid_offence_notice")
    r = client.post(PATH, json=SPEC_PAYLOAD, headers=headers)
    assert r.status_code == 401 and r.json == {"data": {"appCode": "OCMS-4001", "message": "Unauthorized"}}
    assert rows_of(db, "ocms_valid_offence_notice") == before


def _bad(**fields):
    return {"notices": [item("500400058A"), item("500400059B", **fields)]}


def _without(field):
    p = _bad()
    del p["notices"][1][field]
    return p


@pytest.mark.parametrize("payload, field", [
    ({}, "notices"),
    ({"notices": []}, "notices"),
    ({"notices": {}}, "notices"),
    ({"notices": [item("500400058A"), "x"]}, "notices.1"),
    (_bad(lastProcessingDate="2024/01/15"), "notices.1.lastProcessingDate"),
    (_bad(lastProcessingDate="2024-1-15"), "notices.1.lastProcessingDate"),
    (_bad(lastProcessingDate="20240115"), "notices.1.lastProcessingDate"),
    (_bad(nextProcessingDate="2024-02-30"), "notices.1.nextProcessingDate"),
    (_bad(eprDateOfSuspension="2024-01-15T10:00:00"), "notices.1.eprDateOfSuspension"),
    (_bad(noticeNo="500400058AXY"), "notices.1.noticeNo"),
    (_bad(noticeNo=500400059), "notices.1.noticeNo"),
    (_bad(lastProcessingStage="CSDX"), "notices.1.lastProcessingStage"),
    (_bad(lastProcessingStage=None), "notices.1.lastProcessingStage"),
    (_bad(amountPayable="300.00"), "notices.1.amountPayable"),
    (_bad(amountPayable=300.005), "notices.1.amountPayable"),
    (_bad(amountPayable=-1), "notices.1.amountPayable"),
    (_bad(amountPayable=True), "notices.1.amountPayable"),
    (_bad(amountPayable=100000000), "notices.1.amountPayable"),
    (_bad(atomsFlag="X"), "notices.1.atomsFlag"),
    (_bad(paymentAcceptanceAllowed="yes"), "notices.1.paymentAcceptanceAllowed"),
    (_bad(suspensionType="XX"), "notices.1.suspensionType"),
    (_bad(eprReasonOfSuspension="APPX"), "notices.1.eprReasonOfSuspension"),
    (_bad(dayEnd="X"), "notices.1.dayEnd"),
    (_bad(dayEnd=None), "notices.1.dayEnd"),
    (_bad(unknown="x"), "notices.1.unknown"),
    (_without("lastProcessingDate"), "notices.1.lastProcessingDate"),
    (_without("amountPayable"), "notices.1.amountPayable"),
    ({"notices": [item("500400058A"), item("500400059B"), item("500400058A")]}, "notices.2.noticeNo"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_request_names_the_field_and_changes_nothing(client, key, db, court_notice, payload, field):
    before, mirror_before = rows_of(db, "ocms_valid_offence_notice"), rows_of(db, "eocms_valid_offence_notice")
    r = client.post(PATH, json=payload, headers=key("cas"))
    assert r.status_code == 400
    data = r.json["data"]
    assert data["appCode"] == "OCMS-4000" and data["message"] == "Bad Request"
    assert field in [e["field"] for e in data["errors"]], data
    assert rows_of(db, "ocms_valid_offence_notice") == before
    assert rows_of(db, "eocms_valid_offence_notice") == mirror_before
    assert decision_log(db) == []


def test_duplicate_message_names_the_first(client, key, court_notice):
    r = client.post(PATH, json={"notices": [item("500400058A"), item("500400058A")]}, headers=key("cas"))
    assert r.json["data"]["errors"] == [{"field": "notices.1.noticeNo",
                                         "message": "duplicate of notices.0.noticeNo (500400058A)"}]


def test_malformed_json(client, key, db, court_notice):
    before = rows_of(db, "ocms_valid_offence_notice")
    r = client.post(PATH, data='{"notices": [', headers={**key("cas"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json["data"]["appCode"] == "OCMS-4000"
    assert rows_of(db, "ocms_valid_offence_notice") == before


def test_one_transaction_a_failure_changes_nothing(client, key, db, monkeypatch):
    insert_rows(db, ValidOffenceNotice, [notice("C0000001A", "CPC"), notice("C0000002B", "CRT")])
    insert_rows(db, EValidOffenceNotice, [notice("C0000001A", "CPC")])
    before, mirror_before = rows_of(db, "ocms_valid_offence_notice"), rows_of(db, "eocms_valid_offence_notice")

    def broken(*args, **kwargs):
        raise RuntimeError("decision log down")
    monkeypatch.setattr("api.cas.court_notices.record_decisions", broken)
    r = client.post(PATH, json={"notices": [item("C0000001A"), item("C0000002B")]}, headers=key("cas"))
    assert r.status_code == 500 and r.json["data"]["appCode"] == "OCMS-5000"
    assert rows_of(db, "ocms_valid_offence_notice") == before
    assert rows_of(db, "eocms_valid_offence_notice") == mirror_before


def test_the_court_check_is_the_engines(client, key, db, rules_dir):
    """Moving a stage out of the YAML list changes the answer: no stage list in Python."""
    insert_rows(db, ValidOffenceNotice, [notice("N0000001A", "RD1")])
    assert client.post(PATH, json={"notices": [item("N0000001A")]},
                       headers=key("cas")).json["notices"][0]["status"] == "NOT_COURT_NOTICE"
    f = rules_dir / "stage_catalogue.yaml"
    f.write_text(f.read_text().replace("cas_non_court_stages: [NPA, ROV, ENA, RD1,", "cas_non_court_stages: [NPA, ROV, ENA,"))
    assert client.post("/v1/admin/rules/reload", headers=key("admin")).status_code == 200
    assert client.post(PATH, json={"notices": [item("N0000001A")]},
                       headers=key("cas")).json["notices"][0]["status"] == "OK"


def test_documented_in_openapi(client):
    doc = client.get("/openapi.json").json
    op = doc["paths"]["/v1/ocms/cas-updateCourtNotices"]["post"]
    assert op["security"] == [{"subscriptionKey": []}]
    assert {"200", "400", "401", "413"} <= set(op["responses"])
    schema = doc["components"]["schemas"]["CourtNotice"]
    assert set(SPEC_PAYLOAD["notices"][0]) | {"dayEnd"} == set(schema["properties"])
