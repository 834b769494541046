"""Revival of TS-OLD / TS-CLV: by an OIC through the Staff Portal endpoint, and by the daily ts-old-revival job."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from repository.models import (
    BatchJobRun, DecisionLog, ESuspendedNotice, EValidOffenceNotice, SuspendedNotice, ValidOffenceNotice, now,
)

from .conftest import all_rows, get, insert_notices, notice_row

URL = "/v1/vip/revival"


def suspended(notice_no, reason="OLD", stype="TS", days_left=5, stage="NPA", prev=None, **cols):
    """A notice under ``stype``-``reason`` (notice and an open suspension row), due in ``days_left`` days."""
    since = now() - dt.timedelta(days=21 - days_left)
    due = since + dt.timedelta(days=21)
    prefix = "crs" if reason in ("FP", "PRA") else "epr"
    row = notice_row(notice_no, last_processing_stage=stage, prev_processing_stage=prev,
                     last_processing_date=since, next_processing_stage="ROV" if stage == "NPA" else "CSD",
                     next_processing_date=since + dt.timedelta(days=2), suspension_type=stype,
                     due_date_of_revival=due, **{f"{prefix}_reason_of_suspension": reason,
                                                 f"{prefix}_date_of_suspension": since}, **cols)
    susp = {"notice_no": notice_no, "date_of_suspension": since, "sr_no": 1, "suspension_type": stype,
            "reason_of_suspension": reason, "due_date_of_revival": due, "cre_user_id": "test", "cre_date": since}
    return row, susp


def seed(db, *items):
    from sqlalchemy import insert
    insert_notices(db, [r for r, _ in items])
    with db.unit_of_work() as uow:
        uow.session.execute(insert(SuspendedNotice), [s for _, s in items])
        uow.session.execute(insert(ESuspendedNotice), [s for _, s in items])
        uow.commit()


@pytest.fixture
def client(vip_app):
    return vip_app.test_client()


def revive(client, bearer, body, roles=("OIC",), sub="officer7"):
    return client.post(URL, json=body, headers=bearer(sub=sub, roles=roles))


def test_oic_revives_ts_old_and_ts_clv_recording_who_when_why(client, vdb, bearer):
    seed(vdb, suspended("V000000001"), suspended("V000000002", reason="CLV", stage="CPC", prev="RR3"),
         suspended("V000000003", reason="ANS", stype="PS"))
    insert_notices(vdb, [notice_row("V000000004", last_processing_stage="RD1")])
    r = revive(client, bearer, {"noticeNumbers": ["v000000001", "V000000002", "V000000003", "V000000004", "X1"],
                                "revivalReason": "inv", "remarks": "Investigation completed"})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["revived"], body["notRevived"]) == (2, 3)
    by_no = {x["noticeNo"]: x for x in body["results"]}
    assert by_no["V000000001"]["status"] == "REVIVED" and by_no["V000000001"]["revivedSuspension"] == "TS-OLD"
    assert by_no["V000000001"]["nextStage"] == "ROV"  # NPA's next stage in the stage map
    assert by_no["V000000002"]["nextStage"] == "CSD"  # CPC (from RR3): next CSD
    assert by_no["V000000003"]["code"] == "OCMS.VIP.REV.NOT_REVIVABLE"
    assert by_no["V000000004"]["code"] == "OCMS.VIP.REV.NOT_SUSPENDED"
    assert by_no["X1"]["code"] == "OCMS.VIP.REV.NOT_FOUND"

    for n in ("V000000001", "V000000002"):
        (s,) = all_rows(vdb, SuspendedNotice, notice_no=n)
        assert (s.revival_reason, s.officer_authorising_revival, s.revival_remarks) == \
            ("INV", "officer7", "Investigation completed")
        assert abs((s.date_of_revival - now()).total_seconds()) < 120
        (es,) = all_rows(vdb, ESuspendedNotice, notice_no=n)
        assert (es.date_of_revival, es.revival_reason) == (s.date_of_revival, "INV")
        v, m = get(vdb, ValidOffenceNotice, n), get(vdb, EValidOffenceNotice, n)
        for x in (v, m):
            assert (x.suspension_type, x.epr_reason_of_suspension, x.due_date_of_revival) == (None, None, None)
    v1 = get(vdb, ValidOffenceNotice, "V000000001")
    assert v1.next_processing_date.date() == (s.date_of_revival + dt.timedelta(days=2)).date()  # NPA: 2 stage days
    v2 = get(vdb, ValidOffenceNotice, "V000000002")
    assert v2.next_processing_date.date() == (s.date_of_revival + dt.timedelta(days=14)).date()  # CPC: 14
    untouched = get(vdb, ValidOffenceNotice, "V000000003")
    assert (untouched.suspension_type, untouched.epr_reason_of_suspension) == ("PS", "ANS")
    assert {d.subject for d in all_rows(vdb, DecisionLog, ruleset="suspension_revival")} == \
        {"V000000001", "V000000002", "V000000003", "V000000004", "X1"}


def test_a_second_revival_finds_nothing_to_revive(client, vdb, bearer):
    seed(vdb, suspended("V000000001"))
    body = {"noticeNumbers": ["V000000001"], "revivalReason": "INV"}
    assert revive(client, bearer, body).get_json()["revived"] == 1
    again = revive(client, bearer, body).get_json()
    assert again["revived"] == 0 and again["results"][0]["code"] == "OCMS.VIP.REV.NOT_SUSPENDED"
    assert len(all_rows(vdb, SuspendedNotice, notice_no="V000000001")) == 1


@pytest.mark.parametrize("body, field", [
    ({"noticeNumbers": ["V000000001"], "revivalReason": "XYZ"}, "revivalReason"),
    ({"noticeNumbers": ["V000000001"], "revivalReason": "OTH"}, "remarks"),
    ({"noticeNumbers": ["V000000001"], "revivalReason": "OTH", "remarks": "   "}, "remarks"),
    ({"noticeNumbers": [], "revivalReason": "INV"}, "noticeNumbers"),
    ({"noticeNumbers": ["V0000000012345"], "revivalReason": "INV"}, "noticeNumbers.0"),
    ({"noticeNumbers": ["V00\x0000001"], "revivalReason": "INV"}, "noticeNumbers.0"),
    ({"noticeNumbers": ["V000000001"], "revivalReason": "INVALID"}, "revivalReason"),
    ({"noticeNumbers": ["V000000001"], "revivalReason": "INV", "remarks": "a\x00b"}, "remarks"),
    ({"noticeNumbers": "V000000001", "revivalReason": "INV"}, "noticeNumbers"),
    ({"revivalReason": "INV"}, "noticeNumbers"),
])
def test_bad_requests_name_the_field_and_change_nothing(client, vdb, bearer, body, field):
    seed(vdb, suspended("V000000001"))
    r = revive(client, bearer, body)
    assert r.status_code == 400, r.get_json()
    data = r.get_json()["data"]
    assert data["appCode"] == "OCMS-4000" and field in [e["field"] for e in data["errors"]]
    assert get(vdb, ValidOffenceNotice, "V000000001").suspension_type == "TS"
    assert all_rows(vdb, SuspendedNotice)[0].date_of_revival is None


def test_only_an_oic_may_revive(client, vdb, bearer):
    seed(vdb, suspended("V000000001"))
    body = {"noticeNumbers": ["V000000001"], "revivalReason": "INV"}
    r = revive(client, bearer, body, roles=("PLM",))
    assert r.status_code == 403 and r.get_json()["data"]["appCode"] == "OCMS-4003"
    assert client.post(URL, json=body).status_code == 401
    assert get(vdb, ValidOffenceNotice, "V000000001").suspension_type == "TS"


def test_more_than_500_notices_is_413(client, bearer):
    r = revive(client, bearer, {"noticeNumbers": [f"N{i:09d}" for i in range(501)], "revivalReason": "INV"})
    assert r.status_code == 413 and r.get_json()["data"]["appCode"] == "OCMS-4013"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(
    st.dictionaries(st.sampled_from(["noticeNumbers", "revivalReason", "remarks", "x"]),
                    st.one_of(st.none(), st.text(max_size=30), st.integers(), st.lists(st.text(max_size=14), max_size=3),
                              st.booleans()), max_size=4),
    st.lists(st.integers(), max_size=2), st.text(max_size=10)))
def test_no_input_gives_a_500(client, bearer, body):
    r = revive(client, bearer, body)
    assert r.status_code in (200, 400, 413), (body, r.get_json())


def test_suspensions_of_a_notice_show_who_when_why(client, vdb, bearer):
    seed(vdb, suspended("V000000001"))
    revive(client, bearer, {"noticeNumbers": ["V000000001"], "revivalReason": "OTH", "remarks": "Cleared"})
    r = client.get("/v1/vip/notices/v000000001/suspensions", headers=bearer(roles=("PLM",)))
    assert r.status_code == 200
    (s,) = r.get_json()["suspensions"]
    assert (s["reasonOfSuspension"], s["revivalReason"], s["officerAuthorisingRevival"], s["revivalRemarks"]) == \
        ("OLD", "OTH", "officer7", "Cleared")
    assert client.get("/v1/vip/notices/NOPE/suspensions", headers=bearer()).status_code == 404
    assert client.get("/v1/vip/notices/V000000001/suspensions").status_code == 401


# ---- the daily job ---------------------------------------------------------------------------------------------------
def test_ts_old_revival_job_revives_due_ones_only(runner, vdb):
    seed(vdb, suspended("V000000001", days_left=0), suspended("V000000002", days_left=-3),
         suspended("V000000003", days_left=1), suspended("V000000004", reason="CLV", days_left=-1, stage="CPC"))
    r = runner.invoke(["jobs", "run", "ts-old-revival"])
    out = json.loads(r.output)
    assert r.exit_code == 0 and out["status"] == "SUCCESS", out
    assert out["counts"]["revived"] == 2 and out["counts"]["failed"] == 0
    for n in ("V000000001", "V000000002"):
        (s,) = all_rows(vdb, SuspendedNotice, notice_no=n)
        assert (s.revival_reason, s.officer_authorising_revival) == ("AUT", "ocmsiz_app_conn")
        v = get(vdb, ValidOffenceNotice, n)
        assert v.suspension_type is None and v.next_processing_stage == "ROV"
    assert get(vdb, ValidOffenceNotice, "V000000003").suspension_type == "TS"  # due tomorrow
    assert get(vdb, ValidOffenceNotice, "V000000004").epr_reason_of_suspension == "CLV"  # not TS-OLD
    again = json.loads(runner.invoke(["jobs", "run", "ts-old-revival", "--force"]).output)
    assert again["counts"]["revived"] == 0
    assert [r.status for r in all_rows(vdb, BatchJobRun, job_name="ts-old-revival")] == ["SUCCESS", "SUCCESS"]


def test_ts_old_revival_refuses_a_future_or_bad_key(runner):
    from api.stages.moves import today
    tomorrow = (today() + dt.timedelta(days=1)).isoformat()
    refused = runner.invoke(["jobs", "run", "ts-old-revival", "--key", tomorrow])   # refused before anything is recorded
    assert refused.exit_code == 2 and "is in the future" in refused.stderr and refused.output == ""
    out = json.loads(runner.invoke(["jobs", "run", "ts-old-revival", "--key", "today"]).output)
    assert out["status"] == "FAILED" and "YYYY-MM-DD" in out["error"]
