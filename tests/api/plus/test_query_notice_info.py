"""PLUS API 4 ``POST /v1/plus-queryNoticeInfo`` against the real database (technical spec v1.1 §4)."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, select, text

from repository.models import CourtCase, DecisionLog, EValidOffenceNotice, Parameter, ValidOffenceNotice

URL = "/v1/plus-queryNoticeInfo"
#: The spec's payload, character for character (§4 API Specification).
SPEC_PAYLOAD = '{ "noticeNumbers": ["500400058A", "500400059B"], "paymentDueDate": "2024-01-15" }'


def notice_row(notice_no: str, crs: str | None = None, **extra) -> dict:
    return {"notice_no": notice_no, "vehicle_no": "SBA1234A", "notice_date_and_time": datetime(2024, 1, 10, 9, 0),
            "offence_notice_type": "O", "computer_rule_code": 10001, "composition_amount": Decimal("70.00"),
            "crs_reason_of_suspension": crs, "payment_acceptance_allowed": "N", **extra}


def given(db, notices=(), mirrors=(), court_cases=(), parameters=()):
    with db.unit_of_work() as uow:
        for model, rows in ((ValidOffenceNotice, notices), (EValidOffenceNotice, mirrors),
                            (CourtCase, court_cases), (Parameter, parameters)):
            if rows:
                uow.session.execute(insert(model), list(rows))
        uow.commit()


def sql(db, query: str, **params) -> list[tuple]:
    with db.engine.connect() as c:
        return [tuple(r) for r in c.execute(text(query), params)]


def payment_acceptance(db, table="ocms_valid_offence_notice") -> dict:
    return dict(sql(db, f"SELECT notice_no, payment_acceptance_allowed FROM {table}"))


def due_dates(db) -> dict:
    return {no: str(d) for no, d in sql(db, "SELECT notice_no, court_payment_due_date FROM ocms_court_case")}


def decision_log(db) -> list[DecisionLog]:
    with db.session() as s:
        rows = s.scalars(select(DecisionLog).order_by(DecisionLog.id)).all()
        s.expunge_all()
        return rows


def snapshot(db) -> dict:
    return {t: sorted(map(repr, sql(db, f"SELECT * FROM {t}")))
            for t in ("ocms_valid_offence_notice", "eocms_valid_offence_notice", "ocms_court_case",
                      "ocms_decision_log")}


def post(client, key, body, system="plus"):
    headers = key(system) if system else {}
    if isinstance(body, str):
        return client.post(URL, data=body, headers={**headers, "Content-Type": "application/json"})
    return client.post(URL, json=body, headers=headers)


# ---- the spec's example --------------------------------------------------------------------------
def test_the_spec_example_payload_verbatim(client, db, key):
    given(db, notices=[notice_row("500400058A")])
    r = post(client, key, SPEC_PAYLOAD)
    assert r.status_code == 200
    # The spec's response shows one notice; the second number of its payload is unknown here.
    assert r.json == {"updatedCount": 1, "failedCount": 1, "notices": [
        {"noticeNo": "500400058A", "appCode": "OCMS-2000", "status": "OK"},
        {"noticeNo": "500400059B", "appCode": "OCMS-4004", "status": "NOT_FOUND"}]}
    assert list(r.json) == ["updatedCount", "failedCount", "notices"]
    assert list(r.json["notices"][0]) == ["noticeNo", "appCode", "status"]
    assert payment_acceptance(db) == {"500400058A": "Y"}
    assert due_dates(db) == {"500400058A": "2024-01-15"}


def test_the_spec_example_with_both_notices_unpaid(client, db, key):
    given(db, notices=[notice_row("500400058A"), notice_row("500400059B")])
    r = post(client, key, SPEC_PAYLOAD)
    assert r.status_code == 200
    assert r.json["updatedCount"] == 2 and r.json["failedCount"] == 0
    assert due_dates(db) == {"500400058A": "2024-01-15", "500400059B": "2024-01-15"}


# ---- the mixed batch -----------------------------------------------------------------------------
def test_mixed_batch_results_rows_and_decision_log(client, db, key):
    given(db,
          notices=[notice_row("N0000001A"), notice_row("N0000002B"), notice_row("N0000003C", "FP"),
                   notice_row("N0000004D", "PRA")],
          mirrors=[notice_row("N0000001A"), notice_row("N0000003C", "FP")],
          court_cases=[{"notice_no": "N0000001A", "court_case_no": "CC-1", "court_payment_due_date": date(2023, 12, 1)},
                       {"notice_no": "N0000003C", "court_payment_due_date": date(2023, 12, 2)}])
    r = client.post(URL, json={"noticeNumbers": ["N0000001A", "N0000002B", "N0000003C", "UNKNOWN01", "N0000004D"],
                               "paymentDueDate": "2024-02-29"},
                    headers={**key("plus"), "X-Request-ID": "plus-mixed-1"})
    assert r.status_code == 200
    assert r.json == {"updatedCount": 2, "failedCount": 3, "notices": [
        {"noticeNo": "N0000001A", "appCode": "OCMS-2000", "status": "OK"},
        {"noticeNo": "N0000002B", "appCode": "OCMS-2000", "status": "OK"},
        {"noticeNo": "N0000003C", "appCode": "OCMS-4003", "status": "ALREADY_PAID"},
        {"noticeNo": "UNKNOWN01", "appCode": "OCMS-4004", "status": "NOT_FOUND"},
        {"noticeNo": "N0000004D", "appCode": "OCMS-4003", "status": "ALREADY_PAID"}]}

    # The notice and its internet mirror (created from the notice when it had none); paid ones untouched.
    assert payment_acceptance(db) == {"N0000001A": "Y", "N0000002B": "Y", "N0000003C": "N", "N0000004D": "N"}
    assert payment_acceptance(db, "eocms_valid_offence_notice") == {"N0000001A": "Y", "N0000002B": "Y",
                                                                     "N0000003C": "N"}
    assert sql(db, "SELECT upd_user_id FROM ocms_valid_offence_notice WHERE notice_no = 'N0000001A'") == \
        [("ocmsiz_app_conn",)]
    # Court cases: updated (other columns kept), created, and the paid notice's left alone.
    assert due_dates(db) == {"N0000001A": "2024-02-29", "N0000002B": "2024-02-29", "N0000003C": "2023-12-02"}
    assert sql(db, "SELECT court_case_no, upd_user_id FROM ocms_court_case WHERE notice_no = 'N0000001A'") == \
        [("CC-1", "ocmsiz_app_conn")]
    assert sql(db, "SELECT cre_user_id, upd_date FROM ocms_court_case WHERE notice_no = 'N0000002B'") == \
        [("ocmsiz_app_conn", None)]
    assert sql(db, "SELECT count(*) FROM ocms_court_case WHERE notice_no IN ('N0000004D', 'UNKNOWN01')") == [(0,)]

    log = decision_log(db)
    assert [(d.subject, d.ruleset, d.outcome, d.fired_rules) for d in log] == [
        ("N0000001A", "plus_notice_update", "OK", ["PLUS-UPDATE-2000"]),
        ("N0000002B", "plus_notice_update", "OK", ["PLUS-UPDATE-2000"]),
        ("N0000003C", "plus_notice_update", "ALREADY_PAID", ["PLUS-PAID-4003"]),
        ("UNKNOWN01", "plus_notice_update", "NOT_FOUND", ["PLUS-NOTFOUND-4004"]),
        ("N0000004D", "plus_notice_update", "ALREADY_PAID", ["PLUS-PAID-4003"])]
    assert {(d.caller, d.request_id, d.dry_run) for d in log} == {("plus", "plus-mixed-1", False)}
    assert log[2].facts == {"notice_found": True, "crs_reason_of_suspension": "FP"}
    assert log[0].actions == [{"name": "set_notice_fields", "params": {"payment_acceptance_allowed": "Y"}}]
    assert log[2].outputs["code"] == "OCMS-4003"


def test_a_second_request_moves_the_due_date_again(client, db, key):
    given(db, notices=[notice_row("500400058A")])
    for due in ("2024-01-15", "2024-03-31"):
        r = post(client, key, {"noticeNumbers": ["500400058A"], "paymentDueDate": due})
        assert r.json["updatedCount"] == 1
    assert due_dates(db) == {"500400058A": "2024-03-31"}
    assert len(decision_log(db)) == 2


def test_only_unknown_notices_write_only_the_decision_log(client, db, key):
    r = post(client, key, {"noticeNumbers": ["NOPE1", "NOPE2"], "paymentDueDate": "2024-01-15"})
    assert r.json == {"updatedCount": 0, "failedCount": 2, "notices": [
        {"noticeNo": "NOPE1", "appCode": "OCMS-4004", "status": "NOT_FOUND"},
        {"noticeNo": "NOPE2", "appCode": "OCMS-4004", "status": "NOT_FOUND"}]}
    assert due_dates(db) == {} and [d.outcome for d in decision_log(db)] == ["NOT_FOUND", "NOT_FOUND"]


def test_the_decision_is_the_ruleset_s_not_python_s(make_app, rules_dir, db, key):
    """Change the value in the YAML and the service follows: no paid check or value lives in Python."""
    path = rules_dir / "plus_notice_update.yaml"
    path.write_text(path.read_text().replace("payment_acceptance_allowed: Y}", "payment_acceptance_allowed: X}")
                    .replace("paid_reasons: [FP, PRA]", "paid_reasons: [PRA]")
                    .replace("row: [true, null, OK,", "row: [true, {in: [FP]}, OK,"))
    client = make_app().test_client()
    given(db, notices=[notice_row("N0000001A", "FP"), notice_row("N0000002B", "PRA"), notice_row("N0000003C")])
    r = post(client, key, {"noticeNumbers": ["N0000001A", "N0000002B", "N0000003C"], "paymentDueDate": "2024-01-15"})
    assert [n["status"] for n in r.json["notices"]] == ["OK", "ALREADY_PAID", "ALREADY_PAID"]
    assert payment_acceptance(db) == {"N0000001A": "X", "N0000002B": "N", "N0000003C": "N"}
    assert due_dates(db) == {"N0000001A": "2024-01-15"}


def test_one_transaction_a_failure_rolls_everything_back(make_app, rules_dir, db, key):
    """Rules that (wrongly) update an unknown notice make the request fail as a whole: nothing is written."""
    path = rules_dir / "plus_notice_update.yaml"
    path.write_text(path.read_text().replace('row: [false, "*", NOT_FOUND, OCMS-4004',
                                             'row: [false, "*", OK, OCMS-2000'))
    client = make_app().test_client()
    given(db, notices=[notice_row("N0000001A")])
    before = snapshot(db)
    r = post(client, key, {"noticeNumbers": ["N0000001A", "UNKNOWN01"], "paymentDueDate": "2024-01-15"})
    assert r.status_code == 500 and r.json["data"]["appCode"] == "OCMS-5000"
    assert snapshot(db) == before


# ---- batch limit ---------------------------------------------------------------------------------
def numbers(n: int) -> list[str]:
    return [f"5004{i:05d}A" for i in range(n)]


def test_ten_notices_are_accepted(client, db, key):
    given(db, notices=[notice_row(no) for no in numbers(10)])
    r = post(client, key, {"noticeNumbers": numbers(10), "paymentDueDate": "2024-01-15"})
    assert r.status_code == 200
    assert (r.json["updatedCount"], r.json["failedCount"], len(r.json["notices"])) == (10, 0, 10)
    assert len(due_dates(db)) == 10


def test_eleven_notices_are_413_and_change_nothing(client, db, key):
    given(db, notices=[notice_row(no) for no in numbers(11)])
    before = snapshot(db)
    r = post(client, key, {"noticeNumbers": numbers(11), "paymentDueDate": "2024-01-15"})
    assert r.status_code == 413
    assert r.json == {"data": {"appCode": "OCMS-4013", "message": "Payload Too Large", "errors": [
        {"field": "noticeNumbers", "message": "at most 10 items per request, got 11"}]}}
    assert snapshot(db) == before


def test_the_limit_is_the_plus_batch_limit_parameter(client, db, key):
    given(db, parameters=[{"parameter_id": "BATCH_LIMIT", "code": "PLUS", "value": "2"}])
    assert post(client, key, {"noticeNumbers": numbers(2), "paymentDueDate": "2024-01-15"}).status_code == 200
    assert post(client, key, {"noticeNumbers": numbers(3), "paymentDueDate": "2024-01-15"}).status_code == 413


def test_reads_are_set_based(app, client, db, key):
    """Ten notices: one SELECT each for notices, mirrors and court cases (besides the parameter and rules state)."""
    given(db, notices=[notice_row(no) for no in numbers(10)], mirrors=[notice_row(no) for no in numbers(10)])
    selects = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        r = post(client, key, {"noticeNumbers": numbers(10), "paymentDueDate": "2024-01-15"})
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert r.status_code == 200 and r.json["updatedCount"] == 10
    data_selects = [q for q in selects if "ocms_rules_" not in q and "ocms_parameter" not in q]  # rules bookkeeping aside
    assert len(data_selects) == 3, data_selects


# ---- authentication ------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"},
                                     {"Ocp-Apim-Subscription-Key": ""}, {"Ocp-Apim-Subscription-Key": "cas-test-key"},
                                     {"Ocp-Apim-Subscription-Key": "admin-test-key"}],
                         ids=["missing", "wrong", "empty", "cas-key", "admin-key"])
def test_missing_or_wrong_key_is_4001(client, db, headers):
    given(db, notices=[notice_row("500400058A")])
    before = snapshot(db)
    for body in (SPEC_PAYLOAD, '{"noticeNumbers": '):  # checked before the body: no validation details
        r = client.post(URL, data=body, headers={**headers, "Content-Type": "application/json"})
        assert r.status_code == 401
        assert r.json == {"data": {"appCode": "OCMS-4001", "message": "Unauthorized"}}
    assert snapshot(db) == before


# ---- validation ----------------------------------------------------------------------------------
BAD_BODIES = [
    ("malformed-json", '{"noticeNumbers": ["500400058A"', "body"),
    ("not-an-object", '["500400058A"]', ("body", "_schema")),
    ("empty-body", "", "noticeNumbers"),
    ("missing-notice-numbers", {"paymentDueDate": "2024-01-15"}, "noticeNumbers"),
    ("notice-numbers-not-a-list", {"noticeNumbers": "500400058A", "paymentDueDate": "2024-01-15"}, "noticeNumbers"),
    ("notice-numbers-null", {"noticeNumbers": None, "paymentDueDate": "2024-01-15"}, "noticeNumbers"),
    ("empty-list", {"noticeNumbers": [], "paymentDueDate": "2024-01-15"}, "noticeNumbers"),
    ("number-not-a-string", {"noticeNumbers": [500400058], "paymentDueDate": "2024-01-15"}, "noticeNumbers.0"),
    ("empty-notice-number", {"noticeNumbers": ["500400058A", ""], "paymentDueDate": "2024-01-15"}, "noticeNumbers.1"),
    ("notice-number-11-chars", {"noticeNumbers": ["500400058AB"], "paymentDueDate": "2024-01-15"}, "noticeNumbers.0"),
    ("duplicate-number", {"noticeNumbers": ["500400058A", "500400058A"], "paymentDueDate": "2024-01-15"},
     "noticeNumbers.1"),
    ("missing-date", {"noticeNumbers": ["500400058A"]}, "paymentDueDate"),
    ("null-date", {"noticeNumbers": ["500400058A"], "paymentDueDate": None}, "paymentDueDate"),
    ("date-as-number", {"noticeNumbers": ["500400058A"], "paymentDueDate": 20240115}, "paymentDueDate"),
    ("date-basic-format", {"noticeNumbers": ["500400058A"], "paymentDueDate": "20240115"}, "paymentDueDate"),
    ("date-one-digit-month", {"noticeNumbers": ["500400058A"], "paymentDueDate": "2024-1-15"}, "paymentDueDate"),
    ("date-dd-mm-yyyy", {"noticeNumbers": ["500400058A"], "paymentDueDate": "15/01/2024"}, "paymentDueDate"),
    ("date-not-a-day", {"noticeNumbers": ["500400058A"], "paymentDueDate": "2023-02-29"}, "paymentDueDate"),
    ("datetime", {"noticeNumbers": ["500400058A"], "paymentDueDate": "2024-01-15T00:00:00"}, "paymentDueDate"),
    ("unknown-field", {"noticeNumbers": ["500400058A"], "paymentDueDate": "2024-01-15", "extra": 1}, "extra"),
]


@pytest.mark.parametrize("body, field", [(b, f) for _, b, f in BAD_BODIES], ids=[i for i, _, _ in BAD_BODIES])
def test_a_bad_body_is_4000_naming_the_field_and_changes_nothing(client, db, key, body, field):
    given(db, notices=[notice_row("500400058A")])
    before = snapshot(db)
    r = post(client, key, body)
    assert r.status_code == 400
    assert r.json["data"]["appCode"] == "OCMS-4000"
    fields = field if isinstance(field, tuple) else (field,)
    assert set(fields) & {e["field"] for e in r.json["data"]["errors"]}, r.json
    assert snapshot(db) == before


def test_a_bad_entry_among_eleven_is_400_not_413(client, key):
    r = post(client, key, {"noticeNumbers": numbers(10) + ["X" * 11], "paymentDueDate": "2024-01-15"})
    assert r.status_code == 400 and r.json["data"]["errors"][0]["field"] == "noticeNumbers.10"


def test_the_endpoint_is_in_the_openapi_document(client):
    doc = client.get("/openapi.json").json
    op = doc["paths"]["/v1/plus-queryNoticeInfo"]["post"]
    assert set(op["responses"]) >= {"200", "400", "401", "413"}
    assert op["security"] == [{"subscriptionKey": []}]
