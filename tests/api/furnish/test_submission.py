"""eService submission: POST /v1/eservice/furnishApplication (OCMS 14 tab 4 steps 2-3), on the real database."""
from __future__ import annotations

import datetime as dt
import json
import re
import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from repository import business_time
from repository.models import (
    DecisionLog,
    EFurnishApplication,
    EValidOffenceNotice,
    Parameter,
    ValidOffenceNotice,
)

from .helpers import URL, body, notice_row, seed_notices, table


@pytest.fixture
def notice(db):
    seed_notices(db, notice_row("500500303J"))
    return "500500303J"


def post(client, key, payload, system="eservice"):
    return client.post(URL, json=payload, headers=key(system))


def counts(db) -> tuple[int, int, int]:
    """Applications, counter rows, decision-log rows: what a refused request must leave alone."""
    with db.engine.connect() as c:
        return (c.scalar(select(func.count()).select_from(EFurnishApplication)),
                c.scalar(select(func.count()).select_from(Parameter).where(Parameter.parameter_id == "FURNISH_APP_SEQ")),
                c.scalar(select(func.count()).select_from(DecisionLog)))


# ---- the spec's request and response ---------------------------------------------------------------------
def test_submission_answers_the_spec_response_and_writes_the_internet_application(client, db, key, notice):
    r = post(client, key, body(notice, "DRIVER", "NRIC", "S1234567D", "JOHN DOE", "91234567"))
    assert r.status_code == 200
    answer = r.get_json()
    assert answer["success"] is True and answer["status"] == "PENDING_APPROVAL"
    today = business_time.today()
    assert answer["applicationId"] == f"FA{today:%Y%m%d}001"
    [row] = table(db, EFurnishApplication)
    assert {k: row[k] for k in ("application_id", "notice_no", "furnish_type", "id_type", "id_no", "name",
                                "contact_no", "email_addr", "status", "synced_date", "decision_date")} == {
        "application_id": answer["applicationId"], "notice_no": notice, "furnish_type": "DRIVER", "id_type": "NRIC",
        "id_no": "S1234567D", "name": "JOHN DOE", "contact_no": "91234567", "email_addr": None,
        "status": "PENDING_APPROVAL", "synced_date": None, "decision_date": None}
    assert row["submitted_date"].date() == today
    # the internet notice shows furnish pending; the intranet notice learns of it at the sync
    assert table(db, EValidOffenceNotice)[0]["furnish_pending_flag"] == "Y"
    assert table(db, ValidOffenceNotice)[0]["furnish_pending_flag"] is None
    [logged] = table(db, DecisionLog)
    assert (logged["ruleset"], logged["subject"], logged["outcome"], logged["caller"]) == (
        "furnish_eligibility", notice, "ELIGIBLE", "eservice")


def test_codes_and_numbers_are_accepted_in_any_case_and_stored_upper_case(client, db, key, notice):
    r = post(client, key, {"noticeNo": " 500500303j ", "furnishType": "hirer",
                           "particulars": {"idType": "fin", "idNumber": " m1234567k", "name": "  Tan   Ah Kow ",
                                           "contactNo": "9123 4567", "emailAddress": "tan@example.com"}})
    assert r.status_code == 200, r.get_json()
    [row] = table(db, EFurnishApplication)
    assert (row["notice_no"], row["furnish_type"], row["id_type"], row["id_no"], row["name"], row["contact_no"],
            row["email_addr"]) == (notice, "HIRER", "FIN", "M1234567K", "Tan Ah Kow", "91234567", "tan@example.com")


def test_application_ids_are_consecutive_per_day(client, db, key):
    seed_notices(db, *(notice_row(f"50050030{i}J") for i in range(3)))
    ids = [post(client, key, body(f"50050030{i}J")).get_json()["applicationId"] for i in range(3)]
    day = f"{business_time.today():%Y%m%d}"
    assert ids == [f"FA{day}001", f"FA{day}002", f"FA{day}003"]
    with db.engine.connect() as c:
        assert c.scalar(select(Parameter.value).where(Parameter.parameter_id == "FURNISH_APP_SEQ",
                                                      Parameter.code == day)) == "3"


def test_an_id_already_taken_is_skipped(client, db, key, notice):
    day = f"{business_time.today():%Y%m%d}"
    seed_notices(db, notice_row("500500309Z"))
    with db.engine.begin() as c:   # an application loaded by other means holds serial 001
        c.execute(text("INSERT INTO eocms_furnish_application (application_id, notice_no, furnish_type, status, "
                       "submitted_date, cre_date, cre_user_id) VALUES (:a, '500500309Z', 'DRIVER', 'APPROVED', "
                       ":d, :d, 'x')"), {"a": f"FA{day}001", "d": business_time.now()})
    assert post(client, key, body(notice)).get_json()["applicationId"] == f"FA{day}002"


def test_status_of_an_application(client, db, key, notice):
    application_id = post(client, key, body(notice)).get_json()["applicationId"]
    r = client.get(f"{URL}/{application_id.lower()}", headers=key("eservice"))
    assert r.status_code == 200
    assert r.get_json() | {"submittedDate": None} == {
        "applicationId": application_id, "noticeNo": notice, "furnishType": "DRIVER", "status": "PENDING_APPROVAL",
        "submittedDate": None, "decisionDate": None, "rejectionReason": None}
    for missing in ("FA20260101999", "nonsense", "FA" + "9" * 30):
        r = client.get(f"{URL}/{missing}", headers=key("eservice"))
        assert r.status_code == 404 and r.get_json()["data"]["appCode"] == "OCMS-4004"


# ---- credentials -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", [{}, {"Ocp-Apim-Subscription-Key": "wrong"}, "cas"])
def test_only_the_eservice_key_may_submit(client, db, key, notice, headers):
    if headers == "cas":
        headers = key("cas")
    before = counts(db)
    r = client.post(URL, json=body(notice), headers=headers)
    assert r.status_code == 401 and r.get_json()["data"]["appCode"] == "OCMS-4001"
    r = client.post(URL, data="not json", headers={**headers, "Content-Type": "application/json"})
    assert r.status_code == 401   # credentials first: no validation details for unknown callers
    assert counts(db) == before


# ---- bad input: 400 naming the field, nothing written ---------------------------------------------------------------
def _without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


GOOD = body()
BAD_REQUESTS = [
    (_without(GOOD, "noticeNo"), "noticeNo"),
    (_without(GOOD, "furnishType"), "furnishType"),
    (_without(GOOD, "particulars"), "particulars"),
    ({**GOOD, "noticeNo": ""}, "noticeNo"),
    ({**GOOD, "noticeNo": "50050030311"}, "noticeNo"),
    ({**GOOD, "noticeNo": "5005-0303J"}, "noticeNo"),
    ({**GOOD, "noticeNo": 500500303}, "noticeNo"),
    ({**GOOD, "furnishType": "OWNER"}, "furnishType"),
    ({**GOOD, "furnishType": None}, "furnishType"),
    ({**GOOD, "particulars": "S1234567D"}, "particulars"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idType": "UEN"}}, "particulars.idType"),
    ({**GOOD, "particulars": _without(GOOD["particulars"], "idType")}, "particulars.idType"),
    ({**GOOD, "particulars": _without(GOOD["particulars"], "idNumber")}, "particulars.idNumber"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idNumber": "S1234567A"}}, "particulars.idNumber"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idNumber": "F1234567N"}}, "particulars.idNumber"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idNumber": "S123456D"}}, "particulars.idNumber"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idType": "FIN", "idNumber": "S1234567D"}}, "particulars.idNumber"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "idType": "PASSPORT", "idNumber": "E12"}}, "particulars.idNumber"),
    ({**GOOD, "particulars": _without(GOOD["particulars"], "name")}, "particulars.name"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "name": "   "}}, "particulars.name"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "name": "J0HN D0E"}}, "particulars.name"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "name": "A" * 67}}, "particulars.name"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "name": "JOHN\x00DOE"}}, "particulars.name"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "name": "JOHN\nDOE"}}, "particulars.name"),
    ({**GOOD, "particulars": _without(GOOD["particulars"], "contactNo")}, "particulars.contactNo"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "contactNo": "12345678"}}, "particulars.contactNo"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "contactNo": "9123456"}}, "particulars.contactNo"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "contactNo": 91234567}}, "particulars.contactNo"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "emailAddress": "not-an-email"}}, "particulars.emailAddress"),
    ({**GOOD, "particulars": {**GOOD["particulars"], "nickname": "JD"}}, "particulars.nickname"),
    ({**GOOD, "applicationId": "FA1"}, "applicationId"),
]


@pytest.mark.parametrize("payload, field", BAD_REQUESTS, ids=[f for _, f in BAD_REQUESTS])
def test_bad_input_is_400_naming_the_field_and_changes_nothing(client, db, key, notice, payload, field):
    payload = json.loads(json.dumps(payload).replace("500500303J", notice))
    before = counts(db)
    r = post(client, key, payload)
    assert r.status_code == 400, r.get_json()
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000"
    assert field in [e["field"] for e in data["errors"]], data
    assert counts(db) == before
    assert table(db, EValidOffenceNotice)[0]["furnish_pending_flag"] is None


@pytest.mark.parametrize("raw", ["", "[]", "null", '"text"', "{", '{"noticeNo": "500500303J",}'])
def test_a_body_that_is_not_a_json_object_is_400(client, db, key, notice, raw):
    r = client.post(URL, data=raw, headers={**key("eservice"), "Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["data"]["appCode"] == "OCMS-4000"
    assert counts(db) == (0, 0, 0)


# ---- only notices at a stage where furnishing is allowed (rules/furnish_eligibility.yaml) -----------------------
@pytest.mark.parametrize("overrides, status, message", [
    ({"last_processing_stage": "RR3"}, 400, "Furnishing is not allowed at the notice's processing stage"),
    ({"last_processing_stage": "ROV"}, 400, "Furnishing is not allowed at the notice's processing stage"),
    ({"last_processing_stage": "DN1"}, 400, "Furnishing is not allowed at the notice's processing stage"),
    ({"last_processing_stage": None}, 400, "Furnishing is not allowed at the notice's processing stage"),
    ({"suspension_type": "PS", "crs_reason_of_suspension": "FP"}, 400, "Notice is already paid"),
    # paid by its payment status alone (finding 5: the demo's mirror of 500400059W had no suspension fields)
    ({"payment_status": "PAID", "amount_paid": 70, "payment_acceptance_allowed": "N"}, 400, "Notice is already paid"),
    ({"suspension_type": "PS", "epr_reason_of_suspension": "ANS"}, 400, "Notice is permanently suspended"),
])
def test_a_notice_that_cannot_be_furnished_is_refused(client, db, key, overrides, status, message):
    seed_notices(db, notice_row("500500303J", **overrides))
    before = counts(db)
    r = post(client, key, body())
    assert r.status_code == status
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and data["message"] == message
    assert data["errors"] == [{"field": "noticeNo", "message": message}]
    assert counts(db) == before


def test_rd2_may_be_furnished_and_a_temporary_suspension_does_not_block(client, db, key):
    seed_notices(db, notice_row("500500303J", last_processing_stage="RD2", suspension_type="TS",
                                epr_reason_of_suspension="APP"))
    assert post(client, key, body()).status_code == 200


def test_an_unknown_notice_is_404(client, db, key):
    seed_notices(db, notice_row("500500303J"))
    r = post(client, key, body("500500399Z"))
    assert r.status_code == 404
    assert r.get_json()["data"] == {"appCode": "OCMS-4004", "message": "Notice not found",
                                    "errors": [{"field": "noticeNo", "message": "Notice not found"}]}
    assert counts(db) == (0, 0, 0)


def test_the_stage_list_is_the_analysts(client, db, key, rules_dir):
    """Adding RR3 to furnish_stages lets RR3 notices be furnished: the list lives in YAML, not in Python."""
    path = rules_dir / "furnish_eligibility.yaml"
    path.write_text(path.read_text().replace("furnish_stages: [RD1, RD2]", "furnish_stages: [RD1, RD2, RR3]"))
    seed_notices(db, notice_row("500500303J", last_processing_stage="RR3"))
    assert post(client, key, body()).status_code == 200


# ---- one pending application per notice ------------------------------------------------------------------------------
def test_a_second_submission_while_one_is_pending_is_409(client, db, key, notice):
    first = post(client, key, body(notice)).get_json()["applicationId"]
    before = counts(db)
    r = post(client, key, body(notice, "HIRER", id_number="T1234567J", name="JANE DOE"))
    assert r.status_code == 409
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4009"
    assert data["message"] == "A furnish application for this notice is already pending approval"
    assert data["pendingApplicationId"] == first and first in data["errors"][0]["message"]
    assert data["errors"][0]["field"] == "noticeNo"
    assert counts(db) == before


def test_after_a_decision_the_notice_may_be_furnished_again(client, db, key, notice):
    post(client, key, body(notice))
    with db.engine.begin() as c:   # as a rejection leaves it (tested end to end in test_review)
        c.execute(text("UPDATE eocms_furnish_application SET status = 'REJECTED'"))
    assert post(client, key, body(notice)).status_code == 200


def test_the_database_refuses_a_second_pending_application(db, notice):
    """The partial unique index itself, without the service's check."""
    from sqlalchemy.exc import IntegrityError
    insert = text("INSERT INTO eocms_furnish_application (application_id, notice_no, furnish_type, status, "
                  "submitted_date, cre_date, cre_user_id) VALUES (:a, :n, 'DRIVER', :s, :d, :d, 'x')")
    stamp = business_time.now()
    with db.engine.begin() as c:
        c.execute(insert, {"a": "FA1", "n": notice, "s": "PENDING_APPROVAL", "d": stamp})
        c.execute(insert, {"a": "FA2", "n": notice, "s": "REJECTED", "d": stamp})
        c.execute(insert, {"a": "FA3", "n": notice, "s": "APPROVED", "d": stamp})
    with pytest.raises(IntegrityError), db.engine.begin() as c:
        c.execute(insert, {"a": "FA4", "n": notice, "s": "PENDING_APPROVAL", "d": stamp})


def test_concurrent_submissions_for_one_notice_let_exactly_one_through(make_app, key):
    """Two workers (apps) submit for the same notice at the same moment, several times over."""
    apps = [make_app() for _ in range(2)]
    from api.database import get_db
    db = get_db(apps[0])
    notices = [f"50050031{i}A" for i in range(4)]
    seed_notices(db, *(notice_row(n) for n in notices))
    for app in apps:
        app.test_client().get("/v1/rulesets", headers=key("eservice"))   # load the rules before racing
    for n in notices:
        barrier = threading.Barrier(2)
        out = [None, None]

        def go(i):
            c = apps[i].test_client()
            barrier.wait()
            out[i] = c.post(URL, json=body(n, id_number=["S1234567D", "T1234567J"][i]), headers=key("eservice"))

        threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(r.status_code for r in out) == [200, 409], [r.get_json() for r in out]
        winner = next(r for r in out if r.status_code == 200).get_json()["applicationId"]
        assert [r["application_id"] for r in table(db, EFurnishApplication, notice_no=n)] == [winner]
    ids = [r["application_id"] for r in table(db, EFurnishApplication)]
    assert len(ids) == len(set(ids)) == len(notices)
    assert sorted(int(re.sub(r"^FA\d{8}", "", i)) for i in ids) == [1, 2, 3, 4]   # the losers' serials rolled back


# ---- whatever a caller sends: never a 500, nothing written unless accepted -----------------------------------------
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
                    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=12), children,
                                                                                       max_size=4), max_leaves=12)
FIELDS = st.fixed_dictionaries({}, optional={
    "noticeNo": st.sampled_from(["500500303J", "500500303j", "", "X" * 11]) | JSON,
    "furnishType": st.sampled_from(["DRIVER", "hirer", "OWNER"]) | JSON,
    "particulars": st.fixed_dictionaries({}, optional={
        "idType": st.sampled_from(["NRIC", "FIN", "PASSPORT", "UEN"]) | JSON,
        "idNumber": st.sampled_from(["S1234567D", "S1234567A", "M1234567K", "E1234567"]) | st.text(max_size=25) | JSON,
        "name": st.text(max_size=80) | JSON,
        "contactNo": st.sampled_from(["91234567", "+6591234567", "123"]) | st.text(max_size=25) | JSON,
        "emailAddress": st.emails() | JSON,
    }) | JSON,
}) | JSON


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(payload=FIELDS)
def test_no_payload_gives_a_500(client, db, key, notice, payload):
    before = counts(db)
    r = post(client, key, payload)
    assert r.status_code in (200, 400, 409), (payload, r.get_json())
    assert r.get_json() is not None
    if r.status_code == 200:
        assert counts(db)[0] == before[0] + 1
        with db.engine.begin() as c:   # back to one notice without an application for the next example
            c.execute(text("DELETE FROM eocms_furnish_application"))
            c.execute(text("DELETE FROM ocms_decision_log"))
            c.execute(text("UPDATE eocms_valid_offence_notice SET furnish_pending_flag = NULL"))
    else:
        assert counts(db)[0] == before[0]
