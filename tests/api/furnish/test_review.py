"""The OIC's review queue on the Staff Portal (OCMS 14 tab 4 steps 6a-7a): list, approve, reject."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import text

from repository.models import (
    EFurnishApplication,
    EValidOffenceNotice,
    FurnishApplication,
    ManualReviewQueue,
    ValidOffenceNotice,
)

from .helpers import body, notice_row, seed_notices, table
from .test_sync import application, mha, offenders, run, start_of_today, submit  # noqa: F401  (mha: a fixture)

APPS = "/v1/furnish/applications"


@pytest.fixture
def queued(client, db, key, mha):
    """Two applications in the OIC queue: a driver whose name differs from MHA's, a passport hirer."""
    seed_notices(db, notice_row("500500303J"), notice_row("500500304K", last_processing_stage="RD2"))
    driver = submit(client, key, "500500303J", name="SOMEONE ELSE")
    hirer = submit(client, key, "500500304K", "HIRER", "PASSPORT", "E1234567", name="JANE DOE")
    counts = run(db)
    assert counts["queuedForReview"] == 2
    return driver, hirer


def test_the_queue_lists_what_waits_for_an_oic(client, bearer, queued):
    driver, hirer = queued
    r = client.get(APPS, headers=bearer())
    assert r.status_code == 200
    answer = r.get_json()
    assert answer["total"] == 2
    listed = {a["applicationId"]: a for a in answer["applications"]}
    assert sorted(listed) == sorted(queued)
    assert listed[driver]["reviewReason"] == "Name does not match MHA's record for the ID"
    assert listed[driver]["mha"]["mhaStatus"] == "FOUND" and listed[driver]["inReviewQueue"] is True
    assert listed[driver]["particulars"] == {"idType": "NRIC", "idNumber": "S1234567D", "name": "SOMEONE ELSE",
                                             "contactNo": "91234567", "emailAddress": None}
    assert listed[hirer]["reviewReason"] == "ID type cannot be verified with MHA" and listed[hirer]["mha"] is None
    one = client.get(APPS, query_string={"noticeNo": "500500304k"}, headers=bearer()).get_json()
    assert [a["applicationId"] for a in one["applications"]] == [hirer]
    page = client.get(APPS, query_string={"limit": 1, "offset": 1}, headers=bearer()).get_json()
    assert page["total"] == 2 and len(page["applications"]) == 1


def test_pending_applications_not_yet_checked_are_listed_with_queue_all(client, db, key, bearer):
    seed_notices(db, notice_row("500500303J"))
    a = submit(client, key, "500500303J")
    assert client.get(APPS, headers=bearer()).get_json()["total"] == 0   # not synced yet
    with db.unit_of_work() as uow:
        from api.furnish.sync import copy_new_applications
        copy_new_applications(uow.session)
        uow.commit()
    assert client.get(APPS, headers=bearer()).get_json()["total"] == 0
    listed = client.get(APPS, query_string={"queue": "all"}, headers=bearer()).get_json()["applications"]
    assert [x["applicationId"] for x in listed] == [a] and listed[0]["inReviewQueue"] is False


@pytest.mark.parametrize("headers, status", [("none", 401), ("no-oic-role", 403), ("key", 401)])
def test_only_an_oic_may_use_the_queue(client, key, bearer, queued, headers, status):
    headers = {"none": {}, "no-oic-role": bearer(roles=("VIEWER",)), "key": key("eservice")}[headers]
    assert client.get(APPS, headers=headers).status_code == status
    r = client.post(f"{APPS}/{queued[0]}/approve", json={}, headers=headers)
    assert r.status_code == status and r.get_json()["data"]["appCode"] == f"OCMS-4{status % 100:03d}"
    assert client.post(f"{APPS}/{queued[0]}/reject", json={"remarks": "x"}, headers=headers).status_code == status


@pytest.mark.parametrize("query, field", [({"status": "DONE"}, "status"), ({"limit": 0}, "limit"),
                                          ({"limit": 501}, "limit"), ({"offset": -1}, "offset"),
                                          ({"queue": "MINE"}, "queue"), ({"colour": "red"}, "colour")])
def test_a_bad_query_is_400_naming_the_field(client, bearer, query, field):
    r = client.get(APPS, query_string=query, headers=bearer())
    assert r.status_code == 400 and field in [e["field"] for e in r.get_json()["data"]["errors"]]


def test_oic_approval_adds_the_offender_and_sets_the_next_stage(client, db, bearer, queued):
    driver, _ = queued
    r = client.post(f"{APPS}/{driver}/approve", json={"remarks": "Called the driver: the name is an alias"},
                    headers=bearer("officer7"))
    assert r.status_code == 200, r.get_json()
    answer = r.get_json()
    assert answer["status"] == "APPROVED" and answer["decidedBy"] == "officer7"
    assert answer["decisionRemarks"] == "Called the driver: the name is an alias"
    assert application(db, EFurnishApplication, driver)["status"] == "APPROVED"
    people = offenders(db, "500500303J")
    assert people["D"]["is_current"] == "Y" and people["O"]["is_current"] == "N"
    assert people["D"]["postal_code"] is not None    # MHA's address from the check
    for model in (ValidOffenceNotice, EValidOffenceNotice):
        n = table(db, model, notice_no="500500303J")[0]
        assert (n["next_processing_stage"], n["next_processing_date"], n["furnish_pending_flag"]) == (
            "DN1", start_of_today(), None)
    [review] = table(db, ManualReviewQueue, notice_no="500500303J")
    assert (review["status"], review["resolved_by"], review["resolution_remarks"]) == (
        "RESOLVED", "officer7", "Called the driver: the name is an alias")
    # decided once: a second approval or a rejection is refused
    again = client.post(f"{APPS}/{driver}/approve", json={}, headers=bearer())
    assert again.status_code == 409 and again.get_json()["data"]["message"] == "Furnish application is already APPROVED"
    assert client.post(f"{APPS}/{driver}/reject", json={"remarks": "no"}, headers=bearer()).status_code == 409


def test_oic_approval_of_a_passport_hirer_without_mha_data(client, db, bearer, queued):
    _, hirer = queued
    assert client.post(f"{APPS}/{hirer}/approve", json={}, headers=bearer()).status_code == 200
    people = offenders(db, "500500304K")
    assert people["H"]["id_type"] == "PASSPORT" and people["H"]["name"] == "JANE DOE"
    assert people["H"]["postal_code"] is None and people["H"]["mha_checked_date"] is None
    n = table(db, ValidOffenceNotice, notice_no="500500304K")[0]
    assert (n["last_processing_stage"], n["next_processing_stage"], n["offender_name"]) == ("RD2", "RD1", "JANE DOE")


def test_oic_rejection_updates_the_internet_application_and_clears_furnish_pending(client, db, key, bearer, queued):
    driver, _ = queued
    before = table(db, ValidOffenceNotice, notice_no="500500303J")[0]
    r = client.post(f"{APPS}/{driver}/reject", json={"remarks": "  The driver named is not known  "},
                    headers=bearer("officer9"))
    assert r.status_code == 200
    assert r.get_json()["status"] == "REJECTED" and r.get_json()["rejectionReason"] == "The driver named is not known"
    internet = application(db, EFurnishApplication, driver)
    assert (internet["status"], internet["rejection_reason"], internet["decided_by"]) == (
        "REJECTED", "The driver named is not known", "officer9")
    for model in (ValidOffenceNotice, EValidOffenceNotice):
        assert table(db, model, notice_no="500500303J")[0]["furnish_pending_flag"] is None
    after = table(db, ValidOffenceNotice, notice_no="500500303J")[0]
    assert after["next_processing_stage"] == before["next_processing_stage"]     # the stage is untouched
    assert offenders(db, "500500303J")["O"]["is_current"] == "Y" and "D" not in offenders(db, "500500303J")
    assert table(db, ManualReviewQueue, notice_no="500500303J")[0]["status"] == "RESOLVED"
    status = client.get(f"/v1/eservice/furnishApplication/{driver}", headers=key("eservice")).get_json()
    assert status["status"] == "REJECTED" and status["rejectionReason"] == "The driver named is not known"
    # the owner may furnish again
    r = client.post("/v1/eservice/furnishApplication", json=body("500500303J"), headers=key("eservice"))
    assert r.status_code == 200


@pytest.mark.parametrize("payload", [{}, {"remarks": ""}, {"remarks": "   "}, {"remarks": None}, {"remarks": "x" * 201},
                                     {"remarks": "ok", "extra": 1}])
def test_a_rejection_needs_remarks(client, db, bearer, queued, payload):
    r = client.post(f"{APPS}/{queued[0]}/reject", json=payload, headers=bearer())
    assert r.status_code == 400
    assert {e["field"] for e in r.get_json()["data"]["errors"]} & {"remarks", "extra"}
    assert application(db, FurnishApplication, queued[0])["status"] == "PENDING_APPROVAL"


@pytest.mark.parametrize("application_id", ["FA20990101001", "nothing", "FA1"])
def test_an_unknown_application_is_404(client, bearer, queued, application_id):
    for action, payload in (("approve", {}), ("reject", {"remarks": "x"})):
        r = client.post(f"{APPS}/{application_id}/{action}", json=payload, headers=bearer())
        assert r.status_code == 404 and r.get_json()["data"]["appCode"] == "OCMS-4004"


def test_approval_of_a_notice_paid_meanwhile_is_refused_and_changes_nothing(client, db, bearer, queued):
    driver, _ = queued
    with db.engine.begin() as c:
        c.execute(text("UPDATE ocms_valid_offence_notice SET suspension_type = 'PS', crs_reason_of_suspension = 'FP' "
                       "WHERE notice_no = '500500303J'"))
    r = client.post(f"{APPS}/{driver}/approve", json={}, headers=bearer())
    assert r.status_code == 409
    assert r.get_json()["data"]["message"] == "Notice can no longer be furnished: Notice is already paid"
    assert application(db, FurnishApplication, driver)["status"] == "PENDING_APPROVAL"
    assert "D" not in offenders(db, "500500303J")
    # the OIC rejects it instead
    assert client.post(f"{APPS}/{driver}/reject", json={"remarks": "Paid"}, headers=bearer()).status_code == 200


def test_two_officers_deciding_at_once_one_wins(make_app, db, key, bearer, queued):
    driver, _ = queued
    apps = [make_app() for _ in range(2)]
    barrier = threading.Barrier(2)
    out = [None, None]

    def go(i):
        c = apps[i].test_client()
        c.get(APPS, headers=bearer())
        barrier.wait()
        out[i] = (c.post(f"{APPS}/{driver}/approve", json={}, headers=bearer("a")) if i == 0 else
                  c.post(f"{APPS}/{driver}/reject", json={"remarks": "no"}, headers=bearer("b")))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status_code for r in out) == [200, 409], [r.get_json() for r in out]
    row = application(db, FurnishApplication, driver)
    approved = out[0].status_code == 200
    assert row["status"] == ("APPROVED" if approved else "REJECTED")
    assert ("D" in offenders(db, "500500303J")) == approved
