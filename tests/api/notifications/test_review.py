"""The Staff Portal's manual review queue of AN notifications: list, get, resolve (RETRY / CLOSE), bad input."""
from __future__ import annotations

import pytest

from repository.models import AnNotification, ManualReviewQueue
from simulators.people import nric_for

from .conftest import notice, notice_row, qualified, rows, run, work

BASE = "/v1/an/notifications/reviews"


@pytest.fixture
def failed_lta(ndb, registry, systems, napp):
    """A notice in the queue because LTA failed after its retries."""
    (no,) = qualified(ndb, [notice_row("710000001A", "SBA7777A")])
    systems.lta.fail_always(503)
    run(ndb, registry, systems, napp)
    systems.lta.reset()
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    return no, item.id


def test_list_open_items_with_reason_and_notice(napp, failed_lta, bearer):
    no, rid = failed_lta
    r = napp.test_client().get(BASE, headers=bearer())
    assert r.status_code == 200, r.json
    (item,) = r.json["items"]
    assert r.json["total"] == 1
    assert (item["id"], item["noticeNo"], item["reviewType"], item["status"]) == (rid, no, "AN_LTA_FAILED", "OPEN")
    assert item["reason"].startswith("LTA vehicle owner check failed after retries") and "HTTP 503" in item["reason"]
    assert item["notice"]["vehicleNo"] == "SBA7777A" and item["notice"]["compositionAmount"] == "70.00"
    assert item["notification"]["ownerResult"] == "FAILED"
    r = napp.test_client().get(f"{BASE}?reviewType=an_mha_failed", headers=bearer())
    assert r.status_code == 200 and r.json["items"] == []
    assert napp.test_client().get(f"{BASE}/{rid}", headers=bearer()).json["id"] == rid


def test_retry_runs_the_flow_again_from_the_failed_step(napp, ndb, registry, systems, failed_lta, bearer):
    no, rid = failed_lta
    nric = nric_for("SBA7777A")
    systems.datahive.set_contact(nric, mobile="97777777")
    r = napp.test_client().post(f"{BASE}/{rid}/resolve", json={"action": "retry", "remarks": "LTA back up"},
                                headers=bearer(sub="officer7"))
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["resolvedBy"], r.json["resolutionRemarks"]) == ("RESOLVED", "officer7", "LTA back up")
    (action,) = r.json["actions"]
    assert (action["action"], action["by"], action["cleared"]) == ("RETRY", "officer7", ["owner_result"])
    w = work(ndb, no)
    assert (w.status, w.owner_result, w.review_id) == ("PENDING", None, None)
    run(ndb, registry, systems, napp, key="after-retry")
    assert work(ndb, no).status == "DONE" and notice(ndb, no).epr_reason_of_suspension == "ANS"
    assert [m["to"] for m in systems.sms.sent] == ["97777777"]
    # resolved once: a second resolve is refused, nothing changes
    r = napp.test_client().post(f"{BASE}/{rid}/resolve", json={"action": "CLOSE", "remarks": "x"}, headers=bearer())
    assert r.status_code == 409 and r.json["data"]["appCode"] == "OCMS-4009"


def test_close_with_remarks(napp, ndb, failed_lta, bearer):
    no, rid = failed_lta
    r = napp.test_client().post(f"{BASE}/{rid}/resolve", json={"action": "CLOSE", "remarks": "Letter sent by hand"},
                                headers=bearer())
    assert r.status_code == 200 and r.json["status"] == "CLOSED"
    assert work(ndb, no).status == "CLOSED"
    assert napp.test_client().get(BASE, headers=bearer()).json["items"] == []
    assert napp.test_client().get(f"{BASE}?status=closed", headers=bearer()).json["total"] == 1


def test_retry_never_clears_a_sent_or_doubtful_send(napp, ndb, registry, systems, bearer):
    (no,) = qualified(ndb, [notice_row("710000002A", "SBA7878A")])
    nric = nric_for("SBA7878A")
    systems.datahive.set_contact(nric, mobile="97878787")
    systems.mha.not_found(nric)
    with ndb.unit_of_work() as uow:   # an SMS in doubt (a runner died during it): the letter path, MHA fails
        uow.session.execute(AnNotification.__table__.update().where(AnNotification.notice_no == no)
                            .values(owner_result="FOUND", contact_result="FOUND", sms_result="IN_DOUBT"))
        uow.session.execute(__import__("sqlalchemy").insert(__import__("repository.models", fromlist=["x"])
                                                           .OffenceNoticeOwnerDriver),
                            [{"notice_no": no, "owner_driver_indicator": "O", "is_current": "Y", "id_no": nric,
                              "id_type": "NRIC", "name": "TAN", "mobile_no": "97878787"}])
        uow.commit()
    run(ndb, registry, systems, napp)
    (item,) = rows(ndb, ManualReviewQueue, notice_no=no)
    assert item.review_type == "AN_MHA_FAILED" and systems.sms.sent == []
    r = napp.test_client().post(f"{BASE}/{item.id}/resolve", json={"action": "RETRY"}, headers=bearer())
    assert r.status_code == 200 and r.json["actions"][0]["cleared"] == ["address_result"]
    assert work(ndb, no).sms_result == "IN_DOUBT"


@pytest.mark.parametrize("body, field", [({}, "action"), ({"action": "DELETE"}, "action"),
                                         ({"action": "CLOSE"}, "remarks"), ({"action": "CLOSE", "remarks": ""}, "remarks"),
                                         ({"action": "RETRY", "extra": 1}, "extra"),
                                         ({"action": "RETRY", "remarks": "x" * 501}, "remarks")])
def test_bad_resolve_is_400_naming_the_field_and_changes_nothing(napp, ndb, failed_lta, bearer, body, field):
    no, rid = failed_lta
    r = napp.test_client().post(f"{BASE}/{rid}/resolve", json=body, headers=bearer())
    assert r.status_code == 400 and r.json["data"]["appCode"] == "OCMS-4000"
    assert field in {e["field"] for e in r.json["data"]["errors"]}
    assert work(ndb, no).status == "REVIEW" and rows(ndb, ManualReviewQueue)[0].status == "OPEN"


def test_unknown_item_404_and_no_jwt_401(napp, bearer, key):
    client = napp.test_client()
    for path in (f"{BASE}/999999", f"{BASE}/0", f"{BASE}/99999999999"):
        r = client.get(path, headers=bearer())
        assert r.status_code == 404 and r.json["data"]["appCode"] == "OCMS-4004", path
    r = client.post(f"{BASE}/999999/resolve", json={"action": "RETRY"}, headers=bearer())
    assert r.status_code == 404
    assert client.get(BASE).status_code == 401
    r = client.get(BASE, headers=bearer(roles=("VIEWER",)))   # a known officer without the role: forbidden
    assert r.status_code == 403 and r.json["data"]["appCode"] == "OCMS-4003"
    assert r.json["data"]["errors"] == [{"field": "roles", "message": "this endpoint needs a JWT with role OIC"}]
    assert client.get(f"{BASE}?limit=0", headers=bearer()).status_code == 400
    assert client.get(f"{BASE}?status=maybe", headers=bearer()).status_code == 400


def test_every_seeded_review_item_is_listed_and_actionable(napp, ndb, registry, systems, bearer):
    """The demo's review items are the flow's own (AN_* types, a work row in REVIEW linked both ways): every one is
    listed, and RETRY sends its notice back to the job, which then goes on from the failed step; CLOSE ends one."""
    from repository.demo_rows import SHOWCASE
    from repository.seed import seed_demo
    with ndb.unit_of_work() as uow:
        seed_demo(uow.session, notices=60)
        uow.commit()
    seeded = rows(ndb, ManualReviewQueue)
    client = napp.test_client()
    listed = client.get(f"{BASE}?status=ALL&limit=500", headers=bearer()).json
    assert len(seeded) == 3 and listed["total"] == 3
    assert {i["id"] for i in listed["items"]} == {q.id for q in seeded}
    by_type = {i["reviewType"]: i for i in listed["items"]}
    assert set(by_type) == {"AN_LTA_FAILED", "AN_MHA_NO_ADDRESS", "AN_SLIFT_FAILED"}
    for q in seeded:
        item, w = by_type[q.review_type], work(ndb, q.notice_no)
        assert q.notice_no in SHOWCASE and item["status"] == "OPEN" and item["notice"]["anFlag"] == "Y"
        assert (w.status, w.review_id, q.details["workId"]) == ("REVIEW", q.id, w.id)
        assert item["notification"]["status"] == "REVIEW" and item["notice"]["suspensionType"] is None
    assert by_type["AN_LTA_FAILED"]["notification"]["ownerResult"] == "FAILED"
    assert by_type["AN_SLIFT_FAILED"]["notification"]["letterResult"] == "FAILED"

    lta, mha, slift = (by_type[t] for t in ("AN_LTA_FAILED", "AN_MHA_NO_ADDRESS", "AN_SLIFT_FAILED"))
    for item in (lta, mha):
        r = client.post(f"{BASE}/{item['id']}/resolve", json={"action": "RETRY"}, headers=bearer())
        assert r.status_code == 200 and r.json["status"] == "RESOLVED", r.json
    r = client.post(f"{BASE}/{slift['id']}/resolve", json={"action": "CLOSE", "remarks": "Letter sent by hand"},
                    headers=bearer())
    assert r.status_code == 200 and r.json["status"] == "CLOSED"
    counts = run(ndb, registry, systems, napp)
    assert counts["claimed"] == 2, counts
    assert len(systems.lta.calls_to("/vehicle/owner")) == 1 and len(systems.mha.calls_to("/address")) >= 1
    assert work(ndb, lta["noticeNo"]).owner_result == "FOUND"
    assert work(ndb, mha["noticeNo"]).address_result is not None and work(ndb, slift["noticeNo"]).status == "CLOSED"
    assert client.get(BASE, headers=bearer()).json["total"] == sum(
        work(ndb, i["noticeNo"]).status == "REVIEW" for i in (lta, mha))
